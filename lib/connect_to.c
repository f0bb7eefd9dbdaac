/* connect_to.c: curl's --connect-to rules, "HOST1:PORT1:HOST2:PORT2": one
 * mapping from the name and port a connection is for to where its bytes
 * go, for the checked host, its probe and resumption connections, the AIA
 * fetch and every fetch. The name (SNI, Host header, certificate name)
 * stays HOST1's; only the TCP destination changes. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* One field up to the next colon (a bracketed IPv6 address keeps its
 * colons, the brackets dropped). NULL if it does not end at a colon or at
 * the end of the rule, or is too long. */
static const char *field(const char *s, char *out, size_t max) {
  size_t n = 0;
  if (*s == '[') {
    const char *e = strchr(s, ']');
    if (!e) return NULL;
    s++;
    while (s < e && n + 1 < max) out[n++] = *s++;
    if (s < e) return NULL;
    s = e + 1;
  } else {
    while (*s && *s != ':' && n + 1 < max) out[n++] = *s++;
  }
  out[n] = '\0';
  if (*s && *s != ':') return NULL;
  return s;
}

/* "" is 0 (any / unchanged); else 1..65535. */
static int rule_port(const char *t, uint16_t *port) {
  *port = 0;
  if (!*t) return 0;
  unsigned v = 0;
  for (; *t; t++) {
    if (*t < '0' || *t > '9' || v > 65535) return -1;
    v = v * 10 + (unsigned)(*t - '0');
  }
  if (v < 1 || v > 65535) return -1;
  *port = (uint16_t)v;
  return 0;
}

typedef struct {
  char h1[256], h2[256];
  uint16_t p1, p2;
} rule_t;

static int rule_parse(const char *s, rule_t *r) {
  char p1[8], p2[8];
  if (!(s = field(s, r->h1, sizeof(r->h1))) || *s++ != ':' ||
      !(s = field(s, p1, sizeof(p1))) || *s++ != ':' ||
      !(s = field(s, r->h2, sizeof(r->h2))) || *s++ != ':' ||
      !(s = field(s, p2, sizeof(p2))) || *s)
    return -1;
  return rule_port(p1, &r->p1) < 0 || rule_port(p2, &r->p2) < 0 ? -1 : 0;
}

int td_connect_to_check(const char *rule) {
  rule_t r;
  return rule ? rule_parse(rule, &r) : -1;
}

int td_connect_to_apply(const char *const *rules, const char *host,
                        uint16_t port, char **to_host, uint16_t *to_port,
                        const char **matched) {
  *to_host = NULL;
  *to_port = port;
  if (matched) *matched = NULL;
  for (const char *const *p = rules; p && *p; p++) {
    rule_t r;
    if (rule_parse(*p, &r) < 0) return -1;
    if ((r.h1[0] && strcasecmp(r.h1, host) != 0) || (r.p1 && r.p1 != port))
      continue;
    if (r.h2[0] && !(*to_host = td_strdup(r.h2))) return -1;
    if (r.p2) *to_port = r.p2;
    if (matched) *matched = *p;
    return 0; /* the first matching rule wins, as in curl */
  }
  return 0;
}
