/* tddns.c: fake authoritative DNS responder (UDP + TCP) for tests and demo.
 *
 * One thread polls the UDP socket, the TCP listener, up to MAX_TCP TCP
 * clients and a stop pipe. Each query is parsed with bounds checks, looked
 * up under the mutex, and answered according to the name's behaviour.
 */
#include "tddns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_TCP 16            /* simultaneous TCP clients */
#define TCP_TIMEOUT_MS 10000  /* a TCP client is dropped after this */
#define UDP_LIMIT 512         /* without EDNS (RFC 1035) */
#define EDNS_LIMIT 4096       /* the most we send over UDP with EDNS */
#define MSG_MAX 65535         /* a DNS message over TCP */
#define BIND_TRIES 32         /* to find a port free for UDP and TCP */
#define TTL 60

enum { T_A = 1, T_CNAME = 5, T_OPT = 41, T_AAAA = 28, T_ANY = 255 };
enum { R_NOERROR = 0, R_SERVFAIL = 2, R_NXDOMAIN = 3, R_REFUSED = 5 };

typedef struct entry {
  char *name; /* lowercase, no trailing dot */
  tddns_behavior_t behavior;
  unsigned char *a;   /* 4 bytes each */
  size_t na, cap_a;
  unsigned char *aaaa; /* 16 bytes each */
  size_t naaaa, cap_aaaa;
  struct entry *next;
} entry_t;

typedef struct tcpconn {
  int fd;
  unsigned char *in; /* 2 + MSG_MAX */
  size_t inlen;
  unsigned char *out; /* queued replies, each length-prefixed */
  size_t outlen, outoff, outcap;
  int close_after; /* close once out is flushed */
  int64_t deadline;
} tcpconn_t;

struct tddns {
  int ufd, tfd;
  int stop_pipe[2];
  uint16_t port;
  pthread_t thread;
  int thread_started;
  pthread_mutex_t lock;
  entry_t *entries;
  unsigned queries;
  unsigned ttl; /* of every answer record */
  tcpconn_t *tcp[MAX_TCP];
};

static unsigned tddns_ttl(tddns_t *d) {
  pthread_mutex_lock(&d->lock);
  unsigned t = d->ttl;
  pthread_mutex_unlock(&d->lock);
  return t;
}

void tddns_set_ttl(tddns_t *d, unsigned ttl) {
  pthread_mutex_lock(&d->lock);
  d->ttl = ttl;
  pthread_mutex_unlock(&d->lock);
}

/* A parsed query; pointers refer into the packet. */
typedef struct query {
  uint16_t id, flags, qtype, qclass;
  const unsigned char *question; /* qname + type + class, as received */
  size_t question_len;
  char name[256]; /* lowercase text, no trailing dot */
  size_t udp_limit;
} query_t;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t get16(const unsigned char *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
}

/* ---- names and records -------------------------------------------------- */

/* Lowercases name into out (>= 256 bytes) without a trailing dot; -EINVAL
 * unless it is 1..253 bytes of labels of 1..63 bytes. */
static int norm_name(const char *name, char *out) {
  if (!name) return -EINVAL;
  size_t n = strlen(name);
  if (n > 0 && name[n - 1] == '.') n--;
  if (n == 0 || n > 253) return -EINVAL;
  size_t label = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    if (ch == '.') {
      if (label == 0) return -EINVAL;
      label = 0;
    } else if (++label > 63) {
      return -EINVAL;
    }
    out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
  }
  if (label == 0) return -EINVAL;
  out[n] = '\0';
  return 0;
}

static entry_t *find_entry(tddns_t *d, const char *lname) {
  for (entry_t *e = d->entries; e; e = e->next)
    if (strcmp(e->name, lname) == 0) return e;
  return NULL;
}

/* Finds or creates; call with the lock held. */
static entry_t *get_entry(tddns_t *d, const char *lname) {
  entry_t *e = find_entry(d, lname);
  if (e) return e;
  e = calloc(1, sizeof *e);
  if (!e) return NULL;
  size_t n = strlen(lname) + 1;
  e->name = malloc(n);
  if (!e->name) {
    free(e);
    return NULL;
  }
  memcpy(e->name, lname, n);
  e->behavior = TDDNS_ANSWER;
  e->next = d->entries;
  d->entries = e;
  return e;
}

