/* json.c: JSON writer and escaper; the result as one stable JSON object.
 *
 * Data in, data out: no I/O, clock or globals. Every string that reaches the
 * output goes through td_json_str, so any bytes a server or certificate sent
 * come out as valid UTF-8 JSON. The shape is documented in
 * docs/json-schema.md; keys are written in a fixed order and every key is
 * always present (null when unknown), so consumers can rely on the shape. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define TD_JSON_SCHEMA "tlsdiag/1"

/* ---- escaping ------------------------------------------------------------ */

void td_json_str(td_buf_t *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p = (const unsigned char *)s;
  td_buf_putc(b, '"');
  size_t i = 0;
  while (p && i < n) {
    /* copy the longest run that needs no escaping in one append */
    size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '"' &&
           p[run] != '\\')
      run++;
    if (run > i) {
      td_buf_append(b, p + i, run - i);
      i = run;
      continue;
    }
    unsigned c = p[i];
    if (c < 0x80) {
      char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
      switch (c) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      default: /* other C0 controls and DEL */
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0xF];
        break;
      }
      td_buf_puts(b, esc);
      i++;
      continue;
    }
    uint32_t cp = 0;
    size_t bad = 1;
    size_t len = td_utf8_next(p + i, n - i, &cp, &bad);
    if (!len) {
      td_buf_puts(b, "\xEF\xBF\xBD"); /* U+FFFD */
      i += bad;
    } else if (cp == 0x2028 || cp == 0x2029) {
      /* valid JSON, but line terminators to JavaScript and some viewers */
      td_buf_puts(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
      i += len;
    } else {
      td_buf_append(b, p + i, len);
      i += len;
    }
  }
  td_buf_putc(b, '"');
}

void td_json_cstr(td_buf_t *b, const char *s) {
  if (!s) td_buf_puts(b, "null");
  else td_json_str(b, s, strlen(s));
}

tlsdiag_err_t tlsdiag_json_quote(const char *s, size_t n, char **out,
                                 size_t *len) {
  if (len) *len = 0;
  if (!out) return TLSDIAG_E_INVAL;
  *out = NULL;
  if (!s && n) return TLSDIAG_E_INVAL;
  td_buf_t b;
  td_buf_init(&b);
  td_json_str(&b, s, n);
  size_t l = 0;
  *out = td_buf_steal(&b, &l);
  if (!*out) return TLSDIAG_E_NOMEM;
  if (len) *len = l;
  return TLSDIAG_OK;
}

/* ---- the streaming writer ------------------------------------------------ */

/* One flag is enough to place commas: after a container closes, its parent
 * always has at least that member. */

void td_jw_init(td_jw_t *w, td_buf_t *b, int pretty) {
  w->b = b;
  w->pretty = pretty != 0;
  w->depth = 0;
  w->first = 1;
  w->flat = 0;
}

static void jw_indent(td_jw_t *w) {
  td_buf_putc(w->b, '\n');
  for (int i = 0; i < w->depth; i++) td_buf_puts(w->b, "  ");
}

/* Starts a member: comma, line break and key (NULL inside arrays). */
static void jw_member(td_jw_t *w, const char *key) {
  if (w->depth > 0) {
    if (!w->first) td_buf_putc(w->b, ',');
    if (w->pretty && !w->flat) jw_indent(w);
    else if (w->pretty && !w->first) td_buf_putc(w->b, ' ');
  }
  w->first = 0;
  if (key) {
    td_json_cstr(w->b, key);
    td_buf_puts(w->b, w->pretty ? ": " : ":");
  }
}

static void jw_open(td_jw_t *w, const char *key, char c) {
  jw_member(w, key);
  td_buf_putc(w->b, c);
  w->depth++;
  w->first = 1;
}

static void jw_close(td_jw_t *w, char c) {
  w->depth--;
  if (w->flat > w->depth) w->flat = 0;
  else if (!w->first && w->pretty) jw_indent(w);
  td_buf_putc(w->b, c);
  w->first = 0;
}

void td_jw_obj(td_jw_t *w, const char *key) { jw_open(w, key, '{'); }
void td_jw_obj_end(td_jw_t *w) { jw_close(w, '}'); }
void td_jw_arr(td_jw_t *w, const char *key) { jw_open(w, key, '['); }
void td_jw_arr_end(td_jw_t *w) { jw_close(w, ']'); }

