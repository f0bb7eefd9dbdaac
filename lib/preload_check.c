/* preload_check.c: hstspreload.org's eligibility rules for one domain, run
 * offline against its own servers (tlsdiag_preload_check). The codes and
 * their levels are hstspreload.org's (the chromium/hstspreload Go package:
 * checkDomainFormat, preloadableDomainLevel, getResponse, checkSHA1,
 * PreloadableHeader, the redirect checks, checkWWW, RemovableHeader). HTTPS
 * requests are checks (check.c), plain HTTP ones plain_http.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "hsts.h"
#include "preload.h"
#include "psl.h"

#define MAX_REDIRECTS 3 /* hstspreload.org's maxRedirects */
#define TEN_YEARS (10 * 31536000LL)

static void issue(tlsdiag_preload_t *p, td_pr_rule_t rule, const char *code,
                  tlsdiag_severity_t level, const char *fmt, ...)
    TD_PRINTF(5, 6);

static void issue(tlsdiag_preload_t *p, td_pr_rule_t rule, const char *code,
                  tlsdiag_severity_t level, const char *fmt, ...) {
  td_pr_issue_t *n = realloc(p->issues, (p->nissues + 1) * sizeof(*n));
  if (!n) return;
  p->issues = n;
  td_buf_t b;
  td_buf_init(&b);
  va_list ap;
  va_start(ap, fmt);
  td_buf_vprintf(&b, fmt, ap);
  va_end(ap);
  n[p->nissues++] = (td_pr_issue_t){.code = code, .level = level,
                                    .rule = rule,
                                    .message = td_buf_steal(&b, NULL)};
  td_pr_verdict_t v = level == TLSDIAG_SEVERITY_ERROR ? TD_PV_FAIL : TD_PV_WARN;
  if (p->verdict[rule] < v) p->verdict[rule] = v;
}

static void evidence(tlsdiag_preload_t *p, td_pr_rule_t rule, char *text) {
  free(p->evidence[rule]);
  p->evidence[rule] = text;
  if (p->verdict[rule] == TD_PV_SKIPPED) p->verdict[rule] = TD_PV_PASS;
}

static int rule_failed(const tlsdiag_preload_t *p, td_pr_rule_t rule) {
  return p->verdict[rule] == TD_PV_FAIL;
}

/* ---- domain form ------------------------------------------------------- */