static int push_addr(unsigned char **arr, size_t *n, size_t *cap,
                     const unsigned char *addr, size_t sz) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    unsigned char *p = realloc(*arr, nc * sz);
    if (!p) return -ENOMEM;
    *arr = p;
    *cap = nc;
  }
  memcpy(*arr + *n * sz, addr, sz);
  (*n)++;
  return 0;
}

static int add_addr(tddns_t *d, const char *name, const char *text, int af) {
  if (!d || !text) return -EINVAL;
  char lname[256];
  unsigned char addr[16];
  if (norm_name(name, lname) != 0 || inet_pton(af, text, addr) != 1)
    return -EINVAL;
  pthread_mutex_lock(&d->lock);
  int rc = -ENOMEM;
  entry_t *e = get_entry(d, lname);
  if (e && af == AF_INET)
    rc = push_addr(&e->a, &e->na, &e->cap_a, addr, 4);
  else if (e)
    rc = push_addr(&e->aaaa, &e->naaaa, &e->cap_aaaa, addr, 16);
  pthread_mutex_unlock(&d->lock);
  return rc;
}

int tddns_add_a(tddns_t *d, const char *name, const char *ipv4) {
  return add_addr(d, name, ipv4, AF_INET);
}

int tddns_add_aaaa(tddns_t *d, const char *name, const char *ipv6) {
  return add_addr(d, name, ipv6, AF_INET6);
}

int tddns_set_behavior(tddns_t *d, const char *name, tddns_behavior_t b) {
  char lname[256];
  if (!d || (unsigned)b > TDDNS_WRONG_ID || norm_name(name, lname) != 0)
    return -EINVAL;
  pthread_mutex_lock(&d->lock);
  entry_t *e = get_entry(d, lname);
  if (e) e->behavior = b;
  pthread_mutex_unlock(&d->lock);
  return e ? 0 : -ENOMEM;
}

unsigned tddns_queries(const tddns_t *d) {
  if (!d) return 0;
  pthread_mutex_lock((pthread_mutex_t *)&d->lock);
  unsigned n = d->queries;
  pthread_mutex_unlock((pthread_mutex_t *)&d->lock);
  return n;
}

uint16_t tddns_port(const tddns_t *d) { return d ? d->port : 0; }

/* ---- parsing a query ---------------------------------------------------- */

/* Parses a standard query with one question; -1 if it is not one. */
static int parse_query(const unsigned char *p, size_t n, query_t *q) {
  if (n < 12) return -1;
  memset(q, 0, sizeof *q);
  q->id = get16(p);
  q->flags = get16(p + 2);
  if ((q->flags & 0x8000) || ((q->flags >> 11) & 0xf) != 0) return -1;
  if (get16(p + 4) != 1) return -1;
  size_t i = 12, tlen = 0;
  for (;;) {
    if (i >= n) return -1;
    size_t l = p[i++];
    if (l == 0) break;
    if (l > 63 || i + l > n || tlen + l + 1 > 254) return -1;
    if (tlen) q->name[tlen++] = '.';
    for (size_t k = 0; k < l; k++) {
      unsigned char ch = p[i + k];
      if (ch == '.' || ch == 0) return -1;
      q->name[tlen++] = (char)((ch >= 'A' && ch <= 'Z') ? ch - 'A' + 'a' : ch);
    }
    i += l;
  }
  q->name[tlen] = '\0';
  if (i + 4 > n) return -1;
  q->qtype = get16(p + i);
  q->qclass = get16(p + i + 2);
  i += 4;
  q->question = p + 12;
  q->question_len = i - 12;
  q->udp_limit = UDP_LIMIT;
  /* EDNS: an OPT record (root owner) in the additional section. */
  if (get16(p + 6) == 0 && get16(p + 8) == 0) {
    unsigned ar = get16(p + 10);
    for (unsigned k = 0; k < ar && i + 11 <= n; k++) {
      if (p[i] != 0) break;
      uint16_t type = get16(p + i + 1), cls = get16(p + i + 3);
      size_t rdlen = get16(p + i + 9);
      if (type == T_OPT && cls > UDP_LIMIT)
        q->udp_limit = cls > EDNS_LIMIT ? EDNS_LIMIT : cls;
      i += 11 + rdlen;
    }
  }
  return 0;
}

