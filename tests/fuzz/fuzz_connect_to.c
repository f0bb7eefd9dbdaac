/* fuzz_connect_to.c: curl's --connect-to rules (HOST1:PORT1:HOST2:PORT2)
 * as users and sweep files give them. Properties: applying a rule the
 * checker accepts never fails; a match gives a port in 1..65535 (the
 * destination name is judged later, by td_host_check, as any host); a
 * rule that does not match leaves the destination the host's own. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *rule = malloc(size + 1);
  if (!rule) return 0;
  memcpy(rule, data, size);
  rule[size] = '\0';
  const char *rules[] = {rule, NULL};
  int ok = td_connect_to_check(rule) == 0;
  char *to = NULL;
  uint16_t port = 0;
  const char *matched = NULL;
  int rc = td_connect_to_apply(rules, "example.com", 443, &to, &port,
                               &matched);
  if (ok) FZ_ASSERT(rc == 0, "checked rule '%s' failed to apply", rule);
  if (rc == 0) {
    FZ_ASSERT(port >= 1, "'%s' gave port 0", rule);
    if (!matched) FZ_ASSERT(!to && port == 443, "no match, yet moved");
  }
  free(to);
  free(rule);
  return 0;
}
