/* delayproxy.c: a userspace delay line for bench/latency_bench.sh, where
 * the kernel has no netem. Every chunk read on one side (a TCP read, a UDP
 * datagram) is forwarded DELAY_MS later to the other side, in each
 * direction, so a round trip through it costs 2 x DELAY_MS. One thread,
 * epoll; the delay being constant, chunks fall due in the order they were
 * read, so one FIFO is the whole timer wheel.
 *
 *   delayproxy DELAY_MS RULE...
 *     tcp:LADDR:LPORT:DADDR:DPORT  accept on L, connect to D, relay both ways
 *     udp:LADDR:LPORT:DADDR:DPORT  datagrams from each client to D (one
 *                                  upstream socket per client), answers back
 *     hold:LADDR:LPORT             listen (backlog 1), never accept: once
 *                                  the queue is full, SYNs go unanswered
 *
 * IPv4 only. Not emulated: the client's TCP handshake, which completes at
 * the proxy at once (so connect time is not delayed; the first data is).
 * Prints "ready" on stdout once every rule listens; runs until killed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { H_TCP_LISTEN, H_TCP_CONN, H_UDP_LISTEN, H_UDP_UP };

typedef struct chunk {
  struct chunk *next;
  int64_t due;
  struct conn *to; /* TCP: the side to write to; NULL for UDP */
  int fd;          /* UDP: the socket to send on */
  struct sockaddr_in dst; /* UDP: where (from the listening socket) */
  int eof;         /* TCP: shut the write side after the data before it */
  size_t len, off;
  unsigned char data[];
} chunk_t;

typedef struct conn {
  int type;
  int fd;
  struct conn *peer;
  int connecting, closed, eof_sent, rd_eof, listed;
  struct conn *dead_next; /* on the graveyard, freed after the batch */
  chunk_t *outq, *outq_tail; /* due, waiting for the socket */
  unsigned refs;             /* chunks in the FIFO that point here */
} conn_t;

typedef struct handle { /* listening sockets and UDP upstreams */
  int type;
  int fd;
  struct sockaddr_in dst;    /* where to forward */
  struct sockaddr_in client; /* H_UDP_UP: whose upstream this is */
  struct handle *listen;     /* H_UDP_UP: the listening socket */
  struct handle *next;       /* H_UDP_UP: in the listener's list */
  int64_t last;
} handle_t;

static int ep;
static int64_t delay_us;
static chunk_t *fifo, *fifo_tail;
static handle_t *ups; /* UDP upstreams of every listener */
static conn_t *graveyard; /* closed, unreferenced: freed between batches,
                             as the batch may still name them */

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what) {
  fprintf(stderr, "delayproxy: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void ep_add(int fd, uint32_t ev, void *p) {
  struct epoll_event e = {.events = ev, .data.ptr = p};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) die("epoll_ctl");
}

static void ep_mod(int fd, uint32_t ev, void *p) {
  struct epoll_event e = {.events = ev, .data.ptr = p};
  epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

static int parse_addr(const char *ip, const char *port, struct sockaddr_in *sa) {
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)atoi(port));
  return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static void push(chunk_t *c) {
  c->due = now_us() + delay_us;
  c->next = NULL;
  if (fifo_tail) fifo_tail->next = c;
  else fifo = c;
  fifo_tail = c;
}

static void conn_maybe_free(conn_t *c) {
  if (c->closed && c->refs == 0 && !c->outq && !c->listed) {
    c->listed = 1;
    c->dead_next = graveyard;
    graveyard = c;
  }
}

static void conn_want(conn_t *c, int out) {
  ep_mod(c->fd, (c->rd_eof ? 0u : (uint32_t)EPOLLIN) | (out ? EPOLLOUT : 0u), c);
}

static void conn_close(conn_t *c) {
  if (c->closed) return;
  c->closed = 1;
  close(c->fd);
  while (c->outq) {
    chunk_t *n = c->outq->next;
    free(c->outq);
    c->outq = n;
  }
  c->outq_tail = NULL;
  conn_t *p = c->peer;
  c->peer = NULL;
  if (p) {
    p->peer = NULL;
    /* The other side ends once what is queued for it has gone out. */
    if (!p->outq) {
      conn_close(p);
      conn_maybe_free(p);
    }
  }
}

