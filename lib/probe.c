/* probe.c: the TLS version probe after a refused handshake (and, after a
 * handshake cut off before the server said a word, whether the port
 * expects a PROXY protocol header first). One new
 * connection per version (TLS 1.3 down to 1.0) to the address that took
 * the first one, each offering that version alone with every cipher,
 * group and signature GnuTLS knows, so that classify.c can tell a version
 * mismatch from a cipher mismatch or another refusal. */
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>

#include "check.h"

static void probe_next(td_check_t *c);
static void probe_connected(td_check_t *c);
static void probe_handshake(td_check_t *c);
static void proxy_connected(td_check_t *c);
static void proxy_handshake(td_check_t *c);
static void browser_step(td_check_t *c, int revents, int timed_out);

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

/* A probe's session on c->fd for versions min..max (`broad`: every
 * suite and group, td_tls_priority), ALPN as the first handshake's, the
 * server's first record peeked: 0, or GnuTLS's error. */
static int probe_session(td_check_t *c, tlsdiag_tls_version_t min,
                         tlsdiag_tls_version_t max, int broad) {
  char *prio = td_tls_priority(min, max, broad);
  int rc = prio ? td_tls_session_new(c->cred, c->fd, c->r->sni, prio,
                                     td_shared_priority(c->sh, prio), NULL, 0,
                                     &c->sess)
                : GNUTLS_E_MEMORY_ERROR;
  free(prio);
  if (rc < 0) return rc;
  td_tls_set_alpn(c->sess, c->offer_h2); /* as the first */
  td_tls_peek_install(c->sess, &c->peek, c->fd);
  c->probe.tls = 1;
  return 0;
}

/* The probe's handshake: GNUTLS_E_AGAIN (wait), 0 done (closed politely),
 * or GnuTLS's error. */
static int probe_shake(td_check_t *c) {
  int rc = td_check_handshake(c);
  if (rc == 0) gnutls_bye(c->sess, GNUTLS_SHUT_WR);
  return rc;
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
  int rc = probe_session(c, v, v, 1);
  if (rc < 0) {
    char *msg = td_asprintf("the local TLS library refuses it: %s",
                            gnutls_strerror(rc));
    probe_result(c, 0, msg, -1, 1);
    free(msg);
    return;
  }
  probe_handshake(c);
}

/* The server's alert behind a failed probe handshake, or -1: also one
 * GnuTLS reports as a version error (an old server's alert record in an
 * older record version). */
static int shake_alert(td_check_t *c, int rc) {
  return rc == GNUTLS_E_FATAL_ALERT_RECEIVED ? (int)gnutls_alert_get(c->sess)
                                             : td_tls_peek_alert(&c->peek);
}

