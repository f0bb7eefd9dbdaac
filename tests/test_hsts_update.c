/* test_hsts_update.c: `tlsdiag hsts update` and the tlsdiag_fetch() under
 * it, against local HTTPS servers that send any bytes (TDS_RAW_RESPONSE):
 * a base64 list (Content-Length, chunked) or plain JSON (until close)
 * replaces the list file atomically; a truncated, oversized, non-200,
 * undecodable or invalid body, or a server whose certificate does not
 * verify (which then gets no request at all), leaves the old file as it
 * was and exits 2 with one line saying why. Loopback only: every run
 * passes --url, --cacert and --resolve. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>

#include <gnutls/gnutls.h>

#include "tdtest.h"

#define NEW_LIST TD_SOURCE_DIR "/tests/data/hsts/e2e.json"
#define NEW_ENTRIES 4
#define REAL_LIST \
  td_shared_path("data/hsts/transport_security_state_static.derived.json")
#define OLD_LIST                                                             \
  "// the list before the update\n"                                          \
  "{\"entries\": [{\"name\": \"old.tlsdiag.test\", \"mode\": \"force-https\"}]}\n"
#define PATH_Q                                                               \
  "/chromium/src/+/main/net/http/transport_security_state_static.json"       \
  "?format=TEXT"
#define HOST "valid.tlsdiag.test"

static char cache_home[200];  /* XDG_CACHE_HOME of the CLI runs */
static char cache_file[260];  /* its tlsdiag/hsts.json */
static char *new_json;        /* NEW_LIST's bytes */
static size_t new_len;
static char *new_b64;         /* ... base64, one line */
static char *new_b64_lines;   /* ... base64, 76 columns, CRLF */

static char *base64(const char *p, size_t n, int lines) {
  gnutls_datum_t in = {(unsigned char *)(uintptr_t)p, (unsigned)n};
  gnutls_datum_t out = {NULL, 0};
  assert_int_equal(gnutls_base64_encode2(&in, &out), 0);
  td_buf_t b;
  td_buf_init(&b);
  for (size_t i = 0; i < out.size; i += 76) {
    size_t k = out.size - i < 76 ? out.size - i : 76;
    td_buf_append(&b, out.data + i, lines ? k : out.size - i);
    if (!lines) break;
    td_buf_puts(&b, "\r\n");
  }
  gnutls_free(out.data);
  return td_buf_steal(&b, NULL);
}

static int setup(void **state) {
  if (tt_setup(state)) return -1;
  snprintf(cache_home, sizeof(cache_home), "%s/cache", tt_dir);
  snprintf(cache_file, sizeof(cache_file), "%s/tlsdiag/hsts.json", cache_home);
  /* the CLI must neither read nor write a list of whoever runs the tests */
  setenv("XDG_CACHE_HOME", cache_home, 1);
  unsetenv("TLSDIAG_HSTS_LIST");
  new_json = tt_read_file_len(NEW_LIST, &new_len);
  if (!new_json) return -1;
  new_b64 = base64(new_json, new_len, 0);
  new_b64_lines = base64(new_json, new_len, 1);
  return 0;
}

static int teardown(void **state) {
  free(new_json);
  free(new_b64);
  free(new_b64_lines);
  return tt_teardown(state);
}

/* ---- servers and runs ----------------------------------------------------- */

/* A server of certificate case `cert` that answers any request with the
 * `len` bytes at `raw`. */
static tdserver_t *serve_raw(const char *cert, const char *raw, size_t len,
                             int no_close_notify) {
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RAW_RESPONSE, cert);
  cfg.raw_response = raw;
  cfg.raw_len = len;
  cfg.raw_no_close_notify = no_close_notify;
  return tt_server_cfg(&cfg);
}

static char *response(const char *head, const char *body, size_t blen) {
  td_buf_t b;
  td_buf_init(&b);
  td_buf_puts(&b, head);
  td_buf_append(&b, body, blen);
  return td_buf_steal(&b, NULL);
}

/* "HTTP/1.1 200 OK" with Content-Length: len + extra. */
static char *response_cl(const char *body, size_t len, size_t extra,
                         size_t *out_len) {
  char head[200];
  snprintf(head, sizeof(head),
           "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
           "Content-Length: %zu\r\n\r\n",
           len + extra);
  char *r = response(head, body, len);
  *out_len = strlen(head) + len;
  return r;
}

/* The body in chunks of 1, 7, 100, then the rest, with an extension on
 * one and a trailer field at the end (a chunk-size line per chunk). */
