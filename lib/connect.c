/* connect.c: non-blocking TCP connect and socket error names. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine.h"

int td_tcp_start(const char *addr, int family, uint16_t port, int *done,
                 int *err) {
  struct sockaddr_storage ss;
  socklen_t slen;
  memset(&ss, 0, sizeof(ss));
  *done = 0;
  *err = 0;
  if (family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) goto inval;
    slen = sizeof(*s6);
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) goto inval;
    slen = sizeof(*s4);
  }
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  int one = 1;
  /* One small request and a handshake: don't let Nagle add a delay. */
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, (struct sockaddr *)&ss, slen) == 0) {
    *done = 1;
    return fd;
  }
  if (errno == EINPROGRESS) return fd;
  *err = errno;
  close(fd);
  return -1;
inval:
  *err = EINVAL;
  return -1;
}

int td_tcp_finish(int fd) {
  int e = 0;
  socklen_t l = sizeof(e);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0) return errno;
  return e;
}

char *td_tcp_local(int fd) {
  struct sockaddr_storage ss;
  socklen_t l = sizeof(ss);
  char a[INET6_ADDRSTRLEN];
  if (getsockname(fd, (struct sockaddr *)&ss, &l) < 0) return NULL;
  if (ss.ss_family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    if (!inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a))) return NULL;
    return td_asprintf("[%s]:%u", a, ntohs(s6->sin6_port));
  }
  struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
  if (!inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a))) return NULL;
  return td_asprintf("%s:%u", a, ntohs(s4->sin_port));
}

const char *td_errno_name(int err) {
  switch (err) {
  case 0: return "OK";
  case ECONNREFUSED: return "ECONNREFUSED";
  case ETIMEDOUT: return "ETIMEDOUT";
  case ENETUNREACH: return "ENETUNREACH";
  case EHOSTUNREACH: return "EHOSTUNREACH";
  case ECONNRESET: return "ECONNRESET";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case EMFILE: return "EMFILE";
  case ENFILE: return "ENFILE";
  case ENOBUFS: return "ENOBUFS";
  case EINVAL: return "EINVAL";
  case EPIPE: return "EPIPE";
  case ENETDOWN: return "ENETDOWN";
  case EHOSTDOWN: return "EHOSTDOWN";
  }
  return "EOTHER";
}
