/* fuzz_resolve.c: the --resolve pin syntax (td_pin_parse) and the DNS
 * server list (td_dns_servers_check), both taken from the command line or
 * an embedder. Properties: an accepted pin has a lowercase host, a port
 * 1-65535 and at least one address that is an IP literal; a rejected one
 * leaves nothing allocated (the leak checker sees it); both functions
 * give the same answer twice. */
#include <arpa/inet.h>

#include "engine.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = fz_cstr(data, size);
  td_pin_t pin;
  tlsdiag_err_t e = td_pin_parse(s, &pin);
  FZ_ASSERT(e == TLSDIAG_OK || e == TLSDIAG_E_RESOLVE || e == TLSDIAG_E_NOMEM,
            "pin rc %d", (int)e);
  if (e == TLSDIAG_OK) {
    FZ_ASSERT(pin.host && pin.host[0], "empty host");
    for (const char *p = pin.host; *p; p++)
      FZ_ASSERT(!(*p >= 'A' && *p <= 'Z'), "host not lowercase");
    FZ_ASSERT(pin.port >= 1, "port 0");
    FZ_ASSERT(pin.naddrs >= 1, "no address");
    for (size_t i = 0; i < pin.naddrs; i++) {
      unsigned char a[16];
      FZ_ASSERT(inet_pton(AF_INET, pin.addrs[i], a) == 1 ||
                    inet_pton(AF_INET6, pin.addrs[i], a) == 1,
                "address '%s' is not an IP literal", pin.addrs[i]);
    }
    td_pin_clear(&pin);
  } else {
    FZ_ASSERT(!pin.host && !pin.addrs && !pin.naddrs,
              "a rejected pin kept data");
  }
  td_pin_t again;
  FZ_ASSERT(td_pin_parse(s, &again) == e, "second parse differs");
  td_pin_clear(&again);

  tlsdiag_err_t d = td_dns_servers_check(s);
  FZ_ASSERT(d == TLSDIAG_OK || d == TLSDIAG_E_DNS_SERVER, "dns rc %d",
            (int)d);
  FZ_ASSERT(td_dns_servers_check(s) == d, "second check differs");
  free(s);
  return 0;
}
