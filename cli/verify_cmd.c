/* verify_cmd.c: `tlsdiag verify`: certificate files (or directory trees of
 * them) checked offline by the library's verifier, one report per file.
 * Reading files and walking directories happens here; every judgement is
 * the library's. A file that cannot be read, is not a regular file or
 * holds no certificate gets one line on stderr and the rest is still
 * checked. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
      "  --at TIME              judge dates at TIME: RFC 3339\n"
      "                         (2026-01-02T03:04:05Z, ...+02:00), 2026-12-31,\n"
      "                         @UNIX, or from now: +30d, -12h (s m h d w)\n"
      "  --purpose P            server (default) or client\n"
      "  --max-depth N          at most N intermediates on the path (default:\n"
      "                         Firefox's 6, rule chain_depth)\n"
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

/* verify's own options (the shared ones are opts.c's). */
typedef struct {
  run_t *rn;
  const char *host, *ip;
  const char *untrusted_path[MAX_EXTRA], *crl_path[MAX_EXTRA];
  size_t nuntrusted, ncrl;
} vargs_t;

static int verify_opt(void *ctx, td_cli_opts_t *c, int id, const char *arg) {
  vargs_t *a = ctx;
  int v;
  (void)c;
  switch (id) {
  case TD_O_HOST: a->host = arg; return 0;
  case TD_O_IP: a->ip = arg; return 0;
  case TD_O_UNTRUSTED:
    if (a->nuntrusted >= MAX_EXTRA) return td_cli_usage("too many --untrusted");
    a->untrusted_path[a->nuntrusted++] = arg;
    return 0;
  case TD_O_CRL:
    if (a->ncrl >= MAX_EXTRA) return td_cli_usage("too many --crl");
    a->crl_path[a->ncrl++] = arg;
    return 0;
  case TD_O_PURPOSE:
    if (!strcmp(arg, "server")) a->rn->in.purpose = TLSDIAG_PURPOSE_SERVER;
    else if (!strcmp(arg, "client")) a->rn->in.purpose = TLSDIAG_PURPOSE_CLIENT;
    else return td_cli_usage("bad --purpose '%s' (server or client)", arg);
    return 0;
  case TD_O_MAXDEPTH:
    if (td_cli_int(arg, 0, 255, &v))
      return td_cli_usage("bad --max-depth '%s' (0-255)", arg);
    a->rn->in.max_depth = v;
    return 0;
  case TD_O_EXPIRING:
    if (td_cli_int(arg, 0, 100000, &v))
      return td_cli_usage("bad --expiring-within '%s' (days)", arg);
    a->rn->in.expiring_within_days = v;
    return 0;
  default: return TD_CLI_NOT_MINE;
  }
}