/* Writes what is due for c; 0 while the socket takes it. */
static void conn_flush(conn_t *c) {
  while (!c->closed && !c->connecting && c->outq) {
    chunk_t *k = c->outq;
    if (k->eof) {
      shutdown(c->fd, SHUT_WR);
      c->eof_sent = 1;
    } else {
      ssize_t w = send(c->fd, k->data + k->off, k->len - k->off, MSG_NOSIGNAL);
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        conn_want(c, 1);
        return;
      }
      if (w < 0) {
        conn_close(c);
        return;
      }
      k->off += (size_t)w;
      if (k->off < k->len) continue;
    }
    c->outq = k->next;
    if (!c->outq) c->outq_tail = NULL;
    free(k);
  }
  if (c->closed) return;
  conn_want(c, 0);
  /* Both directions ended, or the other side gone with nothing left. */
  if ((c->eof_sent && c->rd_eof) || (!c->peer && !c->outq)) conn_close(c);
}

static void deliver(chunk_t *k) {
  if (!k->to) { /* UDP */
    if (k->dst.sin_family)
      sendto(k->fd, k->data, k->len, 0, (struct sockaddr *)&k->dst,
             sizeof(k->dst));
    else
      send(k->fd, k->data, k->len, 0);
    free(k);
    return;
  }
  conn_t *c = k->to;
  c->refs--;
  if (c->closed) {
    free(k);
    conn_maybe_free(c);
    return;
  }
  k->next = NULL;
  if (c->outq_tail) c->outq_tail->next = k;
  else c->outq = k;
  c->outq_tail = k;
  conn_flush(c);
  conn_maybe_free(c);
}

static void tcp_accept(handle_t *h) {
  for (;;) {
    int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int up = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (up < 0) {
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn_t *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    if (!a || !b) die("calloc");
    a->type = b->type = H_TCP_CONN;
    a->fd = fd;
    b->fd = up;
    a->peer = b;
    b->peer = a;
    if (connect(up, (struct sockaddr *)&h->dst, sizeof(h->dst)) < 0 &&
        errno != EINPROGRESS) {
      close(fd);
      close(up);
      free(a);
      free(b);
      continue;
    }
    b->connecting = 1;
    ep_add(fd, EPOLLIN, a);
    ep_add(up, EPOLLIN | EPOLLOUT, b);
  }
}

/* Data (or EOF) read on c goes, delayed, to its peer. */
static void tcp_read(conn_t *c) {
  for (;;) {
    if (c->closed) return;
    unsigned char buf[16384];
    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    conn_t *p = c->peer;
    if (r <= 0) {
      if (r < 0 || !p) {
        conn_close(c);
        return;
      }
      c->rd_eof = 1;
      chunk_t *k = calloc(1, sizeof(*k));
      if (!k) die("calloc");
      k->to = p;
      k->eof = 1;
      p->refs++;
      push(k);
      conn_want(c, c->outq != NULL); /* nothing more to read */
      if (c->eof_sent) conn_close(c);
      return;
    }
    if (!p) continue; /* the other side is gone: drop */
    chunk_t *k = malloc(sizeof(*k) + (size_t)r);
    if (!k) die("malloc");
    memset(k, 0, sizeof(*k));
    memcpy(k->data, buf, (size_t)r);
    k->len = (size_t)r;
    k->to = p;
    p->refs++;
    push(k);
  }
}

static void conn_event(conn_t *c, uint32_t ev) {
  if (c->connecting && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) {
      conn_close(c);
      conn_maybe_free(c);
      return;
    }
    c->connecting = 0;
    conn_flush(c);
  } else if (ev & EPOLLOUT) {
    conn_flush(c);
  }
  if (!c->closed && (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))) tcp_read(c);
  conn_maybe_free(c);
}

static chunk_t *udp_chunk(const unsigned char *buf, size_t n) {
  chunk_t *k = malloc(sizeof(*k) + n);
  if (!k) die("malloc");
  memset(k, 0, sizeof(*k));
  memcpy(k->data, buf, n);
  k->len = n;
  return k;
}

