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

/* ---- a small streaming writer -------------------------------------------- */

/* One flag is enough to place commas: after a container closes, its parent
 * always has at least that member. */
typedef struct {
  td_buf_t *b;
  int pretty;
  int depth;
  int first; /* nothing written yet in the innermost open container */
  int flat;  /* depth of a container kept on one line in pretty mode, or 0 */
} jw_t;

static void jw_indent(jw_t *w) {
  td_buf_putc(w->b, '\n');
  for (int i = 0; i < w->depth; i++) td_buf_puts(w->b, "  ");
}

/* Starts a member: comma, line break and key (NULL inside arrays). */
static void jw_member(jw_t *w, const char *key) {
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

static void jw_open(jw_t *w, const char *key, char c) {
  jw_member(w, key);
  td_buf_putc(w->b, c);
  w->depth++;
  w->first = 1;
}

static void jw_close(jw_t *w, char c) {
  w->depth--;
  if (w->flat > w->depth) w->flat = 0;
  else if (!w->first && w->pretty) jw_indent(w);
  td_buf_putc(w->b, c);
  w->first = 0;
}

/* A member whose value another module rendered as compact JSON (the
 * anatomy, the key schedule): re-indented in pretty mode. */
static void jw_raw(jw_t *w, const char *key, const td_buf_t *raw) {
  jw_member(w, key);
  const char *p = raw->data ? raw->data : "null";
  size_t n = raw->data ? raw->len : 4;
  if (!w->pretty) {
    td_buf_append(w->b, p, n);
    return;
  }
  int depth = w->depth, in_str = 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    td_buf_putc(w->b, c);
    if (in_str) {
      if (c == '\\' && i + 1 < n) td_buf_putc(w->b, p[++i]);
      else if (c == '"') in_str = 0;
      continue;
    }
    if (c == '"') {
      in_str = 1;
    } else if (c == '{' || c == '[') {
      if (i + 1 < n && (p[i + 1] == '}' || p[i + 1] == ']')) continue;
      depth++;
      td_buf_putc(w->b, '\n');
      for (int k = 0; k < depth; k++) td_buf_puts(w->b, "  ");
    } else if (c == ',') {
      td_buf_putc(w->b, '\n');
      for (int k = 0; k < depth; k++) td_buf_puts(w->b, "  ");
    } else if (c == ':') {
      td_buf_putc(w->b, ' ');
    }
    if (i + 1 < n && (p[i + 1] == '}' || p[i + 1] == ']') &&
        !(c == '{' || c == '[')) {
      depth--;
      td_buf_putc(w->b, '\n');
      for (int k = 0; k < depth; k++) td_buf_puts(w->b, "  ");
    }
  }
}

static void jw_obj(jw_t *w, const char *key) { jw_open(w, key, '{'); }
static void jw_obj_end(jw_t *w) { jw_close(w, '}'); }
static void jw_arr(jw_t *w, const char *key) { jw_open(w, key, '['); }
static void jw_arr_end(jw_t *w) { jw_close(w, ']'); }

/* An array of a few scalars, kept on one line when pretty: ["a", "b"]. */
static void jw_arr_flat(jw_t *w, const char *key) {
  jw_arr(w, key);
  if (!w->flat) w->flat = w->depth;
}

static void jw_null(jw_t *w, const char *key) {
  jw_member(w, key);
  td_buf_puts(w->b, "null");
}

static void jw_str(jw_t *w, const char *key, const char *s) {
  jw_member(w, key);
  td_json_cstr(w->b, s);
}

/* Empty strings mean "none" in several result fields. */
static void jw_str_ne(jw_t *w, const char *key, const char *s) {
  jw_str(w, key, s && *s ? s : NULL);
}

static void jw_int(jw_t *w, const char *key, int64_t v) {
  jw_member(w, key);
  td_buf_printf(w->b, "%lld", (long long)v);
}

static void jw_bool(jw_t *w, const char *key, int v) {
  jw_member(w, key);
  td_buf_puts(w->b, v ? "true" : "false");
}

/* Milliseconds with 3 decimals; JSON has no NaN or Infinity. */
static void jw_ms(jw_t *w, const char *key, double v) {
  jw_member(w, key);
  if (!isfinite(v)) td_buf_puts(w->b, "null");
  else td_buf_printf(w->b, "%.3f", v);
}

