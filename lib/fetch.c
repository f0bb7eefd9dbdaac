/* fetch.c: tlsdiag_fetch(), one GET of an https:// URL over the check's own
 * connection, returning the body only when the check found nothing wrong.
 * The URL is split here; the verification gate is check.c's, the request
 * and the body reading check_http.c's. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"


typedef struct url {
  char *host; /* brackets removed */
  uint16_t port;
  char *path; /* path and query, "/" when absent */
} url_t;

static void url_clear(url_t *u) {
  free(u->host);
  free(u->path);
  memset(u, 0, sizeof(*u));
}

/* The URL by the one public parser (options.c): the same rules as the
 * CLI's https:// targets. */
static tlsdiag_err_t url_parse(const char *url, url_t *u) {
  memset(u, 0, sizeof(*u));
  return tlsdiag_url_parse(url, 443, &u->host, &u->port, &u->path);
}

tlsdiag_err_t tlsdiag_fetch(const char *url, const tlsdiag_options_t *opts,
                            size_t max_body, tlsdiag_result_t **out,
                            unsigned char **body, size_t *body_len) {
  if (out) *out = NULL;
  if (body) *body = NULL;
  if (body_len) *body_len = 0;
  if (!url || !out || !body || !body_len) return TLSDIAG_E_INVAL;
  tlsdiag_options_t o, tmp;
  opts = td_options_import(opts, &tmp); /* older callers, NULL */
  if (opts->version != TLSDIAG_OPTIONS_VERSION) return TLSDIAG_E_OPTIONS;
  o = *opts;
  url_t u;
  tlsdiag_err_t err = url_parse(url, &u);
  if (err) return err;
  o.port = u.port;
  o.http_method = "GET";
  o.http_path = u.path;
  td_check_t *c = NULL;
  err = td_check_new_fetch(u.host, &o, max_body, &c);
  if (err) goto out;
  td_check_run(c);
  size_t n = 0;
  unsigned char *b = td_check_take_body(c, &n);
  tlsdiag_result_t *r = td_check_take_result(c);
  td_check_free(c);
  if (!r) {
    free(b);
    err = TLSDIAG_E_NOMEM;
    goto out;
  }
  /* The body is the caller's only if nothing was wrong: verified, whole,
   * and the resource itself. */
  if (b && tlsdiag_result_ok(r) && r->http_status == 200) {
    *body = b;
    *body_len = n;
  } else {
    free(b);
  }
  *out = r;
out:
  url_clear(&u);
  return err;
}
