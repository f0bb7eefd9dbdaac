/* x509_names.c: names for the verifier: the syntax of DNS names, email
 * addresses and name constraints, matching a host name or IP address
 * against the SANs (RFC 6125), the name constraints (RFC 5280 4.2.1.10)
 * and the common-name rule (CABF 7.1.4.3). Pure: bytes in, verdicts out. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "psl.h"
#include "x509.h"

static int is_ldh_label(const unsigned char *s, size_t n) {
  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-') return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum(s[i]) && s[i] != '-') return 0;
  return 1;
}

/* A DNS name in preferred syntax; a leading "*." label when wild is set.
 * Returns NULL or why it is not. */
const char *td_x509_dns_syntax(const unsigned char *s, size_t n, int wild) {
  if (n == 0) return "an empty DNS name";
  if (n > 253) return "a DNS name over 253 bytes";
  if (n && s[n - 1] == '.') n--; /* one trailing dot is fine */
  size_t start = 0, labels = 0;
  int all_digits = 1;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.') continue;
    const unsigned char *l = s + start;
    size_t ln = i - start;
    if (ln == 1 && l[0] == '*' && labels == 0 && wild) {
      /* a whole-label wildcard, leftmost only */
    } else {
      for (size_t k = 0; k < ln; k++) {
        if (l[k] == '*')
          return "a wildcard that is not the whole leftmost label";
        if (l[k] == '_') return "an underscore";
        if (l[k] >= 0x80) return "non-ASCII bytes (IDNs must be A-labels)";
      }
      if (!is_ldh_label(l, ln))
        return ln == 0 ? "an empty label"
                       : "a label that is not letters, digits and hyphens";
      for (size_t k = 0; k < ln; k++)
        if (!isdigit(l[k])) all_digits = 0;
    }
    labels++;
    start = i + 1;
  }
  if (all_digits && labels == 4) return "an IP address written as a DNS name";
  /* (a wildcard over a public suffix is well formed: it never matches,
   * see td_x509_wildcard_suffix) */
  return NULL;
}

const char *td_x509_wildcard_suffix(const char *s, size_t n) {
  char base[256];
  if (n && s[n - 1] == '.') n--;
  if (n < 3 || s[0] != '*' || s[1] != '.' || n - 2 >= sizeof(base))
    return NULL;
  for (size_t i = 2; i < n; i++) {
    if (!s[i]) return NULL;
    base[i - 2] = (char)tolower((unsigned char)s[i]);
  }
  base[n - 2] = '\0';
  return td_psl_is_public_suffix(base, TD_PSL_ICANN) ? s + 2 : NULL;
}

int td_x509_email_syntax_ok(const unsigned char *s, size_t n, int constraint) {
  const unsigned char *at = NULL;
  size_t ats = 0;
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '@') {
      at = s + i;
      ats++;
    }
    if (s[i] < 0x21 || s[i] >= 0x7f) return 0;
  }
  if (ats > 1) return 0;
  if (!at) {
    if (!constraint) return 0; /* a mailbox needs an @ */
    const unsigned char *h = s[0] == '.' ? s + 1 : s;
    return td_x509_dns_syntax(h, n - (size_t)(h - s), 0) == NULL;
  }
  size_t local = (size_t)(at - s), host = n - local - 1;
  return local > 0 && host > 0 && td_x509_dns_syntax(at + 1, host, 0) == NULL;
}

/* IP constraint: 8 or 32 bytes, address then a contiguous mask. */
static int ip_constraint_ok(const unsigned char *v, size_t n) {
  if (n != 8 && n != 32) return 0;
  size_t half = n / 2;
  int zeros = 0;
  for (size_t i = 0; i < half; i++) {
    unsigned char m = v[half + i];
    for (int b = 7; b >= 0; b--) {
      int bit = (m >> b) & 1;
      if (bit && zeros) return 0;
      if (!bit) zeros = 1;
    }
  }
  return 1;
}