/* ---- building an answer ------------------------------------------------- */

typedef struct out {
  unsigned char *p;
  size_t len, cap;
  int full; /* something did not fit */
  unsigned ttl; /* of every record */
} out_t;

static void put(out_t *o, const void *src, size_t n) {
  if (o->full || o->len + n > o->cap) {
    o->full = 1;
    return;
  }
  memcpy(o->p + o->len, src, n);
  o->len += n;
}

static void header(out_t *o, const query_t *q, uint16_t id, int rcode,
                   int tc, unsigned ancount) {
  unsigned char h[12];
  unsigned flags = 0x8000 | 0x0400 | (q->flags & 0x0100) | (unsigned)rcode;
  if (tc) flags |= 0x0200;
  put16(h, id);
  put16(h + 2, flags);
  put16(h + 4, 1);
  put16(h + 6, ancount);
  put16(h + 8, 0);
  put16(h + 10, 0);
  o->len = 0;
  o->full = 0;
  put(o, h, 12);
  put(o, q->question, q->question_len);
}

/* One record; owner is a compression pointer offset. Returns 0 if it fit. */
static int rr(out_t *o, size_t owner, unsigned type, const void *rdata,
              size_t rdlen) {
  unsigned char h[12];
  if (o->full || o->len + sizeof h + rdlen > o->cap) {
    o->full = 1;
    return -1;
  }
  put16(h, 0xC000 | (unsigned)owner);
  put16(h + 2, type);
  put16(h + 4, 1); /* IN */
  h[6] = (unsigned char)(o->ttl >> 24), h[7] = (unsigned char)(o->ttl >> 16);
  h[8] = (unsigned char)(o->ttl >> 8), h[9] = (unsigned char)o->ttl;
  put16(h + 10, (unsigned)rdlen);
  put(o, h, sizeof h);
  put(o, rdata, rdlen);
  return 0;
}

static void set_ancount(out_t *o, unsigned n) { put16(o->p + 6, n); }

/* Adds the name's addresses of the asked type(s); returns how many fit. */
static unsigned add_answers(out_t *o, const query_t *q, const entry_t *e) {
  unsigned n = 0;
  int want_a = q->qtype == T_A || q->qtype == T_ANY;
  int want_aaaa = q->qtype == T_AAAA || q->qtype == T_ANY;
  for (size_t i = 0; want_a && i < e->na; i++, n++)
    if (rr(o, 12, T_A, e->a + 4 * i, 4) != 0) return n;
  for (size_t i = 0; want_aaaa && i < e->naaaa; i++, n++)
    if (rr(o, 12, T_AAAA, e->aaaa + 16 * i, 16) != 0) return n;
  return n;
}

typedef enum { SEND_NONE = 0, SEND_REPLY, SEND_GARBAGE } action_t;

/* Builds the reply to q into o according to the configured behaviour.
 * Call with the lock held. */