static char *response_chunked(const char *body, size_t len, int last) {
  td_buf_t b;
  td_buf_init(&b);
  td_buf_puts(&b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  static const size_t sizes[] = {1, 7, 100};
  size_t pos = 0;
  for (size_t i = 0; pos < len; i++) {
    size_t k = i < 3 ? sizes[i] : len - pos;
    if (k > len - pos) k = len - pos;
    if (i == 1) td_buf_printf(&b, "%zx;ext=\"v\"\r\n", k);
    else td_buf_printf(&b, "%zX\r\n", k);
    td_buf_append(&b, body + pos, k);
    td_buf_puts(&b, "\r\n");
    pos += k;
  }
  if (last) td_buf_puts(&b, "0\r\nX-Checksum: none\r\n\r\n");
  return td_buf_steal(&b, NULL);
}

typedef struct run {
  int rc;
  char *out, *err;
} run_t;

static void run_free(run_t *r) {
  free(r->out);
  free(r->err);
}

/* Runs the CLI with argv (NULL-terminated, without the program), stdout
 * and stderr captured (bounded: tt_run). */
static run_t cli(const char *const *args) {
  const char *argv[48];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  for (size_t i = 0; args[i] && n < 47; i++) argv[n++] = args[i];
  argv[n] = NULL;
  run_t r;
  r.rc = tt_run(argv, NULL, TT_RUN_TIMEOUT_MS, &r.out, &r.err);
  return r;
}

/* `tlsdiag hsts update` of https://HOST:port/PATH_Q against our root,
 * HOST pinned to 127.0.0.1, with up to 6 more arguments. */
static run_t update(const char *host, uint16_t port, const char *a1,
                    const char *a2, const char *a3, const char *a4) {
  char url[300], pin[300];
  snprintf(url, sizeof(url), "https://%s:%u" PATH_Q, host, port);
  snprintf(pin, sizeof(pin), "%s:%u:127.0.0.1", host, port);
  const char *args[] = {"hsts", "update",  "--url", url, "--cacert", tt_root,
                        "--resolve", pin, "--max-time", "20",
                        a1, a2, a3, a4, NULL};
  return cli(args);
}

/* The old list in the cache (its directory made), for the runs that
 * must keep it. */
static void put_old_cache(void) {
  char dir[260];
  snprintf(dir, sizeof(dir), "%s/tlsdiag", cache_home);
  mkdir(cache_home, 0700);
  mkdir(dir, 0700);
  tt_write_text(cache_file, OLD_LIST);
}

/* No file but hsts.json in the cache directory: no temporary file left. */
static void expect_no_leftovers(void) {
  char dir[260];
  snprintf(dir, sizeof(dir), "%s/tlsdiag", cache_home);
  DIR *d = opendir(dir);
  assert_non_null(d);
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
        strcmp(e->d_name, "hsts.json"))
      fail_msg("left behind in %s: %s", dir, e->d_name);
  closedir(d);
}

static void expect_old_kept(void) {
  char *s = tt_read_file_len(cache_file, NULL);
  assert_non_null(s);
  assert_string_equal(s, OLD_LIST);
  free(s);
  expect_no_leftovers();
}

/* A refused update: exit 2, nothing on stdout, one line on stderr that
 * holds `why` and says the file was not changed; the old list stays. */
static void expect_refused(run_t *r, const char *why) {
  if (r->rc != 2) fail_msg("exit %d, stderr: %s", r->rc, r->err);
  assert_string_equal(r->out, "");
  if (!strstr(r->err, why)) fail_msg("no '%s' in: %s", why, r->err);
  assert_true(strncmp(r->err, "tlsdiag: hsts update: https://", 30) == 0);
  assert_non_null(strstr(r->err, " was not changed\n"));
  assert_true(strchr(r->err, '\n') + 1 == r->err + strlen(r->err));
  expect_old_kept();
}

/* The cache holds NEW_LIST, byte for byte, and loads with its entries. */
static void expect_new_cache(const run_t *r) {
  if (r->rc != 0) fail_msg("exit %d, stderr: %s", r->rc, r->err);
  char want[400];
  snprintf(want, sizeof(want),
           "hsts update: %d force-https entries, %zu bytes written to %s\n",
           NEW_ENTRIES, new_len, cache_file);
  assert_string_equal(r->out, want);
  assert_string_equal(r->err, "");
  size_t n = 0;
  char *s = tt_read_file_len(cache_file, &n);
  assert_non_null(s);
  assert_int_equal(n, new_len);
  assert_memory_equal(s, new_json, n);
  free(s);
  tlsdiag_hsts_t *h = NULL;
  assert_int_equal(tlsdiag_hsts_load(cache_file, &h, NULL), TLSDIAG_OK);
  assert_int_equal(tlsdiag_hsts_count(h), NEW_ENTRIES);
  assert_true(tlsdiag_hsts_lookup(h, "a.valid.tlsdiag.test", NULL, NULL));
  assert_false(tlsdiag_hsts_lookup(h, "old.tlsdiag.test", NULL, NULL));
  tlsdiag_hsts_free(h);
  expect_no_leftovers();
}

