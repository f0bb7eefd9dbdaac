/* test_buf.c: the report buffer (lib/buf.c). td_buf_printf formats into
 * the free space and grows only when the text does not fit: whatever the
 * fill and the length of the text, at the capacity's edges too, the
 * content is exactly what snprintf makes, NUL-terminated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tdrun.h"

#include "internal.h"

static void test_printf_at_every_fill(void **state) {
  (void)state;
  static char text[700], want[1500];
  memset(text, 'x', sizeof(text) - 1);
  text[sizeof(text) - 1] = '\0';
  /* fills and lengths around the first capacities (256, 512, 1024) */
  for (size_t fill = 0; fill < 600; fill += 7) {
    for (size_t n = 0; n < 600; n += 5) {
      td_buf_t b;
      td_buf_init(&b);
      for (size_t i = 0; i < fill; i++) td_buf_putc(&b, (char)('a' + i % 26));
      td_buf_printf(&b, "<%.*s|%zu>", (int)n, text, n);
      int wn = 0;
      for (size_t i = 0; i < fill; i++) want[wn++] = (char)('a' + i % 26);
      wn += snprintf(want + wn, sizeof(want) - (size_t)wn, "<%.*s|%zu>",
                     (int)n, text, n);
      assert_int_equal(b.len, (size_t)wn);
      assert_false(b.oom);
      assert_int_equal(b.data[b.len], '\0');
      assert_memory_equal(b.data, want, (size_t)wn);
      assert_true(b.cap > b.len);
      td_buf_free(&b);
    }
  }
}

/* Formatting on a fresh buffer, and several in a row. */
static void test_printf_appends(void **state) {
  (void)state;
  td_buf_t b;
  td_buf_init(&b);
  td_buf_printf(&b, "%s", "");
  assert_int_equal(b.len, 0);
  for (int i = 0; i < 300; i++) td_buf_printf(&b, "%d,", i % 10);
  assert_int_equal(b.len, 600);
  assert_int_equal(strncmp(b.data, "0,1,2,3,4,5,6,7,8,9,0,1", 23), 0);
  assert_int_equal(b.data[600], '\0');
  td_buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_printf_at_every_fill),
      cmocka_unit_test(test_printf_appends),
  };
  return td_run_tests(tests, NULL, NULL);
}
