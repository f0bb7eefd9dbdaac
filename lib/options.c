/* options.c: option defaults, library set-up, and the small parsers the
 * CLI and embedders share (targets, times). */
#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ares.h>
#include <gnutls/gnutls.h>

#include "internal.h"

void tlsdiag_options_init(tlsdiag_options_t *o) {
  if (!o) return;
  memset(o, 0, sizeof(*o));
  o->version = TLSDIAG_OPTIONS_VERSION;
  o->port = 443;
  o->connect_timeout_ms = 10000;
  o->max_time_ms = 30000;
  o->tls_min = TLSDIAG_TLS1_2;
  o->tls_max = TLSDIAG_TLS1_3;
  o->http_method = "HEAD";
  o->http_path = "/";
  o->warn_days = 30;
  o->clock_skew_s = 300;
  o->crit_days = 7;
  o->happy_eyeballs_timeout_ms = TD_RACE_DELAY_MS;
}

/* GnuTLS and c-ares keep their own initialisation counts without locks
 * (c-ares documents ares_library_init/cleanup as not thread-safe), so every
 * call into them goes through one mutex here. The library itself takes one
 * reference the first time any handle needs it and keeps it for the life of
 * the process: handles made and freed on worker threads never initialise or
 * clean up the libraries. tlsdiag_global_init/cleanup add counted
 * references on top for applications that want the libraries released. */
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned init_refs; /* explicit references + the implicit one */
static int implicit_ref;   /* the library's own, taken once */

static tlsdiag_err_t libs_ref_locked(void) {
  if (init_refs == 0) {
    if (gnutls_global_init() < 0) return TLSDIAG_E_INIT;
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
      gnutls_global_deinit();
      return TLSDIAG_E_INIT;
    }
  }
  init_refs++;
  return TLSDIAG_OK;
}

/* The size of tlsdiag_options_t as each version's callers compiled it. A
 * program built against an older header passes a shorter struct: the
 * library reads only that prefix and takes defaults for the rest. A version
 * that appends fields bumps TLSDIAG_OPTIONS_VERSION and adds its row. */
static const size_t options_size[TLSDIAG_OPTIONS_VERSION + 1] = {
    [1] = offsetof(tlsdiag_options_t, keylog_file) + sizeof(const char *),
    [2] = offsetof(tlsdiag_options_t, address_filter_data) + sizeof(void *),
    [3] = offsetof(tlsdiag_options_t, trust_source) + sizeof(const char *),
    [4] = offsetof(tlsdiag_options_t, happy_eyeballs_timeout_ms) + sizeof(int),
    [5] = offsetof(tlsdiag_options_t, http_version) +
          sizeof(tlsdiag_http_version_t),
};

const tlsdiag_options_t *td_options_import(const tlsdiag_options_t *in,
                                           tlsdiag_options_t *tmp) {
  if (in && in->version == TLSDIAG_OPTIONS_VERSION) return in;
  tlsdiag_options_init(tmp);
  if (!in) return tmp;
  if (in->version < 1 || in->version > TLSDIAG_OPTIONS_VERSION) {
    tmp->version = in->version; /* validation names the bad version */
    return tmp;
  }
  memcpy(tmp, in, options_size[in->version]);
  tmp->version = TLSDIAG_OPTIONS_VERSION;
  return tmp;
}

tlsdiag_err_t tlsdiag_global_init(void) {
  pthread_mutex_lock(&init_lock);
  tlsdiag_err_t err = libs_ref_locked();
  pthread_mutex_unlock(&init_lock);
  return err;
}

tlsdiag_err_t td_global_init_once(void) {
  tlsdiag_err_t err = TLSDIAG_OK;
  pthread_mutex_lock(&init_lock);
  if (!implicit_ref) {
    err = libs_ref_locked();
    if (err == TLSDIAG_OK) implicit_ref = 1;
  }
  pthread_mutex_unlock(&init_lock);
  return err;
}

void tlsdiag_global_cleanup(void) {
  pthread_mutex_lock(&init_lock);
  /* Never below the implicit reference: a handle may still rely on it. */
  if (init_refs > (unsigned)implicit_ref && --init_refs == 0) {
    ares_library_cleanup();
    gnutls_global_deinit();
  }
  pthread_mutex_unlock(&init_lock);
}

static int parse_port(const char *s, uint16_t *port) {
  if (!*s || strlen(s) > 5) return -1;
  unsigned v = 0;
  for (; *s; s++) {
    if (!isdigit((unsigned char)*s)) return -1;
    v = v * 10 + (unsigned)(*s - '0');
  }
  if (v == 0 || v > 65535) return -1;
  *port = (uint16_t)v;
  return 0;
}

