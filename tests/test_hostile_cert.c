/* test_hostile_cert.c: certificates whose names carry hostile bytes (quotes,
 * backslashes, control characters, terminal escape sequences, invalid
 * UTF-8, NUL bytes, a right-to-left override). Each leaf is made here, with
 * the exact bytes in its subject CN and O and in its SAN dNSNames, signed
 * by a CA of the test's own (trusted through cafile) and served on
 * loopback. Through the library and through `tlsdiag check`:
 *  - the JSON parses (jansson) and holds the values as expected: the same
 *    bytes where they are valid UTF-8, U+FFFD for ill-formed sequences,
 *    NUL as the four characters \x00;
 *  - the text and Mermaid reports are valid UTF-8 without ESC, DEL or any
 *    C0 control but '\n', and show the hostile bytes as visible escapes;
 *  - a NUL inside a DNS SAN never lets the name match a shorter name. */
#include "tdtest.h"
#include "hostile.h"

#define HOST "hostile.tlsdiag.test"

static hp_cert_t ca;
static char ca_file[160];

static int setup(void **state) {
  if (tt_setup(state) != 0) return -1;
  hp_make_ca("hostile names CA", NULL, &ca);
  snprintf(ca_file, sizeof(ca_file), "%s/hostile-names-ca.pem", tt_dir);
  tt_write_text(ca_file, ca.pem);
  return 0;
}

static int teardown(void **state) {
  hp_free(&ca);
  return tt_teardown(state);
}

/* Byte strings with their lengths (they may hold NUL). */
typedef struct {
  const char *p;
  size_t n;
} bytes_t;
#define B(s) ((bytes_t){s, sizeof(s) - 1})
#define NONE ((bytes_t){NULL, 0})

typedef struct {
  const char *name;
  bytes_t cn, o, san;   /* san: one dNSName, NONE for no SAN extension */
  bytes_t json_cn;      /* chain[0].common_name as decoded from the JSON */
  bytes_t json_san;     /* chain[0].sans[0].value as decoded */
  const char *text;     /* must appear in the text report (visible form) */
  const char *message;  /* substring of the root finding's message */
} hcase_t;

/* The decoded JSON string at path equals want (bytes, length included). */
static void json_bytes(json_t *j, const char *path, bytes_t want,
                       const char *who) {
  json_t *v = tt_jget(j, path);
  if (!json_is_string(v)) fail_msg("%s: %s is not a string", who, path);
  size_t n = json_string_length(v);
  const char *s = json_string_value(v);
  if (n != want.n || memcmp(s, want.p, n) != 0) {
    td_buf_t a, b;
    td_buf_init(&a);
    td_buf_init(&b);
    td_text_safe(&a, s);
    td_text_safe(&b, want.p);
    fail_msg("%s: %s is \"%s\" (%zu bytes), expected \"%s\" (%zu bytes)", who,
             path, a.data ? a.data : "", n, b.data ? b.data : "", want.n);
  }
}

static char *format(const tlsdiag_result_t *r, tlsdiag_format_t f,
                    unsigned flags, size_t *len) {
  char *s = NULL;
  assert_int_equal(tlsdiag_result_format(r, f, flags, &s, len), TLSDIAG_OK);
  return s;
}

static void check_json(json_t *j, const hcase_t *c, const char *who) {
  assert_string_equal(tt_jstr(j, "cause"), "cert_hostname_mismatch");
  if (c->cn.p) json_bytes(j, "chain.0.common_name", c->json_cn, who);
  if (c->san.p) {
    json_bytes(j, "chain.0.sans.0.value", c->json_san, who);
    json_bytes(j, "findings.0.evidence.sans.0", c->json_san, who);
  } else {
    json_bytes(j, "findings.0.evidence.common_name", c->json_cn, who);
  }
  /* subject and issuer are strings whatever the bytes were */
  assert_true(json_is_string(tt_jget(j, "chain.0.subject")));
  assert_true(json_is_string(tt_jget(j, "chain.0.issuer")));
}

static void check_text(const char *who, const char *s, size_t n,
                       const char *want) {
  hp_assert_terminal_safe(who, s, n);
  if (want && !strstr(s, want))
    fail_msg("%s lacks the visible form \"%s\":\n%s", who, want, s);
}