static int domain_form(tlsdiag_preload_t *p) {
  const char *d = p->domain;
  const td_pr_rule_t R = TD_PR_DOMAIN;
  int is_ip = 0;
  if (td_host_check(d, NULL, &is_ip, NULL) == TLSDIAG_OK && is_ip)
    issue(p, R, "domain.format.is_ip_address", TLSDIAG_SEVERITY_ERROR,
          "Please provide a domain, not an IP address (%s)", d);
  else if (d[0] == '.')
    issue(p, R, "domain.format.begins_with_dot", TLSDIAG_SEVERITY_ERROR,
          "Please provide a domain that does not begin with `.`");
  else if (*d && d[strlen(d) - 1] == '.')
    issue(p, R, "domain.format.ends_with_dot", TLSDIAG_SEVERITY_ERROR,
          "Please provide a domain that does not end with `.`");
  else if (strstr(d, ".."))
    issue(p, R, "domain.format.contains_double_dot", TLSDIAG_SEVERITY_ERROR,
          "Please provide a domain that does not contain `..`");
  else if (!*d || td_psl_is_public_suffix(d, TD_PSL_ANY))
    issue(p, R, "domain.format.public_suffix", TLSDIAG_SEVERITY_ERROR,
          "`%s` is a TLD or public suffix (Public Suffix List), which "
          "cannot be submitted", d);
  else if (d[strspn(d, "abcdefghijklmnopqrstuvwxyz"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")])
    issue(p, R, "domain.format.invalid_characters", TLSDIAG_SEVERITY_ERROR,
          "Please provide a domain using valid characters (letters, "
          "numbers, dashes, dots)");
  if (rule_failed(p, R)) return -1;
  const char *reg = td_psl_registrable_domain(d);
  if (!reg || strcasecmp(reg, d) != 0) {
    issue(p, R, "domain.is_subdomain", TLSDIAG_SEVERITY_ERROR,
          "`%s` is a subdomain. Please preload `%s` instead (only whole "
          "registered domains are accepted)", d, reg ? reg : "?");
    return -1;
  }
  evidence(p, R, td_asprintf("%s is a registrable domain (eTLD+1 by the "
                             "Public Suffix List: %s)", d,
                             td_psl_source(NULL)));
  return 0;
}

/* ---- requests ---------------------------------------------------------- */

/* A GET over HTTPS: a check (no version probe) of host:port path. */
static tlsdiag_err_t https_get(const tlsdiag_options_t *base,
                               const char *host, uint16_t port,
                               const char *path, tlsdiag_result_t **r) {
  tlsdiag_options_t o = *base;
  o.port = port;
  o.http_method = "GET";
  o.http_path = path;
  o.flags = (o.flags | TLSDIAG_F_NO_VERSION_PROBE) &
            ~(unsigned)(TLSDIAG_F_NO_HTTP | TLSDIAG_F_RESUME |
                        TLSDIAG_F_EARLY_DATA);
  o.sni = NULL;
  o.hsts = NULL; /* the list's findings are this module's business */
  return tlsdiag_check(host, &o, r);
}

/* The first error finding of a result (its text), or NULL if none. */
static const char *first_error(const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR)
      return r->findings[i].message ? r->findings[i].message
                                    : tlsdiag_cause_name(r->findings[i].code);
  return NULL;
}

static int is_cert_cause(tlsdiag_cause_t c) {
  return (c >= TLSDIAG_CAUSE_CERT_EXPIRED && c <= TLSDIAG_CAUSE_CERT_INVALID) ||
         c == TLSDIAG_CAUSE_CERT_UNKNOWN_ISSUER ||
         c == TLSDIAG_CAUSE_CERT_COMPROMISED_ISSUER ||
         c == TLSDIAG_CAUSE_CERT_PATH_BROWSER_ONLY ||
         c == TLSDIAG_CAUSE_CERT_MALFORMED ||
         c == TLSDIAG_CAUSE_CERT_VERIFIERS_DISAGREE ||
         c == TLSDIAG_CAUSE_CERT_CHAIN_TOO_LARGE;
}

/* Strict-Transport-Security headers of a response: how many, the first. */
static size_t sts_headers(const tlsdiag_result_t *r, const char **first) {
  size_t n = 0;
  *first = NULL;
  for (size_t i = 0; i < r->nheaders; i++)
    if (!strcasecmp(r->headers[i].name, "strict-transport-security")) {
      if (!n) *first = r->headers[i].value;
      n++;
    }
  return n;
}

/* ---- https://DOMAIN ----------------------------------------------------- */

/* SHA-1 (or MD5) signatures in the chain as sent, the root aside. */
static void check_sha1(tlsdiag_preload_t *p, const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nchain; i++) {
    const td_cert_t *c = &r->chain[i];
    if (c->sig_weak && !c->self_signed) {
      issue(p, TD_PR_HTTPS, "domain.tls.sha1", TLSDIAG_SEVERITY_ERROR,
            "One or more of the certificates in the chain is signed using "
            "SHA-1 (%s, certificate %zu: %s); it needs to be replaced",
            c->sig_alg ? c->sig_alg : "?", i, c->subject ? c->subject : "?");
      return;
    }
  }
}

/* 0 when the HTTPS response can be judged (the other rules run), -1 when
 * hstspreload.org would stop (no connection, or an invalid chain). */
static int https_rule(tlsdiag_preload_t *p, const tlsdiag_result_t *r) {
  const td_pr_rule_t R = TD_PR_HTTPS;
  tlsdiag_cause_t c = r->cause;
  /* A SHA-1 chain is one browsers refuse: the rules after it would only
   * repeat that (hstspreload.org stops at an invalid chain the same way). */
  check_sha1(p, r);
  if (rule_failed(p, R)) return -1;
  if (is_cert_cause(c) && r->phase[TLSDIAG_PHASE_TLS].status ==
                              TLSDIAG_STATUS_OK) {
    issue(p, R, "domain.tls.invalid_cert_chain", TLSDIAG_SEVERITY_ERROR,
          "https://%s uses an incomplete or invalid certificate chain "
          "(%s: %s)", p->domain, tlsdiag_cause_name(c),
          first_error(r) ? first_error(r) : "");
    return -1;
  }
  if (c != TLSDIAG_CAUSE_OK || r->http_status <= 0) {
    if (c == TLSDIAG_CAUSE_OK) c = r->http_cause;
    issue(p, R, "domain.tls.cannot_connect", TLSDIAG_SEVERITY_ERROR,
          "We cannot connect to https://%s using TLS (%s: %s)", p->domain,
          tlsdiag_cause_name(c), first_error(r) ? first_error(r) : "");
    return -1;
  }
  evidence(p, R, td_asprintf("%s %s, %zu certificate(s) verified for %s, "
                             "no SHA-1, HTTP %d",
                             r->tls_version ? r->tls_version : "?",
                             r->tls_cipher ? r->tls_cipher : "", r->nchain,
                             p->domain, r->http_status));
  return 0;
}

/* ---- the header --------------------------------------------------------- */

/* hstspreload.org's PreloadableHeader on one parsed value, issues under
 * rule; returns how many errors it added. */
static size_t header_issues(tlsdiag_preload_t *p, td_pr_rule_t R,
                            const td_sts_t *s) {
  size_t before = p->nissues, errors = 0;
  if (!s->include_subdomains)
    issue(p, R, "header.preloadable.include_sub_domains.missing",
          TLSDIAG_SEVERITY_ERROR,
          "The header must contain the `includeSubDomains` directive");
  if (!s->preload)
    issue(p, R, "header.preloadable.preload.missing", TLSDIAG_SEVERITY_ERROR,
          "The header must contain the `preload` directive");
  if (s->max_age < 0)
    issue(p, R, "header.preloadable.max_age.missing", TLSDIAG_SEVERITY_ERROR,
          "Header must contain a valid `max-age` directive%s%s",
          s->error ? ": " : "", s->error ? s->error : "");
  else if (s->max_age == 0)
    issue(p, R, "header.preloadable.max_age.zero", TLSDIAG_SEVERITY_ERROR,
          "The max-age must be at least %d seconds (1 year), but the header "
          "has max-age=0 (a request for removal)", TD_HSTS_PRELOAD_MIN_AGE);
  else if (s->max_age < TD_HSTS_PRELOAD_MIN_AGE)
    issue(p, R, "header.preloadable.max_age.below_1_year",
          TLSDIAG_SEVERITY_ERROR,
          "The max-age must be at least %d seconds (1 year), but the header "
          "only has max-age=%lld", TD_HSTS_PRELOAD_MIN_AGE,
          (long long)s->max_age);
  else if (s->max_age > TEN_YEARS)
    issue(p, R, "header.preloadable.max_age.over_10_years",
          TLSDIAG_SEVERITY_WARNING,
          "The max-age (%lld seconds) is longer than 10 years, an unusually "
          "long value", (long long)s->max_age);
  for (size_t i = before; i < p->nissues; i++)
    errors += p->issues[i].level == TLSDIAG_SEVERITY_ERROR;
  return errors;
}

static void parse_sts(const char *v, td_sts_t *s) {
  if (td_sts_parse(v, strlen(v), s) < 0) {
    memset(s, 0, sizeof(*s));
    s->max_age = -1;
  }
}

static void header_rule(tlsdiag_preload_t *p, const tlsdiag_result_t *r) {
  const td_pr_rule_t R = TD_PR_HEADER;
  const char *v = NULL;
  size_t n = sts_headers(r, &v);
  if (n == 0) {
    issue(p, R, "response.no_header", TLSDIAG_SEVERITY_ERROR,
          "No HSTS header is present on the response of https://%s/",
          p->domain);
    return;
  }
  if (n > 1) {
    issue(p, R, "response.multiple_headers", TLSDIAG_SEVERITY_ERROR,
          "Multiple HSTS headers (number of HSTS headers: %zu)", n);
    return;
  }
  p->header = td_strdup(v);
  td_sts_t s;
  parse_sts(v, &s);
  if (!s.valid && s.max_age >= 0 && s.error)
    issue(p, R, "header.parse.invalid", TLSDIAG_SEVERITY_WARNING,
          "The header does not conform to RFC 6797: %s", s.error);
  header_issues(p, R, &s);
  /* removal: one header with a max-age and no preload */
  p->removable = s.max_age >= 0 && !s.preload;
  p->verdict[TD_PR_REMOVAL] = TD_PV_INFO;
  p->evidence[TD_PR_REMOVAL] = td_strdup(
      p->removable ? "eligible for removal: the header has a max-age and no "
                     "preload directive"
      : s.preload ? "not eligible for removal: the header contains the "
                    "`preload` directive (header.removable.contains.preload)"
                  : "not eligible for removal: the header has no valid "
                    "max-age (header.removable.missing.max_age)");
  if (!rule_failed(p, R)) evidence(p, R, td_asprintf("Strict-Transport-"
                                                     "Security: %s", v));
}

/* ---- redirects ---------------------------------------------------------- */

typedef struct {
  int https;
  char *host;
  uint16_t port;
  char *path;
} url_t;

static void url_clear(url_t *u) {
  free(u->host);
  free(u->path);
  memset(u, 0, sizeof(*u));
}

/* Location resolved against the current URL: absolute http(s)://,
 * scheme-relative //host/path, or a path. 0, or -1 if unusable. */
static int url_resolve(const url_t *cur, const char *loc, url_t *out) {
  memset(out, 0, sizeof(*out));
  int https = -1;
  const char *rest = NULL;
  if (!strncasecmp(loc, "https://", 8)) https = 1, rest = loc + 8;
  else if (!strncasecmp(loc, "http://", 7)) https = 0, rest = loc + 7;
  else if (!strncmp(loc, "//", 2)) https = cur->https, rest = loc + 2;
  if (https < 0) {
    out->https = cur->https;
    out->host = td_strdup(cur->host);
    out->port = cur->port;
    out->path = loc[0] == '/' ? td_strdup(loc) : td_asprintf("/%s", loc);
    return out->host && out->path ? 0 : -1;
  }
  /* one URL parser (options.c): it takes https:// only, and its default
   * port is the caller's */
  char *as_https = td_asprintf("https://%s", rest);
  tlsdiag_err_t e = as_https ? tlsdiag_url_parse(as_https, https ? 443 : 80,
                                                 &out->host, &out->port,
                                                 &out->path)
                             : TLSDIAG_E_NOMEM;
  free(as_https);
  out->https = https;
  return e == TLSDIAG_OK ? 0 : -1;
}

static char *url_text(const url_t *u) {
  int dflt = u->port == (u->https ? 443 : 80);
  int v6 = strchr(u->host, ':') != NULL;
  char port[8] = "";
  if (!dflt) snprintf(port, sizeof(port), ":%u", u->port);
  return td_asprintf("%s://%s%s%s%s%s", u->https ? "https" : "http",
                     v6 ? "[" : "", u->host, v6 ? "]" : "", port, u->path);
}

/* One request of a redirect chain: its status and Location (copied), or
 * an error text. */
static tlsdiag_err_t hop(const tlsdiag_options_t *o, const url_t *u,
                         int *status, char **location, size_t *nsts,
                         char **error) {
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e;
  *status = 0;
  *location = NULL;
  *nsts = 0;
  *error = NULL;
  if (u->https) {
    e = https_get(o, u->host, u->port, u->path, &r);
    if (e == TLSDIAG_OK && (!tlsdiag_result_ok(r) || r->http_status <= 0)) {
      const char *why = first_error(r);
      *error = td_asprintf("%s (%s)", why ? why : "no response",
                           tlsdiag_cause_name(r->cause));
      tlsdiag_result_free(r);
      return TLSDIAG_OK;
    }
  } else {
    e = td_plain_http_get(u->host, u->port, u->path, o, &r, error);
  }
  if (e != TLSDIAG_OK || !r) return e;
  const char *first = NULL;
  *status = r->http_status;
  *nsts = sts_headers(r, &first);
  const char *loc = td_result_header_get(r, "location");
  if (loc && *status >= 300 && *status < 400) *location = td_strdup(loc);
  tlsdiag_result_free(r);
  return TLSDIAG_OK;
}

/* Follows redirects from start as Go's client does for hstspreload.org
 * (at most MAX_REDIRECTS; one more is redirects.too_many). Fills chain
 * (targets, as text) and the parsed first target; *first_nsts is the
 * number of STS headers on the start's own response; *reached is 0 when
 * the start did not answer (its error in *start_error). */
typedef struct {
  char **chain;
  size_t n;
  url_t first;
  size_t start_nsts;
  int start_status;
  char *start_error;
} follow_t;

static tlsdiag_err_t follow(tlsdiag_preload_t *p, td_pr_rule_t R,
                            const tlsdiag_options_t *o, const url_t *start,
                            char **chain, follow_t *f) {
  url_t cur = {start->https, td_strdup(start->host), start->port,
               td_strdup(start->path)};
  tlsdiag_err_t e = TLSDIAG_OK;
  f->chain = chain;
  char *start_text = url_text(start);
  for (size_t i = 0; cur.host && cur.path; i++) {
    int status;
    char *loc = NULL, *err = NULL;
    size_t nsts;
    if ((e = hop(o, &cur, &status, &loc, &nsts, &err)) != TLSDIAG_OK) break;
    if (i == 0) {
      f->start_nsts = nsts;
      f->start_status = status;
      f->start_error = err ? td_strdup(err) : NULL;
    }
    if (err) {
      if (i > 0)
        issue(p, R, "redirects.follow_error", TLSDIAG_SEVERITY_ERROR,
              "Redirect error: %s", err);
      free(err);
      break;
    }
    if (!loc) break;
    url_t next;
    if (url_resolve(&cur, loc, &next) < 0) {
      issue(p, R, "redirects.follow_error", TLSDIAG_SEVERITY_ERROR,
            "Redirect error: unusable Location `%s`", loc);
      free(loc);
      url_clear(&next);
      break;
    }
    free(loc);
    chain[f->n++] = url_text(&next);
    if (f->n == 1) {
      f->first = next;
      next.host = td_strdup(next.host);
      next.path = td_strdup(next.path);
    }
    url_clear(&cur);
    cur = next;
    if (f->n > MAX_REDIRECTS) {
      issue(p, R, "redirects.too_many", TLSDIAG_SEVERITY_ERROR,
            "There are more than %d redirects starting from `%s`",
            MAX_REDIRECTS, start_text ? start_text : "?");
      break;
    }
  }
  url_clear(&cur);
  free(start_text);
  return e;
}

/* No plain-http target anywhere in a chain (preloadableRedirectChain). */
static void chain_secure(tlsdiag_preload_t *p, td_pr_rule_t R,
                         const char *start, char **chain, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!strncmp(chain[i], "https://", 8)) continue;
    if (i == 0)
      issue(p, R, "redirects.insecure.initial", TLSDIAG_SEVERITY_ERROR,
            "`%s` redirects to an insecure page: `%s`", start, chain[i]);
    else
      issue(p, R, "redirects.insecure.subsequent", TLSDIAG_SEVERITY_ERROR,
            "`%s` redirects to an insecure page on redirect #%zu: `%s`",
            start, i + 1, chain[i]);
    return;
  }
}

