/* hsts.c: the Strict-Transport-Security header (RFC 6797 section 6.1) and
 * the hsts_* findings: what a browser makes of the response's header, and
 * what being on the preload list (hsts_list.c) means for this host.
 *
 * Pure: data in, data out, like classify.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hsts.h"

/* ---- the header parser --------------------------------------------------- */

/* RFC 9110 tchar. */
static int is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
      (c >= '0' && c <= '9'))
    return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int is_ows(unsigned char c) { return c == ' ' || c == '\t'; }

/* qdtext and the character after a backslash in a quoted-pair. */
static int is_qdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
         (c >= 0x5D && c <= 0x7E) || c >= 0x80;
}
static int is_qpair(unsigned char c) {
  return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7E) || c >= 0x80;
}

static unsigned char lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int name_is(const char *s, size_t n, const char *want) {
  size_t k = 0;
  for (; k < n && want[k]; k++)
    if (lower((unsigned char)s[k]) != (unsigned char)want[k]) return 0;
  return k == n && !want[k];
}

typedef struct {
  const char *p;
  size_t len;
  size_t at;
} span_t;

static int span_cmp(const void *a, const void *b) {
  const span_t *x = a, *y = b;
  size_t n = x->len < y->len ? x->len : y->len;
  for (size_t k = 0; k < n; k++) {
    int d = (int)lower((unsigned char)x->p[k]) -
            (int)lower((unsigned char)y->p[k]);
    if (d) return d;
  }
  if (x->len != y->len) return x->len < y->len ? -1 : 1;
  /* equal names: by position, so the later one is reported */
  return x->at < y->at ? -1 : x->at > y->at;
}

/* max-age's value (a token, or a quoted-string whose content is read with
 * its escapes removed) as delta-seconds: 1*DIGIT, no sign. */
static int max_age_value(const char *v, size_t n, int quoted, td_sts_t *out) {
  uint64_t age = 0;
  size_t digits = 0;
  for (size_t k = 0; k < n; k++) {
    unsigned char c = (unsigned char)v[k];
    if (quoted && c == '\\' && k + 1 < n) c = (unsigned char)v[++k];
    if (c < '0' || c > '9') return -1;
    digits++;
    if (out->max_age_capped) continue;
    if (age > ((uint64_t)INT64_MAX - (c - '0')) / 10) {
      out->max_age_capped = 1;
      age = (uint64_t)INT64_MAX;
    } else {
      age = age * 10 + (c - '0');
    }
  }
  if (!digits) return -1;
  out->max_age = (int64_t)age;
  return 0;
}

/* The quoted-string at v[*i] (a '"'): on success *i is just past the
 * closing quote; else -1 with the reason and where. */
static int scan_quoted(const char *v, size_t n, size_t *i, const char **err,
                       size_t *err_at) {
  size_t q = (*i)++;
  while (*i < n && v[*i] != '"') {
    unsigned char c = (unsigned char)v[*i];
    if (c == '\\' && *i + 1 < n) {
      if (!is_qpair((unsigned char)v[*i + 1])) {
        *err = "invalid character in a quoted string";
        *err_at = *i + 1;
        return -1;
      }
      *i += 2;
    } else if (c == '\\') {
      *i = n; /* a lone backslash at the end */
    } else if (!is_qdtext(c)) {
      *err = "invalid character in a quoted string";
      *err_at = *i;
      return -1;
    } else {
      (*i)++;
    }
  }
  if (*i >= n) {
    *err = "unterminated quoted string";
    *err_at = q;
    return -1;
  }
  (*i)++;
  return 0;
}

/* 1 if a name occurs twice (case-insensitively), with *at the offset of
 * the first repetition in the header. Sorts names. */
static int first_repeat(span_t *names, size_t n, size_t *at) {
  int found = 0;
  if (n < 2) return 0;
  qsort(names, n, sizeof(*names), span_cmp);
  for (size_t k = 1; k < n; k++) {
    span_t a = names[k - 1], b = names[k];
    a.at = b.at = 0;
    if (span_cmp(&a, &b) == 0 && (!found || names[k].at < *at)) {
      *at = names[k].at;
      found = 1;
    }
  }
  return found;
}

