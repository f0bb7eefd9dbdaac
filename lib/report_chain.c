/* report_chain.c: the certificates section of the text report: one line
 * per certificate (subject, issuer, expiry, key, signature), or every
 * field when verbose. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* The value of the first CN attribute of an RFC 4514 name, unescaped, or
 * the whole name when it has none. */
static void put_dn_cn(tw_t *w, const char *dn) {
  if (!dn) {
    safe(w, NULL);
    return;
  }
  const char *p = dn;
  while (*p) {
    while (*p == ' ') p++;
    if (tolower((unsigned char)p[0]) == 'c' &&
        tolower((unsigned char)p[1]) == 'n' && p[2] == '=') {
      td_buf_t v;
      td_buf_init(&v);
      for (p += 3; *p && *p != ',' && *p != '+'; p++) {
        if (*p == '\\' && p[1]) {
          p++;
          if (isxdigit((unsigned char)p[0]) && isxdigit((unsigned char)p[1])) {
            char hx[3] = {p[0], p[1], 0};
            td_buf_putc(&v, (char)strtol(hx, NULL, 16));
            p++;
          } else {
            td_buf_putc(&v, *p);
          }
        } else {
          td_buf_putc(&v, *p);
        }
      }
      safe(w, v.data ? v.data : "");
      td_buf_free(&v);
      return;
    }
    /* next attribute: skip to an unescaped ',' or '+' */
    for (; *p && *p != ',' && *p != '+'; p++)
      if (*p == '\\' && p[1]) p++;
    if (*p) p++;
  }
  safe(w, dn);
}

static const char *cert_cn(const td_cert_t *c) {
  return c->common_name ? c->common_name : c->subject;
}

static int cert_days(const tlsdiag_result_t *r, const td_cert_t *c,
                     int64_t *days) {
  if (c->days_left_text[0]) {
    *days = c->days_left;
    return 1;
  }
  if (r->now && c->not_after) {
    *days = td_days_between(r->now, c->not_after);
    return 1;
  }
  return 0;
}

/* "89 days left"; past dates as "expired 10 days ago", or in the one-line
 * chain view (where the date sits right before it) just "10 days ago". */
static void put_days(tw_t *w, const tlsdiag_result_t *r, int64_t d, int terse) {
  int warn = r->warn_days > 0 ? r->warn_days : 30;
  if (d < warn) sgr(w, d < 0 ? ANSI_RED : ANSI_YELLOW);
  if (d < 0)
    td_buf_printf(w->b, "%s%lld day%s ago", terse ? "" : "expired ",
                  (long long)-d, d == -1 ? "" : "s");
  else td_buf_printf(w->b, "%lld day%s left", (long long)d, d == 1 ? "" : "s");
  if (d < warn) sgr(w, ANSI_RESET);
}


static void put_date(tw_t *w, const char *iso, int64_t t, int date_only) {
  char tmp[32];
  if (!iso || !iso[0]) {
    if (!t) {
      td_buf_puts(w->b, "?");
      return;
    }
    td_time_iso(t, tmp);
    iso = tmp;
  }
  if (date_only && strlen(iso) >= 10) td_buf_append(w->b, iso, 10);
  else td_buf_puts(w->b, iso);
}

/* "  [i] CN" in bold. */
static void cert_title(tw_t *w, const td_cert_t *c, size_t i) {
  td_buf_printf(w->b, "  [%zu] ", i);
  sgr(w, ANSI_BOLD);
  safe(w, cert_cn(c));
  sgr(w, ANSI_RESET);
}

/* " (89 days left)" when the days are known. */
static void put_days_left(tw_t *w, const tlsdiag_result_t *r,
                          const td_cert_t *c, int terse) {
  int64_t days;
  if (!cert_days(r, c, &days)) return;
  td_buf_puts(w->b, " (");
  put_days(w, r, days, terse);
  td_buf_putc(w->b, ')');
}

/* The signature algorithm, " (weak)" in red when it is. */
static void put_sig(tw_t *w, const td_cert_t *c) {
  safe(w, c->sig_alg);
  if (c->sig_weak) {
    sgr(w, ANSI_RED);
    td_buf_puts(w->b, " (weak)");
    sgr(w, ANSI_RESET);
  }
}

