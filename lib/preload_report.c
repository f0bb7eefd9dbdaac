/* preload_report.c: reading an HSTS preload verdict (getters), and writing
 * it as text (each rule, its verdict and evidence, then the issues) or as
 * one JSON record ("tlsdiag-preload/1", docs/json-schema.md). */
#include <stdlib.h>
#include <string.h>

#include "preload.h"

#define TD_PRELOAD_SCHEMA "tlsdiag-preload/1"

const char *td_pr_rule_name(td_pr_rule_t r) {
  switch (r) {
  case TD_PR_DOMAIN: return "domain";
  case TD_PR_HTTPS: return "https";
  case TD_PR_HEADER: return "header";
  case TD_PR_HTTP_REDIRECTS: return "http_redirects";
  case TD_PR_HTTPS_REDIRECTS: return "https_redirects";
  case TD_PR_WWW: return "www";
  case TD_PR_REMOVAL: return "removal";
  case TD_PR_STATUS: return "status";
  case TD_PR_COUNT_: break;
  }
  return "unknown";
}

const char *td_pr_verdict_name(td_pr_verdict_t v) {
  switch (v) {
  case TD_PV_SKIPPED: return "skipped";
  case TD_PV_PASS: return "pass";
  case TD_PV_WARN: return "warn";
  case TD_PV_FAIL: return "fail";
  case TD_PV_INFO: return "info";
  }
  return "unknown";
}

void tlsdiag_preload_free(tlsdiag_preload_t *p) {
  if (!p) return;
  free(p->domain);
  for (int i = 0; i < TD_PR_COUNT_; i++) free(p->evidence[i]);
  for (size_t i = 0; i < p->nissues; i++) free(p->issues[i].message);
  free(p->issues);
  free(p->header);
  free(p->entry);
  for (size_t i = 0; i < p->nhttp; i++) free(p->http_chain[i]);
  for (size_t i = 0; i < p->nhttps; i++) free(p->https_chain[i]);
  free(p);
}

int tlsdiag_preload_eligible(const tlsdiag_preload_t *p) {
  if (!p) return 0;
  for (size_t i = 0; i < p->nissues; i++)
    if (p->issues[i].level == TLSDIAG_SEVERITY_ERROR) return 0;
  return 1;
}

const char *tlsdiag_preload_status(const tlsdiag_preload_t *p) {
  return p && p->status ? p->status : "unknown";
}

int tlsdiag_preload_removable(const tlsdiag_preload_t *p) {
  return p ? p->removable : 0;
}

size_t tlsdiag_preload_issue_count(const tlsdiag_preload_t *p) {
  return p ? p->nissues : 0;
}

static const td_pr_issue_t *at(const tlsdiag_preload_t *p, size_t i) {
  return p && i < p->nissues ? &p->issues[i] : NULL;
}

const char *tlsdiag_preload_issue_code(const tlsdiag_preload_t *p, size_t i) {
  return at(p, i) ? at(p, i)->code : NULL;
}

tlsdiag_severity_t tlsdiag_preload_issue_level(const tlsdiag_preload_t *p,
                                               size_t i) {
  return at(p, i) ? at(p, i)->level : TLSDIAG_SEVERITY_INFO;
}

const char *tlsdiag_preload_issue_rule(const tlsdiag_preload_t *p, size_t i) {
  return at(p, i) ? td_pr_rule_name(at(p, i)->rule) : NULL;
}

const char *tlsdiag_preload_issue_message(const tlsdiag_preload_t *p,
                                          size_t i) {
  return at(p, i) ? at(p, i)->message : NULL;
}

/* ---- text --------------------------------------------------------------- */