int td_sts_parse(const char *v, size_t n, td_sts_t *out) {
  span_t *names = NULL;
  size_t nnames = 0, cap = 0;
  int have_max_age = 0, rc = 0;
  const char *err = NULL;
  size_t err_at = 0, i = 0;
  memset(out, 0, sizeof(*out));
  out->max_age = -1;
  if (!v) n = 0;

  for (;;) {
    while (i < n && is_ows((unsigned char)v[i])) i++;
    if (i < n && v[i] == ';') { /* empty directive */
      i++;
      continue;
    }
    if (i >= n) break;
    size_t ns = i;
    while (i < n && is_tchar((unsigned char)v[i])) i++;
    if (i == ns) {
      err = "a directive name is not a token";
      err_at = i;
      break;
    }
    size_t nl = i - ns;
    while (i < n && is_ows((unsigned char)v[i])) i++;
    int has_value = 0, quoted = 0;
    size_t vs = 0, ve = 0;
    if (i < n && v[i] == '=') {
      i++;
      while (i < n && is_ows((unsigned char)v[i])) i++;
      has_value = 1;
      if (i < n && v[i] == '"') {
        quoted = 1;
        vs = i + 1;
        if (scan_quoted(v, n, &i, &err, &err_at)) break;
        ve = i - 1;
      } else {
        vs = i;
        while (i < n && is_tchar((unsigned char)v[i])) i++;
        ve = i;
        if (vs == ve) {
          err = "a directive has '=' but no value";
          err_at = i;
          break;
        }
      }
      while (i < n && is_ows((unsigned char)v[i])) i++;
    }
    if (i < n && v[i] != ';') {
      err = "';' expected after a directive";
      err_at = i;
      break;
    }
    if (nnames == cap) {
      size_t nc = cap ? cap * 2 : 8;
      span_t *s = realloc(names, nc * sizeof(*s));
      if (!s) {
        rc = -1;
        err = "out of memory";
        break;
      }
      names = s;
      cap = nc;
    }
    names[nnames].p = v + ns;
    names[nnames].len = nl;
    names[nnames].at = ns;
    nnames++;
    out->ndirectives++;
    if (name_is(v + ns, nl, "max-age")) {
      have_max_age = 1;
      if (!has_value) {
        err = "max-age has no value";
        err_at = ns;
        break;
      }
      if (max_age_value(v + vs, ve - vs, quoted, out)) {
        err = "max-age is not a non-negative integer";
        err_at = vs;
        out->max_age = -1;
        break;
      }
    } else if (name_is(v + ns, nl, "includesubdomains")) {
      out->include_subdomains = 1;
      if (has_value) {
        err = "includeSubDomains takes no value";
        err_at = ns;
        break;
      }
    } else if (name_is(v + ns, nl, "preload")) {
      out->preload = 1;
      if (has_value) {
        err = "preload takes no value";
        err_at = ns;
        break;
      }
    }
    /* other directives are ignored (section 6.1, item 2) */
    if (i < n) i++; /* the ';' */
  }

  /* RFC 6797 6.1: "All directives MUST appear only once" */
  if (!err && first_repeat(names, nnames, &err_at))
    err = "a directive appears more than once";
  if (!err && out->ndirectives == 0) err = "the header has no directives";
  if (!err && !have_max_age) err = "max-age is missing";
  free(names);
  out->valid = err == NULL;
  out->error = err;
  out->error_at = err ? err_at : 0;
  return rc;
}

/* ---- findings ------------------------------------------------------------ */

/* A certificate error (cause.c's list): what a preloaded host cannot
 * be clicked through. */
static int is_cert_error(const td_finding_t *f) {
  return f->severity == TLSDIAG_SEVERITY_ERROR && td_cause_is_cert(f->code);
}

/* "2 years", "30 days", "5 minutes", "40 s" for max-age messages. */
static void age_text(int64_t s, char out[40]) {
  if (s >= 2 * 31536000LL)
    snprintf(out, 40, "%lld years", (long long)(s / 31536000));
  else if (s >= 2 * 86400)
    snprintf(out, 40, "%lld days", (long long)(s / 86400));
  else if (s >= 2 * 3600)
    snprintf(out, 40, "%lld hours", (long long)(s / 3600));
  else if (s >= 120)
    snprintf(out, 40, "%lld minutes", (long long)(s / 60));
  else
    snprintf(out, 40, "%lld s", (long long)s);
}

static void entry_evidence(td_finding_t *f, const struct td_hsts_report *h) {
  td_ev_str(f, "entry", h->entry);
  td_ev_bool(f, "include_subdomains", h->entry_include_subdomains);
  td_ev_bool(f, "entry_is_host", h->entry_exact);
}

