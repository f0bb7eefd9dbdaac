/* compromised.c: roots whose private keys are public (interception
 * software and dev tools that shipped one key to every install), matched
 * by the SHA-256 of their SubjectPublicKeyInfo. Pure data and a pure
 * lookup: classify.c passes the table, tests pass their own. */
#include <string.h>

#include "internal.h"

/* Each hash: `openssl x509 -pubkey -noout | openssl pkey -pubin -outform
 * DER | sha256sum` over the public certificate named. Sources:
 * github.com/chromium/badssl.com (badssl.com serves each as a test
 * subdomain), and preact-cli's own repository for its root. */
const td_bad_root_t td_bad_roots[] = {
    /* certs/foreign/superfish.crt: Superfish VisualDiscovery (Lenovo, 2015) */
    {"Superfish",
     "4bb8f35ba1e126f8dde1b0c420625ed86dce61a7bddadbdea9aba578ff13145e"},
    /* certs/src/crt/ca-edellroot.crt: Dell Foundation Services (2015) */
    {"eDellRoot",
     "cdee9f3305572a677e1a6c82dc1e02a35b11cae6a684338c9f37fe1ac8daec23"},
    /* certs/foreign/DSDTestProvider.crt: Dell System Detect (2015) */
    {"DSDTestProvider",
     "130ad4e0633521290531b6651f5759b0bc7bc656709ff8f365c2143b0389b6f6"},
    /* certs/src/crt/ca-webpack-dev-server.crt: webpack-dev-server's
     * bundled "localhost" CA (before 2.x; CVE-2018-14732 era) */
    {"webpack-dev-server",
     "2bd1e667ec9ebbe02b9a7da264210c99b3eac1cc9141a0e30e3f623eaccec4e1"},
    /* github.com/preactjs/preact-cli src/resources/cert.pem (commit
     * 222e7018): the self-signed "O=Acme Co" CA (CA:TRUE, localhost,
     * 2017-05-15..2018-05-15) `preact watch --https` served, shipped
     * beside its private key (src/resources/key.pem) */
    {"preact-cli",
     "680971cb44b0fd56592102a256e85c58e87109ad8044c2b90d8f3c6e9eeab897"},
};
const size_t td_nbad_roots = sizeof(td_bad_roots) / sizeof(td_bad_roots[0]);

const td_bad_root_t *td_bad_root_match(const char *spki_sha256_hex,
                                       const td_bad_root_t *table, size_t n) {
  if (!spki_sha256_hex || strlen(spki_sha256_hex) != 64) return NULL;
  for (size_t i = 0; i < n; i++)
    if (strcmp(table[i].spki_sha256, spki_sha256_hex) == 0) return &table[i];
  return NULL;
}

/* The test hook's table (see internal.h); empty unless a test sets it. */
static const td_bad_root_t *extra_roots;
static size_t nextra_roots;

void td_bad_roots_extra(const td_bad_root_t *table, size_t n) {
  extra_roots = table;
  nextra_roots = table ? n : 0;
}

const td_bad_root_t *td_bad_root_lookup(const char *spki_sha256_hex) {
  const td_bad_root_t *b =
      td_bad_root_match(spki_sha256_hex, td_bad_roots, td_nbad_roots);
  return b ? b : td_bad_root_match(spki_sha256_hex, extra_roots,
                                   nextra_roots);
}