static char *chain_text(const char *start, char **chain, size_t n) {
  td_buf_t b;
  td_buf_init(&b);
  td_buf_puts(&b, start);
  for (size_t i = 0; i < n; i++) {
    td_buf_puts(&b, " -> ");
    td_buf_puts(&b, chain[i]);
  }
  if (!n) td_buf_puts(&b, " (no redirect)");
  return td_buf_steal(&b, NULL);
}

/* The first redirect from http:// went to https://DOMAIN: its response
 * must carry a preloadable header (redirects.http.first_redirect.*). */
static tlsdiag_err_t first_redirect_hsts(tlsdiag_preload_t *p,
                                         const tlsdiag_options_t *o,
                                         const url_t *u, const char *text,
                                         int header_ok) {
  const td_pr_rule_t R = TD_PR_HTTP_REDIRECTS;
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e = https_get(o, u->host, u->port, u->path, &r);
  if (e != TLSDIAG_OK) return e;
  const char *v = NULL;
  size_t n = sts_headers(r, &v);
  if (!tlsdiag_result_ok(r) || r->http_status <= 0) {
    const char *why = first_error(r);
    issue(p, R, "redirects.http.first_redirect.invalid",
          TLSDIAG_SEVERITY_ERROR,
          "`http://%s` redirects to `%s`, which we could not connect to: %s",
          p->domain, text, why ? why : tlsdiag_cause_name(r->cause));
  } else if (header_ok) {
    /* hstspreload.org reports this only when the main header passed */
    const char *first = NULL;
    td_sts_t s;
    if (n == 1) parse_sts(v, &s);
    if (n == 0) first = "No HSTS header";
    else if (n > 1) first = "Multiple HSTS headers";
    else if (!s.include_subdomains) first = "No includeSubDomains directive";
    else if (!s.preload) first = "No preload directive";
    else if (s.max_age < TD_HSTS_PRELOAD_MIN_AGE) first = "Max-age too low";
    if (first)
      issue(p, R, "redirects.http.first_redirect.no_hsts",
            TLSDIAG_SEVERITY_ERROR,
            "`http://%s` redirects to `%s`, which does not serve a HSTS "
            "header that satisfies preload conditions. First error: %s",
            p->domain, text, first);
  }
  tlsdiag_result_free(r);
  return TLSDIAG_OK;
}