/* ISO 8601 UTC time, or null for 0 (not recorded). */
static void jw_time(jw_t *w, const char *key, int64_t t) {
  if (!t) {
    jw_null(w, key);
    return;
  }
  char iso[32];
  td_time_iso(t, iso);
  jw_str(w, key, iso);
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

static void write_target(jw_t *w, const tlsdiag_result_t *r) {
  jw_obj(w, "target");
  jw_str(w, "host", r->host);
  jw_str(w, "ace", r->ace_host);
  jw_int(w, "port", r->port);
  jw_str_ne(w, "sni", r->sni);
  jw_bool(w, "ip_literal", r->host_is_ip);
  jw_obj_end(w);
}

static void write_options(jw_t *w, const tlsdiag_result_t *r) {
  jw_obj(w, "options");
  jw_str(w, "tls_min", td_tls_version_name(r->tls_min));
  jw_str(w, "tls_max", td_tls_version_name(r->tls_max));
  jw_int(w, "warn_days", r->warn_days);
  jw_int(w, "clock_skew_s", r->clock_skew_s);
  jw_obj_end(w);
}

static void write_time(jw_t *w, const tlsdiag_result_t *r) {
  jw_obj(w, "time");
  jw_time(w, "now", r->now);
  jw_bool(w, "clock_override", r->clock_overridden);
  jw_time(w, "started", r->started_wall);
  jw_obj_end(w);
}

static void write_evidence(jw_t *w, const td_evidence_t *e) {
  switch (e->type) {
  case TD_EV_INT: jw_int(w, e->key, e->num); break;
  case TD_EV_BOOL: jw_bool(w, e->key, e->num != 0); break;
  case TD_EV_LIST:
    jw_arr(w, e->key);
    for (size_t i = 0; i < e->nlist; i++) jw_str(w, NULL, e->list[i]);
    jw_arr_end(w);
    break;
  case TD_EV_STR:
  default: jw_str(w, e->key, e->text); break;
  }
}

static void write_findings(jw_t *w, const tlsdiag_result_t *r) {
  jw_arr(w, "findings");
  for (size_t i = 0; i < r->nfindings; i++) {
    const td_finding_t *f = &r->findings[i];
    jw_obj(w, NULL);
    jw_str(w, "code", tlsdiag_cause_name(f->code));
    jw_str(w, "severity", tlsdiag_severity_name(f->severity));
    jw_str(w, "message", f->message);
    jw_obj(w, "evidence");
    for (size_t j = 0; j < f->nev; j++) {
      /* a key written twice would make the object ambiguous: first wins,
       * as in td_ev_get */
      int dup = 0;
      for (size_t k = 0; k < j && !dup; k++)
        dup = strcmp(f->ev[k].key, f->ev[j].key) == 0;
      if (!dup) write_evidence(w, &f->ev[j]);
    }
    jw_obj_end(w);
    jw_obj_end(w);
  }
  jw_arr_end(w);
}

static void phase_head(jw_t *w, const tlsdiag_result_t *r, tlsdiag_phase_t p) {
  const td_phase_t *ph = &r->phase[p];
  jw_obj(w, tlsdiag_phase_name(p));
  jw_str(w, "status", tlsdiag_status_name(ph->status));
  jw_ms(w, "start_ms", ph->start_ms);
  jw_ms(w, "ms", ph->ms);
  jw_str(w, "error", ph->error);
}

static void write_phases(jw_t *w, const tlsdiag_result_t *r) {
  jw_obj(w, "phases");

  phase_head(w, r, TLSDIAG_PHASE_DNS);
  jw_str(w, "server", r->dns_server);
  jw_bool(w, "pinned", r->dns_pinned);
  jw_arr(w, "addresses");
  for (size_t i = 0; i < r->naddrs; i++) {
    jw_obj(w, NULL);
    jw_str(w, "address", r->addrs[i]);
    jw_str(w, "family",
           family_name(r->addr_family ? r->addr_family[i] : 0, r->addrs[i]));
    jw_obj_end(w);
  }
  jw_arr_end(w);
  jw_int(w, "ares_status", r->dns_status);
  jw_str(w, "ares_error", r->dns_error);
  jw_obj_end(w);

  phase_head(w, r, TLSDIAG_PHASE_TCP);
  jw_str(w, "connected", r->connected_addr);
  jw_str(w, "local", r->local_addr);
  jw_arr(w, "attempts");
  for (size_t i = 0; i < r->nattempts; i++) {
    const td_attempt_t *a = &r->attempts[i];
    jw_obj(w, NULL);
    jw_str(w, "address", a->addr);
    jw_str(w, "family", family_name(a->family, a->addr));
    jw_str(w, "status", tlsdiag_status_name(a->status));
    jw_ms(w, "ms", a->ms);
    jw_int(w, "errno", a->err);
    jw_str(w, "error", a->error);
    jw_obj_end(w);
  }
  jw_arr_end(w);
  jw_obj_end(w);

  phase_head(w, r, TLSDIAG_PHASE_TLS);
  if (r->tls_error || r->tls_error_name || r->tls_error_text) {
    jw_obj(w, "gnutls_error");
    jw_int(w, "code", r->tls_error);
    jw_str(w, "name", r->tls_error_name);
    jw_str(w, "text", r->tls_error_text);
    jw_obj_end(w);
  } else {
    jw_null(w, "gnutls_error");
  }
  jw_obj_end(w);

  phase_head(w, r, TLSDIAG_PHASE_HTTP);
  jw_int(w, "head_bytes", (int64_t)r->http_head_bytes);
  jw_obj_end(w);

  jw_obj_end(w);
}

static void write_verify(jw_t *w, const tlsdiag_result_t *r) {
  const td_verify_t *v = &r->verify;
  if (!v->done) {
    jw_null(w, "verify");
    return;
  }
  /* Each part apart, and "trusted" only when every part holds: GnuTLS's
   * own "trusted" ignores the dates (we disable its time checks). */
  td_verdict_t vd = td_verify_verdict(r);
  jw_obj(w, "verify");
  jw_int(w, "status", v->status);
  jw_str(w, "text", v->status ? v->status_text : NULL);
  jw_bool(w, "trusted", vd.trusted);
  jw_bool(w, "chain_to_root", vd.chain_to_root);
  jw_bool(w, "name_ok", vd.name_ok);
  jw_bool(w, "dates_ok", vd.dates_ok);
  jw_time(w, "judged_at", r->now);
  jw_bool(w, "issuer_missing", v->issuer_missing);
  jw_bool(w, "chain_ends_in_root", v->chain_ends_in_root);
  jw_str(w, "ocsp", ocsp_name(v->ocsp_status));
  jw_str(w, "ocsp_error", v->ocsp_error);
  jw_time(w, "ocsp_this_update", v->ocsp_this_update);
  jw_time(w, "ocsp_next_update", v->ocsp_next_update);
  jw_time(w, "ocsp_revoked_at", v->ocsp_revoked_at);
  jw_obj_end(w);
}

static void write_tls(jw_t *w, const tlsdiag_result_t *r) {
  jw_obj(w, "tls");
  jw_str(w, "version", r->tls_version);
  jw_str(w, "cipher", r->tls_cipher);
  jw_str(w, "kx", r->tls_kx);
  jw_str(w, "group", r->tls_group);
  jw_str(w, "alpn", r->tls_alpn);
  jw_str(w, "signature", r->tls_sig_alg);
  jw_bool(w, "ocsp_stapled", r->ocsp_stapled);
  jw_bool(w, "session_ticket", r->session_ticket);
  jw_bool(w, "resumed", r->resumed);
  jw_str(w, "alert", r->tls_alert);
  if (r->tls_alert && r->tls_alert_num >= 0)
    jw_int(w, "alert_number", r->tls_alert_num);
  else jw_null(w, "alert_number");
  write_verify(w, r);
  if (!r->probed) {
    jw_null(w, "probes");
  } else {
    jw_arr(w, "probes");
    for (int i = 0; i < 4; i++) {
      const td_probe_t *p = &r->probes[i];
      if (!p->ran) continue;
      const char *name = td_tls_version_name(p->version);
      jw_obj(w, NULL);
      jw_str(w, "version",
             name ? name : td_tls_version_name((tlsdiag_tls_version_t)(10 + i)));
      jw_bool(w, "accepted", p->accepted);
      jw_str(w, "error", p->error);
      jw_obj_end(w);
    }
    jw_arr_end(w);
  }
  jw_obj_end(w);
}

static void write_cert(jw_t *w, const tlsdiag_result_t *r, const td_cert_t *c) {
  jw_obj(w, NULL);
  jw_str(w, "subject", c->subject);
  jw_str(w, "issuer", c->issuer);
  jw_str(w, "common_name", c->common_name);
  jw_arr(w, "sans");
  for (size_t i = 0; i < c->nsans; i++) {
    jw_obj(w, NULL);
    jw_str(w, "type", san_type_name(c->sans[i].type));
    jw_str(w, "value", c->sans[i].value);
    jw_obj_end(w);
  }
  jw_arr_end(w);
  jw_str(w, "serial", c->serial);
  if (c->not_before_iso[0]) jw_str(w, "not_before", c->not_before_iso);
  else jw_time(w, "not_before", c->not_before);
  if (c->not_after_iso[0]) jw_str(w, "not_after", c->not_after_iso);
  else jw_time(w, "not_after", c->not_after);
  if (c->days_left_text[0]) jw_int(w, "days_left", c->days_left);
  else if (r->now && c->not_after)
    jw_int(w, "days_left", td_days_between(r->now, c->not_after));
  else jw_null(w, "days_left");
  jw_str(w, "key_type", c->key_type);
  if (c->key_bits) jw_int(w, "key_bits", c->key_bits);
  else jw_null(w, "key_bits");
  jw_str(w, "signature_algorithm", c->sig_alg);
  jw_bool(w, "weak_signature", c->sig_weak);
  jw_str_ne(w, "sha256_fingerprint", c->sha256);
  jw_bool(w, "is_ca", c->is_ca);
  jw_bool(w, "self_issued", c->self_issued);
  jw_bool(w, "self_signed", c->self_signed);
  jw_str(w, "aia_ca_issuers", c->aia_ca_issuers);
  jw_str(w, "ocsp_url", c->ocsp_url);
  jw_obj_end(w);
}

static void write_chain(jw_t *w, const tlsdiag_result_t *r) {
  jw_arr(w, "chain");
  for (size_t i = 0; i < r->nchain; i++) write_cert(w, r, &r->chain[i]);
  jw_arr_end(w);
}

/* The headers a diagnosis usually needs, under fixed lowercase keys. */
static const char *const key_headers[] = {"strict-transport-security", "date",
                                          "location", "server"};

static void write_http(jw_t *w, const tlsdiag_result_t *r) {
  jw_obj(w, "http");
  jw_str(w, "method", r->http_method);
  jw_str(w, "path", r->http_path);
  jw_str(w, "request", r->http_request);
  if (r->http_status) jw_int(w, "status", r->http_status);
  else jw_null(w, "status");
  jw_str(w, "status_line", r->http_status_line);
  jw_str(w, "version", r->http_version);
  jw_obj(w, "headers");
  for (size_t i = 0; i < sizeof(key_headers) / sizeof(key_headers[0]); i++)
    jw_str(w, key_headers[i], td_result_header_get(r, key_headers[i]));
  jw_obj_end(w);
  jw_arr(w, "all_headers");
  for (size_t i = 0; i < r->nheaders; i++) {
    jw_arr_flat(w, NULL);
    jw_str(w, NULL, r->headers[i].name);
    jw_str(w, NULL, r->headers[i].value);
    jw_arr_end(w);
  }
  jw_arr_end(w);
  jw_time(w, "date", r->http_date);
  if (r->http_date && r->http_date_received)
    jw_int(w, "server_clock_offset_s", r->http_date - r->http_date_received);
  else jw_null(w, "server_clock_offset_s");
  jw_obj_end(w);
}

static void write_timeline(jw_t *w, const tlsdiag_result_t *r) {
  jw_arr(w, "timeline");
  for (size_t i = 0; i < r->nevents; i++) {
    const td_event_t *e = &r->events[i];
    jw_obj(w, NULL);
    jw_ms(w, "t_ms", e->t_ms);
    jw_str(w, "dir", dir_name(e->dir));
    jw_str(w, "what", e->what);
    jw_str(w, "detail", e->detail);
    jw_obj_end(w);
  }
  jw_arr_end(w);
}

void td_json_result(td_buf_t *b, const tlsdiag_result_t *r, int pretty) {
  jw_t w = {b, pretty != 0, 0, 1, 0};
  if (!r) {
    td_buf_puts(b, "null");
    return;
  }
  jw_obj(&w, NULL);
  jw_str(&w, "schema", TD_JSON_SCHEMA);
  jw_obj(&w, "tool");
  jw_str(&w, "name", "tlsdiag");
  jw_str(&w, "version", tlsdiag_version_str());
  jw_obj_end(&w);
  write_target(&w, r);
  write_options(&w, r);
  write_time(&w, r);
  jw_bool(&w, "ok", tlsdiag_result_ok(r));
  jw_str(&w, "cause", tlsdiag_cause_name(r->cause));
  jw_str(&w, "message", root_message(r));
  write_findings(&w, r);
  write_phases(&w, r);
  write_tls(&w, r);
  write_chain(&w, r);
  write_http(&w, r);
  jw_member(&w, "hsts"); /* its value: hsts.c */
  td_hsts_json(b, r, w.pretty, w.depth);
  td_buf_t raw;
  td_buf_init(&raw);
  td_anatomy_json(&raw, r);
  jw_raw(&w, "anatomy", &raw);
  td_buf_free(&raw);
  td_key_schedule_json(&raw, r);
  jw_raw(&w, "key_schedule", &raw);
  td_buf_free(&raw);
  write_timeline(&w, r);
  jw_ms(&w, "total_ms", r->total_ms);
  jw_obj_end(&w);
}
