/* verify_cmd.c: `tlsdiag verify`: certificate files (or directory trees of
 * them) checked offline by the library's verifier, one report per file.
 * Reading files and walking directories happens here; every judgement is
 * the library's. A file that cannot be read, is not a regular file or
 * holds no certificate gets one line on stderr and the rest is still
 * checked. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tlsdiag/tlsdiag.h"

#define MAX_FILE (16u << 20) /* a certificate file larger is refused */
#define MAX_DEPTH 8          /* directory levels walked */
#define MAX_FILES 100000     /* files checked in one run */
#define MAX_EXTRA 64         /* --untrusted / --crl files */

static void usage(FILE *o) {
  fputs(
      "usage: tlsdiag verify [options] CERT...\n"
      "\n"
      "Verifies certificate chains offline, with the verifier `tlsdiag check`\n"
      "uses. Each CERT is a PEM or DER file (a chain: leaf first, then its\n"
      "intermediates) or a directory, walked for *.pem, *.crt, *.cer, *.der.\n"
      "\n"
      "options:\n"
      "  --host NAME            the leaf must be valid for this DNS name (IDN ok)\n"
      "  --ip ADDR              the leaf must be valid for this IP address\n"
      "  --cacert FILE          trust these CA certificates (default: the system's)\n"
      "  --capath DIR           trust the CA certificates in DIR\n"
      "  --untrusted FILE       more intermediates to build paths with (repeatable)\n"
      "  --crl FILE             check revocation against these CRLs (repeatable)\n"
      "  --at TIME              judge dates at TIME (2026-01-02T03:04:05Z or @unix)\n"
      "  --purpose P            server (default) or client\n"
      "  --max-depth N          at most N intermediates on the path\n"
      "  --warn-days N          cert_expires_soon below N days (default 30)\n"
      "  --expiring-within N    a certificate expiring within N days is an error\n"
      "  --crit-days N          expiry CRITICAL threshold for nagios (default 7)\n"
      "  --json                 JSON Lines: one report per file, with \"file\"\n"
      "  --format FMT           text (default), json, nagios, prometheus\n"
      "  --pretty               indented JSON\n"
      "  -v, --verbose          the whole chain in the text report\n"
      "\n"
      "exit status: 0 every file verified without error (warnings allowed),\n"
      "2 a file failed verification or could not be read, 1 usage error.\n"
      "With --format nagios: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n",
      o);
}

typedef struct buf {
  char *p;
  size_t len;
} buf_t;

/* Reads a regular file (at most MAX_FILE bytes). 0, or -1 with *why set
 * to a static or strerror text. */
static int read_file(const char *path, buf_t *out, const char **why) {
  out->p = NULL;
  out->len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    *why = strerror(errno);
    return -1;
  }
  struct stat st;
  int rc = -1;
  if (fstat(fd, &st) != 0) {
    *why = strerror(errno);
    goto out;
  }
  if (S_ISDIR(st.st_mode)) {
    *why = "is a directory";
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    *why = "not a regular file";
    goto out;
  }
  if ((unsigned long long)st.st_size > MAX_FILE) {
    *why = "larger than 16 MiB";
    goto out;
  }
  size_t cap = (size_t)st.st_size + 1;
  out->p = malloc(cap);
  if (!out->p) {
    *why = "out of memory";
    goto out;
  }
  while (out->len < cap - 1) {
    ssize_t n = read(fd, out->p + out->len, cap - 1 - out->len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *why = strerror(errno);
      goto out;
    }
    if (n == 0) break;
    out->len += (size_t)n;
  }
  out->p[out->len] = '\0';
  rc = 0;
out:
  close(fd);
  if (rc < 0) {
    free(out->p);
    out->p = NULL;
  }
  return rc;
}

static int has_cert_ext(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && (!strcasecmp(dot, ".pem") || !strcasecmp(dot, ".crt") ||
                 !strcasecmp(dot, ".cer") || !strcasecmp(dot, ".der"));
}

