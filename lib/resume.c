/* resume.c: session resumption and 0-RTT. After the first connection's
 * HTTP exchange, a second connection presents the first one's session
 * (ticket), with the request as 0-RTT data when asked. Only the handshake
 * is measured: the resumed connection sends no second request unless it
 * is early data. What it sees goes to r->anat. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "check.h"
#include "keysched.h"

void td_resume_save(td_check_t *c) {
  td_check_resume_t *rs = &c->resume;
  /* (The ticket's lifetime is the server's, read from its NewSessionTicket
   * by anatomy.c, not GnuTLS's client-side expiry.) */
  if (gnutls_session_get_data2(c->sess, &rs->data) < 0) rs->data.data = NULL;
}

void td_resume_free(td_check_resume_t *rs) {
  if (rs->data.data) {
    gnutls_memset(rs->data.data, 0, rs->data.size);
    gnutls_free(rs->data.data);
    rs->data.data = NULL;
  }
}

static void resume_done(td_check_t *c, const char *err) {
  td_anatomy_t *a = &c->r->anat;
  free(a->resume_error);
  a->resume_error = td_strdup(err);
  a->parsing = 0;
  td_check_close_conn(c);
  td_check_finish(c);
}

/* "connect: <errno text>" as the resumption's error. */
static void connect_failed(td_check_t *c, int err) {
  char *m = td_asprintf("connect: %s", strerror(err));
  resume_done(c, m);
  free(m);
}

static void resume_connected(td_check_t *c);
static void resume_handshake(td_check_t *c);

void td_resume_start(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_anatomy_t *a = &r->anat;
  a->resume_tried = 1;
  a->parsing = 1;
  if (!c->resume.data.data) {
    resume_done(c, "no session to resume");
    return;
  }
  if (td_mono_us() >= c->deadline_total) {
    resume_done(c, "no time left for the second connection");
    return;
  }
  td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "second connection",
                  "resuming the first session");
  int fam = td_check_addr_family(r->connected_addr);
  c->attempt_start = td_mono_us();
  td_result_event(r, td_check_now_ms(c), TD_DIR_C2S, "SYN",
                  fam == AF_INET6 ? "[%s]:%u" : "%s:%u", r->connected_addr,
                  td_conn_port(r));
  c->resume.tls = 0;
  int err = 0;
  int rc = td_check_reconnect(c, TD_CHECK_RESUME, &err);
  if (rc < 0) connect_failed(c, err);
  else if (rc) resume_connected(c);
}

/* The second connection is up: a session with the first one's data, and
 * the request as early data when asked. */
static void resume_connected(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  td_anatomy_t *a = &r->anat;
  int e = td_tcp_finish(c->fd);
  if (e) {
    connect_failed(c, e);
    return;
  }
  a->tcp_ms_resumed = (double)(td_mono_us() - c->attempt_start) / 1000.0;
  td_result_event(r, td_check_now_ms(c), TD_DIR_S2C, "SYN-ACK", "%.1f ms",
                  a->tcp_ms_resumed);
  unsigned early =
      (c->flags & TLSDIAG_F_EARLY_DATA) ? GNUTLS_ENABLE_EARLY_DATA : 0;
  c->kscap = td_ks_capture_new(1);
  c->hook.cap = c->kscap;
  int rc = td_tls_session_new(c->cred, c->fd, r->sni, c->priority,
                              td_shared_priority(c->sh, c->priority), &c->hook,
                              early, &c->sess);
  if (rc >= 0) td_tls_set_alpn(c->sess, c->offer_h2);
  if (rc >= 0)
    rc = gnutls_session_set_data(c->sess, c->resume.data.data,
                                 c->resume.data.size);
  if (rc >= 0 && early && c->http.req) {
    /* GnuTLS sends it with the ClientHello if the ticket allows 0-RTT. */
    ssize_t n =
        gnutls_record_send_early_data(c->sess, c->http.req, c->http.req_len);
    a->early_data_tried = n >= 0;
    if (n >= 0)
      td_result_event(r, td_check_now_ms(c), TD_DIR_C2S, "early data", "%s",
                      r->http_request ? r->http_request : "");
  }
  if (rc < 0) {
    resume_done(c, gnutls_strerror(rc));
    return;
  }
  c->resume.tls = 1;
  c->resume.hs_start = td_mono_us();
  td_check_arm(c, c->resume.hs_start);
  resume_handshake(c);
}

/* The handshake completed: was it resumed, and how. */
static void resume_record(td_check_t *c) {
  td_anatomy_t *a = &c->r->anat;
  a->hs_ms_resumed = (double)(td_mono_us() - c->resume.hs_start) / 1000.0;
  td_ks_capture_done(c->kscap, c->sess, c->r);
  a->resumed = gnutls_session_is_resumed(c->sess) != 0;
  unsigned fl = gnutls_session_get_flags(c->sess);
  a->early_data_accepted =
      a->early_data_tried && (fl & GNUTLS_SFLAGS_EARLY_DATA);
  if (a->resumed) {
    if (gnutls_protocol_get_version(c->sess) == GNUTLS_TLS1_3)
      /* psk_dhe_ke runs a fresh (EC)DHE; psk_ke reuses the PSK alone. */
      a->psk_mode =
          td_strdup(gnutls_group_get(c->sess) ? "psk_dhe_ke" : "psk_ke");
    else
      a->psk_mode = td_strdup("session ticket");
  }
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL,
                  "handshake complete", "%s in %.1f ms%s",
                  a->resumed ? "resumed" : "full handshake", a->hs_ms_resumed,
                  a->early_data_tried ? (a->early_data_accepted
                                             ? ", 0-RTT accepted"
                                             : ", 0-RTT rejected")
                                      : "");
}

static void resume_handshake(td_check_t *c) {
  int rc = td_check_handshake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  if (rc < 0) {
    resume_done(c, gnutls_strerror(rc));
    return;
  }
  resume_record(c);
  gnutls_bye(c->sess, GNUTLS_SHUT_WR);
  resume_done(c, c->r->anat.resumed ? NULL : "the server did a full handshake");
}

void td_resume_step(td_check_t *c, int revents, int timed_out) {
  if (timed_out && !revents) {
    resume_done(c, "the second connection timed out");
    return;
  }
  if (c->resume.tls) resume_handshake(c);
  else if (revents) resume_connected(c);
}
