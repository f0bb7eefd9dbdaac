/* targets.h: the target list of `tlsdiag sweep`: one target a line, bad
 * lines reported and skipped, duplicates collapsed, stable shards. */
#ifndef TD_TARGETS_H
#define TD_TARGETS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TD_TARGET_MAX_LINE 4096 /* bytes of one line, newline excluded */

typedef struct td_target {
  char *host;     /* as written, brackets removed */
  uint16_t port;
  char *sni;      /* NULL: the default (the host's A-label); "" none */
  char *path;     /* request path (and query) of a URL target, or NULL */
  char *key;      /* normalized "host:port" or "[v6]:port", then
                     " sni=NAME" when given: what duplicates and shards
                     are decided on */
  size_t line;    /* 1-based line number in the input */
} td_target_t;

/* A bad line, for its JSON Lines record. */
typedef struct td_bad_line {
  size_t line;
  char *why;   /* terminal-safe */
  char *input; /* the line, terminal-safe (td_target_quote), cut short */
  int refused; /* read as a target, refused by the library (so already
                  in the shard's share of targets) */
} td_bad_line_t;

/* Bad lines kept for records; more are counted, not kept (a list of
 * garbage must not grow the sweep's memory without bound). */
#define TD_TARGETS_BAD_KEPT 10000

typedef struct td_targets {
  td_target_t *v;
  size_t n, cap;
  td_bad_line_t *badv; /* the first TD_TARGETS_BAD_KEPT bad lines */
  size_t nbadv, badcap;
  size_t bad;        /* lines reported and skipped */
  size_t duplicates; /* lines that repeated an earlier target */
  size_t first_bad;  /* the lowest bad line's number, 0 if none */
  char first_bad_why[200]; /* and why it is bad (terminal-safe) */
} td_targets_t;

/* Counts a bad line (line: its number, why: terminal-safe, input: the
 * line as read or NULL), keeping the lowest one's reason for the reports
 * that name it (Nagios, whose status line is all an operator sees of
 * stderr-less plugin output) and each line for its JSON record. */
void td_targets_bad(td_targets_t *l, size_t line, const char *why,
                    const char *input);

/* 1 if a bad line belongs to shard k of n: every line to exactly one, so
 * that merged shard outputs hold its record once. */
int td_bad_line_in_shard(size_t line, unsigned k, unsigned n);

/* Reads the targets of `in` (named `name` in messages) into *out, which
 * must be zeroed. A line is `TARGET [sni=NAME]` with TARGET `host`,
 * `host:port`, `[v6]:port` or `https://host[:port][/path]`; `#` starts a comment (at the start of a line
 * or after whitespace); blank lines are skipped. Each bad line gets one
 * "NAME:LINE: why" message on `err` and is skipped. Returns 0, or -1 if
 * reading failed or memory ran out (after a message). */
int td_targets_read(FILE *in, const char *name, td_targets_t *out, FILE *err);

/* 64-bit FNV-1a of the target's key: stable across runs and machines. */
uint64_t td_target_hash(const td_target_t *t);

/* 1 if the target belongs to shard k of n (1 <= k <= n): every target is
 * in exactly one shard. */
int td_target_in_shard(const td_target_t *t, unsigned k, unsigned n);

void td_targets_free(td_targets_t *l);

/* Copies at most `max` bytes of s into out (size n, always terminated) for
 * a message: printable ASCII as is, every other byte as \xNN, so that a
 * list cannot send escape sequences or invalid UTF-8 to a terminal. */
void td_target_quote(char *out, size_t n, const char *s, size_t max);

#endif
