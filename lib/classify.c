/* classify.c: evidence -> findings + root cause. Pure: reads the facts
 * check.c recorded (phases, chain, verification bits, probes, HTTP Date)
 * and writes findings; no I/O, no clock (the result carries "now"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ares.h>
#include <gnutls/gnutls.h>

#include "classify.h"
#include "hsts.h"
#include "internal.h"

/* ---- before TLS --------------------------------------------------------- */

static void classify_dns(tlsdiag_result_t *r) {
  int st = r->dns_status;
  const char *err = r->dns_error ? r->dns_error : ares_strerror(st);
  td_finding_t *f;
  if (st == ARES_ENOTFOUND)
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_NXDOMAIN, TLSDIAG_SEVERITY_ERROR,
                       "%s does not exist in DNS (NXDOMAIN)", r->ace_host);
  else if (st == ARES_ENODATA)
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_NO_ADDRESS, TLSDIAG_SEVERITY_ERROR,
                       "%s exists but has no A or AAAA record", r->ace_host);
  else if (st == ARES_ETIMEOUT)
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_TIMEOUT, TLSDIAG_SEVERITY_ERROR,
                       "no DNS answer for %s in %.0f ms", r->ace_host,
                       r->phase[TLSDIAG_PHASE_DNS].ms);
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_DNS_FAILURE, TLSDIAG_SEVERITY_ERROR,
                       "DNS lookup of %s failed: %s", r->ace_host, err);
  td_ev_str(f, "name", r->ace_host);
  td_ev_str(f, "server", r->dns_server ? r->dns_server : "system resolver");
  td_ev_str(f, "resolver_error", err);
  td_ev_int(f, "resolver_status", st);
}

static void classify_tcp(tlsdiag_result_t *r) {
  if (r->naddrs == 0) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_DNS_NO_ADDRESS, TLSDIAG_SEVERITY_ERROR,
        "no address of %s to connect to (address family filter)", name_of(r));
    td_ev_str(f, "name", r->ace_host);
    return;
  }
  /* The run's max_time ran out between phases, before any address was
   * tried (race.c): no phase's own timeout applies. */
  if (r->nattempts == 0 &&
      r->phase[TLSDIAG_PHASE_TCP].status == TLSDIAG_STATUS_TIMEOUT) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_TIMEOUT, TLSDIAG_SEVERITY_ERROR,
        "the check ran out of time (max_time) before connecting to %s",
        name_of(r));
    td_ev_str(f, "phase", tlsdiag_phase_name(TLSDIAG_PHASE_TCP));
    td_ev_int(f, "addresses_not_tried", (int64_t)r->naddrs);
    return;
  }
  /* Several addresses: the most telling failure wins; refused says a host
   * answered, unreachable says the network did, a timeout says nothing. */
  int refused = 0, unreach = 0, timeout = 0;
  const td_attempt_t *pick = NULL;
  for (size_t i = 0; i < r->nattempts; i++) {
    const td_attempt_t *a = &r->attempts[i];
    if (a->status == TLSDIAG_STATUS_TIMEOUT) timeout++;
    else if (a->err == ECONNREFUSED) refused++;
    else if (a->err == ENETUNREACH || a->err == EHOSTUNREACH) unreach++;
  }
  tlsdiag_cause_t code;
  const char *what;
  if (refused) {
    code = TLSDIAG_CAUSE_TCP_REFUSED;
    what = "refused the connection (nothing listens on the port)";
  } else if (unreach) {
    code = TLSDIAG_CAUSE_TCP_UNREACHABLE;
    what = "is unreachable (no route)";
  } else if (timeout) {
    code = TLSDIAG_CAUSE_TCP_TIMEOUT;
    what = "did not answer the TCP handshake in time (filtered or down)";
  } else {
    code = TLSDIAG_CAUSE_TCP_FAILURE;
    what = "could not be connected to";
  }
  for (size_t i = 0; i < r->nattempts && !pick; i++) {
    const td_attempt_t *a = &r->attempts[i];
    if ((code == TLSDIAG_CAUSE_TCP_REFUSED && a->err == ECONNREFUSED) ||
        (code == TLSDIAG_CAUSE_TCP_UNREACHABLE &&
         (a->err == ENETUNREACH || a->err == EHOSTUNREACH)) ||
        (code == TLSDIAG_CAUSE_TCP_TIMEOUT &&
         a->status == TLSDIAG_STATUS_TIMEOUT) ||
        code == TLSDIAG_CAUSE_TCP_FAILURE)
      pick = a;
  }
  td_finding_t *f;
  if (pick && strchr(pick->addr, ':'))
    f = td_finding_add(r, code, TLSDIAG_SEVERITY_ERROR, "[%s]:%u %s",
                       pick->addr, td_conn_port(r), what);
  else
    f = td_finding_add(r, code, TLSDIAG_SEVERITY_ERROR, "%s:%u %s",
                       pick ? pick->addr : "?", td_conn_port(r), what);
  if (pick) {
    td_ev_str(f, "address", pick->addr);
    td_ev_str(f, "error", pick->error ? pick->error : "");
    td_ev_int(f, "ms", (int64_t)pick->ms);
  }
  td_ev_int(f, "port", td_conn_port(r));
  td_ev_int(f, "addresses_tried", (int64_t)r->nattempts);
}

