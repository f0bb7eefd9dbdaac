/* browser_offer.c: would a browser get through? tlsdiag's ClientHello
 * offers more than browsers do (GnuTLS's groups, EdDSA signatures, static
 * RSA), so a completed handshake does not prove a browser can connect.
 * When the handshake settled on something Chrome does not offer, probe.c
 * runs one more handshake offering what Chrome offers; this file says
 * what Chrome and Firefox offer, when that probe is worth running, and
 * what its refusal means. The tables are the browsers' ClientHellos
 * (Chrome 131+, Firefox 128+), by GnuTLS's names. Pure: no I/O (the
 * handshake itself is probe.c's). */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "engine.h"
#include "kx_quality.h"

/* Chrome's offer as a GnuTLS priority string: TLS 1.3 and 1.2, AES-GCM,
 * ChaCha20 and AES-CBC with ECDHE only (no static RSA since Chrome 131,
 * no DHE since Chrome 53, no 3DES since 93), groups x25519, P-256 and
 * P-384, and the eight ECDSA/RSA/RSA-PSS signature schemes. */
const char td_browser_priority[] =
    "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-128-GCM:+AES-256-GCM"
    ":+CHACHA20-POLY1305:+AES-128-CBC:+AES-256-CBC:+AEAD:+SHA1:+SHA256"
    ":+SHA384:+ECDHE-ECDSA:+ECDHE-RSA:+GROUP-X25519:+GROUP-SECP256R1"
    ":+GROUP-SECP384R1:+SIGN-ECDSA-SECP256R1-SHA256:+SIGN-ECDSA-SHA256"
    ":+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-SHA256"
    ":+SIGN-ECDSA-SECP384R1-SHA384:+SIGN-ECDSA-SHA384"
    ":+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-SHA384"
    ":+SIGN-RSA-PSS-RSAE-SHA512:+SIGN-RSA-SHA512:+COMP-NULL:+CTYPE-X509";

/* The same offer, as the finding's evidence says it. */
static const char *const chrome_groups[] = {"X25519", "SECP256R1",
                                            "SECP384R1"};
static const char *const chrome_sigs[] = {
    "ECDSA-SECP256R1-SHA256", "ECDSA-SHA256",     "RSA-PSS-RSAE-SHA256",
    "RSA-SHA256",             "ECDSA-SECP384R1-SHA384", "ECDSA-SHA384",
    "RSA-PSS-RSAE-SHA384",    "RSA-SHA384",       "RSA-PSS-RSAE-SHA512",
    "RSA-SHA512"};
static const char *const chrome_kx[] = {"ECDHE-ECDSA", "ECDHE-RSA"};
static const char *const chrome_ciphers[] = {
    "AES-128-GCM", "AES-256-GCM", "CHACHA20-POLY1305", "AES-128-CBC",
    "AES-256-CBC"};
/* What Firefox offers beyond Chrome (and which of it tlsdiag can
 * negotiate): P-521, ffdhe2048/3072 in TLS 1.3, static RSA key
 * exchange, ECDSA P-521 and SHA-1 signatures. Not X448, EdDSA, DHE in
 * TLS 1.2 (gone in 78) or 3DES (gone in 93). */
static const char *const firefox_more[] = {
    "SECP521R1", "FFDHE2048", "FFDHE3072", "RSA", "ECDSA-SECP521R1-SHA512",
    "ECDSA-SHA512", "RSA-SHA1", "ECDSA-SHA1", "ECDSA P-521"};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int in(const char *s, const char *const *set, size_t n) {
  for (size_t i = 0; s && i < n; i++)
    if (strcmp(s, set[i]) == 0) return 1;
  return 0;
}

size_t td_browser_lacks(const tlsdiag_result_t *r, td_browser_lack_t *out,
                        size_t max) {
  size_t n = 0;
  const td_kx_facts_t *k = &r->kx;
  if (!k->collected || max == 0) return 0;
  /* Only TLS 1.2 and 1.3: older versions have their own cause. */
  if (r->tls_version_num != TLSDIAG_TLS1_2 &&
      r->tls_version_num != TLSDIAG_TLS1_3)
    return 0;
#define LACK(what_, value_)                                                    \
  do {                                                                         \
    if (n < max) {                                                             \
      out[n].what = what_;                                                     \
      out[n].value = value_;                                                   \
      out[n].firefox = in(value_, firefox_more, N(firefox_more));              \
      n++;                                                                     \
    }                                                                          \
  } while (0)
  if (r->tls_group && !in(r->tls_group, chrome_groups, N(chrome_groups)))
    LACK("group", r->tls_group);
  if (r->tls_version_num == TLSDIAG_TLS1_2 && k->kx[0] &&
      !in(k->kx, chrome_kx, N(chrome_kx)))
    LACK("key_exchange", k->kx);
  if (k->cipher[0] && !in(k->cipher, chrome_ciphers, N(chrome_ciphers)))
    LACK("cipher", k->cipher);
  if (r->tls_sig_alg && !in(r->tls_sig_alg, chrome_sigs, N(chrome_sigs)))
    LACK("signature", r->tls_sig_alg);
  /* In TLS 1.2 an ECDSA signature names no curve: Chrome (BoringSSL)
   * refuses a leaf whose curve is not among its groups, and an OpenSSL
   * server will not pick that certificate for such a client either. */
  const td_cert_t *leaf = r->nchain ? &r->chain[0] : NULL;
  if (leaf && leaf->key_type && strcmp(leaf->key_type, "ECDSA") == 0 &&
      leaf->key_bits == 521)
    LACK("certificate_key", "ECDSA P-521");
#undef LACK
  return n;
}