typedef struct run {
  tlsdiag_verifier_t *v;
  tlsdiag_verify_input_t in;
  tlsdiag_format_t fmt;
  unsigned fflags;
  int json;             /* JSON Lines with "file" */
  tlsdiag_result_t **keep; /* nagios/prometheus: results kept for the end */
  size_t nkeep, capkeep;
  size_t files;
  int failed;           /* a file failed verification */
  int unreadable;       /* a file could not be read or held no chain */
  int fatal;            /* out of memory or output error */
} run_t;

/* Writes s as a JSON string, quoted as the report quotes its own. */
static int json_quote(FILE *f, const char *s) {
  char *q = NULL;
  size_t n = 0;
  if (tlsdiag_json_quote(s, strlen(s), &q, &n) != TLSDIAG_OK) return -1;
  size_t w = fwrite(q, 1, n, f);
  tlsdiag_free(q);
  return w == n ? 0 : -1;
}

static void file_error(run_t *rn, const char *path, const char *why) {
  rn->unreadable = 1;
  fprintf(stderr, "tlsdiag: %s: %s\n", path, why);
}

static void keep(run_t *rn, tlsdiag_result_t *r) {
  if (rn->nkeep == rn->capkeep) {
    size_t cap = rn->capkeep ? rn->capkeep * 2 : 16;
    tlsdiag_result_t **n = realloc(rn->keep, cap * sizeof(*n));
    if (!n) {
      rn->fatal = 1;
      tlsdiag_result_free(r);
      return;
    }
    rn->keep = n;
    rn->capkeep = cap;
  }
  rn->keep[rn->nkeep++] = r;
}

