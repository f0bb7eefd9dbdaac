/* result.c: building, reading and freeing a tlsdiag_result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

tlsdiag_result_t *td_result_new(void) {
  tlsdiag_result_t *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->tls_alert_num = -1;
  r->bprobe_alert = -1;
  r->tls_first_alert = -1;
  r->tls_leaf_ku = -1;
  for (int i = 0; i < 4; i++) r->probe_alert[i] = -1;
  r->verify.ocsp_status = -1;
  r->anat.ticket_lifetime = -1;
  r->cc.alert_num = -1;
  return r;
}

void td_cert_clear(td_cert_t *c) {
  free(c->subject);
  free(c->issuer);
  free(c->common_name);
  for (size_t i = 0; i < c->nsans; i++) free(c->sans[i].value);
  free(c->sans);
  free(c->serial);
  free(c->key_type);
  free(c->sig_alg);
  free(c->aia_ca_issuers);
  free(c->ocsp_url);
  free(c->sans_text);
  free(c->der);
  memset(c, 0, sizeof(*c));
}

/* One string field of td_cert_copy: 0, or -1 when out of memory. */
static int dup_field(char **dst, const char *src) {
  *dst = NULL;
  if (!src) return 0;
  *dst = td_strdup(src);
  return *dst ? 0 : -1;
}

int td_cert_copy(td_cert_t *dst, const td_cert_t *src) {
  /* the scalars and the fixed-size texts; every pointer is replaced */
  *dst = *src;
  dst->sans = NULL;
  dst->nsans = 0;
  dst->der = NULL;
  int bad = dup_field(&dst->subject, src->subject) |
            dup_field(&dst->issuer, src->issuer) |
            dup_field(&dst->common_name, src->common_name) |
            dup_field(&dst->serial, src->serial) |
            dup_field(&dst->key_type, src->key_type) |
            dup_field(&dst->sig_alg, src->sig_alg) |
            dup_field(&dst->aia_ca_issuers, src->aia_ca_issuers) |
            dup_field(&dst->ocsp_url, src->ocsp_url) |
            dup_field(&dst->sans_text, src->sans_text);
  if (!bad && src->der_len) {
    dst->der = malloc(src->der_len);
    if (dst->der) memcpy(dst->der, src->der, src->der_len);
    else bad = -1;
  }
  if (!bad && src->nsans) {
    dst->sans = calloc(src->nsans, sizeof(*dst->sans));
    if (!dst->sans) bad = -1;
    for (size_t i = 0; !bad && i < src->nsans; i++) {
      dst->sans[i].type = src->sans[i].type;
      bad = dup_field(&dst->sans[i].value, src->sans[i].value);
      dst->nsans = i + 1;
    }
  }
  if (bad) {
    td_cert_clear(dst);
    return -1;
  }
  return 0;
}

static void finding_clear(td_finding_t *f) {
  free(f->message);
  for (size_t i = 0; i < f->nev; i++) {
    td_evidence_t *e = &f->ev[i];
    free(e->key);
    free(e->text);
    for (size_t j = 0; j < e->nlist; j++) free(e->list[j]);
    free(e->list);
  }
  free(f->ev);
}

void tlsdiag_result_free(tlsdiag_result_t *r) {
  if (!r) return;
  free(r->host);
  free(r->ace_host);
  free(r->sni);
  free(r->conn_rule);
  free(r->conn_host);
  free(r->http_method);
  free(r->http_path);
  for (int i = 0; i < TLSDIAG_PHASE_COUNT_; i++) free(r->phase[i].error);
  free(r->dns_server);
  free(r->dns_error);
  for (size_t i = 0; i < r->naddrs; i++) free(r->addrs[i]);
  free(r->addrs);
  free(r->addr_family);
  for (size_t i = 0; i < r->nattempts; i++) free(r->attempts[i].error);
  free(r->attempts);
  free(r->connected_addr);
  free(r->local_addr);
  free(r->tls_version);
  free(r->tls_cipher);
  free(r->trust_source);
  free(r->trust_cafile);
  free(r->trust_capath);
  free(r->tls_kx);
  free(r->tls_group);
  free(r->tls_alpn);
  free(r->h2.frame);
  free(r->h2.error_name);
  free(r->h2.debug);
  free(r->tls_sig_alg);
  free(r->bprobe_error);
  free(r->tls_error_name);
  free(r->tls_error_text);
  free(r->tls_alert);
  for (size_t i = 0; i < r->nchain; i++) td_cert_clear(&r->chain[i]);
  free(r->chain);
  free(r->verify.status_text);
  free(r->verify.strict_text);
  free(r->verify.anchor_subject);
  free(r->verify.ocsp_error);
  free(r->aia.url);
  free(r->aia.error);
  free(r->aia.issuer_subject);
  free(r->aia.issuer_sha256);
  for (int i = 0; i < 4; i++) free(r->probes[i].error);
  free(r->http_request);
  free(r->http_status_line);
  free(r->http_received);
  free(r->http_version);
  for (size_t i = 0; i < r->nheaders; i++) {
    free(r->headers[i].name);
    free(r->headers[i].value);
  }
  free(r->headers);
  for (size_t i = 0; i < r->nfindings; i++) finding_clear(&r->findings[i]);
  free(r->findings);
  for (size_t i = 0; i < r->nevents; i++) {
    free(r->events[i].what);
    free(r->events[i].detail);
  }
  free(r->events);
  td_hsts_report_free(r->hsts);
  free(r->anat.prf_hash);
  free(r->anat.psk_mode);
  free(r->anat.resume_error);
  free(r->anat.ks_rows);
  td_clientcert_seen_free(&r->cc);
  free(r);
}

