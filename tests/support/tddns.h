/* tddns.h: a fake authoritative DNS responder on loopback (UDP and TCP on
 * the same port) that answers, fails or misbehaves per name, for the test
 * suite and for `tlsdiag demo`.
 *
 * One thread serves both transports; configuration calls may come from any
 * thread at any time (a mutex guards the records). It never prints; errors
 * are negative errno values (tdserver_strerror() gives their text).
 *
 * Answers: the question copied verbatim, AA set, TTL 60, owner names
 * compressed to the question. Over UDP an answer larger than 512 bytes (or
 * the EDNS size the query advertises, at most 4096) is sent with TC set and
 * no records, so the client retries over TCP, where up to 65535 bytes fit.
 * Queries that cannot be parsed are ignored (no answer).
 */
#ifndef TDDNS_H
#define TDDNS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  TDDNS_ANSWER = 0, /* the records added (NOERROR; no records of the asked
                       type: NODATA) */
  TDDNS_NXDOMAIN,   /* rcode 3; also what unknown names get */
  TDDNS_SERVFAIL,   /* rcode 2 */
  TDDNS_REFUSED,    /* rcode 5 */
  TDDNS_NODATA,     /* NOERROR, no answers, whatever records exist */
  TDDNS_DROP,       /* never answer (UDP or TCP) */
  TDDNS_TRUNCATED,  /* TC over UDP, the full answer over TCP */
  TDDNS_TRUNCATED_ALWAYS, /* TC over UDP; over TCP non-DNS bytes, then
                             the connection is closed */
  TDDNS_MALFORMED,  /* header claims 2 answers, the packet ends inside the
                       first one */
  TDDNS_CNAME_LOOP, /* NAME CNAME loop.NAME, loop.NAME CNAME NAME */
  TDDNS_WRONG_ID    /* a correct answer under a different query id */
} tddns_behavior_t;

typedef struct tddns tddns_t;

/* Binds UDP and TCP on one ephemeral port of bind_addr (NULL =
 * "127.0.0.1"; "::1" for IPv6; loopback only) and starts serving.
 * 0 and *out, or a negative errno (*out = NULL). */
int tddns_start(const char *bind_addr, tddns_t **out);

uint16_t tddns_port(const tddns_t *d);

/* Adds one address to name (repeatable: each call adds another; no limit
 * besides memory, answers hold as many as fit in 65535 bytes). Names are
 * case-insensitive, a trailing dot is ignored. A name that gets an address
 * and has no behaviour set answers (TDDNS_ANSWER). 0, -EINVAL (bad name or
 * address) or -ENOMEM. */
int tddns_add_a(tddns_t *d, const char *name, const char *ipv4);
int tddns_add_aaaa(tddns_t *d, const char *name, const char *ipv6);

/* Sets how queries for name (A, AAAA, anything) are answered. Names never
 * configured get NXDOMAIN. 0, -EINVAL or -ENOMEM. */
int tddns_set_behavior(tddns_t *d, const char *name, tddns_behavior_t b);

/* The TTL of every answer record from now on (seconds; default 60). */
void tddns_set_ttl(tddns_t *d, unsigned ttl);

/* Well-formed queries received so far (UDP and TCP, answered or not). */
unsigned tddns_queries(const tddns_t *d);

/* Stops the thread, closes every socket, frees everything. NULL is fine. */
void tddns_stop(tddns_t *d);

#ifdef __cplusplus
}
#endif

#endif /* TDDNS_H */
