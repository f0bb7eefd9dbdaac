/* cli.h: shared pieces of the tlsdiag command. */
#ifndef TD_CLI_H
#define TD_CLI_H

#include <stddef.h>

/* Exit codes, documented in the usage text and README. */
#define TD_EXIT_OK 0    /* no error found (warnings allowed) */
#define TD_EXIT_USAGE 1 /* usage or setup error: nothing was checked */
#define TD_EXIT_FAIL 2  /* the check found an error */

#include "tlsdiag/tlsdiag.h"

/* Option values (opts.c): 0 on success, -1 if malformed or out of range. */
int td_cli_long(const char *s, long lo, long hi, long *out);
int td_cli_int(const char *s, int lo, int hi, int *out);
int td_cli_seconds_ms(const char *s, int *out); /* "1.5" -> 1500, (0, 86400] */
int td_cli_tls_version(const char *s, tlsdiag_tls_version_t *v); /* "1.2" */
/* --cacert FILE / --capath DIR usable? 0, or TD_EXIT_USAGE after saying
 * why on stderr. */
int td_cli_cafile(const char *path);
int td_cli_capath(const char *path);

/* Prints "tlsdiag: <message>" on stderr; returns TD_EXIT_USAGE. */
int td_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes the whole report to stdout; -1 (with a message) on failure. */
int td_cli_write(const char *s, size_t n);
/* `tlsdiag demo`: local servers for every diagnosis, one table. */
int td_cli_demo(int argc, char **argv);
/* `tlsdiag sweep`: many targets concurrently, JSON Lines (sweep.c). */
int td_cli_sweep(int argc, char **argv);
/* `tlsdiag hsts lookup|update` (hsts_cmd.c). */
int td_cli_hsts(int argc, char **argv);
/* `tlsdiag verify`: certificate files checked offline (verify_cmd.c). */
int td_cli_verify(int argc, char **argv);

struct tlsdiag_hsts;
/* Loads the HSTS preload list for a check: `path` (from --hsts-list) if
 * given, else $TLSDIAG_HSTS_LIST, else the cache written by `tlsdiag hsts
 * update`. *out stays NULL when no list is configured and the default is
 * absent. Returns 0, or TD_EXIT_USAGE after printing why. */
int td_cli_hsts_load(const char *path, struct tlsdiag_hsts **out);

#endif