static void probe_handshake(td_check_t *c) {
  int rc = probe_shake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  if (rc == 0) {
    probe_result(c, 1, NULL, -1, 0);
    return;
  }
  int alert = shake_alert(c, rc);
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

/* ---- the PROXY protocol header ------------------------------------------ */

/* A PROXY protocol v1 header for a connection whose addresses are not
 * given (haproxy's proxy-protocol.txt: the form load balancers send for
 * their own health checks); nginx and haproxy accept it. */
static const char proxy_v1[] = "PROXY UNKNOWN\r\n";

static void proxy_done(td_check_t *c, int outcome) {
  c->r->proxy_probe = outcome;
  c->probe.proxy = 0;
  td_check_close_conn(c);
  if (outcome <= 0 && c->probe.then_versions)
    td_probe_start(c);
  else
    td_check_finish(c);
}

void td_probe_proxy_start(td_check_t *c, int then_versions) {
  tlsdiag_result_t *r = c->r;
  c->probe.then_versions = then_versions;
  if (!r->connected_addr || td_mono_us() >= c->deadline_total) {
    td_check_finish(c);
    return;
  }
  c->probe.proxy = 1;
  c->probe.tls = 0;
  c->attempt_start = td_mono_us();
  int err = 0;
  int rc = td_check_reconnect(c, TD_CHECK_PROBE, &err);
  if (rc < 0) proxy_done(c, -1);
  else if (rc) proxy_connected(c);
}

/* Connected: the header, then a handshake as the first one offered. */
static void proxy_connected(td_check_t *c) {
  const tlsdiag_result_t *r = c->r;
  size_t n = sizeof(proxy_v1) - 1;
  if (td_tcp_finish(c->fd) != 0 ||
      send(c->fd, proxy_v1, n, MSG_NOSIGNAL) != (ssize_t)n) {
    proxy_done(c, -1);
    return;
  }
  if (probe_session(c, r->tls_min, r->tls_max, 0) < 0) proxy_done(c, -1);
  else proxy_handshake(c);
}

/* Proof of a TLS server behind the header: a completed handshake or a
 * ServerHello. An alert alone is not: a TLS server reading "PROXY" as a
 * record may answer one. */
static void proxy_handshake(td_check_t *c) {
  int rc = probe_shake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  proxy_done(c, rc == 0                                       ? 1
                : td_tls_peek_hello_version(&c->peek) > 0 ? 2
                                                          : -1);
}

static void proxy_step(td_check_t *c, int revents, int timed_out) {
  if (!c->probe.tls && !revents && !timed_out) return;
  if (timed_out && !revents) proxy_done(c, -1);
  else if (!c->probe.tls) proxy_connected(c);
  else proxy_handshake(c);
}

/* ---- the browser's offer ---------------------------------------------- */

static void browser_done(td_check_t *c, int outcome, int alert,
                         const char *err) {
  tlsdiag_result_t *r = c->r;
  r->bprobe = outcome;
  r->bprobe_alert = alert;
  free(r->bprobe_error);
  r->bprobe_error = td_strdup(err);
  c->probe.browser = 0;
  td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "browser offer",
                  "a handshake offering what Chrome offers: %s",
                  outcome == 1 ? "completed" : err ? err : "failed");
  td_check_close_conn(c);
  if (c->probe.then_resume) td_resume_start(c);
  else td_check_finish(c);
}

int td_probe_browser_start(td_check_t *c, int then_resume) {
  tlsdiag_result_t *r = c->r;
  td_browser_lack_t l[5];
  if ((c->flags & TLSDIAG_F_NO_VERSION_PROBE) || !r->connected_addr ||
      td_browser_lacks(r, l, 5) == 0)
    return 0;
  c->probe.then_resume = then_resume;
  if (td_mono_us() >= c->deadline_total) {
    browser_done(c, -2, -1, "the check's time ran out");
    return 1;
  }
  c->probe.browser = 1;
  c->probe.tls = 0;
  c->attempt_start = td_mono_us();
  int err = 0;
  int rc = td_check_reconnect(c, TD_CHECK_PROBE, &err);
  if (rc < 0) browser_done(c, -2, -1, strerror(err));
  else if (rc) browser_step(c, POLLOUT, 0);
  return 1;
}

/* Connected: a session offering only what Chrome offers (its ALPN too:
 * h2 and http/1.1, as the first). */
static void browser_connected(td_check_t *c) {
  int e = td_tcp_finish(c->fd);
  int rc = e ? 0
             : td_tls_session_new(c->cred, c->fd, c->r->sni,
                                  td_browser_priority,
                                  td_shared_priority(c->sh,
                                                     td_browser_priority),
                                  NULL, 0, &c->sess);
  if (e || rc < 0) {
    browser_done(c, -2, -1, e ? strerror(e) : gnutls_strerror(rc));
    return;
  }
  td_tls_set_alpn(c->sess, c->offer_h2);
  td_tls_peek_install(c->sess, &c->peek, c->fd);
  c->probe.tls = 1;
}

static void browser_handshake(td_check_t *c) {
  int rc = probe_shake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  if (rc == 0) {
    browser_done(c, 1, -1, NULL);
    return;
  }
  int alert = shake_alert(c, rc);
  if (alert >= 0) {
    char *msg = td_asprintf("alert %s", td_tls_alert_name(alert));
    browser_done(c, -1, alert, msg);
    free(msg);
  } else if (local_error(c, rc)) {
    browser_done(c, -2, -1, gnutls_strerror(rc));
  } else {
    browser_done(c, -1, -1, gnutls_strerror(rc));
  }
}

static void browser_step(td_check_t *c, int revents, int timed_out) {
  if (!c->probe.tls && !revents && !timed_out) return;
  if (timed_out && !revents) {
    browser_done(c, -2, -1, "no answer in time");
    return;
  }
  if (!c->probe.tls) browser_connected(c);
  if (c->probe.browser && c->probe.tls) browser_handshake(c);
}