static void run_case(const hcase_t *c) {
  hp_sans_t sans;
  hp_sans_init(&sans);
  hp_spec_t sp;
  memset(&sp, 0, sizeof(sp));
  sp.cn = c->cn.p;
  sp.cn_len = c->cn.n;
  sp.o = c->o.p;
  sp.o_len = c->o.n;
  if (c->san.p) {
    hp_sans_dns(&sans, c->san.p, c->san.n);
    sp.san_der = hp_sans_der(&sans, &sp.san_len);
  }
  hp_cert_t leaf;
  hp_make(&sp, &ca, &leaf);
  tdserver_t *s = hp_leaf_server(&leaf);
  uint16_t port = tdserver_port(s);
  tt_opts_t t;
  tt_opts(&t, HOST, port);
  t.o.cafile = ca_file;

  /* The library. */
  tlsdiag_result_t *r = tt_check(HOST, &t.o);
  if (tlsdiag_result_cause(r) != TLSDIAG_CAUSE_CERT_HOSTNAME_MISMATCH)
    fail_msg("%s: cause %s", c->name,
             tlsdiag_cause_name(tlsdiag_result_cause(r)));
  assert_int_equal(tlsdiag_result_chain_length(r), 1);
  const char *msg = tlsdiag_result_finding_message(r, 0);
  if (!strstr(msg, c->message))
    fail_msg("%s: message lacks \"%s\"", c->name, c->message);
  json_t *j = tt_json(r);
  check_json(j, c, c->name);
  json_decref(j);
  size_t n = 0;
  char *text = format(r, TLSDIAG_FORMAT_TEXT, TLSDIAG_FMT_VERBOSE, &n);
  check_text("library text", text, n, c->text);
  tlsdiag_free(text);
  char *mm = format(r, TLSDIAG_FORMAT_MERMAID, 0, &n);
  check_text("library mermaid", mm, n, NULL);
  tlsdiag_free(mm);
  tlsdiag_result_free(r);

  /* The CLI: JSON, text (no colour, whole chain), Mermaid. */
  char target[64];
  snprintf(target, sizeof(target), "%s:%u", HOST, port);
  char *out = NULL;
  int rc = tt_cli(&out, "check", "--json", "--cacert", ca_file, "--resolve",
                  t.pin, target, NULL);
  assert_int_equal(rc, 2);
  json_error_t err;
  j = json_loads(out, JSON_REJECT_DUPLICATES, &err);
  if (!j) fail_msg("%s: CLI printed invalid JSON (%s)", c->name, err.text);
  check_json(j, c, "CLI");
  json_decref(j);
  free(out);
  rc = tt_cli(&out, "check", "-v", "--color", "never", "--cacert", ca_file,
              "--resolve", t.pin, target, NULL);
  assert_int_equal(rc, 2);
  check_text("CLI text", out, strlen(out), c->text);
  free(out);
  rc = tt_cli(&out, "check", "--format", "mermaid", "--cacert", ca_file,
              "--resolve", t.pin, target, NULL);
  assert_int_equal(rc, 2);
  check_text("CLI mermaid", out, strlen(out), NULL);
  free(out);
  print_message("hostile cert %-20s cause=cert_hostname_mismatch, JSON, text "
                "and mermaid clean\n",
                c->name);

  tdserver_stop(s);
  hp_sans_free(&sans);
  hp_free(&leaf);
}

static void test_hostile_cert_quotes_and_backslashes(void **state) {
  (void)state;
  hcase_t c = {
      .name = "quotes, backslashes",
      .cn = B("say \"hi\" \\ 'x' \\\""),
      .o = B("O \"q\" \\"),
      .san = B("q\"uote\\back.tlsdiag.test"),
      .json_cn = B("say \"hi\" \\ 'x' \\\""),
      .json_san = B("q\"uote\\back.tlsdiag.test"),
      .text = "q\"uote\\\\back.tlsdiag.test",
      .message = "it covers q\"uote\\back.tlsdiag.test"};
  run_case(&c);
}

static void test_hostile_cert_control_characters(void **state) {
  (void)state;
  static const char cn[] =
      "c\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
      "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7fz";
  hcase_t c = {
      .name = "control characters",
      .cn = B(cn),
      .o = B("line\nbreak\rreturn\ttab"),
      .san = B("ctl\x01\x09\x0a\x0d\x1f\x7f.tlsdiag.test"),
      .json_cn = B(cn),
      .json_san = B("ctl\x01\x09\x0a\x0d\x1f\x7f.tlsdiag.test"),
      .text = "ctl\\x01\\x09\\x0a\\x0d\\x1f\\x7f.tlsdiag.test",
      .message = "it covers ctl"};
  run_case(&c);
}