int td_result_event(tlsdiag_result_t *r, double t_ms, td_dir_t dir,
                    const char *what, const char *detail_fmt, ...) {
  td_event_t *n = realloc(r->events, (r->nevents + 1) * sizeof(*n));
  if (!n) return -1;
  r->events = n;
  td_event_t *e = &n[r->nevents];
  memset(e, 0, sizeof(*e));
  e->t_ms = t_ms;
  e->dir = dir;
  e->what = td_strdup(what);
  if (detail_fmt) {
    va_list ap;
    va_start(ap, detail_fmt);
    e->detail = td_vasprintf(detail_fmt, ap);
    va_end(ap);
  }
  if (!e->what) {
    free(e->detail);
    return -1;
  }
  r->nevents++;
  return 0;
}

int td_result_header(tlsdiag_result_t *r, const char *name, size_t nlen,
                     const char *value, size_t vlen) {
  td_header_t *n = realloc(r->headers, (r->nheaders + 1) * sizeof(*n));
  if (!n) return -1;
  r->headers = n;
  char *k = td_strndup(name, nlen), *v = td_strndup(value, vlen);
  if (!k || !v) {
    free(k);
    free(v);
    return -1;
  }
  n[r->nheaders].name = k;
  n[r->nheaders].value = v;
  r->nheaders++;
  return 0;
}

const char *td_result_header_get(const tlsdiag_result_t *r,
                                 const char *name) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (td_strcasecmp(r->headers[i].name, name) == 0)
      return r->headers[i].value;
  return NULL;
}

void td_findings_truncate(tlsdiag_result_t *r, size_t n) {
  while (r->nfindings > n) finding_clear(&r->findings[--r->nfindings]);
}

td_finding_t *td_finding_add(tlsdiag_result_t *r, tlsdiag_cause_t code,
                             tlsdiag_severity_t sev, const char *fmt, ...) {
  td_finding_t *n = realloc(r->findings, (r->nfindings + 1) * sizeof(*n));
  if (!n) return NULL;
  r->findings = n;
  td_finding_t *f = &n[r->nfindings];
  memset(f, 0, sizeof(*f));
  f->code = code;
  f->severity = sev;
  va_list ap;
  va_start(ap, fmt);
  f->message = td_vasprintf(fmt, ap);
  va_end(ap);
  if (!f->message) return NULL;
  r->nfindings++;
  return f;
}

static td_evidence_t *ev_new(td_finding_t *f, const char *key,
                             td_ev_type_t type) {
  if (!f) return NULL;
  td_evidence_t *n = realloc(f->ev, (f->nev + 1) * sizeof(*n));
  if (!n) return NULL;
  f->ev = n;
  td_evidence_t *e = &n[f->nev];
  memset(e, 0, sizeof(*e));
  e->key = td_strdup(key);
  if (!e->key) return NULL;
  e->type = type;
  f->nev++;
  return e;
}

void td_ev_str(td_finding_t *f, const char *key, const char *value) {
  td_evidence_t *e = ev_new(f, key, TD_EV_STR);
  if (e) e->text = td_strdup(value ? value : "");
}

void td_ev_int(td_finding_t *f, const char *key, int64_t value) {
  td_evidence_t *e = ev_new(f, key, TD_EV_INT);
  if (!e) return;
  e->num = value;
  e->text = td_asprintf("%lld", (long long)value);
}

void td_ev_bool(td_finding_t *f, const char *key, int value) {
  td_evidence_t *e = ev_new(f, key, TD_EV_BOOL);
  if (!e) return;
  e->num = value ? 1 : 0;
  e->text = td_strdup(value ? "true" : "false");
}

