/* fuzz_hsts_download.c: every step from a downloaded HSTS preload list to
 * a list, as `tlsdiag hsts update` takes them: the body's chunked
 * transfer coding (td_chunked_feed, when the first byte is odd), the
 * body decoder (tlsdiag_hsts_decode: gitiles base64 or the JSON itself),
 * then the list loader (tlsdiag_hsts_load_mem) and lookups.
 * (fuzz_http_body fuzzes the framing and the chunked decoder on their
 * own; fuzz_hsts_list the loader on its own.)
 *
 * Properties: no crash or leak; decode fails with no output and a
 * one-line reason, or gives a NUL-terminated buffer; it reads the body as
 * base64 exactly when every byte is base64 or white space; JSON as sent
 * is returned unchanged; base64 of any body that was not base64 decodes
 * back to that body (with or without line breaks), and loads to a list of
 * the same size, or fails the same way. */
#include "fuzz.h"
#include "internal.h"
#include "tlsdiag/tlsdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int b64_or_space(uint8_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=' ||
         c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 4648 base64 with padding, a '\n' every wrap characters (0: none). */
static char *b64(const unsigned char *p, size_t n, size_t wrap, size_t *len) {
  static const char al[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t out = (n + 2) / 3 * 4;
  char *s = malloc(out + (wrap ? out / wrap + 1 : 0) + 1);
  if (!s) abort();
  size_t k = 0, col = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16;
    if (i + 1 < n) v |= (unsigned)p[i + 1] << 8;
    if (i + 2 < n) v |= p[i + 2];
    char q[4] = {al[v >> 18 & 63], al[v >> 12 & 63],
                 i + 1 < n ? al[v >> 6 & 63] : '=', i + 2 < n ? al[v & 63] : '='};
    for (int j = 0; j < 4; j++) {
      s[k++] = q[j];
      if (wrap && ++col == wrap) {
        s[k++] = '\n';
        col = 0;
      }
    }
  }
  s[k] = '\0';
  *len = k;
  return s;
}

static void lookup(const tlsdiag_hsts_t *h, const char *name) {
  const char *entry = NULL;
  int sub = -1;
  int p = tlsdiag_hsts_lookup(h, name, &entry, &sub);
  FZ_ASSERT(p == 0 || p == 1, "lookup returned %d", p);
  if (p) FZ_ASSERT(entry && *entry, "preloaded without an entry");
}

/* Loads json; returns the entry count, or -1 with the error. */
static long load(const unsigned char *json, size_t len, tlsdiag_err_t *e) {
  tlsdiag_hsts_t *h = NULL;
  char err[256];
  memset(err, 'x', sizeof(err));
  *e = tlsdiag_hsts_load_mem(json, len, &h, err, sizeof(err));
  if (*e != TLSDIAG_OK) {
    FZ_ASSERT(h == NULL, "a failed load returned a list");
    FZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL, "reason not terminated");
    FZ_ASSERT(!strchr(err, '\n'), "reason is more than one line");
    return -1;
  }
  FZ_ASSERT(h != NULL, "no list");
  long n = (long)tlsdiag_hsts_count(h);
  lookup(h, "example.com");
  lookup(h, "a.b.c.example.dev");
  lookup(h, "");
  tlsdiag_hsts_free(h);
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  unsigned mode = data[0];
  const unsigned char *body = data + 1;
  size_t blen = size - 1;
  td_buf_t dechunked;
  td_buf_init(&dechunked);
  if (mode & 1) {
    td_chunked_t *d = malloc(sizeof(*d));
    if (!d) abort();
    td_chunked_init(d);
    size_t used = 0;
    const char *why = NULL;
    td_http_rc_t rc = td_chunked_feed(d, (const char *)body, blen, &dechunked,
                                      1u << 20, &used, &why);
    free(d);
    if (rc != TD_HTTP_DONE) {
      td_buf_free(&dechunked);
      return 0;
    }
    body = (const unsigned char *)(dechunked.data ? dechunked.data : "");
    blen = dechunked.len;
  }

  int all_b64 = 1;
  for (size_t i = 0; i < blen; i++)
    if (!b64_or_space(body[i])) all_b64 = 0;

  unsigned char *json = (unsigned char *)1;
  size_t jlen = 99;
  int was = -1;
  char err[256];
  memset(err, 'x', sizeof(err));
  tlsdiag_err_t e = tlsdiag_hsts_decode(body, blen, &json, &jlen, &was, err,
                                        sizeof(err));
  if (e != TLSDIAG_OK) {
    FZ_ASSERT(json == NULL && jlen == 0, "a failed decode gave output");
    FZ_ASSERT(memchr(err, '\0', sizeof(err)) && !strchr(err, '\n') && *err,
              "bad reason");
    FZ_ASSERT(all_b64, "non-base64 JSON failed to decode: %s", err);
    td_buf_free(&dechunked);
    return 0;
  }
  FZ_ASSERT(json != NULL && json[jlen] == '\0', "output not terminated");
  FZ_ASSERT(was == all_b64, "read as base64: %d, all base64 bytes: %d", was,
            all_b64);
  if (!was)
    FZ_ASSERT(jlen == blen && !memcmp(json, body, blen), "JSON changed");
  else
    FZ_ASSERT(jlen <= blen / 4 * 3 + 3, "decoded %zu from %zu", jlen, blen);
  tlsdiag_err_t le;
  long n = load(json, jlen, &le);

  if (!was && jlen > 0) {
    /* what gitiles would have sent for this list */
    size_t elen;
    char *enc = b64(json, jlen, (mode >> 1) & 1 ? 76 : 0, &elen);
    unsigned char *back = NULL;
    size_t backlen = 0;
    int was2 = 0;
    tlsdiag_err_t e2 = tlsdiag_hsts_decode(enc, elen, &back, &backlen, &was2,
                                           NULL, 0);
    FZ_ASSERT(e2 == TLSDIAG_OK && was2, "base64 of the body: %d", (int)e2);
    FZ_ASSERT(backlen == jlen && !memcmp(back, json, jlen),
              "base64 round trip changed the body");
    tlsdiag_err_t le2;
    long n2 = load(back, backlen, &le2);
    FZ_ASSERT(n2 == n && le2 == le, "loads differ: %ld/%d vs %ld/%d", n2,
              (int)le2, n, (int)le);
    tlsdiag_free(back);
    free(enc);
  }
  tlsdiag_free(json);
  td_buf_free(&dechunked);
  return 0;
}