static void test_hostile_cert_escape_sequences(void **state) {
  (void)state;
  hcase_t c = {
      .name = "terminal escapes",
      .cn = B("\x1b[31mred\x1b[0m"),
      .o = B("\x1b]0;title\x07"),
      .san = B("\x1b[2J\x1b]0;pwned\x07.tlsdiag.test"),
      .json_cn = B("\x1b[31mred\x1b[0m"),
      .json_san = B("\x1b[2J\x1b]0;pwned\x07.tlsdiag.test"),
      .text = "\\x1b[2J\\x1b]0;pwned\\x07.tlsdiag.test",
      .message = "it covers \x1b[2J"};
  run_case(&c);
}

static void test_hostile_cert_invalid_utf8(void **state) {
  (void)state;
  hcase_t c = {
      .name = "invalid UTF-8",
      .cn = B("bad\xff\xc3(\xed\xa0\x80" "end"),
      .o = B("\xfe\xfe"),
      .san = B("\xc0\xaf\xe2\x82.tlsdiag.test"),
      /* one U+FFFD per maximal ill-formed subpart */
      .json_cn = B("bad\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd"
                   "\xef\xbf\xbd" "end"),
      .json_san = B("\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd.tlsdiag.test"),
      .text = "\\xc0\\xaf\\xe2\\x82.tlsdiag.test",
      .message = "it covers \xc0\xaf"};
  run_case(&c);
}

/* "hostile.tlsdiag.test\0.evil.test" must not pass for hostile.tlsdiag.test:
 * the NUL is kept visible as \x00 and the name does not match. */
static void test_hostile_cert_nul_in_san_never_matches(void **state) {
  (void)state;
  hcase_t c = {
      .name = "NUL bytes",
      .cn = B(HOST "\0evil"),
      .o = B("nul\0org"),
      .san = B(HOST "\0.evil.test"),
      .json_cn = B(HOST "\\x00evil"),
      .json_san = B(HOST "\\x00.evil.test"),
      .text = HOST "\\\\x00.evil.test",
      .message = "it covers " HOST "\\x00.evil.test"};
  run_case(&c);
}

static void test_hostile_cert_right_to_left_override(void **state) {
  (void)state;
  hcase_t c = {
      .name = "RLO U+202E",
      .cn = B("\xe2\x80\xaegnp.exe"),
      .o = B("\xe2\x80\xae\xe2\x80\x8f\xe2\x81\xa6org"),
      .san = B("abc\xe2\x80\xae.tlsdiag.test"),
      .json_cn = B("\xe2\x80\xaegnp.exe"),
      .json_san = B("abc\xe2\x80\xae.tlsdiag.test"),
      .text = "abc\\u{202E}.tlsdiag.test",
      .message = "it covers abc"};
  run_case(&c);
}

/* No SAN: the CN is quoted in the message, so it must be made safe there. */
static void test_hostile_cert_hostile_cn_without_san(void **state) {
  (void)state;
  hcase_t c = {
      .name = "CN only",
      .cn = B("\x1b[31m" HOST "\x1b[0m\"\\\x9b"),
      .o = B("o"),
      .san = NONE,
      .json_cn = B("\x1b[31m" HOST "\x1b[0m\"\\\xef\xbf\xbd"),
      .json_san = NONE,
      .text = "\\x1b[31m" HOST "\\x1b[0m\"\\\\\\x9b",
      .message = "the certificate has no subjectAltName"};
  run_case(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hostile_cert_quotes_and_backslashes),
      cmocka_unit_test(test_hostile_cert_control_characters),
      cmocka_unit_test(test_hostile_cert_escape_sequences),
      cmocka_unit_test(test_hostile_cert_invalid_utf8),
      cmocka_unit_test(test_hostile_cert_nul_in_san_never_matches),
      cmocka_unit_test(test_hostile_cert_right_to_left_override),
      cmocka_unit_test(test_hostile_cert_hostile_cn_without_san),
  };
  return td_run_tests(tests, setup, teardown);
}
