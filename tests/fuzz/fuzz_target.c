/* fuzz_target.c: what a user types or a target file holds: "HOST[:PORT]"
 * (tlsdiag_target_parse), the host check (tlsdiag_host_check) and --now
 * (tlsdiag_time_parse). Properties: an accepted target gives a non-empty
 * host no longer than the input and a port 1-65535; errors are the
 * documented codes; a rejected host has a reason. */
#include "fuzz.h"
#include "tlsdiag/tlsdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fz_cstr(data, size);
  size_t n = strlen(s);
  char *host = NULL;
  uint16_t port = 0;
  tlsdiag_err_t e = tlsdiag_target_parse(s, 443, &host, &port);
  FZ_ASSERT(e == TLSDIAG_OK || e == TLSDIAG_E_HOST || e == TLSDIAG_E_PORT ||
                e == TLSDIAG_E_NOMEM,
            "target rc %d", (int)e);
  if (e == TLSDIAG_OK) {
    FZ_ASSERT(host && host[0] && strlen(host) <= n, "host '%s'",
              host ? host : "(null)");
    FZ_ASSERT(port >= 1, "port 0");
    const char *why = NULL;
    tlsdiag_err_t h = tlsdiag_host_check(host, &why);
    FZ_ASSERT(h == TLSDIAG_OK || (h == TLSDIAG_E_HOST && why && *why),
              "host check %d without a reason", (int)h);
    tlsdiag_free(host);
  } else {
    FZ_ASSERT(host == NULL, "host kept on error");
  }
  const char *why = NULL;
  tlsdiag_err_t h = tlsdiag_host_check(s, &why);
  FZ_ASSERT(h == TLSDIAG_OK || (h == TLSDIAG_E_HOST && why && *why),
            "host check %d without a reason", (int)h);

  int64_t t = 0;
  tlsdiag_err_t te = tlsdiag_time_parse(s, &t);
  FZ_ASSERT(te == TLSDIAG_OK || te == TLSDIAG_E_TIME, "time rc %d", (int)te);
  if (te == TLSDIAG_OK && s[0] != '@')
    FZ_ASSERT(t >= 0 && t <= 253402300800LL, "time %lld", (long long)t);
  free(s);
  return 0;
}
