/* optcheck.c: the one validation of a check's host and options, shared by
 * tlsdiag_check (check.c), the engine (tlsdiag_multi_add) and
 * tlsdiag_options_check, so that the same bad options give the same API
 * error on every path, and a line saying which option is wrong and why. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/x509.h>

#include "engine.h"


/* The key log file can be opened for appending, as the check will open
 * it. A file that does not exist yet is created and removed again, so a
 * validation leaves nothing behind. Root passes permission checks, so
 * what fails for everyone is a missing directory or a directory. */
static tlsdiag_err_t keylog_check(const char *path, char *why, size_t len) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      close(fd);
      unlink(path);
      return TLSDIAG_OK;
    }
    if (errno == EEXIST) /* made meanwhile by someone else: try it */
      fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  }
  if (fd >= 0) {
    close(fd);
    return TLSDIAG_OK;
  }
  return td_say(why, len, TLSDIAG_E_KEYLOG,
             "key log file '%s' cannot be opened for writing: %s", path,
             strerror(errno));
}

tlsdiag_err_t td_options_validate(const char *host,
                                  const tlsdiag_options_t *o, char *why,
                                  size_t len) {
  tlsdiag_err_t err;
  td_say(why, len, TLSDIAG_OK, "%s", "");
  if (o->version < 1 || o->version > TLSDIAG_OPTIONS_VERSION)
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "options version %u unknown (this library knows 1 to %d)",
               o->version, TLSDIAG_OPTIONS_VERSION);
  if (o->port == 0)
    return td_say(why, len, TLSDIAG_E_PORT, "port 0 (1 to 65535 allowed)");
  tlsdiag_tls_version_t lo = o->tls_min ? o->tls_min : TLSDIAG_TLS1_2;
  tlsdiag_tls_version_t hi = o->tls_max ? o->tls_max : TLSDIAG_TLS1_3;
  if (lo < TLSDIAG_TLS1_0 || hi > TLSDIAG_TLS1_3 || lo > hi)
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "TLS version range %d..%d is not within TLS 1.0..1.3 in order",
               (int)lo, (int)hi);
  if (o->http_version != TLSDIAG_HTTP_DEFAULT &&
      o->http_version != TLSDIAG_HTTP1_1 && o->http_version != TLSDIAG_HTTP2)
    return td_say(why, len, TLSDIAG_E_OPTIONS,
                  "HTTP version %d unknown (0, 11 or 20)",
                  (int)o->http_version);
  if (o->connect_timeout_ms <= 0 || o->max_time_ms <= 0)
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "timeouts must be positive (connect %d ms, total %d ms)",
               o->connect_timeout_ms, o->max_time_ms);
  if (o->happy_eyeballs_timeout_ms < 0 || o->happy_eyeballs_timeout_ms > 60000)
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "happy_eyeballs_timeout_ms %d is not within 0..60000",
               o->happy_eyeballs_timeout_ms);
  if ((o->flags & TLSDIAG_F_IPV4_ONLY) && (o->flags & TLSDIAG_F_IPV6_ONLY))
    return td_say(why, len, TLSDIAG_E_OPTIONS,
               "TLSDIAG_F_IPV4_ONLY and TLSDIAG_F_IPV6_ONLY together");
  if (o->dns_servers && (err = td_dns_servers_check(o->dns_servers)))
    return td_say(why, len, err, "DNS server list '%s' is malformed",
               o->dns_servers);
  for (const char *const *p = o->resolve; p && *p; p++) {
    td_pin_t pin;
    if ((err = td_pin_parse(*p, &pin)))
      return td_say(why, len, err, "resolve pin '%s' is malformed", *p);
    td_pin_clear(&pin);
  }
  for (const char *const *p = o->connect_to; p && *p; p++)
    if (td_connect_to_check(*p) < 0)
      return td_say(why, len, TLSDIAG_E_OPTIONS,
                    "connect-to rule '%s' is malformed"
                    " (HOST1:PORT1:HOST2:PORT2)", *p);
  if (host) {
    /* idn.c: the one host check (literal, bracketed literal, or name). */
    const char *w = NULL;
    if ((err = td_host_check(host, NULL, NULL, &w))) {
      char *shown = td_text_safe_dup(host); /* one line, whatever input */
      tlsdiag_err_t e = td_say(why, len, err, "host '%s': %s",
                            shown ? shown : "?", w ? w : "malformed");
      free(shown);
      return e;
    }
  }
  if (o->keylog_file && (err = keylog_check(o->keylog_file, why, len)))
    return err;
  /* The client certificate loads as the check will load it. */
  if (o->client_cert || o->client_key || o->client_cert_password) {
    td_clientcert_t *cc = NULL;
    if ((err = td_global_init_once()))
      return td_say(why, len, err, "GnuTLS failed to initialise");
    err = td_clientcert_load(o, &cc, why, len);
    td_clientcert_free(cc);
    if (err) return err;
  }
  return TLSDIAG_OK;
}

/* ---- why a trust store would not load ---------------------------------- */

/* Line number (1-based) of offset off in data. */
static unsigned line_of(const unsigned char *data, size_t off) {
  unsigned line = 1;
  for (size_t i = 0; i < off; i++)
    if (data[i] == '\n') line++;
  return line;
}