static tlsdiag_err_t http_redirects(tlsdiag_preload_t *p,
                                    const tlsdiag_options_t *o) {
  const td_pr_rule_t R = TD_PR_HTTP_REDIRECTS;
  url_t start = {0, p->domain, 80, (char *)"/"};
  char st[300];
  snprintf(st, sizeof(st), "http://%s/", p->domain);
  follow_t f = {0};
  tlsdiag_err_t e = follow(p, R, o, &start, p->http_chain, &f);
  p->nhttp = f.n;
  if (e) goto out;
  if (f.start_error) {
    issue(p, R, "redirects.http.does_not_exist", TLSDIAG_SEVERITY_WARNING,
          "The site appears to be unavailable over plain HTTP (%s: %s)", st,
          f.start_error);
    goto out;
  }
  if (f.start_nsts)
    issue(p, R, "redirects.http.useless_header", TLSDIAG_SEVERITY_WARNING,
          "The HTTP page at %s sends an HSTS header. This has no effect over "
          "HTTP, and should be removed", st);
  if (f.n == 0) {
    issue(p, R, "redirects.http.no_redirect", TLSDIAG_SEVERITY_ERROR,
          "`%s` does not redirect to `https://%s` (HTTP %d)", st, p->domain,
          f.start_status);
    goto out;
  }
  char www[300];
  snprintf(www, sizeof(www), "www.%s", p->domain);
  if (f.first.https && !strcasecmp(f.first.host, p->domain)) {
    e = first_redirect_hsts(p, o, &f.first, p->http_chain[0],
                            !rule_failed(p, TD_PR_HEADER));
    chain_secure(p, R, st, p->http_chain, f.n);
  } else if (!strcasecmp(f.first.host, www)) {
    issue(p, R, "redirects.http.www_first", TLSDIAG_SEVERITY_ERROR,
          "`%s` (HTTP) should immediately redirect to `https://%s` (HTTPS) "
          "before adding the www subdomain. Right now, the first redirect "
          "is to `%s`", st, p->domain, p->http_chain[0]);
  } else {
    issue(p, R, "redirects.http.first_redirect.insecure",
          TLSDIAG_SEVERITY_ERROR,
          "`%s` (HTTP) redirects to `%s`. The first redirect from `%s` "
          "should be to a secure page on the same host (`https://%s`)", st,
          p->http_chain[0], st, p->domain);
  }
out:
  if (!e) evidence(p, R, chain_text(st, p->http_chain, p->nhttp));
  url_clear(&f.first);
  free(f.start_error);
  return e;
}

