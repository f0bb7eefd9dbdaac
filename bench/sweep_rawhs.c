/* sweep_rawhs.c: the handshake limit for bench/sweep_bench.sh: full TLS
 * handshakes between a GnuTLS client and a GnuTLS server in one process
 * and one thread, over a socketpair, as fast as the CPU allows. No network,
 * no event loop, no HTTP, no result building: only the cryptography and
 * the protocol, which is what a sweep cannot go faster than.
 *
 *   sweep_rawhs CHAIN.pem KEY.pem ROOT.pem SNI SECONDS [GROUP]
 *
 * The client does what tlsdiag's does for the handshake itself: priority
 * "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2", SNI, and the certificate
 * verified against ROOT afterwards (gnutls_certificate_verify_peers with
 * the host name). The server serves CHAIN/KEY; GROUP (e.g. X25519,
 * SECP256R1) pins the key-exchange group to the one the real server
 * negotiated. Prints "handshakes N seconds S per_s R version V group G".
 * Exit 0, or 1 on any failure (a failed handshake is a failure here). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what, int rc) {
  fprintf(stderr, "sweep_rawhs: %s: %s\n", what,
          rc < 0 ? gnutls_strerror(rc) : strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: sweep_rawhs CHAIN KEY ROOT SNI SECONDS [GROUP]\n");
    return 1;
  }
  const char *sni = argv[4];
  double secs = atof(argv[5]);
  if (!(secs > 0 && secs <= 600)) {
    fprintf(stderr, "sweep_rawhs: SECONDS must be in (0, 600]\n");
    return 1;
  }
  char sprio[256] = "NORMAL";
  if (argc > 6)
    snprintf(sprio, sizeof(sprio), "NORMAL:-GROUP-ALL:+GROUP-%s", argv[6]);
  const char *cprio = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
  int rc;
  if ((rc = gnutls_global_init()) < 0) return die("init", rc);
  gnutls_certificate_credentials_t scred, ccred;
  gnutls_certificate_allocate_credentials(&scred);
  gnutls_certificate_allocate_credentials(&ccred);
  if ((rc = gnutls_certificate_set_x509_key_file(scred, argv[1], argv[2],
                                                 GNUTLS_X509_FMT_PEM)) < 0)
    return die("server certificate", rc);
  if ((rc = gnutls_certificate_set_x509_trust_file(ccred, argv[3],
                                                   GNUTLS_X509_FMT_PEM)) <= 0)
    return die("trust file", rc < 0 ? rc : GNUTLS_E_FILE_ERROR);
  gnutls_priority_t sp, cp;
  if ((rc = gnutls_priority_init(&sp, sprio, NULL)) < 0)
    return die("server priority", rc);
  if ((rc = gnutls_priority_init(&cp, cprio, NULL)) < 0)
    return die("client priority", rc);

  long n = 0;
  char version[32] = "?", group[32] = "?";
  double t0 = now_s(), t = t0;
  /* Bounded: by time, and by count as a second guard. */
  while (t - t0 < secs && n < 100000000L) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return die("socketpair", 0);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    gnutls_session_t c, s;
    gnutls_init(&c, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
    gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NONBLOCK);
    gnutls_priority_set(c, cp);
    gnutls_priority_set(s, sp);
    gnutls_credentials_set(c, GNUTLS_CRD_CERTIFICATE, ccred);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, scred);
    gnutls_server_name_set(c, GNUTLS_NAME_DNS, sni, strlen(sni));
    gnutls_transport_set_int(c, sv[0]);
    gnutls_transport_set_int(s, sv[1]);
    int cdone = 0, sdone = 0, steps = 0;
    while ((!cdone || !sdone) && steps++ < 1000) {
      if (!cdone) {
        rc = gnutls_handshake(c);
        if (rc == 0) cdone = 1;
        else if (gnutls_error_is_fatal(rc)) return die("client handshake", rc);
      }
      if (!sdone) {
        rc = gnutls_handshake(s);
        if (rc == 0) sdone = 1;
        else if (gnutls_error_is_fatal(rc)) return die("server handshake", rc);
      }
    }
    if (!cdone || !sdone) return die("handshake did not finish", GNUTLS_E_AGAIN);
    unsigned status = 0;
    gnutls_typed_vdata_st vd = {GNUTLS_DT_DNS_HOSTNAME, (void *)sni, 0};
    rc = gnutls_certificate_verify_peers(c, &vd, 1, &status);
    if (rc < 0 || status != 0) return die("verification", rc < 0 ? rc : GNUTLS_E_CERTIFICATE_ERROR);
    if (n == 0) {
      snprintf(version, sizeof(version), "%s",
               gnutls_protocol_get_name(gnutls_protocol_get_version(c)));
      const char *g = gnutls_group_get_name(gnutls_group_get(c));
      snprintf(group, sizeof(group), "%s", g ? g : "?");
    }
    gnutls_deinit(c);
    gnutls_deinit(s);
    close(sv[0]);
    close(sv[1]);
    n++;
    t = now_s();
  }
  double el = t - t0;
  printf("handshakes %ld seconds %.3f per_s %.1f version %s group %s\n", n, el,
         (double)n / el, version, group);
  gnutls_priority_deinit(sp);
  gnutls_priority_deinit(cp);
  gnutls_certificate_free_credentials(scred);
  gnutls_certificate_free_credentials(ccred);
  gnutls_global_deinit();
  return 0;
}
