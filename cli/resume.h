/* resume.h: the targets an earlier sweep output already has records for
 * (`tlsdiag sweep --resume FILE`). */
#ifndef TD_CLI_RESUME_H
#define TD_CLI_RESUME_H

#include <stddef.h>

#include "targets.h"

typedef struct td_cli_resume {
  void *v; /* the records' targets, sorted */
  size_t n, cap;
  size_t *bad; /* the line numbers of its bad_line records */
  size_t nbad, badcap;
  int cut; /* the last line was cut short and removed */
} td_cli_resume_t;

/* Reads path (absent: no records) and removes a cut last line from it.
 * 0, or -1 after a message. */
int td_cli_resume_load(const char *path, td_cli_resume_t *r);
/* 1 if a bad_line record of this line number is in the file. */
int td_cli_resume_has_bad(const td_cli_resume_t *r, size_t line);
/* 1 if a finished check of t is recorded. */
int td_cli_resume_has(const td_cli_resume_t *r, const td_target_t *t);
void td_cli_resume_free(td_cli_resume_t *r);

#endif
