/* hsts_download.c: the HSTS preload list as a server sends it: base64 from
 * Chromium's source server (gitiles "?format=TEXT"), or the JSON itself
 * from a mirror. Decoding is GnuTLS's; the JSON is hsts_list.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "internal.h"

static void put_err(char *buf, size_t len, const char *msg) {
  if (buf && len) snprintf(buf, len, "%s", msg);
}

static int is_b64_or_space(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
         c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

tlsdiag_err_t tlsdiag_hsts_decode(const void *body, size_t len,
                                  unsigned char **json, size_t *json_len,
                                  int *was_base64, char *errbuf,
                                  size_t errlen) {
  if (json) *json = NULL;
  if (json_len) *json_len = 0;
  if (was_base64) *was_base64 = 0;
  put_err(errbuf, errlen, "");
  if (!json || !json_len || (!body && len)) {
    put_err(errbuf, errlen, "invalid argument");
    return TLSDIAG_E_INVAL;
  }
  if (len > TLSDIAG_HSTS_MAX_DOWNLOAD) {
    put_err(errbuf, errlen, "larger than 96 MiB");
    return TLSDIAG_E_HSTS_LIST;
  }
  const unsigned char *p = body;
  size_t i = 0;
  while (i < len && is_b64_or_space(p[i])) i++;
  if (i < len) {
    /* Not base64 (JSON has braces and quotes): the list itself. */
    unsigned char *copy = malloc(len + 1);
    if (!copy) {
      put_err(errbuf, errlen, "out of memory");
      return TLSDIAG_E_NOMEM;
    }
    memcpy(copy, p, len);
    copy[len] = '\0';
    *json = copy;
    *json_len = len;
    return TLSDIAG_OK;
  }
  gnutls_datum_t in = {(unsigned char *)(uintptr_t)p, (unsigned)len};
  gnutls_datum_t out = {NULL, 0};
  int rc = len ? gnutls_base64_decode2(&in, &out) : 0;
  if (rc == GNUTLS_E_MEMORY_ERROR) {
    put_err(errbuf, errlen, "out of memory");
    return TLSDIAG_E_NOMEM;
  }
  if (rc < 0) {
    put_err(errbuf, errlen, "the body is not valid base64");
    return TLSDIAG_E_HSTS_LIST;
  }
  /* Ours, from malloc, so the caller can free it with tlsdiag_free. */
  unsigned char *copy = malloc((size_t)out.size + 1);
  if (!copy) {
    gnutls_free(out.data);
    put_err(errbuf, errlen, "out of memory");
    return TLSDIAG_E_NOMEM;
  }
  if (out.size) memcpy(copy, out.data, out.size);
  copy[out.size] = '\0';
  gnutls_free(out.data);
  *json = copy;
  *json_len = out.size;
  if (was_base64) *was_base64 = 1;
  return TLSDIAG_OK;
}
