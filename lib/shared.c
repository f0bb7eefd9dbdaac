/* shared.c: what the checks of one engine share, made once and reused:
 * the trust stores (GnuTLS credentials and the verifier context over
 * them, with its caches of parsed certificates and signatures), the AIA
 * cache, the DNS answer cache, the c-ares channel(s), the politeness
 * gate and the engine's connection slots (DNS look-ahead). A multi handle
 * owns one; tlsdiag_check makes one for its single check. One thread at a time
 * (the gate alone may be shared between engines: it locks). */
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "verifier.h"

struct td_trust {
  struct td_trust *next;
  char *cafile, *capath; /* NULL: not set (the system store) */
  gnutls_certificate_credentials_t cred; /* NULL until loaded */
  int roots; /* distinct certificates in the store; -1 until loaded */
  td_vctx_t *vctx;
};

/* A GnuTLS priority string parsed once for the engine. */
typedef struct td_prio {
  struct td_prio *next;
  char *str;
  gnutls_priority_t pc;
} td_prio_t;

/* Distinct strings kept: the check's range and the probe's four versions
 * need a handful; past this, sessions parse their own (as before). */
#define TD_PRIO_MAX 16

struct td_shared {
  td_trust_t *trust;
  td_aia_cache_t *aia;
  td_dns_cache_t *dns;
  td_dns_engine_t *dnseng; /* the c-ares channels */
  td_gate_t *gate; /* borrowed (td_shared_set_gate) or NULL */
  td_hold_t *hold; /* borrowed (td_shared_set_hold) or NULL */
  td_prio_t *prio;  /* parsed priority strings (td_shared_priority) */
  td_cert_cache_t *certs; /* parsed certificates, made on first use */
  size_t nprio;
};

td_shared_t *td_shared_new(void) {
  td_shared_t *sh = calloc(1, sizeof(*sh));
  if (!sh) return NULL;
  sh->aia = td_aia_cache_new();
  sh->dns = td_dns_cache_new();
  sh->dnseng = td_dns_engine_new();
  if (!sh->aia || !sh->dns || !sh->dnseng) {
    td_shared_free(sh);
    return NULL;
  }
  return sh;
}

void td_shared_free(td_shared_t *sh) {
  if (!sh) return;
  for (td_trust_t *t = sh->trust, *next; t; t = next) {
    next = t->next;
    td_vctx_free(t->vctx); /* borrows cred's trust list: first */
    if (t->cred) gnutls_certificate_free_credentials(t->cred);
    free(t->cafile);
    free(t->capath);
    free(t);
  }
  for (td_prio_t *p = sh->prio, *next; p; p = next) {
    next = p->next;
    gnutls_priority_deinit(p->pc);
    free(p->str);
    free(p);
  }
  td_cert_cache_free(sh->certs);
  td_aia_cache_free(sh->aia);
  td_dns_engine_free(sh->dnseng); /* frees the cancelled lookups */
  td_dns_cache_free(sh->dns);
  free(sh);
}

td_aia_cache_t *td_shared_aia(td_shared_t *sh) { return sh->aia; }
td_dns_cache_t *td_shared_dns(td_shared_t *sh) { return sh->dns; }
td_dns_engine_t *td_shared_dns_engine(td_shared_t *sh) { return sh->dnseng; }
td_gate_t *td_shared_gate(td_shared_t *sh) { return sh->gate; }

td_cert_cache_t *td_shared_certs(td_shared_t *sh) {
  /* lazily: a lone tlsdiag_check has an engine of its own and no use
   * for a cache */
  if (sh && !sh->certs) sh->certs = td_cert_cache_new();
  return sh ? sh->certs : NULL;
}
void td_shared_set_gate(td_shared_t *sh, td_gate_t *g) { sh->gate = g; }
td_hold_t *td_shared_hold(td_shared_t *sh) { return sh ? sh->hold : NULL; }
void td_shared_set_hold(td_shared_t *sh, td_hold_t *h) { sh->hold = h; }

gnutls_priority_t td_shared_priority(td_shared_t *sh, const char *str) {
  if (!sh || !str) return NULL;
  for (td_prio_t *p = sh->prio; p; p = p->next)
    if (!strcmp(p->str, str)) return p->pc;
  if (sh->nprio >= TD_PRIO_MAX) return NULL;
  td_prio_t *p = calloc(1, sizeof(*p));
  if (!p || !(p->str = td_strdup(str)) ||
      gnutls_priority_init(&p->pc, str, NULL) < 0) {
    if (p) free(p->str);
    free(p);
    return NULL; /* the session sets the string itself, errors included */
  }
  p->next = sh->prio;
  sh->prio = p;
  sh->nprio++;
  return p->pc;
}

static int str_eq(const char *a, const char *b) {
  return a == b || (a && b && strcmp(a, b) == 0);
}

static tlsdiag_err_t trust_load(td_trust_t *t) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.cafile = t->cafile;
  o.capath = t->capath;
  return td_tls_cred_new(&o, &t->cred, &t->roots);
}

tlsdiag_err_t td_shared_trust(td_shared_t *sh, const tlsdiag_options_t *o,
                              td_trust_t **out) {
  for (td_trust_t *t = sh->trust; t; t = t->next)
    if (str_eq(t->cafile, o->cafile) && str_eq(t->capath, o->capath)) {
      *out = t;
      return TLSDIAG_OK;
    }
  td_trust_t *t = calloc(1, sizeof(*t));
  if (!t) return TLSDIAG_E_NOMEM;
  t->roots = -1;
  t->cafile = td_strdup(o->cafile);
  t->capath = td_strdup(o->capath);
  tlsdiag_err_t err = TLSDIAG_OK;
  if ((o->cafile && !t->cafile) || (o->capath && !t->capath))
    err = TLSDIAG_E_NOMEM;
  /* A store the user named is loaded now, so that a bad file is the
   * caller's error at once; the system store (never an error, and the
   * slow one) waits for the first handshake: a sweep of dead hosts, or a
   * refused port, never loads it. */
  else if (o->cafile || o->capath)
    err = trust_load(t);
  if (err) {
    free(t->cafile);
    free(t->capath);
    free(t);
    return err;
  }
  t->next = sh->trust;
  sh->trust = t;
  *out = t;
  return TLSDIAG_OK;
}

tlsdiag_err_t td_trust_cred(td_trust_t *t,
                            gnutls_certificate_credentials_t *out) {
  *out = NULL;
  if (!t->cred) {
    tlsdiag_err_t err = trust_load(t);
    if (err) return err;
  }
  *out = t->cred;
  return TLSDIAG_OK;
}

int td_trust_roots(const td_trust_t *t) { return t->roots; }

td_vctx_t *td_trust_vctx(td_trust_t *t) {
  if (t->vctx || !t->cred) return t->vctx;
  gnutls_x509_trust_list_t tl = NULL;
  gnutls_certificate_get_trust_list(t->cred, &tl);
  if (tl) t->vctx = td_vctx_new(tl, 0);
  return t->vctx;
}