/* ---- HTTP --------------------------------------------------------------- */

/* What the malformed answer began with. No "HTTP/" at all is an answer
 * without a status line, as HTTP/0.9 had (gnutls-serv --http answers HEAD
 * so): curl refuses it ("Received HTTP/0.9 when not allowed"), browsers
 * too on most ports. */
static td_finding_t *malformed_finding(tlsdiag_result_t *r, const char *why) {
  int no_status = strncmp(r->http_received, "HTTP/", 5) != 0;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_HTTP_MALFORMED, TLSDIAG_SEVERITY_ERROR,
      "HTTP %s: %s; the answer began \"%s\"%s",
      r->http_request ? r->http_request : "request", why, r->http_received,
      no_status ? " (no status line: an HTTP/0.9-style answer, which curl "
                  "refuses too)"
                : "");
  td_ev_str(f, "received", r->http_received);
  td_ev_bool(f, "no_status_line", no_status);
  return f;
}

static void classify_http(tlsdiag_result_t *r) {
  const td_phase_t *p = &r->phase[TLSDIAG_PHASE_HTTP];
  if (p->status != TLSDIAG_STATUS_FAILED && p->status != TLSDIAG_STATUS_TIMEOUT)
    return;
  tlsdiag_cause_t code = r->http_cause ? r->http_cause
                                       : TLSDIAG_CAUSE_HTTP_MALFORMED;
  if (p->status == TLSDIAG_STATUS_TIMEOUT) code = TLSDIAG_CAUSE_HTTP_TIMEOUT;
  const char *why = p->error ? p->error : "failed";
  td_finding_t *f =
      code == TLSDIAG_CAUSE_HTTP_MALFORMED && r->http_received
          ? malformed_finding(r, why)
          : td_finding_add(r, code, TLSDIAG_SEVERITY_ERROR, "HTTP %s: %s",
                           r->http_request ? r->http_request : "request", why);
  td_ev_str(f, "request", r->http_request);
  td_ev_int(f, "ms", (int64_t)p->ms);
  if (r->http_head_bytes) td_ev_int(f, "bytes", (int64_t)r->http_head_bytes);
  /* a fetch's body: how much had arrived when it was refused */
  if (r->http_body_bytes)
    td_ev_int(f, "body_bytes", (int64_t)r->http_body_bytes);
  if (code == TLSDIAG_CAUSE_HTTP2_INADEQUATE_SECURITY ||
      code == TLSDIAG_CAUSE_HTTP2_PROTOCOL_ERROR) {
    const td_h2_info_t *h = &r->h2;
    td_ev_str(f, "alpn", r->tls_alpn);
    td_ev_str(f, "tls_version", r->tls_version);
    td_ev_str(f, "cipher_suite", r->tls_cipher);
    if (h->frame) {
      td_ev_str(f, "frame", h->frame);
      td_ev_str(f, "sent_by", h->by_client ? "client" : "server");
      td_ev_str(f, "error_code", h->error_name);
      td_ev_int(f, "error_code_num", (int64_t)h->error_code);
      if (h->last_stream_id >= 0)
        td_ev_int(f, "last_stream_id", (int64_t)h->last_stream_id);
      td_ev_str(f, "debug_data", h->debug ? h->debug : "");
    }
  }
}