void td_jw_arr_flat(td_jw_t *w, const char *key) {
  td_jw_arr(w, key);
  if (!w->flat) w->flat = w->depth;
}

void td_jw_null(td_jw_t *w, const char *key) {
  jw_member(w, key);
  td_buf_puts(w->b, "null");
}

void td_jw_str(td_jw_t *w, const char *key, const char *s) {
  jw_member(w, key);
  td_json_cstr(w->b, s);
}

void td_jw_strn(td_jw_t *w, const char *key, const char *s, size_t n) {
  jw_member(w, key);
  td_json_str(w->b, s, n);
}

void td_jw_str_ne(td_jw_t *w, const char *key, const char *s) {
  td_jw_str(w, key, s && *s ? s : NULL);
}

void td_jw_int(td_jw_t *w, const char *key, int64_t v) {
  jw_member(w, key);
  td_buf_printf(w->b, "%lld", (long long)v);
}

void td_jw_bool(td_jw_t *w, const char *key, int v) {
  jw_member(w, key);
  td_buf_puts(w->b, v ? "true" : "false");
}

void td_jw_ms(td_jw_t *w, const char *key, double v) {
  jw_member(w, key);
  if (!isfinite(v)) td_buf_puts(w->b, "null");
  else td_buf_printf(w->b, "%.3f", v);
}

void td_jw_time(td_jw_t *w, const char *key, int64_t t) {
  if (!t) {
    td_jw_null(w, key);
    return;
  }
  char iso[32];
  td_time_iso(t, iso);
  td_jw_str(w, key, iso);
}

/* ---- names --------------------------------------------------------------- */

static const char *dir_name(td_dir_t d) {
  switch (d) {
  case TD_DIR_LOCAL: return "local";
  case TD_DIR_C2S: return "c2s";
  case TD_DIR_S2C: return "s2c";
  case TD_DIR_C2DNS: return "c2dns";
  case TD_DIR_DNS2C: return "dns2c";
  }
  return "local";
}

static const char *family_name(int family, const char *addr) {
  if (family == AF_INET) return "ipv4";
  if (family == AF_INET6) return "ipv6";
  if (!addr) return NULL;
  return strchr(addr, ':') ? "ipv6" : "ipv4";
}

static const char *ocsp_name(int s) {
  switch (s) {
  case 0: return "good";
  case 1: return "revoked";
  case 2: return "unknown";
  case 3: return "invalid";
  default: return "none";
  }
}

static const char *san_type_name(td_san_type_t t) {
  switch (t) {
  case TD_SAN_DNS: return "dns";
  case TD_SAN_IP: return "ip";
  case TD_SAN_OTHER: return "other";
  }
  return "other";
}

/* ---- sections ------------------------------------------------------------ */

static const char *root_message(const tlsdiag_result_t *r) {
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].code == r->cause && r->findings[i].message)
      return r->findings[i].message;
  return tlsdiag_cause_description(r->cause);
}

static void write_target(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_obj(w, "target");
  td_jw_str(w, "host", r->host);
  td_jw_str(w, "ace", r->ace_host);
  td_jw_int(w, "port", r->port);
  td_jw_str_ne(w, "sni", r->sni);
  td_jw_bool(w, "ip_literal", r->host_is_ip);
  /* where the bytes went when a connect_to rule moved them */
  if (r->conn_rule) {
    td_jw_obj(w, "connect_to");
    td_jw_str(w, "rule", r->conn_rule);
    td_jw_str(w, "host", r->conn_host ? r->conn_host : r->ace_host);
    td_jw_int(w, "port", td_conn_port(r));
    td_jw_obj_end(w);
  } else {
    td_jw_null(w, "connect_to");
  }
  td_jw_obj_end(w);
}

static void write_options(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_obj(w, "options");
  td_jw_str(w, "tls_min", td_tls_version_name(r->tls_min));
  td_jw_str(w, "tls_max", td_tls_version_name(r->tls_max));
  td_jw_int(w, "warn_days", r->warn_days);
  td_jw_int(w, "clock_skew_s", r->clock_skew_s);
  td_jw_obj_end(w);
}