const char *td_x509_constraint_bad(const td_gname_t *g) {
  switch (g->type) {
  case GNUTLS_SAN_DNSNAME:
    if (g->n == 0) return NULL; /* matches every name */
    if (g->v[0] == '.') return "a DNS constraint with a leading period";
    return td_x509_dns_syntax(g->v, g->n, 0) ? "a malformed DNS constraint"
                                             : NULL;
  case GNUTLS_SAN_IPADDRESS:
    return ip_constraint_ok(g->v, g->n) ? NULL
                                        : "an IP constraint not in CIDR form";
  case GNUTLS_SAN_RFC822NAME:
    return td_x509_email_syntax_ok(g->v, g->n, 1) ? NULL
                                          : "a malformed email constraint";
  default: return NULL;
  }
}

static int ieq(const unsigned char *a, size_t an, const unsigned char *b,
               size_t bn) {
  if (an != bn) return 0;
  for (size_t i = 0; i < an; i++)
    if (tolower(a[i]) != tolower(b[i])) return 0;
  return 1;
}

/* RFC 6125 / CABF: presented `p` (SAN dNSName) against reference `ref`
 * (A-label, lowercase). A wildcard is a whole leftmost label and stands
 * for exactly one label. */
static int dns_match(const td_gname_t *p, const char *ref) {
  if (p->bad || p->over_suffix) return 0;
  size_t rn = strlen(ref);
  const unsigned char *r = (const unsigned char *)ref;
  size_t pn = p->n;
  const unsigned char *pv = p->v;
  if (rn && r[rn - 1] == '.') rn--;
  if (pn && pv[pn - 1] == '.') pn--;
  if (pn >= 2 && pv[0] == '*' && pv[1] == '.') {
    const unsigned char *dot = memchr(r, '.', rn);
    if (!dot || dot == r) return 0;
    size_t off = (size_t)(dot - r);
    return ieq(pv + 1, pn - 1, r + off, rn - off);
  }
  return ieq(pv, pn, r, rn);
}

int td_x509_name_matches(const td_vcert_t *leaf, const char *name, int is_ip) {
  unsigned char ip[16];
  size_t iplen = 0;
  if (is_ip) {
    if (inet_pton(AF_INET, name, ip) == 1) iplen = 4;
    else if (inet_pton(AF_INET6, name, ip) == 1) iplen = 16;
    else return 0;
  }
  for (size_t i = 0; i < leaf->nsan; i++) {
    const td_gname_t *g = &leaf->san[i];
    if (is_ip && g->type == GNUTLS_SAN_IPADDRESS && g->n == iplen &&
        memcmp(g->v, ip, iplen) == 0)
      return 1;
    if (!is_ip && g->type == GNUTLS_SAN_DNSNAME && dns_match(g, name))
      return 1;
  }
  return 0;
}

/* Is DNS name n (maybe "*.x") within constraint c? For an excluded
 * constraint, `excluded` asks "could any name it stands for be in c". */
static int nc_dns(const unsigned char *n, size_t nn, const td_gname_t *c,
                  int excluded) {
  if (c->n == 0) return 1;
  if (nn && n[nn - 1] == '.') nn--;
  int wild = nn >= 2 && n[0] == '*' && n[1] == '.';
  const unsigned char *base = wild ? n + 2 : n;
  size_t bn = wild ? nn - 2 : nn;
  /* base within c: equal, or ends with "." + c */
  int within = ieq(base, bn, c->v, c->n) ||
               (bn > c->n && base[bn - c->n - 1] == '.' &&
                ieq(base + bn - c->n, c->n, c->v, c->n));
  if (within || !wild || !excluded) return within;
  /* "*.base" also stands for "label.base": is c exactly one label below? */
  const unsigned char *dot = memchr(c->v, '.', c->n);
  if (!dot || dot == c->v) return 0;
  size_t off = (size_t)(dot - c->v) + 1;
  return ieq(c->v + off, c->n - off, base, bn);
}

static int nc_ip(const td_gname_t *n, const td_gname_t *c) {
  if (c->n != n->n * 2) return 0;
  for (size_t i = 0; i < n->n; i++)
    if ((n->v[i] & c->v[n->n + i]) != (c->v[i] & c->v[n->n + i])) return 0;
  return 1;
}

