/* tdserve.c: a loopback HTTPS server for scripts (the install test, the
 * benchmarks): generates the test PKI, writes its root to a file, serves
 * one certificate case on 127.0.0.1, prints the port, and runs until
 * SIGTERM/SIGINT or until its standard input closes. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tdcerts.h"
#include "tdserver.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  const char *root_out = NULL, *cname = "valid", *hsts = NULL;
  int watch_stdin = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--root-out") && i + 1 < argc) root_out = argv[++i];
    else if (!strcmp(argv[i], "--case") && i + 1 < argc) cname = argv[++i];
    else if (!strcmp(argv[i], "--hsts") && i + 1 < argc) hsts = argv[++i];
    else if (!strcmp(argv[i], "--stdin")) watch_stdin = 1;
    else {
      fprintf(stderr, "usage: tdserve --root-out FILE [--case NAME] [--hsts VALUE] [--stdin]\n");
      return 1;
    }
  }
  if (!root_out) {
    fprintf(stderr, "tdserve: --root-out is required\n");
    return 1;
  }
  tdcerts_t *pki = NULL;
  if (tdcerts_generate((int64_t)time(NULL), &pki) != 0) {
    fprintf(stderr, "tdserve: cannot generate certificates\n");
    return 1;
  }
  const tdcerts_case_t *c = tdcerts_case(pki, cname);
  if (!c) {
    fprintf(stderr, "tdserve: unknown case %s\n", cname);
    return 1;
  }
  FILE *f = fopen(root_out, "w");
  if (!f || fputs(tdcerts_root_pem(pki), f) < 0 || fclose(f) != 0) {
    fprintf(stderr, "tdserve: cannot write %s: %s\n", root_out, strerror(errno));
    return 1;
  }
  char hdr[512] = "";
  if (hsts) snprintf(hdr, sizeof(hdr), "Strict-Transport-Security: %s\r\n", hsts);
  tdserver_config_t cfg;
  tdserver_config_init(&cfg);
  cfg.chain_pem = c->chain_pem;
  cfg.key_pem = c->key_pem;
  cfg.ocsp_der = c->ocsp_der;
  cfg.ocsp_len = c->ocsp_len;
  cfg.alpn = "http/1.1";
  cfg.extra_headers = hsts ? hdr : NULL;
  cfg.session_tickets = 1;
  tdserver_t *s = NULL;
  int rc = tdserver_start(&cfg, &s);
  if (rc != 0) {
    fprintf(stderr, "tdserve: %s\n", tdserver_strerror(rc));
    return 1;
  }
  printf("%u\n", tdserver_port(s));
  fflush(stdout);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while (!stop) {
    struct pollfd p = {.fd = 0, .events = POLLIN};
    if (watch_stdin) {
      if (poll(&p, 1, 200) > 0) {
        char b[64];
        if (read(0, b, sizeof(b)) <= 0) break;
      }
    } else {
      poll(NULL, 0, 200);
    }
  }
  tdserver_stop(s);
  tdcerts_free(pki);
  return 0;
}