/* ---- the default certificate ------------------------------------------ */

/* A server with several sites (nginx server blocks, Apache virtual
 * hosts) answers a name it has no site for with its default one: the
 * certificate it also sends without SNI. That mismatch is fixed in the
 * server's configuration (a site, a certificate for the name), not by
 * reissuing the certificate the name got. */
static void default_done(td_check_t *c, int outcome, const char *detail) {
  tlsdiag_result_t *r = c->r;
  r->sni_default = outcome;
  c->probe.dflt = 0;
  td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "handshake without SNI",
                  "%s", detail ? detail : "failed");
  td_check_close_conn(c);
  if (td_probe_browser_start(c, c->probe.then_resume)) return;
  if (c->probe.then_resume) td_resume_start(c);
  else td_check_finish(c);
}

int td_probe_default_start(td_check_t *c, int then_resume) {
  tlsdiag_result_t *r = c->r;
  if ((c->flags & TLSDIAG_F_NO_VERSION_PROBE) || !r->connected_addr ||
      !r->verify.done || r->verify.name_ok || !r->sni || !*r->sni ||
      r->nchain == 0 || !r->chain[0].der || !c->priority)
    return 0;
  c->probe.then_resume = then_resume;
  if (td_mono_us() >= c->deadline_total) {
    default_done(c, -2, "the check's time ran out");
    return 1;
  }
  c->probe.dflt = 1;
  c->probe.tls = 0;
  c->attempt_start = td_mono_us();
  int err = 0;
  int rc = td_check_reconnect(c, TD_CHECK_PROBE, &err);
  if (rc < 0) default_done(c, -2, strerror(err));
  else if (rc) td_probe_step(c, POLLOUT, 0);
  return 1;
}

/* Connected: the first handshake's offer, without server_name. */
static void default_connected(td_check_t *c) {
  int e = td_tcp_finish(c->fd);
  int rc = e ? 0
             : td_tls_session_new(c->cred, c->fd, NULL, c->priority,
                                  td_shared_priority(c->sh, c->priority),
                                  NULL, 0, &c->sess);
  if (e || rc < 0) {
    default_done(c, -2, e ? strerror(e) : gnutls_strerror(rc));
    return;
  }
  td_tls_set_alpn(c->sess, c->offer_h2);
  td_tls_peek_install(c->sess, &c->peek, c->fd);
  c->probe.tls = 1;
}

static void default_handshake(td_check_t *c) {
  int rc = probe_shake(c);
  if (rc == GNUTLS_E_AGAIN) return;
  if (rc < 0) {
    int alert = shake_alert(c, rc);
    char *msg = alert >= 0 ? td_asprintf("refused: alert %s",
                                         td_tls_alert_name(alert))
                           : td_asprintf("refused: %s", gnutls_strerror(rc));
    default_done(c, local_error(c, rc) ? -2 : -1, msg);
    free(msg);
    return;
  }
  unsigned n = 0;
  const gnutls_datum_t *p = gnutls_certificate_get_peers(c->sess, &n);
  const td_cert_t *leaf = &c->r->chain[0];
  int same = p && n > 0 && p[0].size == leaf->der_len &&
             memcmp(p[0].data, leaf->der, leaf->der_len) == 0;
  default_done(c, same ? 1 : 2,
               same ? "the same certificate: the server's default"
                    : "another certificate than for the name");
}

static void default_step(td_check_t *c, int revents, int timed_out) {
  if (!c->probe.tls && !revents && !timed_out) return;
  if (timed_out && !revents) {
    default_done(c, -2, "no answer in time");
    return;
  }
  if (!c->probe.tls) default_connected(c);
  if (c->probe.dflt && c->probe.tls) default_handshake(c);
}

void td_probe_step(td_check_t *c, int revents, int timed_out) {
  if (c->probe.dflt) {
    default_step(c, revents, timed_out);
    return;
  }
  if (c->probe.browser) {
    browser_step(c, revents, timed_out);
    return;
  }
  if (c->probe.proxy) {
    proxy_step(c, revents, timed_out);
    return;
  }
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
