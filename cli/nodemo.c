/* nodemo.c: `tlsdiag demo` in the installed tool. The demo runs the test
 * PKI, servers and DNS responder of tests/support on this machine; those
 * are test fixtures and are not installed, so the installed tool says
 * where the demo lives instead. */
#include "cli.h"

int td_cli_demo(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return td_cli_error(
      "the offline demo ships with the source build, not the installed "
      "tool: run ./build/cli/tlsdiag demo in a checkout");
}
