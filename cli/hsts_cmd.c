/* hsts_cmd.c: `tlsdiag hsts lookup|update` (STUB, being written). */
#include "cli.h"
int td_cli_hsts(int argc, char **argv) { (void)argc; (void)argv; return td_cli_error("hsts: not yet implemented"); }
int td_cli_hsts_load(const char *path, struct tlsdiag_hsts **out) { (void)path; *out = 0; return 0; }