static action_t answer(tddns_t *d, const query_t *q, int tcp, out_t *o) {
  const entry_t *e = find_entry(d, q->name);
  tddns_behavior_t b = e ? e->behavior : TDDNS_NXDOMAIN;
  uint16_t id = q->id;
  int is_in = q->qclass == 1 || q->qclass == 255;
  switch (b) {
  case TDDNS_DROP: return SEND_NONE;
  case TDDNS_NXDOMAIN: header(o, q, id, R_NXDOMAIN, 0, 0); return SEND_REPLY;
  case TDDNS_SERVFAIL: header(o, q, id, R_SERVFAIL, 0, 0); return SEND_REPLY;
  case TDDNS_REFUSED: header(o, q, id, R_REFUSED, 0, 0); return SEND_REPLY;
  case TDDNS_NODATA: header(o, q, id, R_NOERROR, 0, 0); return SEND_REPLY;
  case TDDNS_TRUNCATED_ALWAYS:
    if (tcp) return SEND_GARBAGE;
    header(o, q, id, R_NOERROR, 1, 0);
    return SEND_REPLY;
  case TDDNS_TRUNCATED:
    if (!tcp) {
      header(o, q, id, R_NOERROR, 1, 0);
      return SEND_REPLY;
    }
    break;
  case TDDNS_MALFORMED: {
    header(o, q, id, R_NOERROR, 0, 2);
    unsigned char cut[6] = {0xC0, 0x0C, 0x00, T_A, 0x00, 0x01};
    put(o, cut, sizeof cut); /* no TTL, rdlength, rdata; no 2nd record */
    return SEND_REPLY;
  }
  case TDDNS_CNAME_LOOP: {
    header(o, q, id, R_NOERROR, 0, 2);
    /* NAME CNAME loop.NAME; loop.NAME CNAME NAME (names compressed) */
    static const unsigned char loop[7] = {4, 'l', 'o', 'o', 'p', 0xC0, 0x0C};
    size_t target = o->len + 12; /* where loop.NAME will be written */
    static const unsigned char back[2] = {0xC0, 0x0C};
    if (rr(o, 12, T_CNAME, loop, sizeof loop) != 0 ||
        rr(o, target, T_CNAME, back, sizeof back) != 0)
      return SEND_NONE;
    return SEND_REPLY;
  }
  case TDDNS_WRONG_ID: id ^= 0x5a5a; break;
  case TDDNS_ANSWER: break;
  }
  header(o, q, id, R_NOERROR, 0, 0);
  set_ancount(o, is_in ? add_answers(o, q, e) : 0);
  return SEND_REPLY;
}

/* Builds the reply; over UDP an answer over the limit becomes TC. Returns
 * the action and fills o (o->cap is the transport's limit). */
static action_t respond(tddns_t *d, const unsigned char *pkt, size_t n,
                        int tcp, out_t *o) {
  query_t q;
  if (parse_query(pkt, n, &q) != 0) return SEND_NONE;
  pthread_mutex_lock(&d->lock);
  d->queries++;
  size_t cap = o->cap;
  if (!tcp) o->cap = q.udp_limit;
  action_t a = answer(d, &q, tcp, o);
  pthread_mutex_unlock(&d->lock);
  /* Too big for UDP: TC and no records. Over TCP the records that fit
   * are sent (ancount says how many). */
  if (a == SEND_REPLY && !tcp && o->full)
    header(o, &q, get16(o->p), R_NOERROR, 1, 0); /* same id (WRONG_ID) */
  o->cap = cap;
  return a;
}

/* ---- transports --------------------------------------------------------- */

/* One query; 0 when none was waiting. */
static int serve_udp(tddns_t *d, unsigned char *pkt, unsigned char *obuf) {
  struct sockaddr_storage from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(d->ufd, pkt, MSG_MAX, MSG_DONTWAIT,
                       (struct sockaddr *)&from, &flen);
  if (n <= 0) return 0;
  out_t o = {obuf, 0, MSG_MAX, 0, tddns_ttl(d)};
  if (respond(d, pkt, (size_t)n, 0, &o) == SEND_REPLY)
    sendto(d->ufd, o.p, o.len, MSG_DONTWAIT | MSG_NOSIGNAL,
           (struct sockaddr *)&from, flen);
  return 1;
}

static void tcp_free(tcpconn_t *c) {
  if (!c) return;
  close(c->fd);
  free(c->in);
  free(c->out);
  free(c);
}

static int tcp_queue(tcpconn_t *c, const unsigned char *p, size_t n,
                     int prefix) {
  size_t need = c->outlen + n + 2;
  if (need > c->outcap) {
    if (need > 4 * (MSG_MAX + 2)) return -1; /* client not reading */
    unsigned char *np = realloc(c->out, need);
    if (!np) return -1;
    c->out = np;
    c->outcap = need;
  }
  if (prefix) {
    put16(c->out + c->outlen, (unsigned)n);
    c->outlen += 2;
  }
  memcpy(c->out + c->outlen, p, n);
  c->outlen += n;
  return 0;
}