static void header_evidence(td_finding_t *f, const struct td_hsts_report *h) {
  td_ev_str(f, "header", h->header);
  if (h->header_count > 1)
    td_ev_int(f, "header_count", (int64_t)h->header_count);
}

static void classify_cert(tlsdiag_result_t *r, const struct td_hsts_report *h) {
  const td_finding_t *cert = NULL;
  for (size_t i = 0; i < r->nfindings; i++)
    if (is_cert_error(&r->findings[i]) &&
        (!cert ||
         td_cause_rank(r->findings[i].code) < td_cause_rank(cert->code)))
      cert = &r->findings[i];
  if (!cert) return;
  tlsdiag_cause_t code = cert->code; /* td_finding_add may move findings */
  td_finding_t *f;
  if (h->entry_exact)
    f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s is on the HSTS preload list: browsers show its "
                       "certificate error (%s) with no way to proceed",
                       r->ace_host, tlsdiag_cause_name(code));
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_PRELOADED_CERT_ERROR,
                       TLSDIAG_SEVERITY_ERROR,
                       "%s is HSTS-preloaded through %s (includeSubDomains): "
                       "browsers show its certificate error (%s) with no way "
                       "to proceed",
                       r->ace_host, h->entry ? h->entry : "a parent",
                       tlsdiag_cause_name(code));
  entry_evidence(f, h);
  td_ev_str(f, "cert_cause", tlsdiag_cause_name(code));
}

static void classify_header(tlsdiag_result_t *r, struct td_hsts_report *h) {
  /* The host's own entry must keep meeting hstspreload.org's rules; a host
   * preloaded through a parent need not (the parent is what was
   * submitted). A host that sends `preload` asks to be judged by them. */
  int own = h->preloaded && h->entry_exact;
  int asks = h->header && h->sts.valid && h->sts.preload;
  tlsdiag_severity_t sev = (own || asks) ? TLSDIAG_SEVERITY_WARNING
                                         : TLSDIAG_SEVERITY_INFO;
  /* Info-level advice only when HSTS analysis was asked for (a list
   * chosen by the caller; the built-in default is on for every check and
   * would otherwise put advice on every site without HSTS). */
  int report = own || asks || h->advice;
  const char *problems[5];
  size_t np = 0;
  td_finding_t *f;

  if (!h->header) {
    if (report) {
      if (own)
        f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_HEADER_MISSING, sev,
                           "%s is preloaded but sends no "
                           "Strict-Transport-Security header; "
                           "hstspreload.org requires one",
                           r->ace_host);
      else if (h->preloaded)
        f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_HEADER_MISSING, sev,
                           "no Strict-Transport-Security header (%s is "
                           "preloaded through %s anyway)",
                           r->ace_host, h->entry ? h->entry : "a parent");
      else
        f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_HEADER_MISSING, sev,
                           "no Strict-Transport-Security header: browsers "
                           "do not force HTTPS for %s",
                           r->ace_host);
      td_ev_int(f, "http_status", r->http_status);
    }
    problems[np++] = "header_missing";
  } else if (!h->sts.valid) {
    f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_HEADER_INVALID,
                       TLSDIAG_SEVERITY_WARNING,
                       "the Strict-Transport-Security header is invalid (%s), "
                       "so browsers ignore it",
                       h->sts.error);
    header_evidence(f, h);
    td_ev_str(f, "error", h->sts.error);
    td_ev_int(f, "position", (int64_t)h->sts.error_at);
    problems[np++] = "header_invalid";
  } else {
    if (h->sts.max_age < TD_HSTS_PRELOAD_MIN_AGE) {
      /* A weak header is always worth a word: the host asked for HSTS and
       * gets less than it thinks (info unless it matters, see above). */
      {
        if (h->sts.max_age == 0) {
          f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, sev,
                             "HSTS max-age=0 tells browsers to forget HSTS "
                             "for %s; preloading requires at least %d s "
                             "(one year)",
                             r->ace_host, TD_HSTS_PRELOAD_MIN_AGE);
        } else {
          char age[40];
          age_text(h->sts.max_age, age);
          if (report)
            f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, sev,
                               "HSTS max-age is %lld s (%s); preloading "
                               "requires at least %d s (one year)",
                               (long long)h->sts.max_age, age,
                               TD_HSTS_PRELOAD_MIN_AGE);
          else /* only the header's own weakness matters here */
            f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_MAX_AGE_SHORT, sev,
                               "HSTS max-age is %lld s (%s): browsers stop "
                               "forcing HTTPS for %s %s after the last "
                               "visit; one year (%d s) is the usual minimum",
                               (long long)h->sts.max_age, age, r->ace_host,
                               age, TD_HSTS_PRELOAD_MIN_AGE);
        }
        header_evidence(f, h);
        td_ev_int(f, "max_age", h->sts.max_age);
        td_ev_int(f, "minimum", TD_HSTS_PRELOAD_MIN_AGE);
      }
      problems[np++] = h->sts.max_age == 0 ? "max_age_zero" : "max_age_short";
    }
    if (!h->sts.include_subdomains) {
      if (report) {
        f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_NO_INCLUDE_SUBDOMAINS, sev,
                           "the HSTS header lacks includeSubDomains, which "
                           "preloading requires");
        header_evidence(f, h);
      }
      problems[np++] = "no_include_subdomains";
    }
    if (!h->sts.preload) {
      if (report) {
        f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_PRELOAD_DIRECTIVE_MISSING,
                           sev,
                           "the HSTS header lacks the preload directive, "
                           "which preloading requires");
        header_evidence(f, h);
      }
      problems[np++] = "no_preload_directive";
    }
  }
  if (h->header && h->header_count > 1 && np < 5)
    problems[np++] = "multiple_headers";
  if (own && np) {
    /* what hstspreload.org would object to, in words */
    static const char *const say[][2] = {
        {"header_missing", "sends no HSTS header"},
        {"header_invalid", "sends an invalid HSTS header"},
        {"max_age_zero", "says max-age=0"},
        {"max_age_short", "has max-age under one year"},
        {"no_include_subdomains", "lacks includeSubDomains"},
        {"no_preload_directive", "lacks preload"},
        {"multiple_headers", "sends more than one HSTS header"}};
    td_buf_t why;
    td_buf_init(&why);
    for (size_t i = 0; i < np; i++)
      for (size_t k = 0; k < sizeof(say) / sizeof(say[0]); k++)
        if (!strcmp(problems[i], say[k][0]))
          td_buf_printf(&why, "%s%s", i == 0 ? "" : i + 1 < np ? ", " : " and ",
                        say[k][1]);
    f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_PRELOAD_MISMATCH,
                       TLSDIAG_SEVERITY_WARNING,
                       "%s is on the HSTS preload list but %s; "
                       "hstspreload.org may remove it",
                       r->ace_host, why.data ? why.data : "?");
    td_buf_free(&why);
    entry_evidence(f, h);
    td_ev_list(f, "problems", problems, np);
    if (h->header) header_evidence(f, h);
  }
}