static void write_time(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_obj(w, "time");
  td_jw_time(w, "now", r->now);
  td_jw_bool(w, "clock_override", r->clock_overridden);
  td_jw_time(w, "started", r->started_wall);
  td_jw_obj_end(w);
}

static void write_evidence(td_jw_t *w, const td_evidence_t *e) {
  switch (e->type) {
  case TD_EV_INT: td_jw_int(w, e->key, e->num); break;
  case TD_EV_BOOL: td_jw_bool(w, e->key, e->num != 0); break;
  case TD_EV_LIST:
    td_jw_arr(w, e->key);
    for (size_t i = 0; i < e->nlist; i++) td_jw_str(w, NULL, e->list[i]);
    td_jw_arr_end(w);
    break;
  case TD_EV_STR:
  default: td_jw_str(w, e->key, e->text); break;
  }
}

static void write_findings(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_arr(w, "findings");
  for (size_t i = 0; i < r->nfindings; i++) {
    const td_finding_t *f = &r->findings[i];
    td_jw_obj(w, NULL);
    td_jw_str(w, "code", tlsdiag_cause_name(f->code));
    td_jw_str(w, "severity", tlsdiag_severity_name(f->severity));
    td_jw_str(w, "message", f->message);
    td_jw_obj(w, "evidence");
    for (size_t j = 0; j < f->nev; j++) {
      /* a key written twice would make the object ambiguous: first wins,
       * as in td_ev_get */
      int dup = 0;
      for (size_t k = 0; k < j && !dup; k++)
        dup = strcmp(f->ev[k].key, f->ev[j].key) == 0;
      if (!dup) write_evidence(w, &f->ev[j]);
    }
    td_jw_obj_end(w);
    td_jw_obj_end(w);
  }
  td_jw_arr_end(w);
}

static void phase_head(td_jw_t *w, const tlsdiag_result_t *r, tlsdiag_phase_t p) {
  const td_phase_t *ph = &r->phase[p];
  td_jw_obj(w, tlsdiag_phase_name(p));
  td_jw_str(w, "status", tlsdiag_status_name(ph->status));
  td_jw_ms(w, "start_ms", ph->start_ms);
  td_jw_ms(w, "ms", ph->ms);
  td_jw_str(w, "error", ph->error);
}

static void write_phases(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_obj(w, "phases");

  phase_head(w, r, TLSDIAG_PHASE_DNS);
  td_jw_str(w, "server", r->dns_server);
  td_jw_bool(w, "pinned", r->dns_pinned);
  td_jw_arr(w, "addresses");
  for (size_t i = 0; i < r->naddrs; i++) {
    td_jw_obj(w, NULL);
    td_jw_str(w, "address", r->addrs[i]);
    td_jw_str(w, "family",
           family_name(r->addr_family ? r->addr_family[i] : 0, r->addrs[i]));
    td_jw_obj_end(w);
  }
  td_jw_arr_end(w);
  td_jw_int(w, "ares_status", r->dns_status);
  td_jw_str(w, "ares_error", r->dns_error);
  td_jw_obj_end(w);

  phase_head(w, r, TLSDIAG_PHASE_TCP);
  td_jw_str(w, "connected", r->connected_addr);
  td_jw_str(w, "local", r->local_addr);
  long winner = -1;
  for (size_t i = 0; i < r->nattempts; i++)
    if (r->attempts[i].status == TLSDIAG_STATUS_OK) winner = (long)i;
  if (winner >= 0) td_jw_int(w, "winner", winner);
  else td_jw_null(w, "winner");
  td_jw_int(w, "attempt_delay_ms", r->race_delay_ms);
  td_jw_arr(w, "attempts");
  for (size_t i = 0; i < r->nattempts; i++) {
    const td_attempt_t *a = &r->attempts[i];
    td_jw_obj(w, NULL);
    td_jw_str(w, "address", a->addr);
    td_jw_str(w, "family", family_name(a->family, a->addr));
    td_jw_str(w, "status",
              a->abandoned ? "abandoned" : tlsdiag_status_name(a->status));
    td_jw_ms(w, "started_ms", a->started_ms);
    td_jw_ms(w, "ms", a->ms);
    td_jw_int(w, "errno", a->err);
    td_jw_str(w, "error", a->error);
    td_jw_obj_end(w);
  }
  td_jw_arr_end(w);
  td_jw_obj_end(w);

  phase_head(w, r, TLSDIAG_PHASE_TLS);
  if (r->tls_error || r->tls_error_name || r->tls_error_text) {
    td_jw_obj(w, "gnutls_error");
    td_jw_int(w, "code", r->tls_error);
    td_jw_str(w, "name", r->tls_error_name);
    td_jw_str(w, "text", r->tls_error_text);
    td_jw_obj_end(w);
  } else {
    td_jw_null(w, "gnutls_error");
  }
  td_jw_obj_end(w);

  phase_head(w, r, TLSDIAG_PHASE_HTTP);
  td_jw_int(w, "head_bytes", (int64_t)r->http_head_bytes);
  td_jw_obj_end(w);

  td_jw_obj_end(w);
}

