/* preload.h: the HSTS preload eligibility verdict, shared by
 * preload_check.c (the rules) and preload_report.c (getters, text, JSON). */
#ifndef TD_PRELOAD_H
#define TD_PRELOAD_H

#include "internal.h"

typedef enum {
  TD_PR_DOMAIN,
  TD_PR_HTTPS,
  TD_PR_HEADER,
  TD_PR_HTTP_REDIRECTS,
  TD_PR_HTTPS_REDIRECTS,
  TD_PR_WWW,
  TD_PR_REMOVAL,
  TD_PR_STATUS,
  TD_PR_COUNT_
} td_pr_rule_t;

typedef enum {
  TD_PV_SKIPPED = 0, /* not run: an earlier rule stopped the check */
  TD_PV_PASS,
  TD_PV_WARN,
  TD_PV_FAIL,
  TD_PV_INFO         /* removal and status: facts, not requirements */
} td_pr_verdict_t;

typedef struct {
  const char *code;  /* static, hstspreload.org's */
  tlsdiag_severity_t level;
  td_pr_rule_t rule;
  char *message;
} td_pr_issue_t;

struct tlsdiag_preload {
  char *domain;
  td_pr_verdict_t verdict[TD_PR_COUNT_];
  char *evidence[TD_PR_COUNT_];
  td_pr_issue_t *issues;
  size_t nissues;
  char *header;      /* the one STS header over HTTPS, or NULL */
  int removable;
  const char *status; /* "preloaded", "not_listed", "unknown" */
  char *entry;       /* the deciding list entry, or NULL */
  char *http_chain[5], *https_chain[5]; /* redirect targets, in order */
  size_t nhttp, nhttps;
};

const char *td_pr_rule_name(td_pr_rule_t r);
const char *td_pr_verdict_name(td_pr_verdict_t v);

#endif
