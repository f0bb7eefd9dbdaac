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

static void probe_result(td_check_t *c, int accepted, const char *err) {
  td_probe_t *p = &c->r->probes[c->probe.idx];
  p->ran = 1;
  p->accepted = accepted;
  free(p->error);
  p->error = td_strdup(err);
  td_check_close_conn(c);
  probe_next(c);
}

static tlsdiag_tls_version_t probe_version(const td_check_t *c) {
  return (tlsdiag_tls_version_t)(TLSDIAG_TLS1_0 + c->probe.idx);
}

static void probe_next(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  if (c->probe.idx == 0 || td_mono_us() >= c->deadline_total) {
    td_check_finish(c);
    return;
  }
  c->probe.idx--;
  r->probes[c->probe.idx].version = probe_version(c);
  c->probe.tls = 0;
  c->attempt_start = td_mono_us();
  int err = 0;
  int rc = td_check_reconnect(c, TD_CHECK_PROBE, &err);
  if (rc < 0) probe_result(c, 0, strerror(err));
  else if (rc) probe_connected(c);
}

/* The connection is up: a session offering only this version. */
static void probe_connected(td_check_t *c) {
  int e = td_tcp_finish(c->fd);
  if (e) {
    probe_result(c, 0, strerror(e));
    return;
  }
  tlsdiag_tls_version_t v = probe_version(c);
  char *prio = td_tls_priority(v, v, 1);
  int rc = prio ? td_tls_session_new(c->cred, c->fd, c->r->sni, prio, NULL, 0,
                                     &c->sess)
                : GNUTLS_E_MEMORY_ERROR;
  free(prio);
  if (rc < 0) {
    probe_result(c, 0, gnutls_strerror(rc));
    return;
  }
  c->probe.tls = 1;
  probe_handshake(c);
}

static void probe_handshake(td_check_t *c) {
  int rc = td_check_handshake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  if (rc == 0) {
    gnutls_bye(c->sess, GNUTLS_SHUT_WR);
    probe_result(c, 1, NULL);
    return;
  }
  if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
    char *msg = td_asprintf("alert %s",
                            td_tls_alert_name((int)gnutls_alert_get(c->sess)));
    probe_result(c, 0, msg);
    free(msg);
    return;
  }
  probe_result(c, 0, gnutls_strerror(rc));
}

void td_probe_step(td_check_t *c, int revents, int timed_out) {
  /* Waiting for the connect: only readiness or the deadline moves on. */
  if (!c->probe.tls && !revents && !timed_out) return;
  if (timed_out && !revents) {
    probe_result(c, 0, "timed out");
    return;
  }
  if (!c->probe.tls) probe_connected(c);
  else probe_handshake(c);
}
