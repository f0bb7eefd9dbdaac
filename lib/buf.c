/* buf.c: growable, always NUL-terminated byte buffer with sticky OOM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void td_buf_init(td_buf_t *b) { memset(b, 0, sizeof(*b)); }

void td_buf_free(td_buf_t *b) {
  free(b->data);
  td_buf_init(b);
}

static int grow(td_buf_t *b, size_t extra) {
  if (b->oom) return -1;
  if (extra > SIZE_MAX / 2 - b->len) goto fail;
  size_t need = b->len + extra + 1;
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) cap *= 2;
  char *p = realloc(b->data, cap);
  if (!p) goto fail;
  b->data = p;
  b->cap = cap;
  return 0;
fail:
  b->oom = 1;
  return -1;
}

void td_buf_append(td_buf_t *b, const void *p, size_t n) {
  if (grow(b, n) < 0) return;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void td_buf_puts(td_buf_t *b, const char *s) {
  if (s) td_buf_append(b, s, strlen(s));
}

void td_buf_putc(td_buf_t *b, char c) { td_buf_append(b, &c, 1); }

void td_buf_vprintf(td_buf_t *b, const char *fmt, va_list ap) {
  if (b->oom) return;
  /* Formatted straight into the free space; only text that does not fit
   * is formatted a second time, after growing (reports print many short
   * pieces: measuring each first doubled the cost of formatting). */
  va_list cp;
  va_copy(cp, ap);
  size_t room = b->data ? b->cap - b->len : 0;
  int n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, cp);
  va_end(cp);
  if (n < 0) {
    b->oom = 1;
    return;
  }
  if ((size_t)n >= room) {
    if (grow(b, (size_t)n) < 0) {
      if (b->data) b->data[b->len] = '\0'; /* undo the partial text */
      return;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  }
  b->len += (size_t)n;
}

void td_buf_printf(td_buf_t *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  td_buf_vprintf(b, fmt, ap);
  va_end(ap);
}

char *td_buf_steal(td_buf_t *b, size_t *len) {
  if (b->oom) {
    td_buf_free(b);
    return NULL;
  }
  char *p = b->data;
  size_t n = b->len;
  if (!p) {
    p = calloc(1, 1);
    n = 0;
  }
  td_buf_init(b);
  if (len) *len = n;
  return p;
}
