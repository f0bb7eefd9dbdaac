/* http2.h: the check's request and response over HTTP/2 (RFC 9113) when
 * the server chose "h2" by ALPN: nghttp2 frames it, GnuTLS carries it,
 * check.c's poll loop drives it (check_http.c hands over to it). */
#ifndef TD_HTTP2_H
#define TD_HTTP2_H

#include <gnutls/gnutls.h>

#include "check.h"

struct td_h2;

/* 1 when the negotiated TLS does not meet RFC 9113 section 9.2: a version
 * below TLS 1.2, or a TLS 1.2 suite of Appendix A (not AEAD, or no
 * ephemeral key exchange), as Chrome's
 * ERR_HTTP2_INADEQUATE_TRANSPORT_SECURITY. *why names the reason (static).
 * TLS 1.3 is always adequate. */
int td_h2_transport_inadequate(gnutls_session_t s, const char **why);

/* After the handshake, with "h2" negotiated: the connection preface,
 * SETTINGS and one request (hosthdr as :authority, the same headers the
 * HTTP/1.1 request sends), or GOAWAY INADEQUATE_SECURITY when the TLS
 * under it is not allowed. Ends the HTTP phase through check_http.c. */
void td_h2_start(td_check_t *c, const char *hosthdr);
void td_h2_step(td_check_t *c, int revents, int timed_out);
void td_h2_free(struct td_h2 *h);

#endif
