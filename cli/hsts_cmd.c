/* hsts_cmd.c: `tlsdiag hsts lookup|update`, and where the HSTS preload list
 * of `tlsdiag check` comes from (--hsts-list, $TLSDIAG_HSTS_LIST, the
 * cache). Public API only. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "tlsdiag/tlsdiag.h"

static void usage(FILE *o) {
  fputs("usage: tlsdiag hsts lookup [--hsts-list FILE] NAME...\n"
        "       tlsdiag hsts update [--url URL]   (not implemented yet)\n"
        "\n"
        "lookup: is each NAME on the HSTS preload list, through which entry?\n"
        "The list is --hsts-list FILE, else $TLSDIAG_HSTS_LIST, else\n"
        "$XDG_CACHE_HOME/tlsdiag/hsts.json (~/.cache/tlsdiag/hsts.json):\n"
        "Chromium's transport_security_state_static.json.\n"
        "exit status: 0 every NAME is preloaded, 2 some are not, 1 error.\n",
        o);
}

/* The default cache file: $XDG_CACHE_HOME/tlsdiag/hsts.json, where an
 * unset, empty or relative XDG_CACHE_HOME means ~/.cache (XDG base
 * directory spec). 0, or -1 if there is no home to put it in. */
static int cache_path(char *out, size_t n) {
  const char *xdg = getenv("XDG_CACHE_HOME");
  int k;
  if (xdg && xdg[0] == '/') {
    k = snprintf(out, n, "%s/tlsdiag/hsts.json", xdg);
  } else {
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') return -1;
    k = snprintf(out, n, "%s/.cache/tlsdiag/hsts.json", home);
  }
  return k > 0 && (size_t)k < n ? 0 : -1;
}

static int load_or_fail(const char *path, const char *from,
                        struct tlsdiag_hsts **out) {
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_ex(path, out, err, sizeof(err));
  if (e == TLSDIAG_OK) return 0;
  return td_cli_error("cannot load the HSTS preload list %s%s%s: %s", path,
                      from ? " " : "", from ? from : "",
                      err[0] ? err : tlsdiag_strerror(e));
}

int td_cli_hsts_load(const char *path, struct tlsdiag_hsts **out) {
  *out = NULL;
  if (path) return load_or_fail(path, NULL, out);
  const char *env = getenv("TLSDIAG_HSTS_LIST");
  if (env && *env) return load_or_fail(env, "(from $TLSDIAG_HSTS_LIST)", out);
  char def[PATH_MAX];
  struct stat st;
  if (cache_path(def, sizeof(def)) != 0) return 0;
  if (stat(def, &st) != 0 && errno == ENOENT) return 0; /* never updated */
  /* A broken cache should not stop every check: say so and go on. */
  char err[256] = "";
  tlsdiag_err_t e = tlsdiag_hsts_load_ex(def, out, err, sizeof(err));
  if (e != TLSDIAG_OK)
    fprintf(stderr,
            "tlsdiag: warning: ignoring the HSTS preload list cache %s: %s "
            "(run `tlsdiag hsts update`)\n",
            def, err[0] ? err : tlsdiag_strerror(e));
  return 0;
}

/* ASCII names are checked here, so that a typo is an error rather than
 * "not preloaded"; UTF-8 names go to the library, which converts them. */
static int bad_name(const char *s) {
  const char *why = NULL;
  if (tlsdiag_host_check(s, &why) != TLSDIAG_OK) {
    td_cli_error("'%s' is not a host name: %s", s, why ? why : "malformed");
    return 1;
  }
  return 0;
}

static int cmd_lookup(int argc, char **argv) {
  static const struct option longopts[] = {
      {"hsts-list", required_argument, 0, 'l'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  const char *path = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
    case 'l': path = optarg; break;
    case 'h': usage(stdout); return TD_EXIT_OK;
    default: usage(stderr); return TD_EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return TD_EXIT_USAGE;
  }
  for (int i = optind; i < argc; i++)
    if (bad_name(argv[i])) return TD_EXIT_USAGE;
  struct tlsdiag_hsts *h = NULL;
  if (td_cli_hsts_load(path, &h) != 0) return TD_EXIT_USAGE;
  if (!h)
    return td_cli_error("no HSTS preload list: use --hsts-list FILE, set "
                        "TLSDIAG_HSTS_LIST, or run `tlsdiag hsts update`");
  int rc = TD_EXIT_OK;
  for (int i = optind; i < argc; i++) {
    const char *entry = NULL;
    int subs = 0;
    if (tlsdiag_hsts_lookup(h, argv[i], &entry, &subs)) {
      printf("%s: preloaded by entry %s%s\n", argv[i], entry,
             subs ? " (includeSubDomains)" : "");
    } else {
      printf("%s: not preloaded\n", argv[i]);
      rc = TD_EXIT_FAIL;
    }
  }
  tlsdiag_hsts_free(h);
  if (fflush(stdout) != 0) return td_cli_error("cannot write the output");
  return rc;
}

int td_cli_hsts(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return TD_EXIT_USAGE;
  }
  const char *sub = argv[1];
  if (!strcmp(sub, "lookup")) return cmd_lookup(argc - 1, argv + 1);
  if (!strcmp(sub, "update"))
    return td_cli_error("hsts update: not implemented yet; download "
                        "Chromium's transport_security_state_static.json "
                        "and pass it with --hsts-list or TLSDIAG_HSTS_LIST");
  if (!strcmp(sub, "help") || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
    usage(stdout);
    return TD_EXIT_OK;
  }
  td_cli_error("unknown hsts command '%s'", sub);
  usage(stderr);
  return TD_EXIT_USAGE;
}
