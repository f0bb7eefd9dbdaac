/* consumer.c: a program that links the installed libtlsdiag (through
 * pkg-config or CMake's find_package) and runs one check against a local
 * server: the minimal embedding, as in the README. */
#include <stdio.h>
#include <stdlib.h>

#include <tlsdiag/tlsdiag.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: consumer HOST PORT CAFILE\n");
    return 1;
  }
  if (tlsdiag_global_init() != TLSDIAG_OK) return 1;
  tlsdiag_options_t opts;
  tlsdiag_options_init(&opts);
  opts.port = (uint16_t)atoi(argv[2]);
  opts.cafile = argv[3];
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t err = tlsdiag_check(argv[1], &opts, &r);
  if (err != TLSDIAG_OK) {
    fprintf(stderr, "tlsdiag_check: %s\n", tlsdiag_strerror(err));
    return 1;
  }
  printf("version=%s cause=%s tls=%s http=%d\n", tlsdiag_version_str(),
         tlsdiag_cause_name(tlsdiag_result_cause(r)),
         tlsdiag_result_tls_version(r) ? tlsdiag_result_tls_version(r) : "-",
         tlsdiag_result_http_status(r));
  int ok = tlsdiag_result_ok(r);
  tlsdiag_result_free(r);
  tlsdiag_global_cleanup();
  return ok ? 0 : 2;
}
