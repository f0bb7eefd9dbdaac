/* chain.c: certificate fields (STUB, being written). */
#include "internal.h"
int td_cert_parse(td_cert_t *c, const unsigned char *der, size_t len) { (void)c; (void)der; (void)len; return -1; }
