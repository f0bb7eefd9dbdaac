/* tlsdiag_version.h: compile-time version of libtlsdiag. */
#ifndef TLSDIAG_VERSION_H
#define TLSDIAG_VERSION_H

#define TLSDIAG_VERSION_MAJOR 0
#define TLSDIAG_VERSION_MINOR 1
#define TLSDIAG_VERSION_PATCH 0
#define TLSDIAG_VERSION_NUM                                                  \
  ((TLSDIAG_VERSION_MAJOR << 16) | (TLSDIAG_VERSION_MINOR << 8) |            \
   TLSDIAG_VERSION_PATCH)
#define TLSDIAG_VERSION_STR "0.1.0"

#endif