static tlsdiag_err_t https_redirects(tlsdiag_preload_t *p,
                                     const tlsdiag_options_t *o) {
  const td_pr_rule_t R = TD_PR_HTTPS_REDIRECTS;
  url_t start = {1, p->domain, 443, (char *)"/"};
  char st[300];
  snprintf(st, sizeof(st), "https://%s/", p->domain);
  follow_t f = {0};
  tlsdiag_err_t e = follow(p, R, o, &start, p->https_chain, &f);
  p->nhttps = f.n;
  if (!e) {
    chain_secure(p, R, st, p->https_chain, f.n);
    evidence(p, R, chain_text(st, p->https_chain, f.n));
  }
  url_clear(&f.first);
  free(f.start_error);
  return e;
}

/* ---- www ---------------------------------------------------------------- */

static tlsdiag_err_t www_rule(tlsdiag_preload_t *p,
                              const tlsdiag_options_t *base) {
  const td_pr_rule_t R = TD_PR_WWW;
  char *www = td_asprintf("www.%s", p->domain);
  if (!www) return TLSDIAG_E_NOMEM;
  tlsdiag_options_t o = *base;
  o.port = 443;
  o.sni = NULL;
  o.hsts = NULL;
  o.flags |= TLSDIAG_F_NO_HTTP | TLSDIAG_F_NO_VERSION_PROBE;
  o.flags &= ~(unsigned)(TLSDIAG_F_RESUME | TLSDIAG_F_EARLY_DATA);
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e = tlsdiag_check(www, &o, &r);
  if (e != TLSDIAG_OK) goto out;
  if (r->phase[TLSDIAG_PHASE_TCP].status != TLSDIAG_STATUS_OK) {
    evidence(p, R, td_asprintf("%s does not accept TCP on port 443 (%s): "
                               "no www to check", www,
                               tlsdiag_cause_name(r->cause)));
  } else if (!tlsdiag_result_ok(r)) {
    const char *why = first_error(r);
    issue(p, R, "domain.www.no_tls", TLSDIAG_SEVERITY_ERROR,
          "The www subdomain exists, but we couldn't connect to it using "
          "HTTPS (%s: %s). Since many people type this by habit, HSTS "
          "preloading would likely cause issues for your site",
          tlsdiag_cause_name(r->cause), why ? why : "");
  } else {
    evidence(p, R, td_asprintf("%s completes a TLS handshake (%s), "
                               "certificate verified", www,
                               r->tls_version ? r->tls_version : "?"));
  }
out:
  tlsdiag_result_free(r);
  free(www);
  return e;
}

