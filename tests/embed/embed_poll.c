/* embed_poll.c: embedding the tlsdiag engine in a program's own poll()
 * loop -- the way a monitoring agent that already has an event loop would
 * use it. Uses only the public API.
 *
 * The agent here owns one descriptor of its own (a pipe it writes a tick
 * to, standing for its other work), merges tlsdiag's descriptors into the
 * same poll set, sleeps no longer than tlsdiag_multi_timeout_ms says, and
 * hands the slice of results back with tlsdiag_multi_process. Results
 * arrive in the callback, one per added target, in completion order.
 *
 * Build alone:  cc embed_poll.c $(pkg-config --cflags --libs tlsdiag)
 * Run:          ./a.out [--cacert FILE] [--resolve H:P:ADDR]... HOST[:PORT]...
 * It prints one line per target, "HOST:PORT CAUSE DAYS_LEFT", and exits 0
 * when every target was checked. tests/test_embed.c builds and runs it. */
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tlsdiag/tlsdiag.h>

#define MAX_FDS 1024

typedef struct {
  FILE *out;
  size_t done;
} agent_t;

static void on_result(tlsdiag_result_t *r, void *user, void *cb_data) {
  agent_t *a = cb_data;
  (void)user;
  a->done++;
  if (!r) {
    fprintf(a->out, "? out_of_memory -\n");
    return;
  }
  int64_t days = 0;
  int have = tlsdiag_result_expiry(r, TLSDIAG_EXPIRY_PATH, NULL, &days);
  fprintf(a->out, "%s:%u %s ", tlsdiag_result_host(r), tlsdiag_result_port(r),
          tlsdiag_cause_name(tlsdiag_result_cause(r)));
  if (have) fprintf(a->out, "%lld\n", (long long)days);
  else fputs("-\n", a->out);
  tlsdiag_result_free(r);
}

/* The agent's loop: its own pipe at fds[0], tlsdiag's after it. Returns
 * the number of ticks of "other work" it did, or -1 on error. */
static long agent_loop(tlsdiag_multi_t *m, int tick_fd[2]) {
  struct pollfd fds[MAX_FDS];
  long ticks = 0;
  while (tlsdiag_multi_pending(m) > 0) {
    fds[0].fd = tick_fd[0];
    fds[0].events = POLLIN;
    fds[0].revents = 0;
    size_t n = tlsdiag_multi_fds(m, fds + 1, MAX_FDS - 1);
    int timeout = tlsdiag_multi_timeout_ms(m);
    if (timeout < 0 || timeout > 100) timeout = 100; /* our own timer */
    if (write(tick_fd[1], "t", 1) != 1) return -1; /* other work arrives */
    int rc = poll(fds, (nfds_t)(n + 1), timeout);
    if (rc < 0) return -1;
    if (fds[0].revents & POLLIN) {
      char b[64];
      if (read(tick_fd[0], b, sizeof(b)) > 0) ticks++;
    }
    /* Only tlsdiag's slice goes back to it (revents filled by poll). */
    if (tlsdiag_multi_process(m, fds + 1, rc > 0 ? n : 0) != TLSDIAG_OK)
      return -1;
  }
  return ticks;
}

/* Checks the targets of argv; results go to `out`. 0 when each target got
 * its result, 1 on a usage or setup error. */
int embed_main(int argc, char **argv, FILE *out);
int embed_main(int argc, char **argv, FILE *out) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.connect_timeout_ms = 2000;
  o.max_time_ms = 5000;
  const char *pins[33];
  size_t npins = 0;
  agent_t a = {out, 0};
  tlsdiag_multi_t *m = NULL;
  if (tlsdiag_multi_new(8, on_result, &a, &m) != TLSDIAG_OK) return 1;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--cacert") && i + 1 < argc) o.cafile = argv[++i];
    else if (!strcmp(argv[i], "--resolve") && i + 1 < argc && npins < 32)
      pins[npins++] = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--cacert F] [--resolve H:P:A]... HOST[:PORT]...\n",
              argv[0]);
      tlsdiag_multi_free(m);
      return 1;
    }
  }
  pins[npins] = NULL;
  o.resolve = npins ? pins : NULL;
  size_t added = 0;
  for (; i < argc; i++) {
    char *host = NULL;
    uint16_t port = 443;
    tlsdiag_err_t err = tlsdiag_target_parse(argv[i], 443, &host, &port);
    if (!err) {
      o.port = port;
      err = tlsdiag_multi_add(m, host, &o, NULL); /* copies host and opts */
    }
    tlsdiag_free(host);
    if (err) {
      fprintf(stderr, "%s: %s\n", argv[i], tlsdiag_strerror(err));
      tlsdiag_multi_free(m);
      return 1;
    }
    added++;
  }
  int tick_fd[2];
  if (pipe(tick_fd) != 0) {
    tlsdiag_multi_free(m);
    return 1;
  }
  long ticks = agent_loop(m, tick_fd);
  close(tick_fd[0]);
  close(tick_fd[1]);
  tlsdiag_multi_free(m);
  fprintf(out, "# %zu checked, %ld ticks of other work\n", a.done, ticks);
  return ticks >= 0 && a.done == added ? 0 : 1;
}

#ifndef EMBED_NO_MAIN
int main(int argc, char **argv) { return embed_main(argc, argv, stdout); }
#endif