/* Finds the next PEM certificate block from *pos: its offset, or -1. */
static long next_pem_cert(const gnutls_datum_t *d, size_t *pos) {
  static const char *const labels[] = {"-----BEGIN CERTIFICATE-----",
                                       "-----BEGIN X509 CERTIFICATE-----"};
  long best = -1;
  for (size_t k = 0; k < 2; k++) {
    size_t n = strlen(labels[k]);
    for (size_t i = *pos; i + n <= d->size; i++)
      if (memcmp(d->data + i, labels[k], n) == 0) {
        if (best < 0 || (long)i < best) best = (long)i;
        break;
      }
  }
  if (best >= 0) *pos = (size_t)best + 1;
  return best;
}

static void explain_cafile(const char *path, char *why, size_t len) {
  struct stat st;
  if (stat(path, &st) != 0) {
    td_say(why, len, TLSDIAG_E_CAFILE, "CA file '%s': %s", path,
        strerror(errno));
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    td_say(why, len, TLSDIAG_E_CAFILE,
        "CA file '%s' is a directory (set capath for a directory)", path);
    return;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    td_say(why, len, TLSDIAG_E_CAFILE, "CA file '%s' cannot be read: %s", path,
        strerror(errno));
    return;
  }
  close(fd);
  gnutls_datum_t d = {NULL, 0};
  if (gnutls_load_file(path, &d) < 0) {
    td_say(why, len, TLSDIAG_E_CAFILE, "CA file '%s' cannot be read", path);
    return;
  }
  if (d.size == 0) {
    td_say(why, len, TLSDIAG_E_CAFILE, "CA file '%s' is empty", path);
    gnutls_free(d.data);
    return;
  }
  gnutls_x509_crt_t crt = NULL;
  if (gnutls_x509_crt_init(&crt) < 0) {
    td_say(why, len, TLSDIAG_E_CAFILE, "out of memory reading CA file '%s'",
        path);
    gnutls_free(d.data);
    return;
  }
  size_t pos = 0;
  unsigned count = 0;
  long at;
  int bad = 0;
  while (!bad && (at = next_pem_cert(&d, &pos)) >= 0) {
    count++;
    gnutls_datum_t one = {d.data + at, d.size - (unsigned)at};
    int rc = gnutls_x509_crt_import(crt, &one, GNUTLS_X509_FMT_PEM);
    if (rc < 0) {
      td_say(why, len, TLSDIAG_E_CAFILE,
          "CA file '%s': certificate %u (line %u) does not parse: %s", path,
          count, line_of(d.data, (size_t)at), gnutls_strerror(rc));
      bad = 1;
    }
    gnutls_x509_crt_deinit(crt);
    crt = NULL;
    if (!bad && gnutls_x509_crt_init(&crt) < 0) break;
  }
  if (!bad && count == 0) {
    /* No PEM certificate: one DER certificate, or none at all. */
    int rc = crt ? gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER) : -1;
    if (rc < 0)
      td_say(why, len, TLSDIAG_E_CAFILE,
          "CA file '%s' holds no certificate (no PEM CERTIFICATE block, and "
          "not one DER certificate)", path);
    else
      td_say(why, len, TLSDIAG_E_CAFILE,
          "CA file '%s': its DER certificate was not accepted", path);
  } else if (!bad) {
    td_say(why, len, TLSDIAG_E_CAFILE,
        "CA file '%s': its %u certificate%s were not accepted", path, count,
        count == 1 ? "" : "s");
  }
  if (crt) gnutls_x509_crt_deinit(crt);
  gnutls_free(d.data);
}

static void explain_capath(const char *path, char *why, size_t len) {
  struct stat st;
  if (stat(path, &st) != 0) {
    td_say(why, len, TLSDIAG_E_CAFILE, "CA directory '%s': %s", path,
        strerror(errno));
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    td_say(why, len, TLSDIAG_E_CAFILE,
        "CA directory '%s' is not a directory (set cafile for a file)", path);
    return;
  }
  DIR *dir = opendir(path);
  if (!dir) {
    td_say(why, len, TLSDIAG_E_CAFILE, "CA directory '%s' cannot be read: %s",
        path, strerror(errno));
    return;
  }
  closedir(dir);
  td_say(why, len, TLSDIAG_E_CAFILE,
      "CA directory '%s' holds no PEM certificate that parses", path);
}

tlsdiag_err_t tlsdiag_options_check(const tlsdiag_options_t *opts, char *why,
                                    size_t len) {
  tlsdiag_options_t def;
  opts = td_options_import(opts, &def); /* older callers, NULL */
  tlsdiag_err_t err = td_options_validate(NULL, opts, why, len);
  if (err) return err;
  if ((err = td_global_init_once()))
    return td_say(why, len, err, "GnuTLS or c-ares failed to initialise");
  /* The trust store, loaded exactly as a check loads it: the verdict is
   * the check's own; only the explanation is looked for separately. */
  gnutls_certificate_credentials_t cred = NULL;
  err = td_tls_cred_new(opts, &cred, NULL);
  if (cred) gnutls_certificate_free_credentials(cred);
  if (err == TLSDIAG_E_CAFILE) {
    gnutls_certificate_credentials_t one = NULL;
    tlsdiag_options_t o = *opts;
    /* Which of the two failed: the file alone first. */
    o.capath = NULL;
    tlsdiag_err_t file_err =
        o.cafile ? td_tls_cred_new(&o, &one, NULL) : TLSDIAG_OK;
    if (one) gnutls_certificate_free_credentials(one);
    if (file_err == TLSDIAG_E_CAFILE) explain_cafile(opts->cafile, why, len);
    else if (file_err == TLSDIAG_OK && opts->capath)
      explain_capath(opts->capath, why, len);
    else td_say(why, len, err, "the trust store could not be loaded");
  } else if (err) {
    td_say(why, len, err, "out of memory loading the trust store");
  }
  return err;
}
