/* sweep.c: `tlsdiag sweep` (STUB, being written). */
#include "cli.h"
int td_cli_sweep(int argc, char **argv) { (void)argc; (void)argv; return td_cli_error("sweep: not yet implemented"); }
