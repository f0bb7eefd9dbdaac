/* embed_threads.c: tlsdiag in a multi-threaded program -- a worker pool
 * where every thread does its own checks at the same moment. Uses only the
 * public API.
 *
 * The rules it shows: a handle (tlsdiag_multi_t, a result) belongs to one
 * thread at a time, but any number of threads may each have their own, and
 * the first calls may race: the library initialises GnuTLS and c-ares once,
 * under its own lock, whichever thread comes first. A thread may also hold
 * an explicit tlsdiag_global_init()/tlsdiag_global_cleanup() pair around its
 * work (even threads do here) without pulling the libraries from under the
 * others. Odd threads use the blocking tlsdiag_check() per target, even
 * threads one engine (tlsdiag_multi_run) for all their targets.
 *
 * Build alone:  cc embed_threads.c $(pkg-config --cflags --libs tlsdiag) -pthread
 * Run:          ./a.out [--threads N] [--cacert FILE] [--resolve H:P:ADDR]...
 *                       HOST[:PORT]...
 * It prints "tK HOST:PORT CAUSE" for every thread K and target, in order,
 * and exits 0 when every thread checked every target.
 * tests/test_embed.c builds and runs it (and tests/tsan.sh under TSan). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tlsdiag/tlsdiag.h>

#define MAX_THREADS 16
#define MAX_TARGETS 32

typedef struct {
  const tlsdiag_options_t *o; /* shared, read-only */
  char *const *targets;       /* shared, read-only */
  size_t ntargets;
  pthread_barrier_t *start;   /* every thread's first call at once */
  int index;
  /* written by this thread only, read by main after the join */
  const char *cause[MAX_TARGETS]; /* static strings from the library */
  int failed;
} worker_t;

typedef struct {
  worker_t *w;
  size_t i; /* target index */
} target_slot_t;

static void worker_result(tlsdiag_result_t *r, void *user, void *cb_data) {
  (void)cb_data;
  target_slot_t *s = user;
  s->w->cause[s->i] = r ? tlsdiag_cause_name(tlsdiag_result_cause(r))
                        : "out_of_memory";
  tlsdiag_result_free(r);
}

/* Splits a target into host and port into the options copy o. */
static tlsdiag_err_t parse_target(const char *t, tlsdiag_options_t *o,
                                  char **host) {
  uint16_t port = 443;
  tlsdiag_err_t err = tlsdiag_target_parse(t, 443, host, &port);
  o->port = port;
  return err;
}

static void run_engine(worker_t *w) {
  target_slot_t slots[MAX_TARGETS];
  tlsdiag_multi_t *m = NULL;
  if (tlsdiag_multi_new(4, worker_result, NULL, &m) != TLSDIAG_OK) {
    w->failed = 1;
    return;
  }
  for (size_t i = 0; i < w->ntargets; i++) {
    tlsdiag_options_t o = *w->o;
    char *host = NULL;
    tlsdiag_err_t err = parse_target(w->targets[i], &o, &host);
    slots[i].w = w;
    slots[i].i = i;
    if (!err) err = tlsdiag_multi_add(m, host, &o, &slots[i]);
    tlsdiag_free(host);
    if (err) w->failed = 1;
  }
  if (tlsdiag_multi_run(m) != TLSDIAG_OK) w->failed = 1;
  tlsdiag_multi_free(m);
}

static void run_blocking(worker_t *w) {
  for (size_t i = 0; i < w->ntargets; i++) {
    tlsdiag_options_t o = *w->o;
    char *host = NULL;
    tlsdiag_result_t *r = NULL;
    tlsdiag_err_t err = parse_target(w->targets[i], &o, &host);
    if (!err) err = tlsdiag_check(host, &o, &r);
    tlsdiag_free(host);
    if (err) {
      w->failed = 1;
      continue;
    }
    w->cause[i] = tlsdiag_cause_name(tlsdiag_result_cause(r));
    tlsdiag_result_free(r);
  }
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  int explicit_ref = w->index % 2 == 0;
  pthread_barrier_wait(w->start);
  if (explicit_ref && tlsdiag_global_init() != TLSDIAG_OK) {
    w->failed = 1;
    return NULL;
  }
  if (w->index % 2) run_blocking(w);
  else run_engine(w);
  if (explicit_ref) tlsdiag_global_cleanup();
  return NULL;
}

/* Checks the targets of argv from every thread; lines go to `out`. 0 when
 * each thread got each target's result, 1 on a usage or setup error. */
int embed_threads_main(int argc, char **argv, FILE *out);
int embed_threads_main(int argc, char **argv, FILE *out) {
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  o.connect_timeout_ms = 2000;
  o.max_time_ms = 5000;
  const char *pins[33];
  size_t npins = 0;
  int nthreads = 4;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (!strcmp(argv[i], "--cacert") && i + 1 < argc) o.cafile = argv[++i];
    else if (!strcmp(argv[i], "--resolve") && i + 1 < argc && npins < 32)
      pins[npins++] = argv[++i];
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      nthreads = atoi(argv[++i]);
    else
      break;
  }
  size_t ntargets = (size_t)(argc - i);
  if ((i < argc && argv[i][0] == '-') || ntargets == 0 ||
      ntargets > MAX_TARGETS || nthreads < 1 || nthreads > MAX_THREADS) {
    fprintf(stderr, "usage: %s [--threads N] [--cacert F] [--resolve H:P:A]..."
            " HOST[:PORT]...\n", argv[0]);
    return 1;
  }
  pins[npins] = NULL;
  o.resolve = npins ? pins : NULL;

  pthread_barrier_t start;
  worker_t w[MAX_THREADS];
  pthread_t th[MAX_THREADS];
  memset(w, 0, sizeof(w));
  if (pthread_barrier_init(&start, NULL, (unsigned)nthreads) != 0) return 1;
  int started = 0, rc = 0;
  for (; started < nthreads; started++) {
    w[started] = (worker_t){.o = &o, .targets = argv + i, .ntargets = ntargets,
                            .start = &start, .index = started};
    if (pthread_create(&th[started], NULL, worker_main, &w[started]) != 0)
      break;
  }
  if (started < nthreads) { /* the barrier would never open: give up */
    fprintf(stderr, "cannot start %d threads\n", nthreads);
    exit(1);
  }
  for (int k = 0; k < started; k++) pthread_join(th[k], NULL);
  pthread_barrier_destroy(&start);
  for (int k = 0; k < started; k++) {
    if (w[k].failed) rc = 1;
    for (size_t t = 0; t < ntargets; t++) {
      if (!w[k].cause[t]) rc = 1;
      fprintf(out, "t%d %s %s\n", k, argv[i + (int)t],
              w[k].cause[t] ? w[k].cause[t] : "(none)");
    }
  }
  return rc;
}

#ifndef EMBED_NO_MAIN
int main(int argc, char **argv) {
  return embed_threads_main(argc, argv, stdout);
}
#endif