/* 421 Misdirected Request (RFC 9110 15.5.20): the server "is not able to
 * produce a response" for this host. On a fresh connection whose SNI and
 * Host both name the host (tlsdiag never reuses a connection for another
 * name, the case browsers retry), it means the listener has no site for
 * the name: nginx's default server answering 421 for unknown names, a
 * CDN or load balancer without the hostname. Every request to the site
 * gets it, so it is an error, not one of the 4xx a page may answer; the
 * same cause as a 5xx: HTTPS works, the site is not served. */
static void classify_misdirected(tlsdiag_result_t *r) {
  const char *sni = r->sni ? r->sni : "";
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR, TLSDIAG_SEVERITY_ERROR,
      "%s answered 421 Misdirected Request: the server has no site for "
      "this name on this port (%s; the request reached a default server: "
      "add the name to the site's server_name or virtual host); the TLS "
      "connection and the certificate work",
      name_of(r), *sni ? "SNI and Host sent it" : "Host sent it, no SNI");
  td_ev_int(f, "status", 421);
  if (r->http_status_line) td_ev_str(f, "status_line", r->http_status_line);
  td_ev_str(f, "request", r->http_request);
  td_ev_str(f, "sni", sni);
  td_ev_str(f, "http_version", r->http_version);
}

/* A 5xx answer: TLS and the certificate work, the site behind the server
 * does not. An error, as check_http and blackbox_exporter treat it (a site
 * answering 503 is down for its users), except a 501 to HEAD: the server
 * does not implement the method, which says nothing about the site (met
 * only when the server closed the connection after it: on an open one
 * check_http.c asked again with GET, and that answer is judged here). */
static void classify_status(tlsdiag_result_t *r) {
  int st = r->http_status;
  if (r->phase[TLSDIAG_PHASE_HTTP].status != TLSDIAG_STATUS_OK) return;
  if (st == 421) {
    classify_misdirected(r);
    return;
  }
  if (st < 500 || st > 599) return;
  const char *method = r->http_method ? r->http_method : "";
  int head_501 = st == 501 && !strcmp(method, "HEAD");
  const char *why = st == 502 || st == 504
                        ? " (a gateway whose upstream is down or too slow)"
                    : st == 503 ? " (unavailable: overloaded or in maintenance)"
                                : "";
  td_finding_t *f;
  if (head_501)
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR,
                       TLSDIAG_SEVERITY_WARNING,
                       "%s answered 501 to HEAD: it does not implement the "
                       "method (HTTPS works; check with --method GET)",
                       name_of(r));
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_SERVER_ERROR,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s answered %d%s; HTTPS works (connection, handshake "
                       "and certificate), the site behind it fails",
                       name_of(r), st, why);
  td_ev_int(f, "status", st);
  if (r->http_status_line) td_ev_str(f, "status_line", r->http_status_line);
  td_ev_str(f, "request", r->http_request);
}

/* ---- redirects ---------------------------------------------------------- */

static const char *first_header(const tlsdiag_result_t *r, const char *name) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (r->headers[i].name && !td_strcasecmp(r->headers[i].name, name))
      return r->headers[i].value; /* NULL: present without a value */
  return NULL;
}

/* Splits the authority of a URL (at a, n bytes: "user@host:port") into
 * its host (*h, *hn: user info, brackets and one trailing dot off) and
 * port (*p, *pn: after the colon; *p NULL without one). 0 when it is no
 * authority: an unclosed '[', or something but ":port" after ']'. */
static int authority_split(const char *a, size_t n, const char **h,
                           size_t *hn, const char **p, size_t *pn) {
  const char *at = NULL;
  for (size_t i = 0; i < n; i++)
    if (a[i] == '@') at = a + i;
  if (at) {
    n -= (size_t)(at + 1 - a);
    a = at + 1;
  }
  const char *colon;
  if (n && a[0] == '[') {
    const char *close = memchr(a, ']', n);
    if (!close) return 0;
    *h = a + 1;
    *hn = (size_t)(close - *h);
    colon = (size_t)(close + 1 - a) < n ? close + 1 : NULL;
    if (colon && *colon != ':') return 0;
  } else {
    colon = memchr(a, ':', n);
    *h = a;
    *hn = colon ? (size_t)(colon - a) : n;
  }
  if (*hn && (*h)[*hn - 1] == '.') (*hn)--;
  *p = colon ? colon + 1 : NULL;
  *pn = colon ? n - (size_t)(colon + 1 - a) : 0;
  return 1;
}

