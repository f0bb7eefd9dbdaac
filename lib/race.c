/* race.c: the TCP phase of a check, raced as browsers race it (RFC 8305,
 * Happy Eyeballs v2). The addresses are tried IPv6 first, then the
 * families alternating ("First Address Family Count" 1); a new attempt
 * starts every happy_eyeballs_timeout_ms (250 ms) while the earlier ones
 * are still pending, or at once when one fails. Each attempt has its own
 * connect timeout, all of them the check's max_time. The first to connect wins; the others
 * are closed and recorded as abandoned, with what they had seen. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static double ms_at(const td_check_t *c, int64_t t) {
  return (double)(t - c->t0) / 1000.0;
}

/* The first index from `from` on of an IPv6 (v6) or another address, or
 * r->naddrs. */
static size_t next_of(const tlsdiag_result_t *r, size_t from, int v6) {
  while (from < r->naddrs && (r->addr_family[from] == AF_INET6) != v6)
    from++;
  return from;
}

tlsdiag_err_t td_race_init(td_check_t *c, const char **first) {
  const tlsdiag_result_t *r = c->r;
  td_check_race_t *rc = &c->race;
  *first = NULL;
  free(rc->order);
  rc->norder = rc->next = rc->npend = 0;
  rc->order = r->naddrs ? calloc(r->naddrs, sizeof(*rc->order)) : NULL;
  if (r->naddrs && !rc->order) return TLSDIAG_E_NOMEM;
  /* Alternate: the next IPv6 address, then the next IPv4 one, ... (each
   * family in the order DNS or the pin gave it); IPv6 leads when there is
   * one, and the rest of one family follows when the other runs out. */
  size_t i6 = next_of(r, 0, 1), i4 = next_of(r, 0, 0);
  int want6 = 1;
  while (i6 < r->naddrs || i4 < r->naddrs) {
    if ((want6 && i6 < r->naddrs) || i4 >= r->naddrs) {
      rc->order[rc->norder++] = i6;
      i6 = next_of(r, i6 + 1, 1);
    } else {
      rc->order[rc->norder++] = i4;
      i4 = next_of(r, i4 + 1, 0);
    }
    want6 = !want6;
  }
  if (rc->norder) *first = r->addrs[rc->order[0]];
  return TLSDIAG_OK;
}

static size_t new_attempt(td_check_t *c, size_t ai, int64_t now) {
  tlsdiag_result_t *r = c->r;
  td_attempt_t *na = realloc(r->attempts, (r->nattempts + 1) * sizeof(*na));
  if (!na) return SIZE_MAX;
  r->attempts = na;
  td_attempt_t *a = &na[r->nattempts];
  memset(a, 0, sizeof(*a));
  strncpy(a->addr, r->addrs[ai], sizeof(a->addr) - 1);
  a->family = r->addr_family[ai];
  a->started_ms = ms_at(c, now);
  return r->nattempts++;
}

/* Attempt k (started at start) failed; why: the error text, NULL for the
 * errno's. */
static void attempt_failed(td_check_t *c, size_t k, int64_t start,
                           tlsdiag_status_t st, int err, const char *why) {
  td_attempt_t *a = &c->r->attempts[k];
  a->status = st;
  a->err = err;
  a->ms = ms_at(c, td_mono_us()) - ms_at(c, start);
  a->error = why ? td_strdup(why)
             : st == TLSDIAG_STATUS_TIMEOUT
                 ? td_strdup("connection timed out")
                 : td_asprintf("%s (%s)", strerror(err), td_errno_name(err));
  td_result_event(c->r, td_check_now_ms(c), TD_DIR_LOCAL, "connect failed",
                  "%s: %s", a->addr, a->error ? a->error : "");
}

/* Pending connection i is over: out of the list (its fd closed). */
static void drop(td_check_race_t *rc, size_t i) {
  close(rc->pend[i].fd);
  rc->pend[i] = rc->pend[--rc->npend];
}

/* Every address failed: the phase takes the status of the last attempt. */
static void all_failed(td_check_t *c) {
  tlsdiag_result_t *r = c->r;
  tlsdiag_status_t st = TLSDIAG_STATUS_FAILED;
  const char *why = r->naddrs ? "no address accepted the connection"
                              : "no address to connect to";
  if (r->naddrs && !r->nattempts && td_mono_us() >= c->deadline_total) {
    st = TLSDIAG_STATUS_TIMEOUT; /* max_time, not a server: cause timeout */
    why = "max_time ran out before a connection was tried";
  }
  if (r->nattempts) {
    st = r->attempts[r->nattempts - 1].status;
    if (st == TLSDIAG_STATUS_NOT_RUN) st = TLSDIAG_STATUS_TIMEOUT;
    why = r->attempts[r->nattempts - 1].error;
  }
  td_check_phase_end(c, TLSDIAG_PHASE_TCP, st, why);
  td_check_finish(c);
}

