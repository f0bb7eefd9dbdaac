/* sweep_memory.c: memory of a sweep (issue 15 item 5): what one check in
 * flight costs, what its big parts cost, and whether a long sweep grows.
 *
 * usage: sweep_memory stall N [dns]    N checks in flight at once against
 *                                      a listener that accepts and stays
 *                                      silent (every ClientHello received);
 *                                      names pinned, or with dns each its
 *                                      own name through a DNS server;
 *        sweep_memory sweep M C        M checks, C in flight, against a
 *                                      normal TLS server (tdserver: TLS
 *                                      1.3, HEAD / -> 200); RSS sampled
 *                                      20 times;
 *        sweep_memory parts N          the big items one by one, N of each
 *                                      (heap per item).
 * The servers run in a forked child, so only the client's memory counts.
 * Heap = mallinfo2().uordblks (the client is single-threaded); RSS and
 * peak RSS from /proc/self/status (VmRSS, VmHWM). RLIMIT_NOFILE is raised
 * as far as the hard limit (as root: to N + 1024) for large N.
 * bench/sweep_memory.sh runs all three with the figures.
 * SWEEP_MEMORY_DNS_AHEAD=N sets the engine's DNS look-ahead (stall,
 * sweep; 0: off); SWEEP_MEMORY_EXTRA=K adds K targets to a stall beyond
 * the N in flight (the look-ahead's, held).
 * Internal API for `parts` (lib/ headers): linked with the library's
 * objects. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "check.h"
#include "keysched.h"
#include "tdcerts.h"
#include "tddns.h"
#include "tdserver.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t heap(void) { return mallinfo2().uordblks; }

/* VmRSS or VmHWM in KiB. */
static long status_kb(const char *key) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t kl = strlen(key);
  while (f && fgets(line, sizeof(line), f))
    if (!strncmp(line, key, kl) && line[kl] == ':') v = atol(line + kl + 1);
  if (f) fclose(f);
  return v;
}

static void raise_nofile(size_t want) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_max < want) rl.rlim_max = want; /* root only */
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

/* ---- servers in a child ---------------------------------------------- */

/* Accepts everything, reads and drops what comes, never writes; counts
 * the connections that sent something (their ClientHello). */
static void silent_child(int lfd, volatile unsigned *hellos) {
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  unsigned char *seen = calloc(1 << 20, 1);
  char buf[4096];
  for (;;) {
    struct epoll_event evs[256];
    int n = epoll_wait(ep, evs, 256, 1000);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == lfd) {
        int c;
        while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r > 0 && fd < (1 << 20) && !seen[fd]) {
        seen[fd] = 1;
        __atomic_add_fetch(hellos, 1, __ATOMIC_RELAXED);
      }
      if (r == 0) {
        seen[fd] = 0;
        close(fd);
      }
    }
  }
}

static pid_t fork_child(void) {
  pid_t pid = fork();
  if (pid == 0) prctl(PR_SET_PDEATHSIG, SIGKILL);
  return pid;
}