/* The host of an absolute "http://" URL, lowercased, without user info,
 * port, brackets or a trailing dot, into out; 0 if loc is not such a URL
 * (relative, "//host" (same scheme: https), https:, another scheme, no
 * authority a browser would parse). */
static int http_location_host(const char *loc, char *out, size_t outlen) {
  while (*loc == ' ' || *loc == '\t') loc++;
  if (strncasecmp(loc, "http://", 7) != 0) return 0;
  const char *a = loc + 7, *h, *p;
  size_t n, pn;
  if (!authority_split(a, strcspn(a, "/?#"), &h, &n, &p, &pn)) return 0;
  if (n >= outlen) n = outlen - 1;
  for (size_t i = 0; i < n; i++)
    out[i] = (char)((h[i] >= 'A' && h[i] <= 'Z') ? h[i] + 32 : h[i]);
  out[n] = '\0';
  return 1;
}

/* An HTTPS answer that sends the browser to plain http: the next page
 * loads without TLS. On an HSTS-preloaded host that redirects to itself,
 * browsers refuse the plain-http hop and rewrite it to https, which leads
 * back here: an error. */
static void classify_redirect(tlsdiag_result_t *r) {
  if (r->phase[TLSDIAG_PHASE_HTTP].status != TLSDIAG_STATUS_OK ||
      r->http_status < 300 || r->http_status > 399)
    return;
  const char *loc = first_header(r, "location");
  char lhost[256];
  if (!loc || !http_location_host(loc, lhost, sizeof(lhost))) return;
  const char *self = r->ace_host ? r->ace_host : "";
  int same = td_strcasecmp(lhost, self) == 0;
  int have_list = r->hsts_list != NULL && lhost[0] != '\0';
  const char *entry = NULL;
  int preloaded = 0;
  if (same && r->hsts && r->hsts->looked_up) {
    preloaded = r->hsts->preloaded;
    entry = r->hsts->entry;
  } else if (have_list && !same) {
    preloaded = tlsdiag_hsts_lookup(r->hsts_list, lhost, &entry, NULL);
  }
  td_finding_t *f;
  if (same && preloaded)
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s answers %d with a redirect to plain http (%s), but "
                       "it is HSTS-preloaded: browsers refuse plain http for "
                       "it and rewrite the target to https, back to this "
                       "server (a redirect loop if it answers the same way)",
                       self, r->http_status, loc);
  else if (preloaded)
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                       TLSDIAG_SEVERITY_WARNING,
                       "%s answers %d with a redirect to plain http (%s): "
                       "browsers upgrade it (%s is HSTS-preloaded), other "
                       "clients load it without TLS",
                       self, r->http_status, loc, lhost);
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_HTTP_INSECURE_REDIRECT,
                       TLSDIAG_SEVERITY_WARNING,
                       "%s answers %d with a redirect to plain http (%s): the "
                       "page it leads to loads without TLS",
                       self, r->http_status, loc);
  td_ev_str(f, "location", loc);
  td_ev_int(f, "status", r->http_status);
  td_ev_str(f, "location_host", lhost);
  if (have_list || (same && r->hsts && r->hsts->looked_up)) {
    td_ev_bool(f, "preloaded", preloaded);
    if (entry) td_ev_str(f, "preload_entry", entry);
  }
}

/* Whether the response has this header (with a value or without). */
static int has_header(const tlsdiag_result_t *r, const char *name) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (r->headers[i].name && !td_strcasecmp(r->headers[i].name, name))
      return 1;
  return 0;
}

/* The authority of an "https://" or "//" Location (at a, n bytes): the
 * host is ours, and the port (443 when none) the one asked for. */
static int same_authority(const tlsdiag_result_t *r, const char *a, size_t n) {
  const char *h, *p;
  size_t hn, pn;
  if (!authority_split(a, n, &h, &hn, &p, &pn)) return 0;
  long port = 443; /* also for "host:", an empty port (WHATWG URL) */
  if (p && pn) {
    if (pn > 5 || strspn(p, "0123456789") < pn) return 0;
    port = strtol(p, NULL, 10);
  }
  if (port != r->port || hn == 0) return 0;
  const char *self[] = {r->ace_host, r->host};
  for (size_t i = 0; i < 2; i++)
    if (self[i] && strlen(self[i]) == hn && !strncasecmp(self[i], h, hn))
      return 1;
  return 0;
}

