/* classify.c: evidence -> findings + root cause (STUB). */
#include "internal.h"
void td_classify(tlsdiag_result_t *r) { (void)r; }