static void cert_line(tw_t *w, const tlsdiag_result_t *r, size_t i) {
  const td_cert_t *c = &r->chain[i];
  cert_title(w, c, i);
  td_buf_puts(w->b, " ← ");
  put_dn_cn(w, c->issuer);
  td_buf_puts(w->b, "  ");
  put_date(w, c->not_after_iso, c->not_after, 1);
  put_days_left(w, r, c, 1);
  td_buf_puts(w->b, "  ");
  safe(w, c->key_type);
  if (c->key_bits) td_buf_printf(w->b, "-%u", c->key_bits);
  td_buf_puts(w->b, "  ");
  put_sig(w, c);
  td_buf_putc(w->b, '\n');
}

static void cert_kv(tw_t *w, const char *k, const char *v) {
  td_buf_puts(w->b, "     ");
  pad(w, k, KEY_WIDTH);
  safe(w, v);
  td_buf_putc(w->b, '\n');
}

static void cert_full(tw_t *w, const tlsdiag_result_t *r, size_t i) {
  const td_cert_t *c = &r->chain[i];
  cert_title(w, c, i);
  td_buf_putc(w->b, '\n');
  cert_kv(w, "subject", c->subject);
  cert_kv(w, "issuer", c->issuer);
  td_buf_puts(w->b, "     ");
  pad(w, "SANs", KEY_WIDTH);
  if (!c->nsans) td_buf_puts(w->b, "(none)");
  for (size_t j = 0; j < c->nsans; j++) {
    if (j) td_buf_puts(w->b, ", ");
    td_buf_puts(w->b, c->sans[j].type == TD_SAN_DNS  ? "DNS:"
                      : c->sans[j].type == TD_SAN_IP ? "IP:"
                                                     : "");
    safe(w, c->sans[j].value);
  }
  td_buf_putc(w->b, '\n');
  cert_kv(w, "serial", c->serial);
  td_buf_puts(w->b, "     ");
  pad(w, "valid", KEY_WIDTH);
  put_date(w, c->not_before_iso, c->not_before, 0);
  td_buf_puts(w->b, " → ");
  put_date(w, c->not_after_iso, c->not_after, 0);
  put_days_left(w, r, c, 0);
  td_buf_putc(w->b, '\n');
  td_buf_puts(w->b, "     ");
  pad(w, "key", KEY_WIDTH);
  safe(w, c->key_type);
  if (c->key_bits) td_buf_printf(w->b, " %u bits", c->key_bits);
  td_buf_putc(w->b, '\n');
  td_buf_puts(w->b, "     ");
  pad(w, "signature", KEY_WIDTH);
  put_sig(w, c);
  td_buf_putc(w->b, '\n');
  cert_kv(w, "sha256", c->sha256[0] ? c->sha256 : NULL);
  td_buf_puts(w->b, "     ");
  pad(w, "flags", KEY_WIDTH);
  td_buf_puts(w->b, c->is_ca ? "CA" : "end-entity");
  if (c->self_signed) td_buf_puts(w->b, ", self-signed");
  else if (c->self_issued) td_buf_puts(w->b, ", self-issued");
  td_buf_putc(w->b, '\n');
  if (c->aia_ca_issuers) cert_kv(w, "CA issuers", c->aia_ca_issuers);
  if (c->ocsp_url) cert_kv(w, "OCSP", c->ocsp_url);
}

void td_report_chain(tw_t *w, const tlsdiag_result_t *r) {
  if (!r->nchain) {
    if (!td_report_ran(&r->phase[TLSDIAG_PHASE_TLS])) return;
    heading(w, "Certificates");
    td_buf_puts(w->b, "  none received\n");
    return;
  }
  td_buf_t t;
  td_buf_init(&t);
  td_buf_printf(&t, r->offline ? "Certificates (%zu: the path built, then the rest given)"
                              : "Certificates (%zu sent by the server)",
                r->nchain);
  heading(w, t.data ? t.data : "Certificates");
  td_buf_free(&t);
  for (size_t i = 0; i < r->nchain; i++) {
    if (w->flags & TLSDIAG_FMT_VERBOSE) cert_full(w, r, i);
    else cert_line(w, r, i);
  }
}
