/* keysched.h: the key schedule of the real connection: the records and
 * traffic secrets captured while a connection runs (tls.c feeds them), and
 * the keys derived from those secrets and proven on those records. */
#ifndef TD_KEYSCHED_H
#define TD_KEYSCHED_H

#include <gnutls/gnutls.h>

#include "internal.h"

/* One connection's capture: copies of its TLS records (both directions,
 * bounded) and of the secrets the key log callback saw. Secrets are
 * zeroised when it is freed. */
typedef struct td_kscap td_kscap_t;

/* conn: 0 for a check's first connection, 1 for the resumption one. NULL
 * when out of memory (the check then runs without the proof). The test
 * hook TLSDIAG_TEST_CORRUPT_RECORD="s2c:N" (or "c2s:N") flips one byte of
 * the copy of the first connection's Nth record in that direction (never
 * the bytes GnuTLS reads or sends). */
td_kscap_t *td_ks_capture_new(int conn);
/* Zeroises and frees; NULL is fine. */
void td_ks_capture_free(td_kscap_t *k);
/* Bytes as they pass on the socket: dir 0 client to server, 1 back. */
void td_ks_capture_bytes(td_kscap_t *k, int dir, const void *p, size_t n);
/* A secret, as the key log callback gets it (label, value). */
void td_ks_capture_secret(td_kscap_t *k, const char *label,
                          const unsigned char *v, size_t n);
/* The handshake of session s completed: derives the keys from the
 * captured secrets with its negotiated algorithms and appends their rows
 * to r->anat (r must outlive k), opens the records kept so far, checks the
 * Finished messages, and drops the records. From then on each record is
 * opened as it completes and dropped; a direction is read no further once
 * its application key opened application data (or a record did not
 * open), and once both are, the keys and the transcript are zeroised and
 * freed. */
void td_ks_capture_done(td_kscap_t *k, gnutls_session_t s,
                        tlsdiag_result_t *r);
/* The connection closes: writes what each row's records proved (rows of
 * keys whose records never came stay "not proven") and the capture's peak
 * and remaining bytes (r->anat.ks_cap_peak, ks_cap_left). Does nothing
 * more unless td_ks_capture_done was called. Every key is zeroised. */
void td_ks_finish(td_kscap_t *k, gnutls_session_t s, tlsdiag_result_t *r);
/* Bytes held beyond the capture's own struct (record copies, buffers,
 * the proof's state) now, and at most so far. */
size_t td_ks_capture_held(const td_kscap_t *k);
size_t td_ks_capture_peak(const td_kscap_t *k);

#endif