/* Reads what is there and answers every complete message. -1: close. */
static int tcp_read(tddns_t *d, tcpconn_t *c, unsigned char *obuf) {
  ssize_t r = recv(c->fd, c->in + c->inlen, 2 + MSG_MAX - c->inlen,
                   MSG_DONTWAIT);
  if (r < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
  if (r == 0) return -1;
  c->inlen += (size_t)r;
  while (!c->close_after && c->inlen >= 2) {
    size_t mlen = get16(c->in);
    if (mlen == 0) return -1;
    if (c->inlen < 2 + mlen) break;
    out_t o = {obuf, 0, MSG_MAX, 0, tddns_ttl(d)};
    action_t a = respond(d, c->in + 2, mlen, 1, &o);
    if (a == SEND_REPLY && tcp_queue(c, o.p, o.len, 1) != 0) return -1;
    if (a == SEND_GARBAGE) {
      static const char junk[] = "garbage, not DNS\r\n";
      if (tcp_queue(c, (const unsigned char *)junk, sizeof junk - 1, 0) != 0)
        return -1;
      c->close_after = 1;
    }
    memmove(c->in, c->in + 2 + mlen, c->inlen - 2 - mlen);
    c->inlen -= 2 + mlen;
  }
  return 0;
}

/* Writes queued replies. -1: close. */
static int tcp_write(tcpconn_t *c) {
  while (c->outoff < c->outlen) {
    ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
                     MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0) return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    c->outoff += (size_t)w;
  }
  c->outoff = c->outlen = 0;
  return c->close_after ? -1 : 0;
}

static void tcp_accept(tddns_t *d) {
  int fd = accept4(d->tfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  int slot = -1;
  for (int i = 0; i < MAX_TCP && slot < 0; i++)
    if (!d->tcp[i]) slot = i;
  tcpconn_t *c = slot >= 0 ? calloc(1, sizeof *c) : NULL;
  if (c) c->in = malloc(2 + MSG_MAX);
  if (!c || !c->in) {
    free(c);
    close(fd); /* too many clients: refuse this one */
    return;
  }
  c->fd = fd;
  c->deadline = mono_ms() + TCP_TIMEOUT_MS;
  d->tcp[slot] = c;
}

static void *dns_main(void *arg) {
  tddns_t *d = arg;
  unsigned char *pkt = malloc(MSG_MAX + 1), *obuf = malloc(MSG_MAX);
  while (pkt && obuf) {
    struct pollfd p[3 + MAX_TCP];
    int idx[MAX_TCP];
    nfds_t n = 0;
    p[n++] = (struct pollfd){d->stop_pipe[0], POLLIN, 0};
    p[n++] = (struct pollfd){d->ufd, POLLIN, 0};
    p[n++] = (struct pollfd){d->tfd, POLLIN, 0};
    int64_t now = mono_ms();
    for (int i = 0; i < MAX_TCP; i++) {
      tcpconn_t *c = d->tcp[i];
      if (!c) continue;
      if (now >= c->deadline) {
        tcp_free(c);
        d->tcp[i] = NULL;
        continue;
      }
      short ev = c->close_after ? 0 : POLLIN;
      if (c->outlen > c->outoff) ev |= POLLOUT;
      idx[n - 3] = i;
      p[n++] = (struct pollfd){c->fd, ev, 0};
    }
    int rc = poll(p, n, 500);
    if (rc < 0 && errno != EINTR) break;
    if (rc <= 0) continue;
    if (p[0].revents) break;
    /* Every query waiting, not one per wake: a burst from many clients
     * (a sweep) would otherwise overflow the socket's buffer. */
    if (p[1].revents & POLLIN)
      for (int k = 0; k < 1024 && serve_udp(d, pkt, obuf); k++) continue;
    for (nfds_t k = 3; k < n; k++) {
      int i = idx[k - 3];
      tcpconn_t *c = d->tcp[i];
      int bad = 0;
      if (p[k].revents & (POLLIN | POLLHUP | POLLERR))
        bad = tcp_read(d, c, obuf) != 0;
      if (!bad && c->outlen > c->outoff) bad = tcp_write(c) != 0;
      if (bad) {
        tcp_free(c);
        d->tcp[i] = NULL;
      }
    }
    if (p[2].revents & POLLIN) tcp_accept(d);
  }
  free(pkt);
  free(obuf);
  return NULL;
}

/* ---- start / stop ------------------------------------------------------- */

static int make_addr(const char *addr, struct sockaddr_storage *ss,
                     socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
    if ((ntohl(in4->sin_addr.s_addr) >> 24) != 127) return -EINVAL;
    in4->sin_family = AF_INET;
    *len = sizeof *in4;
    return 0;
  }
  if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1 &&
      IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
    in6->sin6_family = AF_INET6;
    *len = sizeof *in6;
    return 0;
  }
  return -EINVAL;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port) {
  if (ss->ss_family == AF_INET6)
    ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
  else
    ((struct sockaddr_in *)ss)->sin_port = htons(port);
}

