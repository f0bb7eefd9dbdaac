/* tdhttp.h: a loopback HTTP server on a thread that answers every request
 * with one canned response (or none: silent) and counts the requests,
 * as an AIA caIssuers URL's server does; and PEM -> DER. Header-only, for
 * the tests that need it (include after tdtest.h). */
#ifndef TDHTTP_H
#define TDHTTP_H

#include <gnutls/gnutls.h>
#include <pthread.h>

/* A loopback HTTP server on a thread: answers every request with a
 * canned response (or none: silent), and counts the requests. */
typedef struct {
  int lfd;
  uint16_t port;
  pthread_t th;
  int status, silent;
  unsigned char *body;
  size_t len;
  int requests;
  int stop; /* atomic: set by tt_http_stop */
} tt_http_t;

static void *tt_http_main(void *arg) {
  tt_http_t *h = arg;
  while (!__atomic_load_n(&h->stop, __ATOMIC_SEQ_CST)) {
    struct pollfd p = {h->lfd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept(h->lfd, NULL, NULL);
    if (fd < 0) continue;
    char req[2048];
    ssize_t n = recv(fd, req, sizeof(req), 0);
    if (n > 0) __atomic_add_fetch(&h->requests, 1, __ATOMIC_SEQ_CST);
    if (h->silent) {
      while (!__atomic_load_n(&h->stop, __ATOMIC_SEQ_CST)) {
        struct pollfd q = {fd, POLLIN, 0};
        if (poll(&q, 1, 50) > 0 && recv(fd, req, sizeof(req), 0) <= 0) break;
      }
    } else {
      char head[256];
      int hl = snprintf(head, sizeof(head),
                        "HTTP/1.1 %d X\r\nContent-Type: "
                        "application/pkix-cert\r\nContent-Length: %zu\r\n"
                        "Connection: close\r\n\r\n",
                        h->status, h->len);
      (void)!send(fd, head, (size_t)hl, MSG_NOSIGNAL);
      for (size_t off = 0; off < h->len;) {
        ssize_t w = send(fd, h->body + off, h->len - off, MSG_NOSIGNAL);
        if (w <= 0) break;
        off += (size_t)w;
      }
    }
    close(fd);
  }
  return NULL;
}

static TT_UNUSED void tt_http_start(tt_http_t *h, int status,
                                    const void *body, size_t len) {
  memset(h, 0, sizeof(*h));
  h->status = status;
  h->body = malloc(len + 1);
  assert_non_null(h->body);
  if (len) memcpy(h->body, body, len);
  h->len = len;
  h->lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof(sa);
  assert_int_equal(bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
  assert_int_equal(listen(h->lfd, 16), 0);
  assert_int_equal(getsockname(h->lfd, (struct sockaddr *)&sa, &sl), 0);
  h->port = ntohs(sa.sin_port);
  assert_int_equal(pthread_create(&h->th, NULL, tt_http_main, h), 0);
}

static TT_UNUSED void tt_http_stop(tt_http_t *h) {
  __atomic_store_n(&h->stop, 1, __ATOMIC_SEQ_CST);
  pthread_join(h->th, NULL);
  close(h->lfd);
  free(h->body);
}

/* PEM -> DER (the first certificate). */
static TT_UNUSED unsigned char *tt_der_of(const char *pem, size_t *len) {
  gnutls_datum_t in = {(unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem)};
  gnutls_datum_t out = {NULL, 0};
  assert_int_equal(gnutls_pem_base64_decode2("CERTIFICATE", &in, &out), 0);
  unsigned char *d = malloc(out.size);
  memcpy(d, out.data, out.size);
  *len = out.size;
  gnutls_free(out.data);
  return d;
}

#endif /* TDHTTP_H */
