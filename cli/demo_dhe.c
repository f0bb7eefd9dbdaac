/* demo_dhe.c: the demo's one server that is not in-process: `openssl
 * s_server` offering TLS 1.2 DHE with RFC 2409's 1024-bit group, for the
 * tls_weak_dh row. GnuTLS 3.7's server cannot play it: it answers a client
 * that offers FFDHE groups (ours, as curl's OpenSSL 3 does) with one of
 * them (RFC 7919), while OpenSSL-based servers (nginx, Apache) ignore them
 * in TLS 1.2 and send their configured group, which is how weak DH is met
 * in the field. Without /usr/bin/openssl the row fails with the reason:
 * the demo proves each diagnosis, it never skips one. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "cli.h"

#define OPENSSL "/usr/bin/openssl"

/* RFC 2409 section 6.2, the second Oakley group (1024-bit MODP), g = 2. */
static const char oakley2_hex[] =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74"
    "020bbea63b139b22514a08798e3404ddef9519b3cd3a431b302b0a6df25f1437"
    "4fe1356d6d51c245e485b576625e7ec6f44c42e9a637ed6b0bff5cb6f406b7ed"
    "ee386bfb5a899fa5ae9f24117c4b1fe649286651ece65381ffffffffffffffff";

static int write_file(const char *path, const void *p, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  ssize_t w = write(fd, p, n);
  return close(fd) == 0 && w == (ssize_t)n ? 0 : -1;
}

/* The group as PKCS#3 PEM, what `-dhparam` reads. */
static int write_dhparam(const char *path) {
  unsigned char prime[128], gen = 2;
  for (size_t i = 0; i < sizeof(prime); i++)
    if (sscanf(oakley2_hex + 2 * i, "%2hhx", &prime[i]) != 1) return -1;
  gnutls_datum_t p = {prime, sizeof(prime)}, g = {&gen, 1}, pem = {NULL, 0};
  gnutls_dh_params_t dh;
  if (gnutls_dh_params_init(&dh) < 0) return -1;
  int rc = gnutls_dh_params_import_raw(dh, &p, &g) < 0 ||
                   gnutls_dh_params_export2_pkcs3(dh, GNUTLS_X509_FMT_PEM,
                                                  &pem) < 0
               ? -1
               : write_file(path, pem.data, pem.size);
  gnutls_free(pem.data);
  gnutls_dh_params_deinit(dh);
  return rc;
}

/* A loopback port free a moment ago (s_server binds it itself). */
static int free_port(uint16_t *port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t l = sizeof(sa);
  int rc = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
                   getsockname(fd, (struct sockaddr *)&sa, &l) == 0
               ? 0
               : -1;
  if (fd >= 0) close(fd);
  *port = ntohs(sa.sin_port);
  return rc;
}

static int accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  int ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
  close(fd);
  return ok;
}

static int spawn(td_demo_dhe_t *s, const char *dir) {
  char dh[160], cert[160], chain[160], key[160], acc[32];
  snprintf(dh, sizeof(dh), "%s/dh1024.pem", dir);
  snprintf(cert, sizeof(cert), "%s/dhe-cert.pem", dir);
  snprintf(chain, sizeof(chain), "%s/dhe-chain.pem", dir);
  snprintf(key, sizeof(key), "%s/dhe-key.pem", dir);
  snprintf(acc, sizeof(acc), "127.0.0.1:%u", s->port);
  char *const argv[] = {"openssl", "s_server", "-quiet", "-accept", acc,
                        "-cert", cert, "-cert_chain", chain, "-key", key,
                        "-dhparam", dh,
                        "-no_tls1_3", "-cipher",
                        "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", NULL};
  int in[2];
  if (pipe2(in, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  /* stdin: a pipe the demo holds, so s_server never sees EOF there */
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  extern char **environ;
  int rc = posix_spawn(&s->pid, OPENSSL, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  if (rc != 0) {
    close(in[1]);
    s->pid = 0;
    errno = rc;
    return -1;
  }
  s->stdin_fd = in[1];
  return 0;
}

int td_demo_dhe_start(td_demo_dhe_t *s, const char *dir, const char *cert,
                      const char *key, char *err, size_t errlen) {
  memset(s, 0, sizeof(*s));
  s->stdin_fd = -1;
  if (access(OPENSSL, X_OK) != 0) {
    snprintf(err, errlen, "needs %s (Debian package openssl) to serve it",
             OPENSSL);
    return -1;
  }
  char path[160];
  snprintf(path, sizeof(path), "%s/dh1024.pem", dir);
  int bad = write_dhparam(path) != 0;
  /* -cert takes the leaf, -cert_chain what follows it */
  const char *end = strstr(cert, "-----END CERTIFICATE-----");
  size_t leaf = end ? (size_t)(end - cert) + 25 : strlen(cert);
  snprintf(path, sizeof(path), "%s/dhe-cert.pem", dir);
  bad = bad || write_file(path, cert, leaf) != 0;
  snprintf(path, sizeof(path), "%s/dhe-chain.pem", dir);
  bad = bad || write_file(path, cert + leaf, strlen(cert + leaf)) != 0;
  snprintf(path, sizeof(path), "%s/dhe-key.pem", dir);
  bad = bad || write_file(path, key, strlen(key)) != 0;
  if (bad) {
    snprintf(err, errlen, "cannot write the server's files in %s", dir);
    return -1;
  }
  /* A port taken between free_port and s_server's bind: try another. */
  for (int attempt = 0; attempt < 3; attempt++) {
    if (free_port(&s->port) != 0 || spawn(s, dir) != 0) break;
    for (int i = 0; i < 150; i++) { /* up to 3 s for it to listen */
      if (accepts(s->port)) return 0;
      if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
        s->pid = 0;
        break;
      }
      nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    td_demo_dhe_stop(s);
  }
  snprintf(err, errlen, "%s s_server did not start on loopback", OPENSSL);
  return -1;
}

void td_demo_dhe_stop(td_demo_dhe_t *s) {
  if (s->pid > 0) {
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
  }
  if (s->stdin_fd >= 0) close(s->stdin_fd);
  s->pid = 0;
  s->stdin_fd = -1;
}