static void remove_cache(void) {
  char dir[260];
  unlink(cache_file);
  snprintf(dir, sizeof(dir), "%s/tlsdiag", cache_home);
  rmdir(dir);
  rmdir(cache_home);
}

/* ---- updates that replace the list ----------------------------------------- */

static void test_hsts_update_base64_replaces_the_cache(void **state) {
  (void)state;
  remove_cache(); /* the first update makes the directories, 0700 */
  size_t len = 0;
  char *raw = response_cl(new_b64, strlen(new_b64), 0, &len);
  tdserver_t *s = serve_raw("valid", raw, len, 0);
  run_t r = update(HOST, tdserver_port(s), NULL, NULL, NULL, NULL);
  expect_new_cache(&r);
  struct stat st;
  char dir[260];
  snprintf(dir, sizeof(dir), "%s/tlsdiag", cache_home);
  assert_int_equal(stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  assert_int_equal(stat(cache_home, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  /* one GET of the URL's path and query, asking for the bytes as they are */
  char *req = tdserver_last_request(s);
  char want[300];
  snprintf(want, sizeof(want), "GET " PATH_Q " HTTP/1.1\r\nHost: " HOST
           ":%u\r\n", tdserver_port(s));
  assert_true(strncmp(req, want, strlen(want)) == 0);
  assert_non_null(strstr(req, "\r\nAccept-Encoding: identity\r\n"));
  assert_int_equal(tdserver_connections(s), 1);
  free(req);
  run_free(&r);

  /* again over an existing list: replaced, its mode kept */
  put_old_cache();
  assert_int_equal(chmod(cache_file, 0640), 0);
  r = update(HOST, tdserver_port(s), NULL, NULL, NULL, NULL);
  expect_new_cache(&r);
  assert_int_equal(stat(cache_file, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  run_free(&r);
  tdserver_stop(s);
  free(raw);
}

static void test_hsts_update_chunked_base64_with_line_breaks(void **state) {
  (void)state;
  put_old_cache();
  char *raw = response_chunked(new_b64_lines, strlen(new_b64_lines), 1);
  tdserver_t *s = serve_raw("valid", raw, strlen(raw), 0);
  run_t r = update(HOST, tdserver_port(s), NULL, NULL, NULL, NULL);
  expect_new_cache(&r);
  run_free(&r);
  tdserver_stop(s);
  free(raw);
}

static void test_hsts_update_plain_json_until_close(void **state) {
  (void)state;
  /* a mirror that sends the JSON itself, ended by close_notify */
  put_old_cache();
  char *raw = response("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
                       new_json, new_len);
  tdserver_t *s = serve_raw("valid", raw, strlen(raw), 0);
  run_t r = update(HOST, tdserver_port(s), NULL, NULL, NULL, NULL);
  expect_new_cache(&r);
  run_free(&r);
  tdserver_stop(s);
  free(raw);
}

static void test_hsts_update_target_file(void **state) {
  (void)state;
  size_t len = 0;
  char *raw = response_cl(new_b64, strlen(new_b64), 0, &len);
  tdserver_t *s = serve_raw("valid", raw, len, 0);
  char file[200], env_file[200], link[200];
  snprintf(file, sizeof(file), "%s/mine.json", tt_dir);
  snprintf(env_file, sizeof(env_file), "%s/env.json", tt_dir);
  snprintf(link, sizeof(link), "%s/link.json", tt_dir);
  put_old_cache();

  /* --hsts-list FILE: that file, not the cache */
  tt_write_text(file, OLD_LIST);
  run_t r = update(HOST, tdserver_port(s), "--hsts-list", file, NULL, NULL);
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, file));
  size_t n = 0;
  char *got = tt_read_file_len(file, &n);
  assert_int_equal(n, new_len);
  assert_memory_equal(got, new_json, n);
  free(got);
  expect_old_kept();
  run_free(&r);

  /* $TLSDIAG_HSTS_LIST, over the cache; --hsts-list over both */
  setenv("TLSDIAG_HSTS_LIST", env_file, 1);
  r = update(HOST, tdserver_port(s), NULL, NULL, NULL, NULL);
  assert_int_equal(r.rc, 0);
  got = tt_read_file_len(env_file, &n);
  assert_non_null(got);
  assert_int_equal(n, new_len);
  free(got);
  expect_old_kept();
  run_free(&r);
  unsetenv("TLSDIAG_HSTS_LIST");

  /* a symbolic link: its target is replaced, the link stays */
  tt_write_text(file, OLD_LIST);
  assert_int_equal(symlink(file, link), 0);
  r = update(HOST, tdserver_port(s), "--hsts-list", link, NULL, NULL);
  assert_int_equal(r.rc, 0);
  struct stat st;
  assert_int_equal(lstat(link, &st), 0);
  assert_true(S_ISLNK(st.st_mode));
  got = tt_read_file_len(file, &n);
  assert_int_equal(n, new_len);
  free(got);
  run_free(&r);

  /* a directory that does not exist: a setup error, after the download */
  r = update(HOST, tdserver_port(s), "--hsts-list", "/nonexistent/dir/x.json",
             NULL, NULL);
  assert_int_equal(r.rc, 1);
  assert_non_null(strstr(r.err, "/nonexistent/dir/x.json"));
  run_free(&r);
  tdserver_stop(s);
  free(raw);
}

/* The real list (94,600 entries, 8 MB; 11 MB of base64) end to end. */
static void test_hsts_update_real_list(void **state) {
  (void)state;
  size_t jlen = 0;
  char *json = tt_read_file_len(REAL_LIST, &jlen);
  if (!json) TD_SKIP("%s is absent", REAL_LIST);
  char *b64 = base64(json, jlen, 0);
  size_t len = 0;
  char *raw = response_cl(b64, strlen(b64), 0, &len);
  tdserver_t *s = serve_raw("valid", raw, len, 0);
  put_old_cache();
  run_t r = update(HOST, tdserver_port(s), NULL, NULL, NULL, NULL);
  if (r.rc != 0) fail_msg("exit %d: %s", r.rc, r.err);
  assert_non_null(strstr(r.out, "hsts update: 94600 force-https entries"));
  size_t n = 0;
  char *got = tt_read_file_len(cache_file, &n);
  assert_int_equal(n, jlen);
  assert_memory_equal(got, json, n);
  free(got);
  run_free(&r);
  tdserver_stop(s);
  free(raw);
  free(b64);
  free(json);
}

/* ---- updates that are refused ------------------------------------------------ */

static void refused_raw(const char *raw, size_t len, int no_notify,
                        const char *why, const char *a1, const char *a2) {
  put_old_cache();
  tdserver_t *s = serve_raw("valid", raw, len, no_notify);
  run_t r = update(HOST, tdserver_port(s), a1, a2, NULL, NULL);
  expect_refused(&r, why);
  run_free(&r);
  tdserver_stop(s);
}

static void test_hsts_update_truncated_body_keeps_the_old_list(void **state) {
  (void)state;
  size_t blen = strlen(new_b64), len = 0;
  /* Content-Length 100 more than sent, then close (with close_notify) */
  char *raw = response_cl(new_b64, blen, 100, &len);
  char want[400];
  snprintf(want, sizeof(want),
           "http_connection_closed: HTTP GET " PATH_Q
           " HTTP/1.1: truncated body: the server closed the connection "
           "after %zu of %zu bytes",
           blen, blen + 100);
  refused_raw(raw, len, 0, want, NULL, NULL);
  free(raw);
  /* the same, cut by a bare TCP close */
  raw = response_cl(new_b64, blen, 100, &len);
  refused_raw(raw, len, 1, "without TLS close_notify", NULL, NULL);
  free(raw);
  /* chunked without its last chunk */
  raw = response_chunked(new_b64, blen, 0);
  refused_raw(raw, strlen(raw), 0, "before the last chunk", NULL, NULL);
  free(raw);
  /* until close, but no close_notify: it may have been cut */
  raw = response("HTTP/1.1 200 OK\r\n\r\n", new_json, new_len);
  refused_raw(raw, strlen(raw), 1,
              "possibly truncated body: the server closed the connection "
              "without TLS close_notify",
              NULL, NULL);
  free(raw);
  /* a chunked body that breaks its framing */
  refused_raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
              "5\r\nhelloX",
              strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhelloX"),
              0, "http_malformed: ", NULL, NULL);
}

static void test_hsts_update_invalid_body_keeps_the_old_list(void **state) {
  (void)state;
  static const struct {
    const char *body, *why;
  } bad[] = {
      /* base64 characters, but not base64 */
      {"aGVsbG8", "the body is not valid base64"},
      {"aGVsbB==", "the body is not valid base64"},
      /* base64 of "hello" */
      {"aGVsbG8=", "the base64-decoded body is not a valid preload list: "},
      /* neither base64 nor JSON */
      {"<html><body>Sorry</body></html>",
       "the body is not a valid preload list: line 1, column 1"},
      /* JSON, but no list */
      {"{\"entries\": 5}", "the body is not a valid preload list: "},
      /* a valid list with nothing to preload */
      {"{\"entries\": []}", "the list has no force-https entry"},
      {"{\"entries\": [{\"name\": \"pins.test\", \"pins\": \"p\"}]}",
       "the list has no force-https entry"},
      /* empty */
      {"", "the base64-decoded body is not a valid preload list"},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    size_t len = 0;
    char *raw = response_cl(bad[i].body, strlen(bad[i].body), 0, &len);
    refused_raw(raw, len, 0, bad[i].why, NULL, NULL);
    free(raw);
  }
}

static void test_hsts_update_http_errors_keep_the_old_list(void **state) {
  (void)state;
  static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n"
                           "\r\nnot found";
  refused_raw(nf, sizeof(nf) - 1, 0,
              ": the server answered HTTP status 404, not 200;", NULL, NULL);
  static const char moved[] = "HTTP/1.1 301 Moved Permanently\r\n"
                              "Location: https://elsewhere.test/\x1b[31m\r\n"
                              "Content-Length: 0\r\n\r\n";
  refused_raw(moved, sizeof(moved) - 1, 0,
              "HTTP status 301, a redirect to https://elsewhere.test/"
              "\\x1b[31m (not followed)",
              NULL, NULL);
  static const char junk[] = "SSH-2.0-OpenSSH_9.2\r\n";
  refused_raw(junk, sizeof(junk) - 1, 0, "http_malformed: ", NULL, NULL);
  static const char gz[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                           "Content-Length: 4\r\n\r\n\x1f\x8b\x08\x00";
  refused_raw(gz, sizeof(gz) - 1, 0,
              "the body has a Content-Encoding (gzip) although the request "
              "asked for identity",
              NULL, NULL);
}

static void test_hsts_update_body_over_the_limit(void **state) {
  (void)state;
  size_t blen = strlen(new_b64), len = 0;
  char *raw = response_cl(new_b64, blen, 0, &len);
  char lim[32], want[200];
  snprintf(lim, sizeof(lim), "%zu", blen - 1);
  snprintf(want, sizeof(want),
           "http_too_large: HTTP GET " PATH_Q " HTTP/1.1: Content-Length "
           "%zu is over the limit of %zu bytes",
           blen, blen - 1);
  refused_raw(raw, len, 0, want, "--max-size", lim);
  free(raw);
  /* exactly the limit passes */
  snprintf(lim, sizeof(lim), "%zu", blen);
  raw = response_cl(new_b64, blen, 0, &len);
  put_old_cache();
  tdserver_t *s = serve_raw("valid", raw, len, 0);
  run_t r = update(HOST, tdserver_port(s), "--max-size", lim, NULL, NULL);
  expect_new_cache(&r);
  run_free(&r);
  tdserver_stop(s);
  free(raw);
  /* chunked and until-close bodies are cut at the limit too */
  snprintf(lim, sizeof(lim), "%zu", blen - 1);
  raw = response_chunked(new_b64, blen, 1);
  refused_raw(raw, strlen(raw), 0,
              "body over the limit of", "--max-size", lim);
  free(raw);
  raw = response("HTTP/1.1 200 OK\r\n\r\n", new_b64, blen);
  refused_raw(raw, strlen(raw), 0, "body over the limit of", "--max-size",
              lim);
  free(raw);
  /* the default limit (96 MiB) refuses a larger Content-Length at once */
  static const char huge[] = "HTTP/1.1 200 OK\r\nContent-Length: 100663297\r\n"
                             "\r\nabc";
  refused_raw(huge, sizeof(huge) - 1, 0,
              "Content-Length 100663297 is over the limit of 100663296 bytes",
              NULL, NULL);
  static const char hex[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                            "\r\nFFFFFFFFFFFFFFFF\r\nabc";
  refused_raw(hex, sizeof(hex) - 1, 0, "chunk larger than the body limit",
              NULL, NULL);
}

/* A server whose certificate does not verify gets no request at all. */
static void refused_cert(const char *cert, const char *host, int cacert,
                         const char *why) {
  put_old_cache();
  size_t len = 0;
  char *raw = response_cl(new_b64, strlen(new_b64), 0, &len);
  tdserver_t *s = serve_raw(cert, raw, len, 0);
  run_t r;
  if (cacert) {
    r = update(host, tdserver_port(s), NULL, NULL, NULL, NULL);
  } else {
    /* the system store, which does not know our root */
    char url[300], pin[300];
    snprintf(url, sizeof(url), "https://%s:%u/", host, tdserver_port(s));
    snprintf(pin, sizeof(pin), "%s:%u:127.0.0.1", host, tdserver_port(s));
    const char *args[] = {"hsts", "update", "--url", url, "--resolve", pin,
                          NULL};
    r = cli(args);
  }
  expect_refused(&r, why);
  char *req = tdserver_last_request(s);
  assert_string_equal(req, "");
  free(req);
  run_free(&r);
  tdserver_stop(s);
  free(raw);
}

static void test_hsts_update_requires_a_verified_server(void **state) {
  (void)state;
  refused_cert("expired", "expired.tlsdiag.test", 1, ": cert_expired: ");
  refused_cert("wrong_host", "wrong-host.tlsdiag.test", 1,
               ": cert_hostname_mismatch: ");
  refused_cert("valid", "preloaded.tlsdiag.test", 1,
               ": cert_hostname_mismatch: ");
  refused_cert("self_signed", "self-signed.tlsdiag.test", 1,
               ": cert_self_signed: ");
  refused_cert("unknown_root", "unknown-root.tlsdiag.test", 1,
               ": cert_untrusted_issuer: ");
  refused_cert("valid", HOST, 0, ": cert_untrusted_issuer: ");
}

static void test_hsts_update_connection_failures(void **state) {
  (void)state;
  put_old_cache();
  /* nothing listens: a port held bound, not listening */
  uint16_t port = 0;
  int hold = tt_refusing_port("127.0.0.1", &port);
  run_t r = update(HOST, port, NULL, NULL, NULL, NULL);
  close(hold);
  expect_refused(&r, ": tcp_refused: ");
  run_free(&r);
  /* a server that never answers the request: --max-time bounds the run */
  tdserver_t *s = tt_server(TDS_HANDSHAKE_THEN_SILENT, "valid");
  int64_t t0 = td_mono_us();
  char url[300], pin[300];
  snprintf(url, sizeof(url), "https://" HOST ":%u/", tdserver_port(s));
  snprintf(pin, sizeof(pin), HOST ":%u:127.0.0.1", tdserver_port(s));
  const char *args[] = {"hsts", "update", "--url", url, "--cacert", tt_root,
                        "--resolve", pin, "--max-time", "1", NULL};
  r = cli(args);
  assert_true(tt_ms_since(t0) < td_upper_ms(5000));
  expect_refused(&r, ": http_timeout: ");
  run_free(&r);
  tdserver_stop(s);
}

static void test_hsts_update_usage_errors(void **state) {
  (void)state;
  put_old_cache();
  static const char *const bad[][8] = {
      {"hsts", "update", "--url", "http://valid.tlsdiag.test/", NULL},
      {"hsts", "update", "--url", "https://user@valid.tlsdiag.test/", NULL},
      {"hsts", "update", "--url", "https://valid.tlsdiag.test:0/", NULL},
      {"hsts", "update", "--url", "https://a b/", NULL},
      {"hsts", "update", "--url", "https://", NULL},
      {"hsts", "update", "--url", "https://x.test/", "extra", NULL},
      {"hsts", "update", "--max-size", "0", NULL},
      {"hsts", "update", "--max-size", "100663297", NULL},
      {"hsts", "update", "--max-time", "-1", NULL},
      {"hsts", "update", "--cacert", "/nonexistent.pem", NULL},
      {"hsts", "update", "--frobnicate", NULL},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    run_t r = cli(bad[i]);
    if (r.rc != 1) fail_msg("case %zu: exit %d: %s", i, r.rc, r.err);
    /* one line, naming the command */
    assert_true(strncmp(r.err, "tlsdiag hsts update: ", 21) == 0);
    assert_ptr_equal(strchr(r.err, '\n'), r.err + strlen(r.err) - 1);
    assert_string_equal(r.out, "");
    run_free(&r);
    expect_old_kept();
  }
  const char *help[] = {"hsts", "update", "--help", NULL};
  run_t r = cli(help);
  assert_int_equal(r.rc, 0);
  assert_non_null(strstr(r.out, "update: downloads the list"));
  assert_non_null(strstr(r.out, "exit status: 0 the list was replaced; 2"));
  run_free(&r);
}

/* ---- tlsdiag_fetch --------------------------------------------------------- */

static void test_hsts_update_fetch_api(void **state) {
  (void)state;
  size_t len = 0;
  char *raw = response_cl(new_b64, strlen(new_b64), 0, &len);
  tdserver_t *s = serve_raw("valid", raw, len, 0);
  tt_opts_t t;
  tt_opts(&t, HOST, tdserver_port(s));
  /* the URL's port and path win over the options' */
  t.o.port = 1;
  t.o.http_method = "HEAD";
  t.o.http_path = "/other";
  t.o.flags |= TLSDIAG_F_NO_HTTP | TLSDIAG_F_RESUME;
  char url[300];
  snprintf(url, sizeof(url), "HTTPS://" HOST ":%u/a?b=c#frag",
           tdserver_port(s));
  tlsdiag_result_t *r = NULL;
  unsigned char *body = NULL;
  size_t blen = 0;
  assert_int_equal(tlsdiag_fetch(url, &t.o, 1 << 20, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_true(tlsdiag_result_ok(r));
  assert_int_equal(tlsdiag_result_http_status(r), 200);
  assert_int_equal(blen, strlen(new_b64));
  assert_memory_equal(body, new_b64, blen);
  assert_int_equal(body[blen], '\0');
  char *req = tdserver_last_request(s);
  assert_true(strncmp(req, "GET /a?b=c HTTP/1.1\r\n", 21) == 0);
  free(req);
  json_t *j = tt_json(r);
  assert_string_equal(tt_jstr(j, "http.method"), "GET");
  assert_string_equal(tt_jstr(j, "http.path"), "/a?b=c");
  json_decref(j);
  tlsdiag_free(body);
  tlsdiag_result_free(r);

  /* decode and load what came */
  unsigned char *json = NULL;
  size_t jlen = 0;
  int b64 = -1;
  char err[200];
  assert_int_equal(tlsdiag_hsts_decode(new_b64_lines, strlen(new_b64_lines),
                                       &json, &jlen, &b64, err, sizeof(err)),
                   TLSDIAG_OK);
  assert_int_equal(b64, 1);
  assert_int_equal(jlen, new_len);
  assert_memory_equal(json, new_json, jlen);
  tlsdiag_free(json);
  assert_int_equal(tlsdiag_hsts_decode(new_json, new_len, &json, &jlen, &b64,
                                       err, sizeof(err)),
                   TLSDIAG_OK);
  assert_int_equal(b64, 0);
  assert_memory_equal(json, new_json, new_len);
  tlsdiag_free(json);
  assert_int_equal(tlsdiag_hsts_decode("QQ", 2, &json, &jlen, NULL, err,
                                       sizeof(err)),
                   TLSDIAG_E_HSTS_LIST);
  assert_null(json);
  assert_string_equal(err, "the body is not valid base64");
  assert_int_equal(tlsdiag_hsts_decode("x", TLSDIAG_HSTS_MAX_DOWNLOAD + 1,
                                       &json, &jlen, NULL, err, sizeof(err)),
                   TLSDIAG_E_HSTS_LIST);
  assert_int_equal(tlsdiag_hsts_decode(NULL, 1, &json, &jlen, NULL, NULL, 0),
                   TLSDIAG_E_INVAL);

  /* the body limit: the result says why there is no body */
  assert_int_equal(tlsdiag_fetch(url, &t.o, 10, &r, &body, &blen), TLSDIAG_OK);
  assert_null(body);
  assert_int_equal(blen, 0);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_HTTP_TOO_LARGE);
  tlsdiag_result_free(r);
  tdserver_stop(s);
  free(raw);

  /* a truncated body: no body, and how much had come */
  raw = response_cl("abcdef", 6, 10, &len);
  s = serve_raw("valid", raw, len, 0);
  tt_opts(&t, HOST, tdserver_port(s));
  snprintf(url, sizeof(url), "https://" HOST ":%u/", tdserver_port(s));
  assert_int_equal(tlsdiag_fetch(url, &t.o, 100, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_null(body);
  assert_int_equal(tlsdiag_result_cause(r),
                   TLSDIAG_CAUSE_HTTP_CONNECTION_CLOSED);
  assert_string_equal(tlsdiag_result_finding_evidence(r, 0, "body_bytes"),
                      "6");
  assert_string_equal(
      tlsdiag_result_finding_message(r, 0),
      "HTTP GET / HTTP/1.1: truncated body: the server closed the connection "
      "after 6 of 16 bytes");
  tlsdiag_result_free(r);
  tdserver_stop(s);
  free(raw);

  /* an IP literal URL (the certificate has IP:127.0.0.1); a 404: a good
   * check, no body */
  static const char nf[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n"
                           "\r\nno";
  s = serve_raw("valid", nf, sizeof(nf) - 1, 0);
  tt_opts(&t, NULL, 0);
  snprintf(url, sizeof(url), "https://127.0.0.1:%u", tdserver_port(s));
  assert_int_equal(tlsdiag_fetch(url, &t.o, 100, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_null(body);
  assert_true(tlsdiag_result_ok(r));
  assert_int_equal(tlsdiag_result_http_status(r), 404);
  tlsdiag_result_free(r);
  tdserver_stop(s);

  /* an expired certificate: the request is not sent */
  size_t l2 = 0;
  raw = response_cl("x", 1, 0, &l2);
  s = serve_raw("expired", raw, l2, 0);
  tt_opts(&t, "expired.tlsdiag.test", tdserver_port(s));
  snprintf(url, sizeof(url), "https://expired.tlsdiag.test:%u/",
           tdserver_port(s));
  assert_int_equal(tlsdiag_fetch(url, &t.o, 100, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_null(body);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_CERT_EXPIRED);
  assert_int_equal(tlsdiag_result_phase_status(r, TLSDIAG_PHASE_HTTP),
                   TLSDIAG_STATUS_SKIPPED);
  req = tdserver_last_request(s);
  assert_string_equal(req, "");
  free(req);
  tlsdiag_result_free(r);
  tdserver_stop(s);
  free(raw);
}

static void test_hsts_update_fetch_times_out_a_slow_body(void **state) {
  (void)state;
  static char raw[2100];
  snprintf(raw, sizeof(raw), "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n");
  size_t h = strlen(raw);
  memset(raw + h, 'a', 2000);
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_RAW_RESPONSE, "valid");
  cfg.raw_response = raw;
  cfg.raw_len = h + 2000;
  cfg.drip_ms = 100;
  cfg.drip_bytes = 100;
  tdserver_t *s = tt_server_cfg(&cfg);
  tt_opts_t t;
  tt_opts(&t, HOST, tdserver_port(s));
  t.o.max_time_ms = 800;
  char url[300];
  snprintf(url, sizeof(url), "https://" HOST ":%u/", tdserver_port(s));
  tlsdiag_result_t *r = NULL;
  unsigned char *body = NULL;
  size_t blen = 0;
  int64_t t0 = td_mono_us();
  assert_int_equal(tlsdiag_fetch(url, &t.o, 1 << 20, &r, &body, &blen),
                   TLSDIAG_OK);
  assert_true(tt_ms_since(t0) < td_upper_ms(2000));
  assert_null(body);
  assert_int_equal(tlsdiag_result_cause(r), TLSDIAG_CAUSE_HTTP_TIMEOUT);
  assert_string_equal(tlsdiag_result_finding_message(r, 0),
                      "HTTP GET / HTTP/1.1: no complete response body in "
                      "time");
  tlsdiag_result_free(r);
  tdserver_stop(s);
}

static void test_hsts_update_fetch_bad_urls(void **state) {
  (void)state;
  static const struct {
    const char *url;
    tlsdiag_err_t err;
  } bad[] = {
      {"http://h.test/", TLSDIAG_E_URL},
      {"ftp://h.test/", TLSDIAG_E_URL},
      {"https://", TLSDIAG_E_URL},
      {"https:///path", TLSDIAG_E_URL},
      {"https://u:p@h.test/", TLSDIAG_E_URL},
      {"https://h.test/a b", TLSDIAG_E_URL},
      {"https://h.test/a\r\nX-Injected: 1", TLSDIAG_E_URL},
      {"https://h%2etest/", TLSDIAG_E_URL},
      {"https://::1/", TLSDIAG_E_URL},
      {"https://h.test:0/", TLSDIAG_E_PORT},
      {"https://h.test:65536/", TLSDIAG_E_PORT},
      {"https://h.test:x/", TLSDIAG_E_PORT},
      {"https://[h.test]/", TLSDIAG_E_HOST},
      {"https://a..b/", TLSDIAG_E_HOST},
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    tlsdiag_result_t *r = (tlsdiag_result_t *)1;
    unsigned char *body = (unsigned char *)1;
    size_t blen = 7;
    tlsdiag_err_t e = tlsdiag_fetch(bad[i].url, NULL, 10, &r, &body, &blen);
    if (e != bad[i].err)
      fail_msg("%s: %s, expected %s", bad[i].url, tlsdiag_strerror(e),
               tlsdiag_strerror(bad[i].err));
    assert_null(r);
    assert_null(body);
    assert_int_equal(blen, 0);
  }
  char *longurl = malloc(9000);
  memcpy(longurl, "https://h.test/", 15);
  memset(longurl + 15, 'a', 9000 - 16);
  longurl[8999] = '\0';
  tlsdiag_result_t *r = NULL;
  unsigned char *body = NULL;
  size_t blen = 0;
  assert_int_equal(tlsdiag_fetch(longurl, NULL, 10, &r, &body, &blen),
                   TLSDIAG_E_URL);
  free(longurl);
  assert_int_equal(tlsdiag_fetch(NULL, NULL, 10, &r, &body, &blen),
                   TLSDIAG_E_INVAL);
  assert_int_equal(tlsdiag_fetch("https://h.test/", NULL, 10, NULL, &body,
                                 &blen),
                   TLSDIAG_E_INVAL);
  assert_int_equal(tlsdiag_fetch("https://h.test/", NULL, 10, &r, NULL, &blen),
                   TLSDIAG_E_INVAL);
  assert_string_not_equal(tlsdiag_strerror(TLSDIAG_E_URL), "unknown error");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hsts_update_base64_replaces_the_cache),
      cmocka_unit_test(test_hsts_update_chunked_base64_with_line_breaks),
      cmocka_unit_test(test_hsts_update_plain_json_until_close),
      cmocka_unit_test(test_hsts_update_target_file),
      cmocka_unit_test(test_hsts_update_real_list),
      cmocka_unit_test(test_hsts_update_truncated_body_keeps_the_old_list),
      cmocka_unit_test(test_hsts_update_invalid_body_keeps_the_old_list),
      cmocka_unit_test(test_hsts_update_http_errors_keep_the_old_list),
      cmocka_unit_test(test_hsts_update_body_over_the_limit),
      cmocka_unit_test(test_hsts_update_requires_a_verified_server),
      cmocka_unit_test(test_hsts_update_connection_failures),
      cmocka_unit_test(test_hsts_update_usage_errors),
      cmocka_unit_test(test_hsts_update_fetch_api),
      cmocka_unit_test(test_hsts_update_fetch_times_out_a_slow_body),
      cmocka_unit_test(test_hsts_update_fetch_bad_urls),
  };
  return td_run_tests(tests, setup, teardown);
}