static void text(td_buf_t *b, const tlsdiag_preload_t *p) {
  int ok = tlsdiag_preload_eligible(p);
  td_buf_printf(b, "%s: %s for the HSTS preload list (hstspreload.org's "
                "rules, checked offline)\n", p->domain,
                ok ? "eligible" : "NOT eligible");
  for (int r = 0; r < TD_PR_COUNT_; r++) {
    td_buf_printf(b, "  %-16s %s", td_pr_rule_name((td_pr_rule_t)r),
                  td_pr_verdict_name(p->verdict[r]));
    if (p->evidence[r])
      td_buf_printf(b, "%*s%s", 8 - (int)strlen(td_pr_verdict_name(
                                        p->verdict[r])), "", p->evidence[r]);
    td_buf_putc(b, '\n');
    for (size_t i = 0; i < p->nissues; i++)
      if (p->issues[i].rule == (td_pr_rule_t)r)
        td_buf_printf(b, "    %s %s: %s\n",
                      tlsdiag_severity_name(p->issues[i].level),
                      p->issues[i].code,
                      p->issues[i].message ? p->issues[i].message : "");
  }
}

/* ---- JSON --------------------------------------------------------------- */

static void chain(td_jw_t *w, const char *key, char *const *c, size_t n) {
  td_jw_arr(w, key);
  for (size_t i = 0; i < n; i++) td_jw_str(w, NULL, c[i]);
  td_jw_arr_end(w);
}

static void json(td_buf_t *b, const tlsdiag_preload_t *p) {
  td_jw_t w;
  td_jw_init(&w, b, 0);
  td_jw_obj(&w, NULL);
  td_jw_str(&w, "schema", TD_PRELOAD_SCHEMA);
  td_jw_obj(&w, "tool");
  td_jw_str(&w, "name", "tlsdiag");
  td_jw_str(&w, "version", tlsdiag_version_str());
  td_jw_obj_end(&w);
  td_jw_str(&w, "domain", p->domain);
  td_jw_bool(&w, "eligible", tlsdiag_preload_eligible(p));
  td_jw_str(&w, "status", tlsdiag_preload_status(p));
  td_jw_str(&w, "entry", p->entry);
  td_jw_str(&w, "header", p->header);
  td_jw_bool(&w, "removable", p->removable);
  chain(&w, "http_redirects", p->http_chain, p->nhttp);
  chain(&w, "https_redirects", p->https_chain, p->nhttps);
  td_jw_arr(&w, "rules");
  for (int r = 0; r < TD_PR_COUNT_; r++) {
    td_jw_obj(&w, NULL);
    td_jw_str(&w, "rule", td_pr_rule_name((td_pr_rule_t)r));
    td_jw_str(&w, "verdict", td_pr_verdict_name(p->verdict[r]));
    td_jw_str(&w, "evidence", p->evidence[r]);
    td_jw_obj_end(&w);
  }
  td_jw_arr_end(&w);
  td_jw_arr(&w, "issues");
  for (size_t i = 0; i < p->nissues; i++) {
    td_jw_obj(&w, NULL);
    td_jw_str(&w, "code", p->issues[i].code);
    td_jw_str(&w, "level", tlsdiag_severity_name(p->issues[i].level));
    td_jw_str(&w, "rule", td_pr_rule_name(p->issues[i].rule));
    td_jw_str(&w, "message", p->issues[i].message);
    td_jw_obj_end(&w);
  }
  td_jw_arr_end(&w);
  td_jw_obj_end(&w);
  td_buf_putc(b, '\n');
}

tlsdiag_err_t tlsdiag_preload_format(const tlsdiag_preload_t *p,
                                     tlsdiag_format_t fmt, char **out,
                                     size_t *len) {
  if (out) *out = NULL;
  if (len) *len = 0;
  if (!p || !out) return TLSDIAG_E_INVAL;
  if (fmt != TLSDIAG_FORMAT_TEXT && fmt != TLSDIAG_FORMAT_JSON)
    return TLSDIAG_E_FORMAT;
  td_buf_t b;
  td_buf_init(&b);
  if (fmt == TLSDIAG_FORMAT_JSON) json(&b, p);
  else text(&b, p);
  size_t n = 0;
  *out = td_buf_steal(&b, &n);
  if (!*out) return TLSDIAG_E_NOMEM;
  if (len) *len = n;
  return TLSDIAG_OK;
}
