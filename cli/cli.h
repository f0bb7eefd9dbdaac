/* cli.h: shared pieces of the tlsdiag command. */
#ifndef TD_CLI_H
#define TD_CLI_H

#include <stddef.h>

/* Exit codes, documented in the usage text and README. */
#define TD_EXIT_OK 0    /* no error found (warnings allowed) */
#define TD_EXIT_USAGE 1 /* usage or setup error: nothing was checked */
#define TD_EXIT_FAIL 2  /* the check found an error */

/* Prints "tlsdiag: <message>" on stderr; returns TD_EXIT_USAGE. */
int td_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes the whole report to stdout; -1 (with a message) on failure. */
int td_cli_write(const char *s, size_t n);
/* `tlsdiag demo`: local servers for every diagnosis, one table. */
int td_cli_demo(int argc, char **argv);

#endif