static void udp_from_client(handle_t *h) {
  for (;;) {
    unsigned char buf[65536];
    struct sockaddr_in from;
    socklen_t fl = sizeof(from);
    ssize_t r = recvfrom(h->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
                         &fl);
    if (r < 0) return;
    handle_t *u = ups;
    int64_t now = now_us();
    for (; u; u = u->next)
      if (u->listen == h && u->client.sin_port == from.sin_port &&
          u->client.sin_addr.s_addr == from.sin_addr.s_addr)
        break;
    if (!u) {
      /* Forget clients idle for 10 s (a resolver uses a port per lookup). */
      for (handle_t **pp = &ups; *pp;) {
        handle_t *o = *pp;
        if (now - o->last > 10000000) {
          *pp = o->next;
          close(o->fd); /* pending chunks may still send on it: harmless */
          free(o);
        } else {
          pp = &o->next;
        }
      }
      u = calloc(1, sizeof(*u));
      if (!u) die("calloc");
      u->type = H_UDP_UP;
      u->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (u->fd < 0 ||
          connect(u->fd, (struct sockaddr *)&h->dst, sizeof(h->dst)) < 0) {
        if (u->fd >= 0) close(u->fd);
        free(u);
        continue;
      }
      u->client = from;
      u->listen = h;
      u->next = ups;
      ups = u;
      ep_add(u->fd, EPOLLIN, u);
    }
    u->last = now;
    chunk_t *k = udp_chunk(buf, (size_t)r);
    k->fd = u->fd;
    push(k);
  }
}

static void udp_from_server(handle_t *u) {
  for (;;) {
    unsigned char buf[65536];
    ssize_t r = recv(u->fd, buf, sizeof(buf), 0);
    if (r < 0) return;
    chunk_t *k = udp_chunk(buf, (size_t)r);
    k->fd = u->listen->fd;
    k->dst = u->client;
    push(k);
  }
}

static void add_rule(const char *spec) {
  char buf[256];
  snprintf(buf, sizeof(buf), "%s", spec);
  char *f[5] = {0}, *save = NULL;
  int n = 0;
  for (char *p = strtok_r(buf, ":", &save); p && n < 5;
       p = strtok_r(NULL, ":", &save))
    f[n++] = p;
  handle_t *h = calloc(1, sizeof(*h));
  if (!h) die("calloc");
  struct sockaddr_in la;
  int udp = n > 0 && strcmp(f[0], "udp") == 0;
  int hold = n > 0 && strcmp(f[0], "hold") == 0;
  if (n < 3 || parse_addr(f[1], f[2], &la) < 0 ||
      (!hold && (n != 5 || parse_addr(f[3], f[4], &h->dst) < 0)) ||
      (!udp && !hold && strcmp(f[0], "tcp") != 0)) {
    fprintf(stderr, "delayproxy: bad rule '%s'\n", spec);
    exit(2);
  }
  h->type = udp ? H_UDP_LISTEN : H_TCP_LISTEN;
  h->fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
                              SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (h->fd < 0 || bind(h->fd, (struct sockaddr *)&la, sizeof(la)) < 0)
    die(spec);
  if (!udp && listen(h->fd, hold ? 1 : 4096) < 0) die("listen");
  if (!hold) ep_add(h->fd, EPOLLIN, h);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: delayproxy DELAY_MS RULE...\n");
    return 2;
  }
  delay_us = (int64_t)atoi(argv[1]) * 1000;
  struct rlimit rl = {65536, 65536};
  setrlimit(RLIMIT_NOFILE, &rl);
  if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0) die("epoll_create1");
  for (int i = 2; i < argc; i++) add_rule(argv[i]);
  printf("ready\n");
  fflush(stdout);
  struct epoll_event evs[256];
  for (;;) {
    int timeout = -1;
    if (fifo) {
      int64_t left = fifo->due - now_us();
      timeout = left <= 0 ? 0 : (int)((left + 999) / 1000);
    }
    int n = epoll_wait(ep, evs, 256, timeout);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int type = *(int *)evs[i].data.ptr;
      if (type == H_TCP_LISTEN) tcp_accept(evs[i].data.ptr);
      else if (type == H_TCP_CONN) conn_event(evs[i].data.ptr, evs[i].events);
      else if (type == H_UDP_LISTEN) udp_from_client(evs[i].data.ptr);
      else udp_from_server(evs[i].data.ptr);
    }
    int64_t now = now_us();
    while (fifo && fifo->due <= now) {
      chunk_t *k = fifo;
      fifo = k->next;
      if (!fifo) fifo_tail = NULL;
      deliver(k);
    }
    while (graveyard) {
      conn_t *c = graveyard;
      graveyard = c->dead_next;
      free(c);
    }
  }
}