static void check_file(run_t *rn, const char *path) {
  if (rn->files >= MAX_FILES) {
    if (rn->files == MAX_FILES) file_error(rn, path, "too many files; stopped");
    rn->files++;
    return;
  }
  rn->files++;
  buf_t b;
  const char *why = NULL;
  if (read_file(path, &b, &why) < 0) {
    file_error(rn, path, why);
    return;
  }
  tlsdiag_blob_t blob = {b.p, b.len};
  rn->in.chain = &blob;
  rn->in.nchain = 1;
  tlsdiag_result_t *r = NULL;
  tlsdiag_err_t err = tlsdiag_verifier_verify(rn->v, &rn->in, &r);
  free(b.p);
  if (err) {
    const char *e = tlsdiag_verifier_error(rn->v);
    if (err == TLSDIAG_E_NOMEM) rn->fatal = 1;
    file_error(rn, path, e && *e ? e : tlsdiag_strerror(err));
    return;
  }
  if (!tlsdiag_result_ok(r)) rn->failed = 1;
  if (rn->fmt == TLSDIAG_FORMAT_NAGIOS || rn->fmt == TLSDIAG_FORMAT_PROMETHEUS) {
    keep(rn, r);
    return;
  }
  char *out = NULL;
  size_t len = 0;
  if (tlsdiag_result_format(r, rn->fmt, rn->fflags, &out, &len) != TLSDIAG_OK) {
    rn->fatal = 1;
  } else if (rn->fmt == TLSDIAG_FORMAT_JSON) {
    /* the report, with the file it is about as its first member */
    fputs("{\"file\":", stdout);
    if (json_quote(stdout, path) < 0) rn->fatal = 1;
    fputc(len > 2 && out[1] != '}' ? ',' : ' ', stdout);
    if (rn->fflags & TLSDIAG_FMT_PRETTY) fputc('\n', stdout);
    if (td_cli_write(out + 1, len - 1) < 0) rn->fatal = 1;
  } else {
    printf("== %s\n", path);
    if (td_cli_write(out, len) < 0) rn->fatal = 1;
    fputc('\n', stdout);
  }
  tlsdiag_free(out);
  tlsdiag_result_free(r);
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks dir for certificate files, in name order; symlinked directories
 * are not followed (no loops), symlinked files are. */
static void walk(run_t *rn, const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d) {
    file_error(rn, dir, strerror(errno));
    return;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL && n < MAX_FILES) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, cap * sizeof(*nn));
      if (!nn) {
        rn->fatal = 1;
        break;
      }
      names = nn;
    }
    if (!(names[n] = strdup(e->d_name))) {
      rn->fatal = 1;
      break;
    }
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof(*names), name_cmp);
  for (size_t i = 0; i < n && !rn->fatal; i++) {
    size_t len = strlen(dir) + strlen(names[i]) + 2;
    char *path = malloc(len);
    if (!path) {
      rn->fatal = 1;
      break;
    }
    snprintf(path, len, "%s%s%s", dir,
             dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
    struct stat st;
    if (lstat(path, &st) != 0) {
      if (has_cert_ext(names[i])) file_error(rn, path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
      if (depth + 1 < MAX_DEPTH) walk(rn, path, depth + 1);
      else file_error(rn, path, "directory nested too deep; not walked");
    } else if (has_cert_ext(names[i])) {
      struct stat t;
      if (S_ISLNK(st.st_mode) && stat(path, &t) != 0)
        file_error(rn, path, errno == ENOENT ? "dangling symbolic link"
                                             : strerror(errno));
      else if (S_ISLNK(st.st_mode) && S_ISDIR(t.st_mode))
        ; /* a link to a directory: not followed */
      else
        check_file(rn, path);
    }
    free(path);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

static int load_extra(const char *path, const char *what, buf_t *b) {
  const char *why = NULL;
  if (read_file(path, b, &why) < 0)
    return td_cli_error("cannot read %s file '%s': %s", what, path, why);
  return 0;
}

enum {
  V_HOST = 256, V_IP, V_CACERT, V_CAPATH, V_UNTRUSTED, V_CRL, V_AT, V_PURPOSE,
  V_MAXDEPTH, V_WARN, V_EXPIRING, V_CRIT, V_JSON, V_FORMAT, V_PRETTY
};

int td_cli_verify(int argc, char **argv) {
  static const struct option longopts[] = {
      {"host", required_argument, 0, V_HOST},
      {"ip", required_argument, 0, V_IP},
      {"cacert", required_argument, 0, V_CACERT},
      {"capath", required_argument, 0, V_CAPATH},
      {"untrusted", required_argument, 0, V_UNTRUSTED},
      {"crl", required_argument, 0, V_CRL},
      {"at", required_argument, 0, V_AT},
      {"now", required_argument, 0, V_AT},
      {"purpose", required_argument, 0, V_PURPOSE},
      {"max-depth", required_argument, 0, V_MAXDEPTH},
      {"warn-days", required_argument, 0, V_WARN},
      {"expiring-within", required_argument, 0, V_EXPIRING},
      {"crit-days", required_argument, 0, V_CRIT},
      {"json", no_argument, 0, V_JSON},
      {"format", required_argument, 0, V_FORMAT},
      {"pretty", no_argument, 0, V_PRETTY},
      {"verbose", no_argument, 0, 'v'},
      {"help", no_argument, 0, 'h'},
      {0, 0, 0, 0}};
  tlsdiag_options_t o;
  tlsdiag_options_init(&o);
  run_t rn;
  memset(&rn, 0, sizeof(rn));
  tlsdiag_verify_input_init(&rn.in);
  rn.fmt = TLSDIAG_FORMAT_TEXT;
  const char *host = NULL, *ip = NULL;
  const char *untrusted_path[MAX_EXTRA], *crl_path[MAX_EXTRA];
  size_t nuntrusted = 0, ncrl = 0;
  int c, v, rc = TD_EXIT_USAGE;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
    switch (c) {
    case V_HOST: host = optarg; break;
    case V_IP: ip = optarg; break;
    case V_CACERT:
      if (td_cli_cafile(optarg)) return TD_EXIT_USAGE;
      o.cafile = optarg;
      break;
    case V_CAPATH:
      if (td_cli_capath(optarg)) return TD_EXIT_USAGE;
      o.capath = optarg;
      break;
    case V_UNTRUSTED:
      if (nuntrusted >= MAX_EXTRA) return td_cli_error("too many --untrusted");
      untrusted_path[nuntrusted++] = optarg;
      break;
    case V_CRL:
      if (ncrl >= MAX_EXTRA) return td_cli_error("too many --crl");
      crl_path[ncrl++] = optarg;
      break;
    case V_AT:
      if (tlsdiag_time_parse(optarg, &o.now))
        return td_cli_error("bad --at '%s' (e.g. 2026-01-02T03:04:05Z or "
                            "@1767323045)", optarg);
      break;
    case V_PURPOSE:
      if (!strcmp(optarg, "server")) rn.in.purpose = TLSDIAG_PURPOSE_SERVER;
      else if (!strcmp(optarg, "client")) rn.in.purpose = TLSDIAG_PURPOSE_CLIENT;
      else return td_cli_error("bad --purpose '%s' (server or client)", optarg);
      break;
    case V_MAXDEPTH:
      if (td_cli_int(optarg, 0, 64, &v))
        return td_cli_error("bad --max-depth '%s' (0-64)", optarg);
      rn.in.max_depth = v;
      break;
    case V_WARN:
      if (td_cli_int(optarg, 0, 100000, &v))
        return td_cli_error("bad --warn-days '%s'", optarg);
      o.warn_days = v;
      break;
    case V_EXPIRING:
      if (td_cli_int(optarg, 0, 100000, &v))
        return td_cli_error("bad --expiring-within '%s' (days)", optarg);
      rn.in.expiring_within_days = v;
      break;
    case V_CRIT:
      if (td_cli_int(optarg, 0, 100000, &v))
        return td_cli_error("bad --crit-days '%s'", optarg);
      o.crit_days = v;
      break;
    case V_JSON: rn.fmt = TLSDIAG_FORMAT_JSON; break;
    case V_PRETTY: rn.fflags |= TLSDIAG_FMT_PRETTY; break;
    case V_FORMAT:
      if (!strcmp(optarg, "text")) rn.fmt = TLSDIAG_FORMAT_TEXT;
      else if (!strcmp(optarg, "json")) rn.fmt = TLSDIAG_FORMAT_JSON;
      else if (!strcmp(optarg, "nagios")) rn.fmt = TLSDIAG_FORMAT_NAGIOS;
      else if (!strcmp(optarg, "prometheus")) rn.fmt = TLSDIAG_FORMAT_PROMETHEUS;
      else return td_cli_error("unknown format '%s' (text, json, nagios, "
                               "prometheus)", optarg);
      break;
    case 'v': rn.fflags |= TLSDIAG_FMT_VERBOSE; break;
    case 'h': usage(stdout); return TD_EXIT_OK;
    case ':':
      return td_cli_error("option '%s' needs a value", argv[optind - 1]);
    default:
      return td_cli_error("unknown option '%s' (see tlsdiag verify --help)",
                          argv[optind - 1]);
    }
  }
  if (optind >= argc) {
    usage(stderr);
    return TD_EXIT_USAGE;
  }
  if (host && ip) return td_cli_error("--host and --ip exclude each other");
  const char *why = NULL;
  if (host && (tlsdiag_host_check(host, &why) != TLSDIAG_OK || strchr(host, ':')))
    return td_cli_error("bad --host '%s': %s", host,
                        why ? why : "an IP address (use --ip)");
  if (ip) {
    if (tlsdiag_host_check(ip, &why) != TLSDIAG_OK ||
        strspn(ip, "0123456789abcdefABCDEF.:[]") != strlen(ip))
      return td_cli_error("bad --ip '%s' (an IPv4 or IPv6 address)", ip);
  }
  rn.in.host = host ? host : ip;
  if (rn.fmt == TLSDIAG_FORMAT_TEXT && isatty(STDOUT_FILENO) &&
      !getenv("NO_COLOR"))
    rn.fflags |= TLSDIAG_FMT_COLOR;

  buf_t ub[MAX_EXTRA], cb[MAX_EXTRA];
  tlsdiag_blob_t ublob[MAX_EXTRA], cblob[MAX_EXTRA];
  size_t nu = 0, nc = 0;
  for (; nu < nuntrusted; nu++) {
    if (load_extra(untrusted_path[nu], "--untrusted", &ub[nu])) goto out;
    ublob[nu].data = ub[nu].p;
    ublob[nu].len = ub[nu].len;
  }
  for (; nc < ncrl; nc++) {
    if (load_extra(crl_path[nc], "--crl", &cb[nc])) goto out;
    cblob[nc].data = cb[nc].p;
    cblob[nc].len = cb[nc].len;
  }
  rn.in.untrusted = nu ? ublob : NULL;
  rn.in.nuntrusted = nu;
  rn.in.crls = nc ? cblob : NULL;
  rn.in.ncrls = nc;

  char errbuf[300];
  tlsdiag_err_t err = tlsdiag_verifier_new(&o, NULL, 0, &rn.v, errbuf,
                                           sizeof(errbuf));
  if (err) {
    td_cli_error("%s", *errbuf ? errbuf : tlsdiag_strerror(err));
    goto out;
  }
  /* The extra inputs are the same for every file: check them once. */
  if (nu || nc) {
    tlsdiag_blob_t probe = {"", 0};
    tlsdiag_verify_input_t t = rn.in;
    t.chain = &probe;
    t.nchain = 1;
    tlsdiag_result_t *r = NULL;
    if (tlsdiag_verifier_verify(rn.v, &t, &r) != TLSDIAG_OK) {
      const char *e = tlsdiag_verifier_error(rn.v);
      if (!strncmp(e, "untrusted", 9) || !strncmp(e, "crl", 3) ||
          !strncmp(e, "CRL", 3)) {
        td_cli_error("%s", e);
        goto out;
      }
    }
    tlsdiag_result_free(r);
  }
  for (int i = optind; i < argc && !rn.fatal; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      struct stat l;
      file_error(&rn, argv[i],
                 lstat(argv[i], &l) == 0 && S_ISLNK(l.st_mode)
                     ? "dangling symbolic link"
                     : strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
      walk(&rn, argv[i], 0);
    } else {
      check_file(&rn, argv[i]);
    }
  }
  if (rn.fmt == TLSDIAG_FORMAT_NAGIOS || rn.fmt == TLSDIAG_FORMAT_PROMETHEUS) {
    char *out = NULL;
    size_t len = 0;
    if (tlsdiag_results_format((const tlsdiag_result_t *const *)rn.keep,
                               rn.nkeep, rn.fmt, rn.fflags, &out,
                               &len) == TLSDIAG_OK) {
      if (td_cli_write(out, len) < 0) rn.fatal = 1;
    } else {
      rn.fatal = 1;
    }
    tlsdiag_free(out);
  }
  if (rn.fatal) {
    rc = TD_EXIT_USAGE;
  } else if (rn.fmt == TLSDIAG_FORMAT_NAGIOS) {
    rc = tlsdiag_results_nagios_state((const tlsdiag_result_t *const *)rn.keep,
                                      rn.nkeep);
    if (rn.unreadable && rc != 2) rc = 3;
  } else {
    rc = rn.failed || rn.unreadable || rn.files == 0 ? TD_EXIT_FAIL : TD_EXIT_OK;
    if (rn.files == 0 && !rn.unreadable)
      fprintf(stderr, "tlsdiag: no certificate file found\n");
  }
out:
  for (size_t i = 0; i < rn.nkeep; i++) tlsdiag_result_free(rn.keep[i]);
  free(rn.keep);
  for (size_t i = 0; i < nu; i++) free(ub[i].p);
  for (size_t i = 0; i < nc; i++) free(cb[i].p);
  tlsdiag_verifier_free(rn.v);
  return rc;
}