/* A redirect whose Location resolves to the URL asked for ("/" for "/",
 * "https://host[:port]/" with our host and port): the browser asks again
 * and gets the same answer until it gives up (Chrome and Firefox after 20
 * redirects, ERR_TOO_MANY_REDIRECTS; curl -L after 50). Not when the
 * answer sets a cookie: sites set one and redirect to the same URL, and
 * the next request, carrying it, is answered otherwise. */
static void classify_redirect_loop(tlsdiag_result_t *r) {
  int st = r->http_status;
  if (r->phase[TLSDIAG_PHASE_HTTP].status != TLSDIAG_STATUS_OK ||
      (st != 301 && st != 302 && st != 303 && st != 307 && st != 308) ||
      !r->http_path || has_header(r, "set-cookie"))
    return;
  const char *loc = first_header(r, "location");
  if (!loc) return;
  while (*loc == ' ' || *loc == '\t') loc++;
  const char *path = loc;
  if (!strncasecmp(loc, "https://", 8) || !strncmp(loc, "//", 2)) {
    const char *a = loc + (loc[0] == '/' ? 2 : 8);
    size_t n = strcspn(a, "/?#");
    if (!same_authority(r, a, n)) return;
    path = a + n;
  } else if (loc[0] != '/') {
    return; /* relative to the path, another scheme: not the same URL */
  }
  size_t pn = strcspn(path, "#");
  while (pn && (path[pn - 1] == ' ' || path[pn - 1] == '\t')) pn--;
  const char *want = r->http_path;
  /* "https://host" and "https://host?q" mean the path "/" */
  int same = pn == 0 || path[0] == '?'
                 ? want[0] == '/' && !strncmp(want + 1, path, pn) &&
                       want[pn + 1] == '\0'
                 : strlen(want) == pn && !strncmp(want, path, pn);
  if (!same) return;
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_HTTP_REDIRECT_LOOP, TLSDIAG_SEVERITY_ERROR,
      "%s answers %d with a redirect to the URL it was asked for (%s): "
      "browsers follow it round until they give up (ERR_TOO_MANY_REDIRECTS)",
      r->ace_host ? r->ace_host : "", st, loc);
  td_ev_int(f, "status", st);
  td_ev_str(f, "location", loc);
  td_ev_str(f, "path", want);
  td_ev_str(f, "request", r->http_request);
}

/* ---- ordering ------------------------------------------------------------ */

static int finding_cmp(const void *a, const void *b) {
  const td_finding_t *x = a, *y = b;
  if (x->severity != y->severity) return (int)y->severity - (int)x->severity;
  return td_cause_rank(x->code) - td_cause_rank(y->code);
}

void td_classify_offline(tlsdiag_result_t *r) {
  /* Certificate files checked without a connection (tlsdiag verify):
   * only the certificate findings apply. */
  td_classify_cert(r);
  td_classify_order(r);
}

void td_classify(tlsdiag_result_t *r) {
  if (r->phase[TLSDIAG_PHASE_DNS].status == TLSDIAG_STATUS_FAILED ||
      r->phase[TLSDIAG_PHASE_DNS].status == TLSDIAG_STATUS_TIMEOUT)
    classify_dns(r);
  else if (r->phase[TLSDIAG_PHASE_TCP].status != TLSDIAG_STATUS_OK)
    classify_tcp(r);
  else if (r->phase[TLSDIAG_PHASE_TLS].status != TLSDIAG_STATUS_OK)
    td_classify_tls_failure(r);
  else {
    td_classify_cert(r);
    classify_http(r);
    classify_status(r);
  }
  td_clientcert_classify(r); /* clientcert_classify.c */
  td_anatomy_classify(r);
  td_kx_classify(r); /* kx_quality.c: nothing unless a handshake completed */
  td_browser_classify(r); /* browser_offer.c: the browser probe refused */
  td_hsts_classify(r);
  classify_redirect(r); /* after the preload lookup */
  classify_redirect_loop(r);
  td_classify_order(r);
}

void td_classify_order(tlsdiag_result_t *r) {
  /* Stable order: errors, warnings, info; by documented rank within. A
   * merge-free qsort is fine: equal keys keep no promised order. */
  if (r->nfindings > 1)
    qsort(r->findings, r->nfindings, sizeof(*r->findings), finding_cmp);
  r->cause = TLSDIAG_CAUSE_OK;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) {
      r->cause = r->findings[i].code;
      break;
    }
}
