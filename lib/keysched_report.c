/* keysched_report.c: the key schedule rows keysched.c derived and proved,
 * as JSON, as --explain text, and the mismatch finding. Pure: rows in,
 * text out. */
#include <string.h>

#include "internal.h"

static void rows_json(td_jw_t *w, const char *key, const td_anatomy_t *a,
                      int conn) {
  size_t n = 0;
  for (size_t i = 0; i < a->nks_rows; i++) n += a->ks_rows[i].conn == conn;
  if (!n) {
    td_jw_null(w, key);
    return;
  }
  td_jw_arr(w, key);
  for (size_t i = 0; i < a->nks_rows; i++) {
    const td_ks_row_t *k = &a->ks_rows[i];
    if (k->conn != conn) continue;
    td_jw_obj(w, NULL);
    td_jw_str(w, "name", k->name);
    td_jw_str(w, "derived_from", k->derived_from);
    td_jw_str(w, "label", k->label);
    td_jw_int(w, "length", k->length);
    td_jw_str_ne(w, "fingerprint", k->fingerprint);
    td_jw_str(w, "proven_by", k->proven_by);
    if (k->ok < 0) td_jw_null(w, "ok");
    else td_jw_bool(w, "ok", k->ok);
    td_jw_obj_end(w);
  }
  td_jw_arr_end(w);
}

void td_ks_json(td_jw_t *w, const tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  rows_json(w, "rows", a, 0);
  rows_json(w, "resumed_rows", a, 1);
  td_jw_str(w, "not_derivable", a->ks_note[0]);
  td_jw_str(w, "resumed_not_derivable", a->ks_note[1]);
}

static void rows_text(td_buf_t *b, const td_anatomy_t *a, int conn) {
  for (size_t i = 0; i < a->nks_rows; i++) {
    const td_ks_row_t *k = &a->ks_rows[i];
    if (k->conn != conn) continue;
    const char *mark = k->ok > 0 ? "\xe2\x9c\x93" : k->ok == 0 ? "\xe2\x9c\x97" : "?";
    td_buf_printf(b, "  %s %-36s %2u bytes  %s%s\n", mark, k->name, k->length,
                  k->fingerprint[0] ? "sha256:" : "",
                  k->fingerprint[0] ? k->fingerprint : "(no value)");
    if (k->label && strstr(k->name, "traffic_secret"))
      td_buf_printf(b, "      = Derive-Secret(%s, \"%s\", transcript)\n",
                    k->derived_from, k->label);
    else if (k->label)
      td_buf_printf(b, "      = %s(%s, \"%s\")\n",
                    a->tls13 ? "HKDF-Expand-Label" : "PRF", k->derived_from,
                    k->label);
    else
      td_buf_printf(b, "      = cut from %s\n", k->derived_from);
    td_buf_printf(b, "      %s\n", k->proven_by);
  }
}

void td_ks_text(td_buf_t *b, const tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  if (!a->nks_rows && !a->ks_note[0]) return;
  td_buf_puts(b, "\nDerived from this connection's secrets and proven on its "
                 "records\n  (fingerprint: first 8 hex digits of the value's "
                 "SHA-256; values are never shown)\n");
  rows_text(b, a, 0);
  int resumed = 0;
  for (size_t i = 0; i < a->nks_rows; i++) resumed |= a->ks_rows[i].conn == 1;
  if (resumed) {
    td_buf_printf(b, "  the resumed connection (%s):\n",
                  a->psk_mode ? a->psk_mode : "PSK");
    rows_text(b, a, 1);
  }
  if (a->ks_note[1] && a->ks_note[1] != a->ks_note[0])
    td_buf_printf(b, "  the resumed connection, not derivable: %s\n",
                  a->ks_note[1]);
  if (a->ks_note[0]) td_buf_printf(b, "  not derivable: %s\n", a->ks_note[0]);
}

void td_ks_classify(tlsdiag_result_t *r) {
  const td_anatomy_t *a = &r->anat;
  const td_ks_row_t *k = NULL;
  /* The first value a record or a Finished disproved directly, else one
   * disproved through what was derived from it. */
  for (size_t i = 0; i < a->nks_rows && !k; i++)
    if (a->ks_rows[i].ok == 0 && strncmp(a->ks_rows[i].proven_by, "through", 7))
      k = &a->ks_rows[i];
  for (size_t i = 0; i < a->nks_rows && !k; i++)
    if (a->ks_rows[i].ok == 0) k = &a->ks_rows[i];
  if (k) {
    td_finding_t *f = td_finding_add(
        r, TLSDIAG_CAUSE_TLS_KEY_SCHEDULE_MISMATCH, TLSDIAG_SEVERITY_ERROR,
        "%s derived from the connection's own secrets does not match what "
        "was observed (%s): a TLS library bug or something rewriting the "
        "records",
        k->name, k->proven_by);
    td_ev_str(f, "row", k->name);
    td_ev_str(f, "derived_from", k->derived_from);
    td_ev_str(f, "proven_by", k->proven_by);
    td_ev_str(f, "connection", k->conn ? "resumed" : "first");
    td_ev_str(f, "fingerprint", k->fingerprint);
  }
}