/* What to change on the server for a part Chrome lacks (first_fix
 * chooses which). */
static const char *remedy(const char *what) {
  if (strcmp(what, "group") == 0)
    return "offer X25519 or P-256 (nginx ssl_ecdh_curve, OpenSSL Groups, "
           "GnuTLS priority GROUP-X25519)";
  if (strcmp(what, "signature") == 0)
    return "serve a certificate with an ECDSA P-256/P-384 or RSA key, alone "
           "or beside this one: this key can only make this signature";
  if (strcmp(what, "certificate_key") == 0)
    return "serve a certificate with an ECDSA P-256/P-384 or RSA key, alone "
           "or beside this one: Chrome accepts no other curve";
  if (strcmp(what, "key_exchange") == 0)
    return "enable ECDHE suites (ECDHE-ECDSA or ECDHE-RSA with AES-GCM or "
           "ChaCha20-Poly1305)";
  return "enable AES-GCM or ChaCha20-Poly1305 suites with ECDHE";
}

/* The part whose fix fixes the rest: in TLS 1.2 a DHE key exchange is
 * why the group is FFDHE (enable ECDHE, not "offer X25519"), and a key
 * type is why the signature is what it is. */
static const char *first_fix(const td_browser_lack_t *l, size_t n) {
  static const char *const order[] = {"key_exchange", "certificate_key",
                                      "signature", "group", "cipher"};
  for (size_t k = 0; k < N(order); k++)
    for (size_t i = 0; i < n; i++)
      if (strcmp(l[i].what, order[k]) == 0) return l[i].what;
  return l[0].what;
}

/* "group X448", "signature EdDSA-Ed25519" */
static const char *what_text(const char *what) {
  if (strcmp(what, "key_exchange") == 0) return "key exchange";
  if (strcmp(what, "certificate_key") == 0) return "certificate key";
  return what;
}

void td_browser_classify(tlsdiag_result_t *r) {
  if (r->bprobe != -1) return; /* not run, accepted, or it did not run */
  /* A weak DHE group is the more specific error, and its finding says
   * browsers dropped DHE: one error for one fix (offer ECDHE). */
  for (size_t i = 0; i < r->nfindings; i++)
    if (r->findings[i].code == TLSDIAG_CAUSE_TLS_WEAK_DH) return;
  td_browser_lack_t l[5];
  size_t n = td_browser_lacks(r, l, N(l));
  if (n == 0) return;
  int firefox = 1; /* Firefox offers every part Chrome lacks */
  for (size_t i = 0; i < n; i++)
    if (!l[i].firefox) firefox = 0;
  const char *v[5];
  char parts[256] = "";
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(parts);
    snprintf(parts + len, sizeof(parts) - len, "%s%s %s", i ? ", " : "",
             what_text(l[i].what), l[i].value);
    v[i] = l[i].value;
  }
  const char *err = r->bprobe_error ? r->bprobe_error : "refused";
  /* An error either way: Chrome and Edge are most visitors, so a site
   * only Firefox reaches is down for them (a warning here kept monitors
   * green through that outage). */
  td_finding_t *f = td_finding_add(
      r, TLSDIAG_CAUSE_TLS_CIPHER_MISMATCH, TLSDIAG_SEVERITY_ERROR,
      "%s: this check's handshake settled on %s, which Chrome does not "
      "support, and a handshake offering what Chrome offers failed (%s)%s",
      firefox ? "Chrome and Edge cannot connect"
              : "browsers cannot connect",
      parts, err,
      firefox ? "; Firefox supports it and should connect"
              : "; Firefox does not support it either");
  if (!f) return;
  td_ev_str(f, "browser_probe", err);
  if (r->bprobe_alert >= 0)
    td_ev_str(f, "alert", td_tls_alert_name(r->bprobe_alert));
  for (size_t i = 0; i < n; i++) td_ev_str(f, l[i].what, l[i].value);
  td_ev_list(f, "not_offered_by_chrome", v, n);
  td_ev_str(f, "remedy", remedy(first_fix(l, n)));
  if (r->nchain && r->chain[0].key_type)
    td_ev_str(f, "leaf_key", r->chain[0].key_type);
  td_ev_list(f, "chrome_groups", chrome_groups, N(chrome_groups));
  td_ev_bool(f, "firefox_offers", firefox);
}