static void write_verify(td_jw_t *w, const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->done) {
    td_jw_null(w, "verify");
    return;
  }
  /* Each part apart, and "trusted" only when every part holds: GnuTLS's
   * own "trusted" ignores the dates (we disable its time checks). */
  td_verdict_t vd = td_verify_verdict(r);
  td_jw_obj(w, "verify");
  td_jw_int(w, "status", v->status);
  td_jw_str(w, "text", v->status ? v->status_text : NULL);
  td_jw_bool(w, "trusted", vd.trusted);
  td_jw_bool(w, "chain_to_root", vd.chain_to_root);
  td_jw_bool(w, "name_ok", vd.name_ok);
  td_jw_bool(w, "dates_ok", vd.dates_ok);
  td_jw_time(w, "judged_at", r->now);
  td_jw_bool(w, "issuer_missing", v->issuer_missing);
  td_jw_bool(w, "chain_ends_in_root", v->chain_ends_in_root);
  td_jw_str(w, "ocsp", ocsp_name(v->ocsp_status));
  td_jw_str(w, "ocsp_error", v->ocsp_error);
  td_jw_time(w, "ocsp_this_update", v->ocsp_this_update);
  td_jw_time(w, "ocsp_next_update", v->ocsp_next_update);
  td_jw_time(w, "ocsp_revoked_at", v->ocsp_revoked_at);
  /* The two verdicts (dates apart): tlsdiag's path building, and
   * GnuTLS's verification of the chain as sent. */
  int browser = td_browser_ok(r);
  td_jw_obj(w, "browser");
  td_jw_bool(w, "ok", browser);
  td_jw_str(w, "reason", browser ? NULL
                         : r->nfindings ? r->findings[0].message
                                        : v->status_text);
  td_jw_obj_end(w);
  if (v->strict_done) {
    td_jw_obj(w, "strict");
    td_jw_bool(w, "ok", v->strict_ok);
    td_jw_str(w, "reason", v->strict_ok ? NULL : v->strict_text);
    td_jw_int(w, "status", v->strict_status);
    td_jw_obj_end(w);
  } else {
    td_jw_null(w, "strict");
  }
  td_jw_obj_end(w);
}

/* The trust store the chain was verified against (null when none was
 * loaded, as for tlsdiag_verify with explicit anchors). */
static void write_trust_store(td_jw_t *w, const tlsdiag_result_t *r) {
  if (!r->trust_kind) {
    td_jw_null(w, "trust_store");
    return;
  }
  td_jw_obj(w, "trust_store");
  td_jw_str(w, "kind", r->trust_kind);
  td_jw_str(w, "source", r->trust_source);
  td_jw_str(w, "file", r->trust_cafile);
  td_jw_str(w, "dir", r->trust_capath);
  if (r->trust_roots < 0) td_jw_null(w, "roots"); /* never loaded */
  else td_jw_int(w, "roots", r->trust_roots);
  td_jw_obj_end(w);
}

