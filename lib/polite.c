/* polite.c: the politeness gate of a sweep: at most per_ip connections in
 * flight to one address, at most rate new connections a second overall.
 * A check that may not connect yet waits (check.c), it does not fail. The
 * gate locks, so engines on several threads can share one. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define GATE_BUCKETS 1024

typedef struct held {
  struct held *next;
  unsigned n;
  char addr[]; /* numeric, as the result lists it */
} held_t;

struct td_gate {
  pthread_mutex_t mu;
  unsigned per_ip, rate;
  held_t *bucket[GATE_BUCKETS];
  int64_t next_token_us; /* the rate: when the next connection may start */
  unsigned max_seen;
};

td_gate_t *td_gate_new(unsigned per_ip, unsigned rate) {
  td_gate_t *g = calloc(1, sizeof(*g));
  if (!g) return NULL;
  if (pthread_mutex_init(&g->mu, NULL) != 0) {
    free(g);
    return NULL;
  }
  g->per_ip = per_ip;
  g->rate = rate;
  return g;
}

void td_gate_free(td_gate_t *g) {
  if (!g) return;
  for (size_t b = 0; b < GATE_BUCKETS; b++)
    for (held_t *h = g->bucket[b], *next; h; h = next) {
      next = h->next;
      free(h);
    }
  pthread_mutex_destroy(&g->mu);
  free(g);
}

static size_t hash(const char *s) {
  size_t h = 5381;
  for (; *s; s++) h = h * 33 + (unsigned char)*s;
  return h % GATE_BUCKETS;
}

/* The entry for addr (made with n = 0 when create is set), or NULL. */
static held_t *find(td_gate_t *g, const char *addr, int create) {
  held_t **head = &g->bucket[hash(addr)];
  for (held_t *h = *head; h; h = h->next)
    if (strcmp(h->addr, addr) == 0) return h;
  if (!create) return NULL;
  size_t len = strlen(addr) + 1;
  held_t *h = calloc(1, sizeof(*h) + len);
  if (!h) return NULL;
  memcpy(h->addr, addr, len);
  h->next = *head;
  *head = h;
  return h;
}

int td_gate_acquire(td_gate_t *g, const char *addr, int64_t *retry_us) {
  int ok = 1;
  *retry_us = 0;
  pthread_mutex_lock(&g->mu);
  int64_t now = td_mono_us();
  /* Without memory for the entry the connection goes ahead uncounted:
   * politeness must not turn into a failed check. */
  held_t *h = g->per_ip ? find(g, addr, 1) : NULL;
  if (h && h->n >= g->per_ip) {
    ok = 0;
    *retry_us = 2000; /* a slot frees when a check ends: look again soon */
  } else if (g->rate && g->next_token_us > now) {
    ok = 0;
    *retry_us = g->next_token_us - now;
  } else {
    if (g->rate) /* evenly spaced, no burst after an idle spell */
      g->next_token_us = (g->next_token_us > now ? g->next_token_us : now) +
                         1000000 / (int64_t)g->rate;
    if (h && ++h->n > g->max_seen) g->max_seen = h->n;
  }
  pthread_mutex_unlock(&g->mu);
  return ok;
}

void td_gate_release(td_gate_t *g, const char *addr) {
  pthread_mutex_lock(&g->mu);
  held_t *h = g->per_ip ? find(g, addr, 0) : NULL;
  if (h && h->n) h->n--;
  pthread_mutex_unlock(&g->mu);
}

unsigned td_gate_max_seen(td_gate_t *g) {
  pthread_mutex_lock(&g->mu);
  unsigned n = g->max_seen;
  pthread_mutex_unlock(&g->mu);
  return n;
}
