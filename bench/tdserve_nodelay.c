/* tdserve_nodelay.c: LD_PRELOAD shim for the what-if run of
 * bench/check_vs_curl.sh (TDSERVE_NODELAY=1): sets TCP_NODELAY on every
 * socket tdserve accepts, i.e. what tests/support/tdserver.c does not do
 * (yet). Without it, tdserver's per-record send()s are held back by Nagle
 * until the client ACKs, which costs a 40 ms delayed-ACK stall whenever the
 * client has nothing to send (see bench/README.md). Benchmark use only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
  static int (*real_accept4)(int, struct sockaddr *, socklen_t *, int);
  if (!real_accept4)
    real_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(
        RTLD_NEXT, "accept4");
  if (!real_accept4) return -1;
  int c = real_accept4(fd, addr, len, flags);
  if (c >= 0) {
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return c;
}

int accept(int fd, struct sockaddr *addr, socklen_t *len) {
  return accept4(fd, addr, len, 0);
}
