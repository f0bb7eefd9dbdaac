/* hsts_builtin.c: the bytes of the built-in HSTS preload index, embedded
 * with the assembler's .incbin. The build makes the index
 * (lib/data/hsts_mkblob.c, from the shipped snapshot
 * lib/data/hsts_preload.txt.xz) and passes its path as TD_HSTS_BLOB;
 * hsts_list.c turns the bytes into a list with no parsing. */
#include "hsts.h"

#ifdef TD_HSTS_BLOB
/* Read-only data, aligned for the index's 8-byte records; hidden, so the
 * shared library does not export it. */
__asm__(".section .rodata\n"
        ".balign 64\n"
        ".globl td_hsts_blob_start\n"
        ".hidden td_hsts_blob_start\n"
        "td_hsts_blob_start:\n"
        ".incbin \"" TD_HSTS_BLOB "\"\n"
        ".globl td_hsts_blob_end\n"
        ".hidden td_hsts_blob_end\n"
        "td_hsts_blob_end:\n"
        ".previous\n");
extern const unsigned char td_hsts_blob_start[];
extern const unsigned char td_hsts_blob_end[];

const unsigned char *td_hsts_builtin_blob(size_t *len) {
  *len = (size_t)(td_hsts_blob_end - td_hsts_blob_start);
  return td_hsts_blob_start;
}
#else
/* A build without the snapshot (e.g. a static analyser): no list. */
const unsigned char *td_hsts_builtin_blob(size_t *len) {
  *len = 0;
  return NULL;
}
#endif
