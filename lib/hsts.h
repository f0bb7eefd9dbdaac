/* hsts.h: HSTS internals shared by hsts.c (header parser, findings, JSON),
 * hsts_list.c (the preload list index), hsts_list_json.c (its reader) and
 * report.c (the text section). */
#ifndef TD_HSTS_H
#define TD_HSTS_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* hstspreload.org's minimum max-age: one year. */
#define TD_HSTS_PRELOAD_MIN_AGE 31536000

/* ---- Strict-Transport-Security header (RFC 6797 section 6.1) ----------- */

typedef struct td_sts {
  int valid;              /* the header conforms; browsers would honour it */
  int64_t max_age;        /* seconds; -1 when absent or invalid; values
                             above INT64_MAX are capped to it (still valid) */
  int max_age_capped;     /* the value overflowed and was capped */
  int include_subdomains; /* includeSubDomains directive present */
  int preload;            /* preload directive present (hstspreload.org) */
  size_t ndirectives;     /* non-empty directives, unknown ones included */
  const char *error;      /* static reason when !valid, else NULL */
  size_t error_at;        /* byte offset in the value the reason refers to */
} td_sts_t;

/* Parses one header value (n bytes, any content; NULs make it invalid).
 * Returns 0, or -1 when out of memory (one temporary array of directive
 * names, to find duplicates in O(n log n)). Directive names are
 * case-insensitive, values are tokens or quoted-strings, unknown
 * directives are ignored, empty directives (";;") are allowed. The header
 * is invalid when max-age is missing, has no value or is not 1*DIGIT, when
 * any directive appears twice, when includeSubDomains or preload carry a
 * value, or when the syntax is broken. */
int td_sts_parse(const char *value, size_t n, td_sts_t *out);

/* ---- the preload list (hsts_list.c) ------------------------------------- */

#define TD_HSTS_MAX_NAME 253     /* longest name in the list */
#define TD_HSTS_F_FORCE_HTTPS 1u /* "mode": "force-https" */
#define TD_HSTS_F_SUBDOMAINS 2u  /* "include_subdomains": true */

/* What the index answers for one entry. */
enum {
  TD_HSTS_ADD_OK = 0,
  TD_HSTS_ADD_DUP = 1,   /* the name is already listed */
  TD_HSTS_ADD_FULL = 2,  /* more entries than the index can number */
  TD_HSTS_ADD_NOMEM = 3
};
/* Takes one entry: name[0..len) lowercase, a host name (no trailing dot),
 * flags TD_HSTS_F_*. Returns TD_HSTS_ADD_*. */
typedef int (*td_hsts_add_fn)(void *ctx, const char *name, size_t len,
                              unsigned flags);

/* hsts_list_json.c: reads Chromium's list from data[0..len) (any bytes;
 * the caller bounds len) and hands each entry to add(ctx, ...), in file
 * order. TLSDIAG_OK; or TLSDIAG_E_HSTS_LIST with the first error as *why
 * (static, may be NULL) and "line L, column C: why (entry N)" in errbuf;
 * or TLSDIAG_E_NOMEM when add said so. No I/O, no globals. */
tlsdiag_err_t td_hsts_list_read(const unsigned char *data, size_t len,
                                td_hsts_add_fn add, void *ctx,
                                const char **why, char *errbuf,
                                size_t errlen);
/* snprintf into an optional error buffer (buf NULL or len 0: nothing). */
void td_hsts_errf(char *buf, size_t len, const char *fmt, ...)
    TD_PRINTF(3, 4);

/* Looks name (a lowercase-able A-label, trailing dot allowed) up the way
 * Chromium does: the most specific listed name that is the host itself or
 * one of its parents decides. The host is preloaded if that entry is the
 * host and has mode force-https, or is a parent with force-https and
 * include_subdomains. Returns 1 if preloaded; *entry (borrowed from h),
 * *include_subdomains and *exact describe the deciding entry, and are
 * NULL/0 when no entry matched. Never allocates. */
int td_hsts_list_find(const tlsdiag_hsts_t *h, const char *name,
                      const char **entry, int *include_subdomains,
                      int *exact);

/* hsts_builtin.c: the embedded index's bytes (td_hsts_blob_t, hsts_hash.h)
 * and their length; NULL and 0 in a build without it. */
const unsigned char *td_hsts_builtin_blob(size_t *len);
/* The built-in snapshot's provenance line (static), or NULL. */
const char *td_hsts_builtin_source(void);

/* ---- what a check found (result->hsts) ---------------------------------- */

struct td_hsts_report {
  /* the preload list */
  int list_given;     /* the check had a list */
  int advice;         /* a list was chosen (not the built-in default):
                         info-level preload advice is wanted */
  tlsdiag_hsts_source_t list_source;
  char *list_path;    /* copied, or NULL */
  int64_t list_date;  /* Unix seconds, 0 unknown */
  size_t list_entries; /* force-https entries */
  int list_stale;     /* more than TLSDIAG_HSTS_STALE_DAYS old at r->now */
  int looked_up;      /* the host was looked up (not an IP literal) */
  int preloaded;
  char *entry;        /* the deciding entry (copied), or NULL */
  int entry_include_subdomains;
  int entry_exact;    /* the entry is the host itself */
  /* the header: only when the HTTP phase succeeded */
  int http_ok;
  size_t header_count; /* Strict-Transport-Security headers received */
  char *header;        /* the first one's value (copied), or NULL */
  td_sts_t sts;        /* parse of `header` */
};

#endif /* TD_HSTS_H */
