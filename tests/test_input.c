/* test_input.c: what a user can get wrong on the command line. Every case
 * runs `tlsdiag check` with one mistake and asserts: exit status 1, nothing
 * on stdout (no half-written report), and exactly one line on stderr that
 * starts with "tlsdiag: " and names what is wrong. None of them may reach
 * the network: they fail before any check starts. The same for the target
 * list of `tlsdiag sweep`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>

#include "tdtest.h"

typedef struct {
  char *out, *err;
  int status;
} cli_t;

/* Runs TD_CLI_PATH with argv (NULL-terminated, without argv[0]), capturing
 * stdout and stderr. Bounded (tt_run): a child still running after 30 s
 * is killed and the test fails. */
static void run_cli(const char *const *args, cli_t *res) {
  const char *argv[64];
  size_t n = 0;
  argv[n++] = TD_CLI_PATH;
  for (size_t i = 0; args[i] && n < 63; i++) argv[n++] = args[i];
  argv[n] = NULL;
  res->status = tt_run(argv, NULL, 30000, &res->out, &res->err);
}

static void cli_free(cli_t *c) {
  free(c->out);
  free(c->err);
}

/* Exit `status`, stdout empty, one "tlsdiag CMD: ..." line on stderr
 * holding want. */
static void expect_one_line_error(const char *const *args, int status,
                                  const char *want) {
  cli_t c;
  run_cli(args, &c);
  td_buf_t cmd;
  td_buf_init(&cmd);
  for (size_t i = 0; args[i]; i++) {
    td_buf_puts(&cmd, " ");
    td_text_safe(&cmd, args[i]);
  }
  const char *shown = cmd.data ? cmd.data : "";
  if (c.status != status)
    fail_msg("tlsdiag%s: exit %d, expected %d (stderr: %s)", shown, c.status,
             status, c.err);
  if (c.out[0])
    fail_msg("tlsdiag%s: wrote to stdout: %s", shown, c.out);
  size_t len = strlen(c.err);
  const char *nl = strchr(c.err, '\n');
  if (len == 0 || !nl || nl != c.err + len - 1)
    fail_msg("tlsdiag%s: stderr is not exactly one line: [%s]", shown, c.err);
  /* "tlsdiag CMD: ...", naming the subcommand that failed */
  char prefix[64];
  snprintf(prefix, sizeof(prefix), "tlsdiag %s%s%s: ", args[0],
           !strcmp(args[0], "hsts") && args[1] ? " " : "",
           !strcmp(args[0], "hsts") && args[1] ? args[1] : "");
  if (strncmp(c.err, prefix, strlen(prefix)) != 0)
    fail_msg("tlsdiag%s: stderr does not start with '%s': %s", shown, prefix,
             c.err);
  if (!strstr(c.err, want))
    fail_msg("tlsdiag%s: stderr \"%.*s\" lacks \"%s\"", shown, (int)len - 1,
             c.err, want);
  print_message("input %-40.40s -> %.*s\n", shown, (int)len - 1, c.err);
  td_buf_free(&cmd);
  cli_free(&c);
}