/* ---- status ------------------------------------------------------------- */

static void status_rule(tlsdiag_preload_t *p, const tlsdiag_hsts_t *list) {
  p->verdict[TD_PR_STATUS] = TD_PV_INFO;
  if (!list) {
    p->status = "unknown";
    p->evidence[TD_PR_STATUS] = td_strdup(
        "no preload list given (--hsts-list, or `tlsdiag hsts update`)");
    return;
  }
  const char *entry = NULL;
  int subs = 0;
  if (tlsdiag_hsts_lookup(list, p->domain, &entry, &subs)) {
    p->status = "preloaded";
    p->entry = td_strdup(entry);
    p->evidence[TD_PR_STATUS] = td_asprintf(
        "preloaded by the entry %s%s", entry,
        subs ? " (include_subdomains)" : "");
  } else {
    p->status = "not_listed";
    p->evidence[TD_PR_STATUS] = td_asprintf(
        "not in the list in use (%zu entries); a pending submission cannot "
        "be known offline", tlsdiag_hsts_count(list));
  }
}

/* ---- the whole check ----------------------------------------------------- */

static tlsdiag_err_t run(tlsdiag_preload_t *p, const tlsdiag_options_t *o) {
  status_rule(p, o->hsts);
  if (domain_form(p) < 0) return TLSDIAG_OK;
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t e = https_get(o, p->domain, 443, "/", &r);
  if (e != TLSDIAG_OK) return e;
  if (https_rule(p, r) == 0) {
    header_rule(p, r);
    if (!(e = http_redirects(p, o)) && !(e = https_redirects(p, o)))
      e = www_rule(p, o);
  }
  tlsdiag_result_free(r);
  return e;
}

tlsdiag_err_t tlsdiag_preload_check(const char *domain,
                                    const tlsdiag_options_t *opts,
                                    tlsdiag_preload_t **out) {
  if (out) *out = NULL;
  if (!domain || !out) return TLSDIAG_E_INVAL;
  tlsdiag_options_t tmp;
  const tlsdiag_options_t *o = td_options_import(opts, &tmp);
  tlsdiag_err_t e = td_options_validate(NULL, o, NULL, 0);
  if (e) return e;
  tlsdiag_preload_t *p = calloc(1, sizeof(*p));
  if (!p || !(p->domain = td_strdup(domain))) {
    free(p);
    return TLSDIAG_E_NOMEM;
  }
  for (char *c = p->domain; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  e = run(p, o);
  if (e) {
    tlsdiag_preload_free(p);
    return e;
  }
  *out = p;
  return TLSDIAG_OK;
}