/* Checks --host / --ip: -1, or 1 after a usage line. */
static int host_or_ip(const vargs_t *a) {
  const char *why = NULL;
  if (a->host && a->ip)
    return td_cli_usage("--host and --ip exclude each other");
  /* A plain ASCII name IDNA refuses (an invalid "xn--" label) is still a
   * question with an answer: no certificate is valid for it. */
  int ldh = a->host && *a->host &&
            strspn(a->host, "abcdefghijklmnopqrstuvwxyz"
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
                strlen(a->host) &&
            !strstr(a->host, "..") && a->host[0] != '.' &&
            a->host[strlen(a->host) - 1] != '.';
  if (a->host && ((!ldh && tlsdiag_host_check(a->host, &why) != TLSDIAG_OK) ||
                  strchr(a->host, ':')))
    return td_cli_usage("bad --host '%s': %s", a->host,
                        why ? why : "an IP address (use --ip)");
  if (a->ip && (tlsdiag_host_check(a->ip, &why) != TLSDIAG_OK ||
                strspn(a->ip, "0123456789abcdefABCDEF.:[]") != strlen(a->ip)))
    return td_cli_usage("bad --ip '%s' (an IPv4 or IPv6 address)", a->ip);
  return -1;
}

/* Reads the --untrusted and --crl files into blobs: 0, or 1 after a
 * message (*nu, *nc say how many buffers to free). */
static int load_extras(const vargs_t *a, buf_t *ub, tlsdiag_blob_t *ublob,
                       size_t *nu, buf_t *cb, tlsdiag_blob_t *cblob,
                       size_t *nc) {
  for (*nu = 0; *nu < a->nuntrusted; (*nu)++) {
    if (load_extra(a->untrusted_path[*nu], "--untrusted", &ub[*nu])) return 1;
    ublob[*nu].data = ub[*nu].p;
    ublob[*nu].len = ub[*nu].len;
  }
  for (*nc = 0; *nc < a->ncrl; (*nc)++) {
    if (load_extra(a->crl_path[*nc], "--crl", &cb[*nc])) return 1;
    cblob[*nc].data = cb[*nc].p;
    cblob[*nc].len = cb[*nc].len;
  }
  return 0;
}

/* The extra inputs are the same for every file: checked once. 0, or 1
 * after a message. */
static int extras_ok(run_t *rn) {
  if (!rn->in.nuntrusted && !rn->in.ncrls) return 0;
  tlsdiag_blob_t probe = {"", 0};
  tlsdiag_verify_input_t t = rn->in;
  t.chain = &probe;
  t.nchain = 1;
  tlsdiag_result_t *r = NULL;
  if (tlsdiag_verifier_verify(rn->v, &t, &r) != TLSDIAG_OK) {
    const char *e = tlsdiag_verifier_error(rn->v);
    if (!strncmp(e, "untrusted", 9) || !strncmp(e, "crl", 3) ||
        !strncmp(e, "CRL", 3))
      return td_cli_error("%s", e);
  }
  tlsdiag_result_free(r);
  return 0;
}

/* Every CERT operand, then the nagios/prometheus report: the exit
 * status. */
static int verify_all(run_t *rn, int argc, char **argv, int first) {
  for (int i = first; i < argc && !rn->fatal; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) {
      struct stat l;
      file_error(rn, argv[i],
                 lstat(argv[i], &l) == 0 && S_ISLNK(l.st_mode)
                     ? "dangling symbolic link"
                     : strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
      walk(rn, argv[i], 0);
    } else {
      check_file(rn, argv[i]);
    }
  }
  if (rn->fmt == TLSDIAG_FORMAT_NAGIOS || rn->fmt == TLSDIAG_FORMAT_PROMETHEUS) {
    char *out = NULL;
    size_t len = 0;
    if (tlsdiag_results_format((const tlsdiag_result_t *const *)rn->keep,
                               rn->nkeep, rn->fmt, rn->fflags, &out,
                               &len) != TLSDIAG_OK ||
        td_cli_write(out, len) < 0)
      rn->fatal = 1;
    tlsdiag_free(out);
  }
  if (rn->fatal) return TD_EXIT_USAGE;
  if (rn->fmt == TLSDIAG_FORMAT_NAGIOS) {
    int rc = tlsdiag_results_nagios_state(
        (const tlsdiag_result_t *const *)rn->keep, rn->nkeep);
    return rn->unreadable && rc != 2 ? 3 : rc;
  }
  if (rn->files == 0 && !rn->unreadable)
    fprintf(stderr, "tlsdiag verify: no certificate file found\n");
  return rn->failed || rn->unreadable || rn->files == 0 ? TD_EXIT_FAIL
                                                        : TD_EXIT_OK;
}

int td_cli_verify(int argc, char **argv) {
  td_cli_opts_t c;
  td_cli_opts_init(&c, TD_C_VERIFY,
                   1u << TLSDIAG_FORMAT_TEXT | 1u << TLSDIAG_FORMAT_JSON |
                       1u << TLSDIAG_FORMAT_NAGIOS |
                       1u << TLSDIAG_FORMAT_PROMETHEUS,
                   usage);
  run_t rn;
  memset(&rn, 0, sizeof(rn));
  tlsdiag_verify_input_init(&rn.in);
  vargs_t a;
  memset(&a, 0, sizeof(a));
  a.rn = &rn;
  int first = 0;
  int rc = td_cli_parse(&c, argc, argv, verify_opt, &a, &first);
  if (rc < 0) rc = td_cli_operands(argc, first, 1, -1, argv, "CERT");
  if (rc < 0) rc = td_cli_opts_check(&c);
  if (rc < 0) rc = host_or_ip(&a);
  td_cli_opts_free(&c);
  if (rc >= 0) return rc;
  rc = TD_EXIT_USAGE;
  rn.fmt = c.fmt;
  rn.fflags = c.fflags;
  rn.in.host = a.host ? a.host : a.ip;
  if (rn.fmt == TLSDIAG_FORMAT_TEXT && isatty(STDOUT_FILENO) &&
      !getenv("NO_COLOR"))
    rn.fflags |= TLSDIAG_FMT_COLOR;

  buf_t ub[MAX_EXTRA], cb[MAX_EXTRA];
  tlsdiag_blob_t ublob[MAX_EXTRA], cblob[MAX_EXTRA];
  size_t nu = 0, nc = 0;
  if (load_extras(&a, ub, ublob, &nu, cb, cblob, &nc)) goto out;
  rn.in.untrusted = nu ? ublob : NULL;
  rn.in.nuntrusted = nu;
  rn.in.crls = nc ? cblob : NULL;
  rn.in.ncrls = nc;
  char errbuf[300];
  tlsdiag_err_t err = tlsdiag_verifier_new(&c.o, NULL, 0, &rn.v, errbuf,
                                           sizeof(errbuf));
  if (err) {
    td_cli_error("%s", *errbuf ? errbuf : tlsdiag_strerror(err));
    goto out;
  }
  if (extras_ok(&rn) == 0) rc = verify_all(&rn, argc, argv, first);
out:
  for (size_t i = 0; i < rn.nkeep; i++) tlsdiag_result_free(rn.keep[i]);
  free(rn.keep);
  for (size_t i = 0; i < nu; i++) free(ub[i].p);
  for (size_t i = 0; i < nc; i++) free(cb[i].p);
  tlsdiag_verifier_free(rn.v);
  return rc;
}