void td_ev_time(td_finding_t *f, const char *key, int64_t t) {
  char iso[32];
  td_time_iso(t, iso);
  td_ev_str(f, key, iso);
}

void td_ev_list(td_finding_t *f, const char *key, const char *const *v,
                size_t n) {
  td_evidence_t *e = ev_new(f, key, TD_EV_LIST);
  if (!e) return;
  td_buf_t b;
  td_buf_init(&b);
  e->list = calloc(n ? n : 1, sizeof(char *));
  if (!e->list) return;
  for (size_t i = 0; i < n; i++) {
    e->list[i] = td_strdup(v[i]);
    if (!e->list[i]) break;
    e->nlist++;
    if (i) td_buf_puts(&b, ", ");
    td_buf_puts(&b, v[i]);
  }
  e->text = td_buf_steal(&b, NULL);
}

const td_evidence_t *td_ev_get(const td_finding_t *f, const char *key) {
  for (size_t i = 0; i < f->nev; i++)
    if (strcmp(f->ev[i].key, key) == 0) return &f->ev[i];
  return NULL;
}

/* ---- public accessors ---------------------------------------------------- */

int tlsdiag_result_ok(const tlsdiag_result_t *r) {
  if (!r) return 0;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].severity == TLSDIAG_SEVERITY_ERROR) return 0;
  return 1;
}

tlsdiag_cause_t tlsdiag_result_cause(const tlsdiag_result_t *r) {
  return r ? r->cause : TLSDIAG_CAUSE_OK;
}
const char *tlsdiag_result_host(const tlsdiag_result_t *r) {
  return r ? r->host : NULL;
}
const char *tlsdiag_result_ace_host(const tlsdiag_result_t *r) {
  return r ? r->ace_host : NULL;
}
const char *tlsdiag_result_sni(const tlsdiag_result_t *r) {
  return r ? r->sni : NULL;
}
uint16_t tlsdiag_result_port(const tlsdiag_result_t *r) {
  return r ? r->port : 0;
}

tlsdiag_status_t tlsdiag_result_phase_status(const tlsdiag_result_t *r,
                                             tlsdiag_phase_t p) {
  if (!r || (unsigned)p >= TLSDIAG_PHASE_COUNT_) return TLSDIAG_STATUS_NOT_RUN;
  return r->phase[p].status;
}

double tlsdiag_result_phase_ms(const tlsdiag_result_t *r, tlsdiag_phase_t p) {
  if (!r || (unsigned)p >= TLSDIAG_PHASE_COUNT_) return 0;
  return r->phase[p].ms;
}

size_t tlsdiag_result_address_count(const tlsdiag_result_t *r) {
  return r ? r->naddrs : 0;
}
const char *tlsdiag_result_address(const tlsdiag_result_t *r, size_t i) {
  return r && i < r->naddrs ? r->addrs[i] : NULL;
}
const char *tlsdiag_result_connected_address(const tlsdiag_result_t *r) {
  return r ? r->connected_addr : NULL;
}
const char *tlsdiag_result_tls_version(const tlsdiag_result_t *r) {
  return r ? r->tls_version : NULL;
}
const char *tlsdiag_result_tls_cipher(const tlsdiag_result_t *r) {
  return r ? r->tls_cipher : NULL;
}
const char *tlsdiag_result_tls_group(const tlsdiag_result_t *r) {
  return r ? r->tls_group : NULL;
}
const char *tlsdiag_result_tls_alpn(const tlsdiag_result_t *r) {
  return r ? r->tls_alpn : NULL;
}

size_t tlsdiag_result_finding_count(const tlsdiag_result_t *r) {
  return r ? r->nfindings : 0;
}
tlsdiag_cause_t tlsdiag_result_finding_code(const tlsdiag_result_t *r,
                                            size_t i) {
  return r && i < r->nfindings ? r->findings[i].code : TLSDIAG_CAUSE_OK;
}
tlsdiag_severity_t tlsdiag_result_finding_severity(const tlsdiag_result_t *r,
                                                   size_t i) {
  return r && i < r->nfindings ? r->findings[i].severity
                               : TLSDIAG_SEVERITY_INFO;
}
const char *tlsdiag_result_finding_message(const tlsdiag_result_t *r,
                                           size_t i) {
  return r && i < r->nfindings ? r->findings[i].message : NULL;
}
const char *tlsdiag_result_finding_evidence(const tlsdiag_result_t *r,
                                            size_t i, const char *key) {
  if (!r || i >= r->nfindings || !key) return NULL;
  const td_evidence_t *e = td_ev_get(&r->findings[i], key);
  return e ? e->text : NULL;
}
long tlsdiag_result_find(const tlsdiag_result_t *r, tlsdiag_cause_t code) {
  if (!r) return -1;
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].code == code) return (long)i;
  return -1;
}

