/* psl.h: the Public Suffix List, through libpsl (never a home-made table).
 * One read-only list per process, loaded on first use: the newest of
 * libpsl's built-in list and the system's (Debian: package publicsuffix). */
#ifndef TD_PSL_H
#define TD_PSL_H

#include <stdint.h>

/* Which sections of the list count as a public suffix. */
typedef enum td_psl_section {
  TD_PSL_ICANN,  /* ICANN rules only (com, co.uk): what Chromium refuses
                    a wildcard directly over */
  TD_PSL_ANY     /* ICANN and private rules (s3.amazonaws.com, github.io):
                    what the HSTS preload list's eTLD+1 rule uses */
} td_psl_section_t;

/* 1 when name (lowercase, A-labels or UTF-8, no trailing dot) is itself a
 * public suffix in the given sections, else 0. A TLD the list does not know
 * counts as a suffix, as the list's implicit "*" rule says. NULL/"": 0. */
int td_psl_is_public_suffix(const char *name, td_psl_section_t section);

/* The registrable domain (eTLD+1) of host, in ICANN and private sections:
 * a pointer into host, or NULL when host is itself a public suffix or has
 * none (an IP address, a single label under an unknown TLD...). */
const char *td_psl_registrable_domain(const char *host);

/* Where the list in use came from ("/usr/share/publicsuffix/...dafsa" or
 * "libpsl built-in") and its date (Unix seconds, 0 unknown), for reports. */
const char *td_psl_source(int64_t *mtime);

#endif