static void stop_child(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

/* The test PKI's root in a temporary file (the checks' --cacert). */
static tdcerts_t *pki;
static char rootfile[] = "/tmp/sweep-memory-root-XXXXXX";

static int setup_pki(void) {
  if (tdcerts_generate((int64_t)time(NULL), &pki) != 0) return -1;
  int fd = mkstemp(rootfile);
  if (fd < 0) return -1;
  const char *pem = tdcerts_root_pem(pki);
  ssize_t w = write(fd, pem, strlen(pem));
  close(fd);
  return w == (ssize_t)strlen(pem) ? 0 : -1;
}

static void opts_for(tlsdiag_options_t *o, unsigned port, const char **pins,
                     char *pin, size_t pinlen) {
  tlsdiag_options_init(o);
  snprintf(pin, pinlen, "valid.tlsdiag.test:%u:127.0.0.1", port);
  pins[0] = pin;
  pins[1] = NULL;
  o->port = (uint16_t)port;
  o->cafile = rootfile;
  o->resolve = pins;
}

static size_t done_count, ok_count;
static void count_cb(tlsdiag_result_t *r, void *user, void *data) {
  (void)user;
  (void)data;
  done_count++;
  if (r && tlsdiag_result_cause(r) == TLSDIAG_CAUSE_OK) ok_count++;
  tlsdiag_result_free(r);
}

/* ---- stall: N in flight ---------------------------------------------- */

/* SWEEP_MEMORY_DNS_AHEAD=N: the engine's DNS look-ahead (unset: the
 * library's default; 0: off, every check alive is in flight). */
static int set_ahead(tlsdiag_multi_t *m) {
  const char *a = getenv("SWEEP_MEMORY_DNS_AHEAD");
  if (!a || !*a) return 0;
  return tlsdiag_multi_set_dns_ahead(m, (unsigned)strtoul(a, NULL, 10)) !=
         TLSDIAG_OK;
}

/* with dns: every check has a name of its own (hN.tlsdiag.test), looked
 * up through a tddns server in the child (answering 127.0.0.1). */
static int run_stall(size_t n, int dns) {
  raise_nofile(n + 1024);
  volatile unsigned *hellos = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (hellos == MAP_FAILED) return 1;
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET,
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof(sa);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
      listen(lfd, 4096) != 0 ||
      getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0)
    return 1;
  unsigned port = ntohs(sa.sin_port);
  /* SWEEP_MEMORY_EXTRA=K: K targets more than in flight, so that the
   * look-ahead's K checks (at most) are alive too, held or in DNS. */
  const char *ex = getenv("SWEEP_MEMORY_EXTRA");
  size_t extra = ex ? strtoul(ex, NULL, 10) : 0;
  pid_t pid = fork_child();
  if (pid == 0) {
    if (dns) {
      tddns_t *d = NULL;
      if (tddns_start("127.0.0.1", &d) != 0) _exit(1);
      char name[64];
      for (size_t i = 0; i < n + extra; i++) {
        snprintf(name, sizeof(name), "h%zu.tlsdiag.test", i);
        tddns_add_a(d, name, "127.0.0.1");
      }
      hellos[1] = tddns_port(d);
    }
    silent_child(lfd, hellos);
  }
  close(lfd);
  while (dns && !hellos[1]) usleep(10000);
  char dns_server[64];
  snprintf(dns_server, sizeof(dns_server), "127.0.0.1:%u", hellos[1]);

  tlsdiag_options_t o;
  const char *pins[2];
  char pin[96];
  opts_for(&o, port, pins, pin, sizeof(pin));
  o.connect_timeout_ms = 120000;
  o.max_time_ms = 180000;
  o.flags |= TLSDIAG_F_NO_VERSION_PROBE;
  if (dns) {
    o.resolve = NULL;
    o.dns_servers = dns_server;
  }
  tlsdiag_multi_t *m = NULL;
  if (tlsdiag_multi_new((unsigned)n, count_cb, NULL, &m) != TLSDIAG_OK ||
      set_ahead(m))
    return 1;
  long rss0 = status_kb("VmRSS");
  size_t h0 = heap();
  char name[64] = "valid.tlsdiag.test";
  for (size_t i = 0; i < n + extra; i++) {
    if (dns) snprintf(name, sizeof(name), "h%zu.tlsdiag.test", i);
    if (tlsdiag_multi_add(m, name, &o, NULL) != TLSDIAG_OK) return 1;
  }
  size_t hq = heap();
  struct pollfd *fds = calloc(n + 64, sizeof(*fds));
  double t0 = now_s();
  int rc = 1;
  while (now_s() - t0 < 120) {
    size_t k = tlsdiag_multi_fds(m, fds, n + 64);
    int to = tlsdiag_multi_timeout_ms(m);
    poll(fds, k, to < 0 || to > 100 ? 100 : to);
    tlsdiag_multi_process(m, fds, k);
    if (*hellos >= n) {
      rc = 0;
      break;
    }
  }
  size_t h1 = heap();
  long rss1 = status_kb("VmRSS"), hwm = status_kb("VmHWM");
  printf("stall%s: %zu checks, %u ClientHellos received by the silent server "
         "in %.1f s, %zu finished early%s\n",
         dns ? " (names through DNS)" : " (names pinned)", n, *hellos,
         now_s() - t0, done_count, rc ? " (NOT ALL IN FLIGHT)" : "");
  printf("  queued: %.0f B/check (heap)\n", (double)(hq - h0) / (double)n);
  printf("  in flight (TLS, waiting for the ServerHello): %.0f B/check heap, "
         "%.0f B/check RSS\n",
         (double)(h1 - h0) / (double)n, (double)(rss1 - rss0) * 1024 / (double)n);
  printf("  RSS %ld KiB before, %ld KiB in flight, peak %.1f MiB "
         "(target <= 256 MiB at 10,000)\n",
         rss0, rss1, (double)hwm / 1024);
  tlsdiag_multi_free(m);
  free(fds);
  stop_child(pid);
  return rc;
}