static void expect_usage_error(const char *const *args, const char *want) {
  expect_one_line_error(args, 1, want);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_input_empty_host(void **state) {
  (void)state;
  expect_usage_error(ARGS("check", ""), "'': empty host name");
  expect_usage_error(ARGS("check", ":443"), "empty host name");
}

static void test_input_host_too_long(void **state) {
  (void)state;
  char host[300];
  /* 4 labels of 63 + 3 dots = 255 bytes: every label fine, the name not */
  size_t n = 0;
  for (int l = 0; l < 4; l++) {
    if (l) host[n++] = '.';
    memset(host + n, 'a', 63);
    n += 63;
  }
  host[n] = '\0';
  expect_usage_error(ARGS("check", host), "host name longer than 253 bytes");
}

static void test_input_label_too_long(void **state) {
  (void)state;
  char host[100];
  memset(host, 'b', 64);
  strcpy(host + 64, ".example");
  expect_usage_error(ARGS("check", host), "label longer than 63 bytes");
}

static void test_input_bad_host_characters(void **state) {
  (void)state;
  expect_usage_error(ARGS("check", "ex$ample.com"),
                     "host name contains a character not allowed");
  expect_usage_error(ARGS("check", "a b.example"),
                     "host name contains a character not allowed");
  expect_usage_error(ARGS("check", "a..example"), "empty label");
}

static void test_input_invalid_idn(void **state) {
  (void)state;
  expect_usage_error(ARGS("check", "xn--zz.example"), "invalid IDN");
  /* invalid UTF-8 is not a name either */
  expect_usage_error(ARGS("check", "b\xff\xfe.example"), "invalid IDN");
}

static void test_input_bad_port(void **state) {
  (void)state;
  const char *want = "the port must be a number from 1 to 65535";
  expect_usage_error(ARGS("check", "example.test:0"), want);
  expect_usage_error(ARGS("check", "example.test:65536"), want);
  expect_usage_error(ARGS("check", "example.test:abc"), want);
  expect_usage_error(ARGS("check", "example.test:"), want);
  expect_usage_error(ARGS("check", "[::1]:99999"), want);
}

static void test_input_malformed_ipv6_literal(void **state) {
  (void)state;
  const char *want = "malformed IPv6 literal";
  expect_usage_error(ARGS("check", "[::1"), want);
  expect_usage_error(ARGS("check", "[fe80::zz]"), want);
  expect_usage_error(ARGS("check", "[::1]x"), want);
  expect_usage_error(ARGS("check", "[]"), want);
  expect_usage_error(ARGS("check", "::1::2"), want);
  expect_usage_error(ARGS("check", "[example.test]"), want);
}

static void test_input_unreadable_ca_file(void **state) {
  (void)state;
  char path[160];
  snprintf(path, sizeof(path), "%s/no-such-ca.pem", tt_dir);
  expect_usage_error(ARGS("check", "--cacert", path, "x.tlsdiag.test"),
                     "cannot read CA file");
  expect_usage_error(ARGS("check", "--cacert", path, "x.tlsdiag.test"),
                     "No such file or directory");
  if (geteuid() != 0) { /* root reads anything */
    snprintf(path, sizeof(path), "%s/unreadable-ca.pem", tt_dir);
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0);
    assert_true(fd >= 0);
    close(fd);
    expect_usage_error(ARGS("check", "--cacert", path, "x.tlsdiag.test"),
                       "Permission denied");
  }
  /* readable, but no certificate in it */
  tt_write_tmp(path, sizeof(path), "not-a-ca.pem",
               "this is not a certificate\n");
  expect_usage_error(ARGS("check", "--cacert", path, "x.tlsdiag.test"),
                     "no usable CA certificate in --cacert");
}

static void test_input_ca_file_is_a_directory(void **state) {
  (void)state;
  expect_usage_error(ARGS("check", "--cacert", tt_dir, "x.tlsdiag.test"),
                     "is a directory (use --capath DIR)");
  expect_usage_error(ARGS("check", "--capath", tt_root, "x.tlsdiag.test"),
                     "is not a directory (use --cacert FILE)");
  char path[160];
  snprintf(path, sizeof(path), "%s/no-such-dir", tt_dir);
  expect_usage_error(ARGS("check", "--capath", path, "x.tlsdiag.test"),
                     "cannot read CA directory");
}

static void test_input_bad_resolve(void **state) {
  (void)state;
  const char *want = "bad --resolve";
  expect_usage_error(ARGS("check", "--resolve", "bad", "x.tlsdiag.test"),
                     "bad --resolve 'bad'");
  expect_usage_error(
      ARGS("check", "--resolve", "x.tlsdiag.test:443:", "x.tlsdiag.test"),
      want);
  expect_usage_error(ARGS("check", "--resolve", "x.tlsdiag.test:0:127.0.0.1",
                          "x.tlsdiag.test"),
                     want);
  expect_usage_error(ARGS("check", "--resolve",
                          "x.tlsdiag.test:443:127.0.0.999", "x.tlsdiag.test"),
                     want);
  expect_usage_error(ARGS("check", "--resolve", "x.tlsdiag.test:443:127.0.0.1,",
                          "x.tlsdiag.test"),
                     want);
  /* the pin's host is checked like the target's */
  expect_usage_error(ARGS("check", "--resolve", "bad host!:443:127.0.0.1",
                          "x.tlsdiag.test"),
                     want);
}

