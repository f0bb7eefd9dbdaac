/* tdcount.h: a loopback TCP server that counts how many connections are
 * open to it at once, for politeness tests (tlsdiag sweep --per-ip). It
 * accepts, never answers, and holds each connection until the client
 * closes it (or tdcount_stop). The count at each accept leaves out the
 * connections whose client has already closed (the kernel has their FIN:
 * on loopback a close() is delivered before the caller's next connect), so
 * the maximum is exact, not racy with the server's own threads.
 * Threads: one listener thread; queries from any thread. */
#ifndef TDCOUNT_H
#define TDCOUNT_H

#include <stdint.h>

typedef struct tdcount tdcount_t;

/* Listens on 127.0.0.1, an ephemeral port. 0, or -1 (errno). */
int tdcount_start(tdcount_t **out);
uint16_t tdcount_port(const tdcount_t *c);
/* Connections accepted so far, and the most open at once. */
unsigned tdcount_accepted(tdcount_t *c);
unsigned tdcount_max_open(tdcount_t *c);
void tdcount_stop(tdcount_t *c); /* NULL ok */

#endif
