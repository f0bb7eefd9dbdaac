/* check.h: one check as a non-blocking state machine. tlsdiag_check() is a
 * poll() loop over it; a concurrent engine runs many in one loop. */
#ifndef TD_CHECK_H
#define TD_CHECK_H

#include <gnutls/gnutls.h>
#include <poll.h>

#include "internal.h"

typedef struct td_check td_check_t;

/* Validates the host and options and starts the check (it may already be
 * done on return, e.g. a refused connection to a literal address). */
tlsdiag_err_t td_check_new(const char *host, const tlsdiag_options_t *opts,
                           td_check_t **out);
/* The same with trust-store credentials made once by the caller (with
 * td_tls_cred_new from the same options) and shared by many checks; the
 * caller frees them after the last check using them is freed. */
tlsdiag_err_t td_check_new_cred(const char *host,
                                const tlsdiag_options_t *opts,
                                gnutls_certificate_credentials_t shared,
                                td_check_t **out);
/* A fetch (tlsdiag_fetch): the request is sent only when the server's
 * certificate verifies (chain, name, dates); a 200 response's body is then
 * read (Content-Length, chunked or until close), at most body_max bytes,
 * and kept for td_check_take_body. The flags NO_HTTP, RESUME and
 * EARLY_DATA are ignored. */
tlsdiag_err_t td_check_new_fetch(const char *host,
                                 const tlsdiag_options_t *opts,
                                 size_t body_max, td_check_t **out);
int td_check_done(const td_check_t *c);
/* The descriptors to wait for (up to max); 0 when nothing (then only the
 * deadline matters). */
size_t td_check_fds(td_check_t *c, struct pollfd *fds, size_t max);
/* Monotonic microseconds by which td_check_step must be called. */
int64_t td_check_deadline(td_check_t *c);
/* Advances with the poll results for the descriptors td_check_fds gave. */
void td_check_step(td_check_t *c, const struct pollfd *fds, size_t nfds);
/* Hands over the finished result (once). */
tlsdiag_result_t *td_check_take_result(td_check_t *c);
/* A fetch's body once it arrived whole (malloc'd, NUL-terminated, the NUL
 * not counted in *len; the caller frees it), else NULL. Once. */
unsigned char *td_check_take_body(td_check_t *c, size_t *len);
/* Drives c with poll() until it is done (bounded by its max_time). */
void td_check_run(td_check_t *c);
void td_check_free(td_check_t *c);

#endif