static void write_tls(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_obj(w, "tls");
  td_jw_str(w, "version", r->tls_version);
  td_jw_str(w, "cipher", r->tls_cipher);
  td_jw_str(w, "kx", r->tls_kx);
  td_jw_str(w, "group", r->tls_group);
  td_jw_str(w, "alpn", r->tls_alpn);
  td_jw_str(w, "signature", r->tls_sig_alg);
  td_jw_bool(w, "ocsp_stapled", r->ocsp_stapled);
  td_jw_bool(w, "session_ticket", r->session_ticket);
  td_jw_bool(w, "resumed", r->resumed);
  td_jw_str(w, "alert", r->tls_alert);
  if (r->tls_alert && r->tls_alert_num >= 0)
    td_jw_int(w, "alert_number", r->tls_alert_num);
  else td_jw_null(w, "alert_number");
  write_verify(w, r);
  if (!r->probed) {
    td_jw_null(w, "probes");
  } else {
    td_jw_arr(w, "probes");
    for (int i = 0; i < 4; i++) {
      const td_probe_t *p = &r->probes[i];
      if (!p->ran) continue;
      const char *name = td_tls_version_name(p->version);
      td_jw_obj(w, NULL);
      td_jw_str(w, "version",
             name ? name : td_tls_version_name((tlsdiag_tls_version_t)(10 + i)));
      td_jw_bool(w, "accepted", p->accepted);
      td_jw_str(w, "error", p->error);
      td_jw_obj_end(w);
    }
    td_jw_arr_end(w);
  }
  write_trust_store(w, r);
  td_jw_obj_end(w);
}

static void write_cert(td_jw_t *w, const tlsdiag_result_t *r, const td_cert_t *c) {
  td_jw_obj(w, NULL);
  td_jw_str(w, "subject", c->subject);
  td_jw_str(w, "issuer", c->issuer);
  td_jw_str(w, "common_name", c->common_name);
  td_jw_arr(w, "sans");
  for (size_t i = 0; i < c->nsans; i++) {
    td_jw_obj(w, NULL);
    td_jw_str(w, "type", san_type_name(c->sans[i].type));
    td_jw_str(w, "value", c->sans[i].value);
    td_jw_obj_end(w);
  }
  td_jw_arr_end(w);
  td_jw_str(w, "serial", c->serial);
  if (c->not_before_iso[0]) td_jw_str(w, "not_before", c->not_before_iso);
  else td_jw_time(w, "not_before", c->not_before);
  if (c->not_after_iso[0]) td_jw_str(w, "not_after", c->not_after_iso);
  else td_jw_time(w, "not_after", c->not_after);
  if (c->days_left_text[0]) td_jw_int(w, "days_left", c->days_left);
  else if (r->now && c->not_after)
    td_jw_int(w, "days_left", td_days_between(r->now, c->not_after));
  else td_jw_null(w, "days_left");
  td_jw_str(w, "key_type", c->key_type);
  if (c->key_bits) td_jw_int(w, "key_bits", c->key_bits);
  else td_jw_null(w, "key_bits");
  td_jw_str(w, "signature_algorithm", c->sig_alg);
  td_jw_bool(w, "weak_signature", c->sig_weak);
  td_jw_str_ne(w, "sha256_fingerprint", c->sha256);
  td_jw_bool(w, "is_ca", c->is_ca);
  td_jw_bool(w, "self_issued", c->self_issued);
  td_jw_bool(w, "self_signed", c->self_signed);
  td_jw_str(w, "aia_ca_issuers", c->aia_ca_issuers);
  td_jw_str(w, "ocsp_url", c->ocsp_url);
  td_jw_obj_end(w);
}

static void write_chain(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_arr(w, "chain");
  for (size_t i = 0; i < r->nchain; i++) write_cert(w, r, &r->chain[i]);
  td_jw_arr_end(w);
}

static void expiry_cert(td_jw_t *w, const char *key,
                        const tlsdiag_result_t *r, long i) {
  const td_cert_t *c = &r->chain[i];
  td_jw_obj(w, key);
  td_jw_int(w, "chain_index", i);
  td_jw_str(w, "subject", c->subject);
  td_jw_str(w, "common_name", c->common_name);
  td_jw_time(w, "not_after", c->not_after);
  if (r->now && c->not_after)
    td_jw_int(w, "days_left", td_days_between(r->now, c->not_after));
  else td_jw_null(w, "days_left");
  td_jw_obj_end(w);
}

/* The leaf's expiry and the earliest on the verified path (what a monitor
 * should alert on: an intermediate can expire first, and an extra
 * certificate the server sends besides the path must not, as AddTrust's
 * did in 2020); null without a certificate. */