/* ---- sweep: M checks, C in flight, RSS over time --------------------- */

static int run_sweep(size_t total, unsigned conc) {
  raise_nofile(4 * (size_t)conc + 1024);
  int pfd[2];
  if (pipe(pfd) != 0) return 1;
  pid_t pid = fork_child();
  if (pid == 0) {
    const tdcerts_case_t *c = tdcerts_case(pki, "valid");
    tdserver_config_t cfg;
    tdserver_config_init(&cfg);
    cfg.chain_pem = c->chain_pem;
    cfg.key_pem = c->key_pem;
    cfg.priority = TDS_PRIORITY_TLS13_ONLY;
    tdserver_t *s = NULL;
    unsigned port = 0;
    if (tdserver_start(&cfg, &s) == 0) port = tdserver_port(s);
    if (write(pfd[1], &port, sizeof(port)) != sizeof(port)) _exit(1);
    for (;;) pause();
  }
  unsigned port = 0;
  if (read(pfd[0], &port, sizeof(port)) != sizeof(port) || !port) {
    stop_child(pid);
    return 1;
  }
  tlsdiag_options_t o;
  const char *pins[2];
  char pin[96];
  opts_for(&o, port, pins, pin, sizeof(pin));
  o.flags |= TLSDIAG_F_NO_VERSION_PROBE;
  tlsdiag_multi_t *m = NULL;
  if (tlsdiag_multi_new(conc, count_cb, NULL, &m) != TLSDIAG_OK || set_ahead(m))
    return 1;
  size_t added = 0, next = total / 20, fails = 0;
  struct pollfd *fds = calloc((size_t)conc * 2 + 64, sizeof(*fds));
  long rss_base = status_kb("VmRSS");
  long rss_warm = -1, rss_max_after = 0;
  double t0 = now_s();
  printf("sweep: %zu checks of a TLS 1.3 tdserver, %u in flight\n", total,
         conc);
  printf("  %9s %8s %10s %10s %10s\n", "done", "s", "RSS KiB", "heap KiB",
         "peak KiB");
  while (done_count < total) {
    while (added < total && tlsdiag_multi_pending(m) < 2 * (size_t)conc) {
      if (tlsdiag_multi_add(m, "valid.tlsdiag.test", &o, NULL) != TLSDIAG_OK)
        fails++;
      added++;
    }
    size_t k = tlsdiag_multi_fds(m, fds, (size_t)conc * 2 + 64);
    int to = tlsdiag_multi_timeout_ms(m);
    poll(fds, k, to < 0 || to > 100 ? 100 : to);
    tlsdiag_multi_process(m, fds, k);
    if (done_count + fails >= next) {
      long rss = status_kb("VmRSS");
      printf("  %9zu %8.1f %10ld %10zu %10ld\n", done_count, now_s() - t0, rss,
             heap() / 1024, status_kb("VmHWM"));
      fflush(stdout);
      if (rss_warm < 0 && done_count >= total / 10) rss_warm = rss;
      else if (rss_warm >= 0 && rss > rss_max_after) rss_max_after = rss;
      next += total / 20;
    }
    if (fails >= total) break;
  }
  double el = now_s() - t0;
  printf("  %zu checks (%zu with cause ok) in %.1f s (%.0f/s); RSS %ld KiB at start, %ld KiB "
         "after warm-up (10%%), at most %ld KiB later: growth %+ld KiB\n",
         done_count, ok_count, el, (double)done_count / el, rss_base, rss_warm,
         rss_max_after, rss_max_after - rss_warm);
  tlsdiag_multi_free(m);
  free(fds);
  stop_child(pid);
  return 0;
}

/* ---- parts: the big items ------------------------------------------- */

