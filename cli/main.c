/* main.c: the tlsdiag command (STUB). */
#include <stdio.h>
#include "tlsdiag/tlsdiag.h"
int main(void) { puts(tlsdiag_version_str()); return 0; }