static void test_input_bad_dns_server(void **state) {
  (void)state;
  expect_usage_error(ARGS("check", "--dns-server", "nope", "x.tlsdiag.test"),
                     "bad --dns-server 'nope'");
  expect_usage_error(
      ARGS("check", "--dns-server", "127.0.0.1:99999", "x.tlsdiag.test"),
      "bad --dns-server '127.0.0.1:99999'");
  expect_usage_error(
      ARGS("check", "--dns-server", "127.0.0.1,", "x.tlsdiag.test"),
      "bad --dns-server");
  expect_usage_error(ARGS("check", "--dns-server", "[::1", "x.tlsdiag.test"),
                     "bad --dns-server");
}

static void test_input_bad_now(void **state) {
  (void)state;
  expect_usage_error(ARGS("check", "--now", "yesterday", "x.tlsdiag.test"),
                     "bad --now 'yesterday'");
  expect_usage_error(
      ARGS("check", "--now", "2026-02-30T00:00:00Z", "x.tlsdiag.test"),
      "bad --now");
  expect_usage_error(ARGS("check", "--now", "@12x", "x.tlsdiag.test"),
                     "bad --now");
}

static void test_input_unknown_option(void **state) {
  (void)state;
  expect_usage_error(ARGS("check", "--bogus", "x.tlsdiag.test"),
                     "unknown or ambiguous option '--bogus'");
  expect_usage_error(ARGS("check", "-x", "x.tlsdiag.test"),
                     "unknown option '-x'");
  expect_usage_error(ARGS("check", "x.tlsdiag.test", "--cacert"),
                     "option '--cacert' needs a value");
}

/* `tlsdiag sweep` reads a target list: a directory is a usage error. */
static void test_input_sweep_target_file_is_a_directory(void **state) {
  (void)state;
  expect_usage_error(ARGS("sweep", "-q", tt_dir),
                     "is a directory, not a target list");
  char path[160];
  snprintf(path, sizeof(path), "%s/no-such-list.txt", tt_dir);
  expect_usage_error(ARGS("sweep", "-q", path), "cannot open");
}

/* A 1 MiB line is named (file:line, why) and skipped, never read whole or
 * half-printed; a bad input line makes the sweep exit 1. */
static void test_input_sweep_one_mib_line(void **state) {
  (void)state;
  char path[160];
  snprintf(path, sizeof(path), "%s/huge-line.txt", tt_dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (int i = 0; i < 1024 * 1024; i++) fputc('a', f);
  fputc('\n', f);
  fclose(f);
  /* one stderr line; on stdout only the line's record, its input cut */
  cli_t c;
  run_cli(ARGS("sweep", "-q", path), &c);
  assert_int_equal(c.status, 1);
  char want[400];
  snprintf(want, sizeof(want), "tlsdiag sweep: %s:1: line longer than 4096 "
           "bytes; line skipped\n", path);
  assert_string_equal(c.err, want);
  snprintf(want, sizeof(want),
           "{\"schema\":\"tlsdiag-sweep/1\",\"record\":\"bad_line\","
           "\"line\":1,\"input\":\"%.200s\",\"ok\":false,\"cause\":"
           "\"bad_line\",\"message\":\"line longer than 4096 bytes\"}\n",
           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
           "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
  assert_string_equal(c.out, want);
  cli_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_input_empty_host),
      cmocka_unit_test(test_input_host_too_long),
      cmocka_unit_test(test_input_label_too_long),
      cmocka_unit_test(test_input_bad_host_characters),
      cmocka_unit_test(test_input_invalid_idn),
      cmocka_unit_test(test_input_bad_port),
      cmocka_unit_test(test_input_malformed_ipv6_literal),
      cmocka_unit_test(test_input_unreadable_ca_file),
      cmocka_unit_test(test_input_ca_file_is_a_directory),
      cmocka_unit_test(test_input_bad_resolve),
      cmocka_unit_test(test_input_bad_dns_server),
      cmocka_unit_test(test_input_bad_now),
      cmocka_unit_test(test_input_unknown_option),
      cmocka_unit_test(test_input_sweep_target_file_is_a_directory),
      cmocka_unit_test(test_input_sweep_one_mib_line),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