/* The list is older than TLSDIAG_HSTS_STALE_DAYS at the check's clock:
 * hosts added since are missing from it (info). */
static void classify_list_age(tlsdiag_result_t *r,
                              const struct td_hsts_report *h) {
  char date[32];
  int64_t days = td_days_between(h->list_date, r->now);
  td_time_iso(h->list_date, date);
  date[10] = 0; /* the day is enough */
  td_finding_t *f;
  if (h->list_source == TLSDIAG_HSTS_SOURCE_BUILTIN)
    f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_LIST_STALE, TLSDIAG_SEVERITY_INFO,
                       "the built-in HSTS preload list is a snapshot of %s, "
                       "%lld days old: hosts preloaded since are missing "
                       "(run `tlsdiag hsts update`)",
                       date, (long long)days);
  else
    f = td_finding_add(r, TLSDIAG_CAUSE_HSTS_LIST_STALE, TLSDIAG_SEVERITY_INFO,
                       "the HSTS preload list%s%s is from %s, %lld days old: "
                       "hosts preloaded since are missing (run `tlsdiag hsts "
                       "update`)",
                       h->list_path ? " " : "",
                       h->list_path ? h->list_path : "", date,
                       (long long)days);
  td_ev_str(f, "source", tlsdiag_hsts_source_name(h->list_source));
  if (h->list_path) td_ev_str(f, "path", h->list_path);
  td_ev_str(f, "date", date);
  td_ev_int(f, "age_days", days);
  td_ev_int(f, "max_days", TLSDIAG_HSTS_STALE_DAYS);
}

/* What the reports say about the list (the result outlives the borrow). */
static void note_list(tlsdiag_result_t *r, struct td_hsts_report *h) {
  const tlsdiag_hsts_t *l = r->hsts_list;
  h->list_given = 1;
  h->list_source = tlsdiag_hsts_source(l);
  h->advice = h->list_source != TLSDIAG_HSTS_SOURCE_BUILTIN;
  h->list_date = tlsdiag_hsts_date(l);
  h->list_entries = tlsdiag_hsts_count(l);
  h->list_path = td_strdup(tlsdiag_hsts_path(l));
  h->list_stale = h->list_date > 0 &&
                  td_days_between(h->list_date, r->now) >
                      TLSDIAG_HSTS_STALE_DAYS;
}

