/* tdcount.c: the connection-counting loopback server (tdcount.h). */
#include "tdcount.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TDCOUNT_MAX 4096

struct tdcount {
  int lfd;
  int stop_pipe[2];
  uint16_t port;
  pthread_t th;
  pthread_mutex_t mu;
  int held[TDCOUNT_MAX]; /* open connections, as far as we know */
  unsigned nheld, accepted, max_open;
};

/* Closes the held connections whose client has gone (EOF pending). */
static void drop_closed(tdcount_t *c) {
  unsigned k = 0;
  for (unsigned i = 0; i < c->nheld; i++) {
    char b;
    ssize_t n = recv(c->held[i], &b, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      close(c->held[i]);
      continue;
    }
    if (n > 0) { /* the client sent something (a ClientHello): discard */
      char buf[4096];
      while (recv(c->held[i], buf, sizeof(buf), MSG_DONTWAIT) > 0) {
      }
      if (recv(c->held[i], &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
        close(c->held[i]);
        continue;
      }
    }
    c->held[k++] = c->held[i];
  }
  c->nheld = k;
}

static void *listener(void *arg) {
  tdcount_t *c = arg;
  for (;;) {
    struct pollfd p[2] = {{c->lfd, POLLIN, 0}, {c->stop_pipe[0], POLLIN, 0}};
    /* wake now and then to close what clients closed */
    if (poll(p, 2, 20) < 0 && errno != EINTR) break;
    if (p[1].revents) break;
    pthread_mutex_lock(&c->mu);
    drop_closed(c);
    if (p[0].revents & POLLIN) {
      int fd = accept(c->lfd, NULL, NULL);
      if (fd >= 0 && c->nheld < TDCOUNT_MAX) {
        c->held[c->nheld++] = fd;
        c->accepted++;
        if (c->nheld > c->max_open) c->max_open = c->nheld;
      } else if (fd >= 0) {
        close(fd);
      }
    }
    pthread_mutex_unlock(&c->mu);
  }
  return NULL;
}

int tdcount_start(tdcount_t **out) {
  *out = NULL;
  tdcount_t *c = calloc(1, sizeof(*c));
  if (!c) return -1;
  c->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (c->lfd < 0 || bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      listen(c->lfd, 1024) != 0 ||
      getsockname(c->lfd, (struct sockaddr *)&a, &len) != 0 ||
      pipe(c->stop_pipe) != 0) {
    if (c->lfd >= 0) close(c->lfd);
    free(c);
    return -1;
  }
  c->port = ntohs(a.sin_port);
  pthread_mutex_init(&c->mu, NULL);
  if (pthread_create(&c->th, NULL, listener, c) != 0) {
    close(c->lfd);
    close(c->stop_pipe[0]);
    close(c->stop_pipe[1]);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return -1;
  }
  *out = c;
  return 0;
}

uint16_t tdcount_port(const tdcount_t *c) { return c->port; }

unsigned tdcount_accepted(tdcount_t *c) {
  pthread_mutex_lock(&c->mu);
  unsigned n = c->accepted;
  pthread_mutex_unlock(&c->mu);
  return n;
}

unsigned tdcount_max_open(tdcount_t *c) {
  pthread_mutex_lock(&c->mu);
  unsigned n = c->max_open;
  pthread_mutex_unlock(&c->mu);
  return n;
}

void tdcount_stop(tdcount_t *c) {
  if (!c) return;
  ssize_t k = write(c->stop_pipe[1], "", 1);
  (void)k;
  pthread_join(c->th, NULL);
  for (unsigned i = 0; i < c->nheld; i++) close(c->held[i]);
  close(c->lfd);
  close(c->stop_pipe[0]);
  close(c->stop_pipe[1]);
  pthread_mutex_destroy(&c->mu);
  free(c);
}
