/* test_embed.c: builds the embedding examples (public API only) into this
 * test and runs them against local servers. tests/embed/embed_poll.c: the
 * engine driven from the program's own poll loop; every target gets its
 * line, and the agent's own descriptor kept being served meanwhile.
 * tests/embed/embed_threads.c: a worker pool whose threads all start
 * checking at once; every thread gets every target's true cause. */
#define EMBED_NO_MAIN
#include "embed/embed_poll.c"
#include "embed/embed_threads.c"

#include "tdtest.h"

static void test_embed_own_poll_loop_checks_every_target(void **state) {
  (void)state;
  tdserver_t *valid = tt_server(TDS_HTTP, "valid");
  tdserver_t *expired = tt_server(TDS_HTTP, "expired");
  tdserver_t *silent = tt_server(TDS_SILENT, NULL);
  char p1[128], p2[128], p3[128], t1[128], t2[128], t3[128];
  snprintf(p1, sizeof(p1), "valid.tlsdiag.test:%u:127.0.0.1", tdserver_port(valid));
  snprintf(p2, sizeof(p2), "expired.tlsdiag.test:%u:127.0.0.1", tdserver_port(expired));
  snprintf(p3, sizeof(p3), "silent.tlsdiag.test:%u:127.0.0.1", tdserver_port(silent));
  snprintf(t1, sizeof(t1), "valid.tlsdiag.test:%u", tdserver_port(valid));
  snprintf(t2, sizeof(t2), "expired.tlsdiag.test:%u", tdserver_port(expired));
  snprintf(t3, sizeof(t3), "silent.tlsdiag.test:%u", tdserver_port(silent));
  char *argv[] = {"embed", "--cacert", tt_root, "--resolve", p1, "--resolve",
                  p2, "--resolve", p3, t3, t1, t2, t1, NULL};
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  assert_non_null(out);
  int rc = embed_main(13, argv, out);
  fclose(out);
  if (rc != 0) fail_msg("exit %d:\n%s", rc, text);
  char want[200];
  /* The real clock: 90 days, or 89 once a second has passed. */
  snprintf(want, sizeof(want), "%s ok ", t1);
  const char *v = strstr(text, want);
  if (!v) fail_msg("no '%s' in:\n%s", want, text);
  assert_true(!strncmp(v + strlen(want), "89\n", 3) ||
              !strncmp(v + strlen(want), "90\n", 3));
  assert_non_null(strstr(v + 1, want)); /* added twice, checked twice */
  snprintf(want, sizeof(want), "%s cert_expired -10\n", t2);
  assert_non_null(strstr(text, want));
  snprintf(want, sizeof(want), "%s tls_timeout -\n", t3);
  assert_non_null(strstr(text, want));
  /* The silent target finished last, and the agent's own work went on
   * while it waited (a tick per loop turn, at least every 100 ms). */
  assert_true(strstr(text, want) > strstr(text, "cert_expired"));
  long ticks = -1;
  assert_non_null(strstr(text, "# 4 checked, "));
  assert_int_equal(sscanf(strstr(text, "# 4 checked, "), "# 4 checked, %ld", &ticks), 1);
  assert_true(ticks >= 10);
  free(text);
  tdserver_stop(valid);
  tdserver_stop(expired);
  tdserver_stop(silent);
}

/* Four threads, two with the blocking call and two with an engine each
 * (those also holding an explicit global init/cleanup pair), all making
 * their first library call at the same moment: each gets each target's
 * cause, the same as a lone thread would. tests/tsan.sh runs this under
 * ThreadSanitizer, where any data race fails it. */
static void test_embed_threads_each_check_every_target(void **state) {
  (void)state;
  tdserver_t *valid = tt_server(TDS_HTTP, "valid");
  tdserver_t *expired = tt_server(TDS_HTTP, "expired");
  char p1[128], p2[128], t1[128], t2[128], t3[64];
  snprintf(p1, sizeof(p1), "valid.tlsdiag.test:%u:127.0.0.1", tdserver_port(valid));
  snprintf(p2, sizeof(p2), "expired.tlsdiag.test:%u:127.0.0.1", tdserver_port(expired));
  snprintf(t1, sizeof(t1), "valid.tlsdiag.test:%u", tdserver_port(valid));
  snprintf(t2, sizeof(t2), "expired.tlsdiag.test:%u", tdserver_port(expired));
  /* A closed port on a literal address: refused, no DNS, no server. */
  tdserver_config_t cfg;
  tt_server_config(&cfg, TDS_HTTP, "valid");
  tdserver_t *gone = tt_server_cfg(&cfg);
  snprintf(t3, sizeof(t3), "127.0.0.1:%u", tdserver_port(gone));
  tdserver_stop(gone);
  char *argv[] = {"embed_threads", "--threads", "4", "--cacert", tt_root,
                  "--resolve", p1, "--resolve", p2, t1, t2, t3, NULL};
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  assert_non_null(out);
  int rc = embed_threads_main(12, argv, out);
  fclose(out);
  if (rc != 0) fail_msg("exit %d:\n%s", rc, text);
  char want[4096];
  snprintf(want, sizeof(want),
           "t0 %s ok\nt0 %s cert_expired\nt0 %s tcp_refused\n"
           "t1 %s ok\nt1 %s cert_expired\nt1 %s tcp_refused\n"
           "t2 %s ok\nt2 %s cert_expired\nt2 %s tcp_refused\n"
           "t3 %s ok\nt3 %s cert_expired\nt3 %s tcp_refused\n",
           t1, t2, t3, t1, t2, t3, t1, t2, t3, t1, t2, t3);
  assert_string_equal(text, want);
  free(text);
  tdserver_stop(valid);
  tdserver_stop(expired);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_embed_own_poll_loop_checks_every_target),
      cmocka_unit_test(test_embed_threads_each_check_every_target),
  };
  return td_run_tests(tests, tt_setup, tt_teardown);
}
