/* jobs.c: a sweep on all cores (tlsdiag_sweep_*): one multi engine per
 * thread, checks dealt to them in turn, callbacks serialised through one
 * lock, one politeness gate for all. Threads are started and joined
 * inside tlsdiag_sweep_run only. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine.h"

#define STOP_POLL_MS 100 /* how soon an engine notices tlsdiag_sweep_stop */

typedef struct worker {
  tlsdiag_sweep_t *sw;
  tlsdiag_multi_t *m;
  pthread_t th;
  int started;
  tlsdiag_err_t err;
} worker_t;

struct tlsdiag_sweep {
  unsigned jobs;
  worker_t *w;
  size_t next; /* the engine the next add goes to */
  td_gate_t *gate;
  tlsdiag_multi_cb cb;
  void *cb_data;
  pthread_mutex_t cb_mu;
  atomic_int stop; /* lock-free: set from a signal handler too */
};

/* Each engine's callback: the caller's, one at a time. */
static void on_done(tlsdiag_result_t *r, void *user, void *data) {
  tlsdiag_sweep_t *sw = data;
  pthread_mutex_lock(&sw->cb_mu);
  if (!atomic_load(&sw->stop)) sw->cb(r, user, sw->cb_data);
  else tlsdiag_result_free(r);
  pthread_mutex_unlock(&sw->cb_mu);
}

tlsdiag_err_t tlsdiag_sweep_new(unsigned jobs, unsigned max_in_flight,
                                unsigned per_ip, unsigned rate,
                                tlsdiag_multi_cb cb, void *cb_data,
                                tlsdiag_sweep_t **out) {
  if (!out) return TLSDIAG_E_INVAL;
  *out = NULL;
  if (!cb) return TLSDIAG_E_INVAL;
  if (jobs == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    jobs = n > 0 && n < 1024 ? (unsigned)n : 1;
  }
  tlsdiag_sweep_t *sw = calloc(1, sizeof(*sw));
  if (!sw) return TLSDIAG_E_NOMEM;
  if (pthread_mutex_init(&sw->cb_mu, NULL) != 0) {
    free(sw);
    return TLSDIAG_E_NOMEM;
  }
  sw->cb = cb;
  sw->cb_data = cb_data;
  tlsdiag_err_t err = TLSDIAG_OK;
  if ((per_ip || rate) && !(sw->gate = td_gate_new(per_ip, rate)))
    err = TLSDIAG_E_NOMEM;
  if (!err && !(sw->w = calloc(jobs, sizeof(*sw->w)))) err = TLSDIAG_E_NOMEM;
  for (unsigned i = 0; !err && i < jobs; i++) {
    sw->w[i].sw = sw;
    err = tlsdiag_multi_new(max_in_flight, on_done, sw, &sw->w[i].m);
    if (!err) {
      td_multi_share_gate(sw->w[i].m, sw->gate);
      sw->jobs++;
    }
  }
  if (err) {
    tlsdiag_sweep_free(sw);
    return err;
  }
  *out = sw;
  return TLSDIAG_OK;
}

tlsdiag_err_t tlsdiag_sweep_set_dns_ahead(tlsdiag_sweep_t *sw, unsigned n) {
  if (!sw) return TLSDIAG_E_INVAL;
  for (unsigned i = 0; i < sw->jobs; i++) {
    if (sw->w[i].started) return TLSDIAG_E_INVAL;
    tlsdiag_err_t err = tlsdiag_multi_set_dns_ahead(sw->w[i].m, n);
    if (err) return err;
  }
  return TLSDIAG_OK;
}

unsigned tlsdiag_sweep_jobs(const tlsdiag_sweep_t *sw) {
  return sw ? sw->jobs : 0;
}

tlsdiag_err_t tlsdiag_sweep_add(tlsdiag_sweep_t *sw, const char *host,
                                const tlsdiag_options_t *opts, void *user) {
  if (!sw) return TLSDIAG_E_INVAL;
  tlsdiag_err_t err = tlsdiag_multi_add(sw->w[sw->next].m, host, opts, user);
  if (!err) sw->next = (sw->next + 1) % sw->jobs;
  return err;
}

void tlsdiag_sweep_stop(tlsdiag_sweep_t *sw) {
  if (sw) atomic_store(&sw->stop, 1);
}

/* One engine's loop: tlsdiag_multi_run's, waking at least every
 * STOP_POLL_MS to look at the stop flag. */
static void *engine_main(void *arg) {
  worker_t *w = arg;
  struct pollfd *pfd = NULL;
  size_t cap = 0;
  while (!atomic_load(&w->sw->stop) && tlsdiag_multi_pending(w->m)) {
    size_t n = tlsdiag_multi_fds(w->m, pfd, cap);
    if (!pfd || n == cap) {
      size_t ncap = cap ? cap * 2 : 256;
      struct pollfd *p = realloc(pfd, ncap * sizeof(*p));
      if (!p) {
        w->err = TLSDIAG_E_NOMEM;
        break;
      }
      pfd = p;
      cap = ncap;
      continue;
    }
    int timeout = tlsdiag_multi_timeout_ms(w->m);
    if (timeout < 0 || timeout > STOP_POLL_MS) timeout = STOP_POLL_MS;
    int rc = poll(pfd, (nfds_t)n, timeout);
    if (rc < 0 && errno != EINTR && errno != EAGAIN)
      poll(NULL, 0, timeout > 50 ? 50 : timeout);
    tlsdiag_err_t err = tlsdiag_multi_process(w->m, pfd, rc > 0 ? n : 0);
    if (err) {
      w->err = err;
      break;
    }
  }
  free(pfd);
  return NULL;
}

tlsdiag_err_t tlsdiag_sweep_run(tlsdiag_sweep_t *sw) {
  if (!sw) return TLSDIAG_E_INVAL;
  tlsdiag_err_t err = TLSDIAG_OK;
  /* The caller's signal handlers run on the caller's thread: the engines
   * start with SIGINT and SIGTERM blocked, as the caller's loop would
   * have been interrupted by them. */
  sigset_t block, old;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &block, &old);
  for (unsigned i = 0; i < sw->jobs; i++) {
    worker_t *w = &sw->w[i];
    w->err = TLSDIAG_OK;
    w->started = pthread_create(&w->th, NULL, engine_main, w) == 0;
    if (!w->started) err = TLSDIAG_E_NOMEM;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  for (unsigned i = 0; i < sw->jobs; i++) {
    worker_t *w = &sw->w[i];
    if (!w->started) continue;
    pthread_join(w->th, NULL);
    w->started = 0;
    if (w->err && !err) err = w->err;
  }
  return err;
}

void tlsdiag_sweep_free(tlsdiag_sweep_t *sw) {
  if (!sw) return;
  for (unsigned i = 0; i < sw->jobs; i++) tlsdiag_multi_free(sw->w[i].m);
  free(sw->w);
  td_gate_free(sw->gate); /* after the engines: their checks held it */
  pthread_mutex_destroy(&sw->cb_mu);
  free(sw);
}