size_t tlsdiag_result_chain_length(const tlsdiag_result_t *r) {
  return r ? r->nchain : 0;
}

/* Numeric fields are served from text kept beside them at parse time, so
 * the getter needs no allocation and the result stays immutable. */
const char *tlsdiag_result_cert_field(const tlsdiag_result_t *r, size_t i,
                                      const char *field) {
  if (!r || i >= r->nchain || !field) return NULL;
  const td_cert_t *c = &r->chain[i];
  if (!strcmp(field, "subject")) return c->subject;
  if (!strcmp(field, "issuer")) return c->issuer;
  if (!strcmp(field, "common_name")) return c->common_name;
  if (!strcmp(field, "serial")) return c->serial;
  if (!strcmp(field, "key_type")) return c->key_type;
  if (!strcmp(field, "signature_algorithm")) return c->sig_alg;
  if (!strcmp(field, "sha256_fingerprint")) return c->sha256;
  if (!strcmp(field, "aia_ca_issuers")) return c->aia_ca_issuers;
  if (!strcmp(field, "ocsp_url")) return c->ocsp_url;
  if (!strcmp(field, "not_before")) return c->not_before_iso;
  if (!strcmp(field, "not_after")) return c->not_after_iso;
  if (!strcmp(field, "sans")) return c->sans_text;
  if (!strcmp(field, "key_bits")) return c->key_bits_text;
  if (!strcmp(field, "days_left")) return c->days_left_text;
  return NULL;
}

int tlsdiag_result_http_status(const tlsdiag_result_t *r) {
  return r ? r->http_status : 0;
}
const char *tlsdiag_result_http_header(const tlsdiag_result_t *r,
                                       const char *name) {
  return r && name ? td_result_header_get(r, name) : NULL;
}

void tlsdiag_free(void *p) { free(p); }

tlsdiag_err_t tlsdiag_result_format(const tlsdiag_result_t *r,
                                    tlsdiag_format_t fmt, unsigned flags,
                                    char **out, size_t *len) {
  if (!r || !out) return TLSDIAG_E_INVAL;
  *out = NULL;
  td_buf_t b;
  td_buf_init(&b);
  switch (fmt) {
  case TLSDIAG_FORMAT_TEXT: td_report_text(&b, r, flags); break;
  case TLSDIAG_FORMAT_JSON:
    td_json_result(&b, r, (flags & TLSDIAG_FMT_PRETTY) != 0);
    td_buf_putc(&b, '\n');
    break;
  case TLSDIAG_FORMAT_MERMAID: td_report_mermaid(&b, r); break;
  case TLSDIAG_FORMAT_NAGIOS: td_report_nagios(&b, r); break;
  case TLSDIAG_FORMAT_PROMETHEUS: td_report_prometheus(&b, r); break;
  default: return TLSDIAG_E_FORMAT;
  }
  *out = td_buf_steal(&b, len);
  return *out ? TLSDIAG_OK : TLSDIAG_E_NOMEM;
}

size_t td_chain_path_len(const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (v->done && v->path_complete && (v->path_mask & 1u)) {
    /* The verifier chained these to a trust anchor: a certificate sent
     * after them (a cross-signed root, as AddTrust's in 2020) is extra,
     * even when its subject is the issuer of the one before. */
    size_t n = 0;
    while (n < r->nchain && n < 64 && ((v->path_mask >> n) & 1u)) n++;
    return n;
  }
  size_t n = r->nchain ? 1 : 0;
  for (; n > 0 && n < r->nchain; n++) {
    const td_cert_t *below = &r->chain[n - 1];
    if (below->self_signed || !below->issuer || !r->chain[n].subject ||
        strcmp(below->issuer, r->chain[n].subject) != 0)
      break;
  }
  return n;
}

long td_expiry_index(const tlsdiag_result_t *r, tlsdiag_expiry_t which) {
  if (!r || r->nchain == 0) return -1;
  long best = 0;
  if (which != TLSDIAG_EXPIRY_PATH) return best;
  const td_verify_t *v = &r->verify;
  int verified = v->done && v->path_complete && (v->path_mask & 1u);
  size_t n = verified ? (r->nchain < 64 ? r->nchain : 64) : td_chain_path_len(r);
  for (size_t i = 1; i < n; i++) {
    if (verified && !(v->path_mask & ((uint64_t)1 << i))) continue;
    if (r->chain[i].not_after < r->chain[best].not_after) best = (long)i;
  }
  return best;
}