/* Binds UDP on an ephemeral port, then TCP on the same one; retries when
 * the TCP port is taken. */
static int bind_pair(tddns_t *d, struct sockaddr_storage *ss, socklen_t len) {
  int rc = -EADDRINUSE;
  for (int t = 0; t < BIND_TRIES; t++) {
    int one = 1;
    set_port(ss, 0);
    d->ufd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (d->ufd < 0) return -errno;
    if (ss->ss_family == AF_INET6)
      setsockopt(d->ufd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    struct sockaddr_storage b;
    socklen_t blen = sizeof b;
    if (bind(d->ufd, (struct sockaddr *)ss, len) != 0 ||
        getsockname(d->ufd, (struct sockaddr *)&b, &blen) != 0)
      return -errno;
    d->port = ntohs(b.ss_family == AF_INET6
                        ? ((struct sockaddr_in6 *)&b)->sin6_port
                        : ((struct sockaddr_in *)&b)->sin_port);
    set_port(ss, d->port);
    d->tfd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    0);
    if (d->tfd < 0) return -errno;
    setsockopt(d->tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ss->ss_family == AF_INET6)
      setsockopt(d->tfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(d->tfd, (struct sockaddr *)ss, len) == 0 &&
        listen(d->tfd, 16) == 0)
      return 0;
    rc = -errno;
    close(d->tfd);
    close(d->ufd);
    d->tfd = d->ufd = -1;
    if (rc != -EADDRINUSE) return rc;
  }
  return rc;
}

int tddns_start(const char *bind_addr, tddns_t **out) {
  if (!out) return -EINVAL;
  *out = NULL;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  int rc = make_addr(bind_addr ? bind_addr : "127.0.0.1", &ss, &len);
  if (rc != 0) return rc;
  tddns_t *d = calloc(1, sizeof *d);
  if (!d) return -ENOMEM;
  d->ufd = d->tfd = -1;
  d->ttl = TTL;
  d->stop_pipe[0] = d->stop_pipe[1] = -1;
  pthread_mutex_init(&d->lock, NULL);
  if (pipe2(d->stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    rc = -errno;
    goto fail;
  }
  rc = bind_pair(d, &ss, len);
  if (rc != 0) goto fail;
  if (pthread_create(&d->thread, NULL, dns_main, d) != 0) {
    rc = -EAGAIN;
    goto fail;
  }
  d->thread_started = 1;
  *out = d;
  return 0;
fail:
  tddns_stop(d);
  return rc;
}

void tddns_stop(tddns_t *d) {
  if (!d) return;
  if (d->stop_pipe[1] >= 0) {
    ssize_t w;
    do {
      w = write(d->stop_pipe[1], "x", 1);
    } while (w < 0 && errno == EINTR);
  }
  if (d->thread_started) pthread_join(d->thread, NULL);
  for (int i = 0; i < MAX_TCP; i++) tcp_free(d->tcp[i]);
  if (d->ufd >= 0) close(d->ufd);
  if (d->tfd >= 0) close(d->tfd);
  if (d->stop_pipe[0] >= 0) close(d->stop_pipe[0]);
  if (d->stop_pipe[1] >= 0) close(d->stop_pipe[1]);
  while (d->entries) {
    entry_t *e = d->entries;
    d->entries = e->next;
    free(e->name);
    free(e->a);
    free(e->aaaa);
    free(e);
  }
  pthread_mutex_destroy(&d->lock);
  free(d);
}
