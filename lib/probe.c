/* probe.c: the TLS version probe after a refused handshake. One new
 * connection per version (TLS 1.3 down to 1.0) to the address that took
 * the first one, each offering that version alone with every cipher,
 * group and signature GnuTLS knows, so that classify.c can tell a version
 * mismatch from a cipher mismatch or another refusal. */
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void probe_next(td_check_t *c);
static void probe_connected(td_check_t *c);
static void probe_handshake(td_check_t *c);

void td_probe_start(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  if (!r->connected_addr) {
    td_check_finish(c);
    return;
  }
  r->probed = 1;
  c->probe.idx = 4; /* probe_next pre-decrements: TLS 1.3 first */
  probe_next(c);
}

/* One version's outcome. `local`: the probe failed on our side (our
 * deadline, a version or suite the local GnuTLS refuses, a socket error):
 * then it did not run, and err says why, never counted as the server's
 * refusal. */
static void probe_result(td_check_t *c, int accepted, const char *err,
                         int alert, int local) {
  td_probe_t *p = &c->r->probes[c->probe.idx];
  p->ran = !local;
  p->accepted = accepted;
  c->r->probe_alert[c->probe.idx] = alert;
  free(p->error);
  p->error = td_strdup(err);
  td_check_close_conn(c);
  probe_next(c);
}

/* A failure before the server sent a byte that is not about the
 * connection (closed, reset): GnuTLS refused to build or send our hello
 * (e.g. a version its system policy disables). */
static int local_error(const td_check_t *c, int rc) {
  if (td_tls_peek_type(&c->peek) != 0) return 0;
  switch (rc) {
  case GNUTLS_E_PREMATURE_TERMINATION:
  case GNUTLS_E_PULL_ERROR:
  case GNUTLS_E_SESSION_EOF:
  case GNUTLS_E_TIMEDOUT:
    return 0;
  }
  return 1;
}

static tlsdiag_tls_version_t probe_version(const td_check_t *c) {
  return (tlsdiag_tls_version_t)(TLSDIAG_TLS1_0 + c->probe.idx);
}

static void probe_next(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  if (c->probe.idx == 0) {
    td_check_finish(c);
    return;
  }
  if (td_mono_us() >= c->deadline_total) {
    /* The versions left were not asked: say so, don't guess. */
    while (c->probe.idx > 0) {
      c->probe.idx--;
      td_probe_t *p = &r->probes[c->probe.idx];
      p->version = probe_version(c);
      free(p->error);
      p->error = td_strdup("the check's time ran out");
    }
    td_check_finish(c);
    return;
  }
  c->probe.idx--;
  r->probes[c->probe.idx].version = probe_version(c);
  c->probe.tls = 0;
  c->attempt_start = td_mono_us();
  int err = 0;
  int rc = td_check_reconnect(c, TD_CHECK_PROBE, &err);
  if (rc < 0) probe_result(c, 0, strerror(err), -1, 1);
  else if (rc) probe_connected(c);
}

/* The connection is up: a session offering only this version. */
static void probe_connected(td_check_t *c) {
  int e = td_tcp_finish(c->fd);
  if (e) {
    char *msg = td_asprintf("connect failed: %s", strerror(e));
    probe_result(c, 0, msg, -1, 1);
    free(msg);
    return;
  }
  tlsdiag_tls_version_t v = probe_version(c);
  char *prio = td_tls_priority(v, v, 1);
  int rc = prio ? td_tls_session_new(c->cred, c->fd, c->r->sni, prio,
                                     td_shared_priority(c->sh, prio), NULL, 0,
                                     &c->sess)
                : GNUTLS_E_MEMORY_ERROR;
  free(prio);
  if (rc >= 0) td_tls_set_alpn(c->sess, c->offer_h2); /* as the first */
  if (rc < 0) {
    char *msg = td_asprintf("the local TLS library refuses it: %s",
                            gnutls_strerror(rc));
    probe_result(c, 0, msg, -1, 1);
    free(msg);
    return;
  }
  td_tls_peek_install(c->sess, &c->peek, c->fd);
  c->probe.tls = 1;
  probe_handshake(c);
}

static void probe_handshake(td_check_t *c) {
  int rc = td_check_handshake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  if (rc == 0) {
    gnutls_bye(c->sess, GNUTLS_SHUT_WR);
    probe_result(c, 1, NULL, -1, 0);
    return;
  }
  /* An alert, even one GnuTLS reports as a version error (an old
   * server's alert record in an older record version). */
  int alert = rc == GNUTLS_E_FATAL_ALERT_RECEIVED
                  ? (int)gnutls_alert_get(c->sess)
                  : td_tls_peek_alert(&c->peek);
  if (alert >= 0) {
    char *msg = td_asprintf("alert %s", td_tls_alert_name(alert));
    probe_result(c, 0, msg, alert, 0);
    free(msg);
    return;
  }
  int hv = td_tls_peek_hello_version(&c->peek);
  if (hv >= 0x0301 && hv <= 0x0303 && hv != 0x0301 + c->probe.idx) {
    /* It answered with a ServerHello at another version. */
    char *msg = td_asprintf("the server chose TLS1.%d", hv - 0x0301);
    probe_result(c, 0, msg, -1, 0);
    free(msg);
    return;
  }
  if (local_error(c, rc)) {
    char *msg = td_asprintf("the local TLS library refuses it: %s",
                            gnutls_strerror(rc));
    probe_result(c, 0, msg, -1, 1);
    free(msg);
    return;
  }
  probe_result(c, 0, gnutls_strerror(rc), -1, 0);
}

void td_probe_step(td_check_t *c, int revents, int timed_out) {
  /* Waiting for the connect: only readiness or the deadline moves on. */
  if (!c->probe.tls && !revents && !timed_out) return;
  if (timed_out && !revents) {
    /* Our deadline: the check's own end is ours, a connect or
     * handshake timeout is the server's silence. */
    if (td_mono_us() >= c->deadline_total)
      probe_result(c, 0, "the check's time ran out", -1, 1);
    else
      probe_result(c, 0, c->probe.tls ? "no answer in time"
                                      : "connect timed out", -1, 0);
    return;
  }
  if (!c->probe.tls) probe_connected(c);
  else probe_handshake(c);
}