static int run_parts(size_t n) {
  raise_nofile(2 * n + 1024);
  gnutls_certificate_credentials_t cred;
  gnutls_certificate_allocate_credentials(&cred);
  gnutls_certificate_set_x509_trust_file(cred, rootfile, GNUTLS_X509_FMT_PEM);
  char *prio = td_tls_priority(TLSDIAG_TLS1_2, TLSDIAG_TLS1_3, 0);
  gnutls_session_t *ss = calloc(n, sizeof(*ss));
  td_kscap_t **ks = calloc(n, sizeof(*ks));
  int (*sv)[2] = calloc(n, sizeof(*sv));
  td_shared_t *sh = td_shared_new();
  printf("parts (%zu of each, heap per item):\n", n);
  for (int shared = 0; shared < 2; shared++) {
    size_t h0 = heap();
    for (size_t i = 0; i < n; i++) {
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv[i]);
      td_tls_session_new(cred, sv[i][0], "valid.tlsdiag.test", prio,
                         shared ? td_shared_priority(sh, prio) : NULL, NULL, 0,
                         &ss[i]);
    }
    size_t h1 = heap();
    for (size_t i = 0; i < n; i++) gnutls_handshake(ss[i]); /* ClientHello */
    size_t h2 = heap();
    printf("  GnuTLS session, %s: new %.0f B, after its ClientHello "
           "%.0f B (key shares)\n",
           shared ? "the engine's parsed priorities"
                  : "priorities parsed per session",
           (double)(h1 - h0) / (double)n, (double)(h2 - h0) / (double)n);
    if (shared) break;
    for (size_t i = 0; i < n; i++) {
      gnutls_deinit(ss[i]);
      close(sv[i][0]);
      close(sv[i][1]);
    }
  }
  unsigned char hello[4096];
  ssize_t hl = 0;
  for (size_t i = 0; i < n; i++) {
    ssize_t r = read(sv[i][1], hello, sizeof(hello));
    if (r > 0) hl = r;
  }
  size_t h3 = heap();
  for (size_t i = 0; i < n; i++) {
    ks[i] = td_ks_capture_new(0);
    if (hl > 0) td_ks_capture_bytes(ks[i], 0, hello, (size_t)hl);
  }
  size_t h4 = heap();
  printf("  key schedule capture after the ClientHello (%zd bytes): %.0f B\n",
         hl, (double)(h4 - h3) / (double)n);
  printf("  struct td_check %zu B, struct tlsdiag_result %zu B (inline)\n",
         sizeof(struct td_check), sizeof(tlsdiag_result_t));
  for (size_t i = 0; i < n; i++) {
    td_ks_capture_free(ks[i]);
    gnutls_deinit(ss[i]);
    close(sv[i][0]);
    close(sv[i][1]);
  }
  td_shared_free(sh);
  /* A resolver (one c-ares channel per lookup that the engine's cache
   * cannot answer), asking a port where nobody listens. */
  size_t nr = n > 200 ? 200 : n;
  td_resolver_t **rs = calloc(nr, sizeof(*rs));
  size_t h5 = heap();
  for (size_t i = 0; i < nr; i++)
    td_resolver_start("valid.tlsdiag.test", "127.0.0.1:9", AF_UNSPEC, 5000,
                      &rs[i]);
  size_t h6 = heap();
  printf("  resolver (c-ares channel + query) during DNS: %.0f B\n",
         (double)(h6 - h5) / (double)nr);
  for (size_t i = 0; i < nr; i++) td_resolver_free(rs[i]);
  free(rs);
  free(ss);
  free(ks);
  free(sv);
  free(prio);
  gnutls_certificate_free_credentials(cred);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: sweep_memory stall N [dns] | sweep M C | parts N\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  if (setup_pki() != 0) {
    fprintf(stderr, "sweep_memory: cannot make the test PKI\n");
    return 1;
  }
  size_t n = strtoul(argv[2], NULL, 10);
  int rc = 2;
  if (!strcmp(argv[1], "stall") && n > 0)
    rc = run_stall(n, argc > 3 && !strcmp(argv[3], "dns"));
  else if (!strcmp(argv[1], "sweep") && argc > 3 && n > 0)
    rc = run_sweep(n, (unsigned)strtoul(argv[3], NULL, 10));
  else if (!strcmp(argv[1], "parts") && n > 0) rc = run_parts(n);
  else fprintf(stderr, "usage: sweep_memory stall N [dns] | sweep M C | parts N\n");
  unlink(rootfile);
  tdcerts_free(pki);
  return rc;
}