void td_hsts_classify(tlsdiag_result_t *r) {
  if (!r || r->hsts) return;
  struct td_hsts_report *h = calloc(1, sizeof(*h));
  if (!h) return;
  r->hsts = h;
  h->sts.max_age = -1;
  if (r->hsts_list) note_list(r, h);
  /* RFC 6797 8.1.1 and browsers: no HSTS for IP literals */
  if (r->hsts_list && r->ace_host && !r->host_is_ip) {
    const char *entry = NULL;
    h->looked_up = 1;
    h->preloaded = td_hsts_list_find(r->hsts_list, r->ace_host, &entry,
                                     &h->entry_include_subdomains,
                                     &h->entry_exact);
    h->entry = td_strdup(entry);
    if (entry && !h->entry) h->preloaded = h->looked_up = 0; /* no memory */
  }
  h->http_ok = r->phase[TLSDIAG_PHASE_HTTP].status == TLSDIAG_STATUS_OK;
  if (h->http_ok) {
    /* RFC 6797 8.1: only the first header counts */
    for (size_t i = 0; i < r->nheaders; i++) {
      if (!r->headers[i].name ||
          td_strcasecmp(r->headers[i].name, "strict-transport-security"))
        continue;
      if (h->header_count++ == 0) {
        const char *v = r->headers[i].value ? r->headers[i].value : "";
        h->header = td_strdup(v);
        if (!h->header || td_sts_parse(v, strlen(v), &h->sts) != 0) {
          h->http_ok = 0; /* out of memory: say nothing about the header */
          break;
        }
      }
    }
  }
  if (h->looked_up && h->list_stale) classify_list_age(r, h);
  if (h->preloaded) classify_cert(r, h);
  if (h->http_ok && !r->host_is_ip) classify_header(r, h);
}

void td_hsts_report_free(struct td_hsts_report *h) {
  if (!h) return;
  free(h->entry);
  free(h->header);
  free(h->list_path);
  free(h);
}

/* ---- the "hsts" member of the JSON report -------------------------------- */

void td_hsts_json(td_jw_t *w, const char *key, const tlsdiag_result_t *r) {
  const struct td_hsts_report *h = r ? r->hsts : NULL;
  td_jw_obj(w, key);
  if (h && h->list_given) {
    char date[32];
    td_jw_obj(w, "list");
    td_jw_str(w, "source", tlsdiag_hsts_source_name(h->list_source));
    td_jw_str(w, "path", h->list_path);
    if (h->list_date) {
      td_time_iso(h->list_date, date);
      td_jw_str(w, "date", date);
    } else {
      td_jw_null(w, "date");
    }
    td_jw_int(w, "entries", (int64_t)h->list_entries);
    td_jw_bool(w, "stale", h->list_stale);
    td_jw_obj_end(w);
  } else {
    td_jw_null(w, "list");
  }
  if (h && h->looked_up) {
    td_jw_bool(w, "preloaded", h->preloaded);
    td_jw_str(w, "entry", h->entry);
    if (h->entry) {
      td_jw_bool(w, "include_subdomains", h->entry_include_subdomains);
      td_jw_bool(w, "entry_is_host", h->entry_exact);
    } else {
      td_jw_null(w, "include_subdomains");
      td_jw_null(w, "entry_is_host");
    }
  } else {
    td_jw_null(w, "preloaded");
    td_jw_null(w, "entry");
    td_jw_null(w, "include_subdomains");
    td_jw_null(w, "entry_is_host");
  }
  if (h && h->http_ok && h->header) {
    td_jw_obj(w, "header");
    td_jw_str(w, "value", h->header);
    td_jw_bool(w, "valid", h->sts.valid);
    td_jw_str(w, "error", h->sts.error);
    if (h->sts.valid) td_jw_int(w, "max_age", h->sts.max_age);
    else td_jw_null(w, "max_age");
    td_jw_bool(w, "include_subdomains", h->sts.include_subdomains);
    td_jw_bool(w, "preload", h->sts.preload);
    td_jw_int(w, "count", (int64_t)h->header_count);
    td_jw_obj_end(w);
  } else {
    td_jw_null(w, "header");
  }
  td_jw_obj_end(w);
}