static int nc_email(const td_gname_t *n, const td_gname_t *c) {
  const unsigned char *at = memchr(n->v, '@', n->n);
  if (!at) return 0;
  const unsigned char *host = at + 1;
  size_t hn = n->n - (size_t)(host - n->v);
  if (memchr(c->v, '@', c->n)) /* a mailbox: exact, local part literal */
    return n->n == c->n && memcmp(n->v, c->v, (size_t)(at - n->v)) == 0 &&
           ieq(host, hn, c->v + (at - n->v) + 1,
               c->n - (size_t)(at - n->v) - 1);
  if (c->n && c->v[0] == '.') /* any host below */
    return hn > c->n && ieq(host + hn - c->n, c->n, c->v, c->n);
  return ieq(host, hn, c->v, c->n);
}

/* DN: the constraint's RDNs are a prefix of the name's (DER compared). */
static int nc_dn(const unsigned char *n, size_t nn, const td_gname_t *c) {
  unsigned tag;
  const unsigned char *nv, *cv;
  size_t nl, cl, tot;
  if (td_der_next(n, nn, &tag, &nv, &nl, &tot) || tag != 0x30) return 0;
  if (td_der_next(c->v, c->n, &tag, &cv, &cl, &tot) || tag != 0x30) return 0;
  return cl <= nl && memcmp(nv, cv, cl) == 0 &&
         (cl == nl || td_der_next(nv + cl, nl - cl, &tag, &cv, &cl, &tot) == 0);
}

int td_x509_nc_match(unsigned type, const unsigned char *v, size_t n,
                    const td_gname_t *name, const td_gname_t *c, int excluded) {
  switch (type) {
  case GNUTLS_SAN_DNSNAME: return nc_dns(v, n, c, excluded);
  case GNUTLS_SAN_IPADDRESS: return nc_ip(name, c);
  case GNUTLS_SAN_RFC822NAME: return nc_email(name, c);
  case GNUTLS_SAN_DN: return nc_dn(v, n, c);
  }
  return 0;
}

/* CABF 7.1.4.3: a CN repeats a SAN value character for character. A CN
 * naming something else entirely is left alone (browsers ignore the CN),
 * but one that is an IP address or an IDN, or that differs from a SAN only
 * by case or IDN encoding, must be an exact copy: it is what a user is
 * shown. Returns why it is not, or NULL. */
const char *td_x509_cn_problem(const td_vcert_t *l, const char *cn) {
  size_t cl = strlen(cn);
  struct in_addr a4;
  unsigned char a6[16];
  int ipish = cl > 0 && strspn(cn, "0123456789abcdefABCDEFxX.:") == cl;
  int is_ip = ipish && (inet_aton(cn, &a4) || inet_pton(AF_INET6, cn, a6) == 1);
  for (size_t i = 0; i < l->nsan; i++) {
    const td_gname_t *g = &l->san[i];
    char ip[INET6_ADDRSTRLEN] = "";
    if (g->type == GNUTLS_SAN_DNSNAME && g->n == cl && !memcmp(cn, g->v, cl))
      return NULL;
    if (g->type == GNUTLS_SAN_IPADDRESS &&
        ((g->n == 4 && inet_ntop(AF_INET, g->v, ip, sizeof(ip))) ||
         (g->n == 16 && inet_ntop(AF_INET6, g->v, ip, sizeof(ip)))) &&
        !strcmp(ip, cn))
      return NULL;
  }
  if (is_ip)
    return "an IP address that is not the canonical text of one of its IP "
           "subjectAltNames";
  for (size_t i = 0; i < l->nsan; i++)
    if (l->san[i].type == GNUTLS_SAN_DNSNAME &&
        ieq(l->san[i].v, l->san[i].n, (const unsigned char *)cn, cl))
      return "which differs from its subjectAltName only in letter case";
  /* An IDN (non-ASCII or an xn-- label) that is a valid host name. */
  int idn = strstr(cn, "xn--") != NULL || strstr(cn, "XN--") != NULL;
  for (size_t i = 0; i < cl; i++)
    if ((unsigned char)cn[i] >= 0x80) idn = 1;
  if (!idn || !strchr(cn, '.') || strpbrk(cn, " \t\"\\")) return NULL;
  const char *why = NULL;
  char *ace = td_idn_to_ascii(cn, &why);
  if (!ace) return NULL;
  free(ace);
  return "an internationalized name that is not one of its subjectAltName "
         "values as written there";
}