static void write_expiry(td_jw_t *w, const tlsdiag_result_t *r) {
  long e = td_expiry_index(r, TLSDIAG_EXPIRY_PATH);
  if (e < 0) {
    td_jw_null(w, "expiry");
    return;
  }
  const td_verify_t *v = &r->verify;
  size_t n = 0;
  if (v->done && v->path_complete) {
    for (size_t i = 0; i < r->nchain && i < 64; i++)
      n += (v->path_mask >> i) & 1u;
  } else {
    n = td_chain_path_len(r);
  }
  td_jw_obj(w, "expiry");
  expiry_cert(w, "leaf", r, 0);
  expiry_cert(w, "earliest", r, e);
  td_jw_int(w, "path_length", (int64_t)(n ? n : 1));
  td_jw_bool(w, "verified_path", v->done && v->path_complete);
  td_jw_obj_end(w);
}

/* The headers a diagnosis usually needs, under fixed lowercase keys. */
static const char *const key_headers[] = {"strict-transport-security", "date",
                                          "location", "server"};

static void write_http(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_obj(w, "http");
  td_jw_str(w, "method", r->http_method);
  td_jw_str(w, "path", r->http_path);
  td_jw_str(w, "request", r->http_request);
  if (r->http_status) td_jw_int(w, "status", r->http_status);
  else td_jw_null(w, "status");
  td_jw_str(w, "status_line", r->http_status_line);
  td_jw_str(w, "version", r->http_version);
  if (r->http_head_status) td_jw_int(w, "head_status", r->http_head_status);
  else td_jw_null(w, "head_status");
  td_jw_obj(w, "headers");
  for (size_t i = 0; i < sizeof(key_headers) / sizeof(key_headers[0]); i++)
    td_jw_str(w, key_headers[i], td_result_header_get(r, key_headers[i]));
  td_jw_obj_end(w);
  td_jw_arr(w, "all_headers");
  for (size_t i = 0; i < r->nheaders; i++) {
    td_jw_arr_flat(w, NULL);
    td_jw_str(w, NULL, r->headers[i].name);
    td_jw_str(w, NULL, r->headers[i].value);
    td_jw_arr_end(w);
  }
  td_jw_arr_end(w);
  td_jw_time(w, "date", r->http_date);
  if (r->http_date && r->http_date_received)
    td_jw_int(w, "server_clock_offset_s", r->http_date - r->http_date_received);
  else td_jw_null(w, "server_clock_offset_s");
  td_jw_obj_end(w);
}

static void write_timeline(td_jw_t *w, const tlsdiag_result_t *r) {
  td_jw_arr(w, "timeline");
  for (size_t i = 0; i < r->nevents; i++) {
    const td_event_t *e = &r->events[i];
    td_jw_obj(w, NULL);
    td_jw_ms(w, "t_ms", e->t_ms);
    td_jw_str(w, "dir", dir_name(e->dir));
    td_jw_str(w, "what", e->what);
    td_jw_str(w, "detail", e->detail);
    td_jw_obj_end(w);
  }
  td_jw_arr_end(w);
}

void td_json_result(td_buf_t *b, const tlsdiag_result_t *r, int pretty) {
  td_jw_t w;
  td_jw_init(&w, b, pretty);
  if (!r) {
    td_buf_puts(b, "null");
    return;
  }
  td_jw_obj(&w, NULL);
  td_jw_str(&w, "schema", TD_JSON_SCHEMA);
  td_jw_obj(&w, "tool");
  td_jw_str(&w, "name", "tlsdiag");
  td_jw_str(&w, "version", tlsdiag_version_str());
  td_jw_obj_end(&w);
  write_target(&w, r);
  write_options(&w, r);
  write_time(&w, r);
  td_jw_bool(&w, "ok", tlsdiag_result_ok(r));
  td_jw_str(&w, "cause", tlsdiag_cause_name(r->cause));
  td_jw_str(&w, "message", root_message(r));
  write_findings(&w, r);
  write_phases(&w, r);
  write_tls(&w, r);
  write_chain(&w, r);
  write_expiry(&w, r);
  write_http(&w, r);
  td_hsts_json(&w, "hsts", r);
  td_anatomy_json(&w, "anatomy", r);
  td_key_schedule_json(&w, "key_schedule", r);
  write_timeline(&w, r);
  td_jw_ms(&w, "total_ms", r->total_ms);
  td_jw_ms(&w, "queued_ms", r->queued_ms);
  td_jw_obj_end(&w);
}