tlsdiag_err_t tlsdiag_target_parse(const char *t, uint16_t default_port,
                                   char **host, uint16_t *port) {
  if (!t || !host || !port) return TLSDIAG_E_INVAL;
  *host = NULL;
  *port = default_port;
  size_t n = strlen(t);
  if (n == 0 || n > 1024) return TLSDIAG_E_HOST;
  const char *hs = t, *he;
  if (t[0] == '[') {
    const char *rb = strchr(t, ']');
    if (!rb || rb == t + 1) return TLSDIAG_E_HOST;
    hs = t + 1;
    he = rb;
    if (rb[1] == ':') {
      if (parse_port(rb + 2, port) < 0) return TLSDIAG_E_PORT;
    } else if (rb[1]) {
      return TLSDIAG_E_HOST;
    }
  } else {
    const char *colon = strchr(t, ':');
    if (colon && strchr(colon + 1, ':')) {
      he = t + n; /* a bare IPv6 literal: no port */
    } else if (colon) {
      he = colon;
      if (parse_port(colon + 1, port) < 0) return TLSDIAG_E_PORT;
    } else {
      he = t + n;
    }
  }
  if (he == hs) return TLSDIAG_E_HOST;
  *host = td_strndup(hs, (size_t)(he - hs));
  if (!*host) return TLSDIAG_E_NOMEM;
  /* Brackets mean an IPv6 literal, never a name to look up. */
  if (t[0] == '[' && !td_is_ip_literal(*host)) {
    free(*host);
    *host = NULL;
    return TLSDIAG_E_HOST;
  }
  return TLSDIAG_OK;
}

tlsdiag_err_t tlsdiag_time_parse_from(const char *s, int64_t now,
                                      int64_t *out, const char **why) {
  return td_time_parse(s, now ? now : (int64_t)time(NULL), out, why);
}

tlsdiag_err_t tlsdiag_time_parse(const char *s, int64_t *out) {
  return tlsdiag_time_parse_from(s, 0, out, NULL);
}

tlsdiag_err_t tlsdiag_host_check(const char *host, const char **why) {
  return td_host_check(host, NULL, NULL, why);
}

/* "https://AUTHORITY[PATH-ABEMPTY][?QUERY][#FRAGMENT]" (RFC 3986), the
 * authority read as tlsdiag_target_parse reads "HOST[:PORT]". The same
 * rules as tlsdiag_fetch's URLs. */
tlsdiag_err_t tlsdiag_url_parse(const char *url, uint16_t default_port,
                                char **host, uint16_t *port, char **path) {
  if (!url || !host || !port || !path) return TLSDIAG_E_INVAL;
  *host = NULL;
  *path = NULL;
  *port = default_port;
  size_t n = strnlen(url, 8193);
  if (n > 8192 || n < 9 || strncasecmp(url, "https://", 8) != 0)
    return TLSDIAG_E_URL;
  /* Nothing that could end the request line or add a header. */
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)url[i];
    if (ch <= 0x20 || ch == 0x7f) return TLSDIAG_E_URL;
  }
  const char *auth = url + 8;
  size_t alen = strcspn(auth, "/?#");
  /* No user info; no percent-encoded host (a second parser of names). */
  if (alen == 0 || memchr(auth, '@', alen) || memchr(auth, '%', alen))
    return TLSDIAG_E_URL;
  /* An IPv6 literal needs its brackets in a URL ("https://[::1]/"). */
  const char *colon = memchr(auth, ':', alen);
  if (auth[0] != '[' && colon &&
      memchr(colon + 1, ':', alen - (size_t)(colon + 1 - auth)))
    return TLSDIAG_E_URL;
  char *a = td_strndup(auth, alen);
  if (!a) return TLSDIAG_E_NOMEM;
  tlsdiag_err_t err = tlsdiag_target_parse(a, default_port, host, port);
  free(a);
  if (err) return err;
  const char *p = auth + alen;
  size_t plen = strcspn(p, "#");
  if (plen == 0) *path = td_strdup("/");
  else if (p[0] == '?') *path = td_asprintf("/%.*s", (int)plen, p);
  else *path = td_strndup(p, plen);
  if (!*path) {
    free(*host);
    *host = NULL;
    return TLSDIAG_E_NOMEM;
  }
  return TLSDIAG_OK;
}