/* Pending connection w connected: it wins, the others are abandoned. */
static void won(td_check_t *c, size_t w) {
  tlsdiag_result_t *r = c->r;
  td_check_race_t *rc = &c->race;
  td_race_conn_t win = rc->pend[w];
  rc->pend[w] = rc->pend[--rc->npend];
  int64_t now = td_mono_us();
  td_attempt_t *a = &r->attempts[win.attempt];
  a->status = TLSDIAG_STATUS_OK;
  a->ms = ms_at(c, now) - ms_at(c, win.start);
  r->connected_addr = td_strdup(a->addr);
  while (rc->npend) {
    td_attempt_t *l = &r->attempts[rc->pend[0].attempt];
    l->abandoned = 1;
    l->ms = ms_at(c, now) - ms_at(c, rc->pend[0].start);
    l->error = td_asprintf("abandoned: %s connected first", a->addr);
    td_result_event(r, td_check_now_ms(c), TD_DIR_LOCAL, "abandoned",
                    "%s after %.1f ms", l->addr, l->ms);
    drop(rc, 0);
  }
  c->fd = win.fd;
  c->attempt_start = win.start;
  r->local_addr = td_tcp_local(c->fd);
  td_check_phase_end(c, TLSDIAG_PHASE_TCP, TLSDIAG_STATUS_OK, NULL);
  td_result_event(r, td_check_now_ms(c), TD_DIR_S2C, "SYN-ACK", "%s, %.1f ms",
                  a->addr, a->ms);
  td_check_tls_start(c);
}

/* Starts the next address of the order: 1 when it connected at once (the
 * race is won), 0 when it is pending or failed already. */
static int start_one(td_check_t *c, int64_t now) {
  tlsdiag_result_t *r = c->r;
  td_check_race_t *rc = &c->race;
  size_t ai = rc->order[rc->next++];
  size_t k = new_attempt(c, ai, now);
  if (k == SIZE_MAX) {
    rc->next = rc->norder; /* no memory: try nothing more */
    return 0;
  }
  const char *addr = r->addrs[ai];
  int fam = r->addr_family[ai];
  rc->next_start = now; /* a failure at once: the next goes at once */
  if (c->filter && !c->filter(addr, td_conn_port(r), c->filter_data)) {
    /* nothing sent: the caller does not allow this address */
    attempt_failed(c, k, now, TLSDIAG_STATUS_FAILED, EACCES,
                   "refused by the address filter (EACCES)");
    return 0;
  }
  td_result_event(r, td_check_now_ms(c), TD_DIR_C2S, "SYN",
                  fam == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
                  td_conn_port(r));
  int done = 0, err = 0;
  int fd = td_tcp_start(addr, fam, td_conn_port(r), &done, &err);
  if (fd < 0) {
    attempt_failed(c, k, now, TLSDIAG_STATUS_FAILED, err, NULL);
    return 0;
  }
  rc->pend[rc->npend++] = (td_race_conn_t){fd, k, now};
  if (done) {
    won(c, rc->npend - 1);
    return 1;
  }
  rc->next_start = now + (int64_t)c->race_delay_ms * 1000;
  return 0;
}

/* Starts what is due; ends the phase when nothing is left to wait for. */
static void advance(td_check_t *c) {
  td_check_race_t *rc = &c->race;
  for (;;) {
    int64_t now = td_mono_us();
    if (rc->next >= rc->norder || rc->npend >= TD_RACE_MAX ||
        now >= c->deadline_total || (rc->npend && now < rc->next_start))
      break;
    if (start_one(c, now)) return; /* won: the handshake runs */
  }
  if (!rc->npend) all_failed(c);
}

void td_race_start(td_check_t *c) {
  c->race.next_start = td_mono_us();
  advance(c);
}

/* When pending connection i gives up: its connect timeout, or max_time. */
static int64_t give_up(const td_check_t *c, const td_race_conn_t *p) {
  int64_t t = p->start + (int64_t)c->connect_timeout_ms * 1000;
  return t < c->deadline_total ? t : c->deadline_total;
}

size_t td_race_fds(td_check_t *c, struct pollfd *fds, size_t max) {
  size_t n = 0;
  for (size_t i = 0; i < c->race.npend && n < max; i++) {
    fds[n].fd = c->race.pend[i].fd;
    fds[n].events = POLLOUT;
    fds[n++].revents = 0;
  }
  return n;
}

int64_t td_race_deadline(const td_check_t *c) {
  const td_check_race_t *rc = &c->race;
  int64_t d = c->deadline_total;
  for (size_t i = 0; i < rc->npend; i++) {
    int64_t t = give_up(c, &rc->pend[i]);
    if (t < d) d = t;
  }
  if (rc->next < rc->norder && rc->npend < TD_RACE_MAX && rc->next_start < d)
    d = rc->next_start;
  return d;
}

void td_race_step(td_check_t *c, const struct pollfd *fds, size_t nfds) {
  td_check_race_t *rc = &c->race;
  int64_t now = td_mono_us();
  for (size_t i = 0; i < rc->npend;) {
    td_race_conn_t *p = &rc->pend[i];
    int revents = 0;
    for (size_t k = 0; k < nfds; k++)
      if (fds[k].fd == p->fd) revents |= fds[k].revents;
    int err = 0;
    if (revents && (err = td_tcp_finish(p->fd)) == 0) {
      won(c, i);
      return;
    }
    if (revents)
      attempt_failed(c, p->attempt, p->start, TLSDIAG_STATUS_FAILED, err,
                     NULL);
    else if (now >= give_up(c, p))
      attempt_failed(c, p->attempt, p->start, TLSDIAG_STATUS_TIMEOUT,
                     ETIMEDOUT, NULL);
    else {
      i++;
      continue;
    }
    drop(rc, i);
    rc->next_start = now; /* one failed: the next starts at once */
  }
  advance(c);
}

void td_race_free(td_check_race_t *rc) {
  while (rc->npend) drop(rc, 0);
  free(rc->order);
  rc->order = NULL;
  rc->norder = rc->next = 0;
}
