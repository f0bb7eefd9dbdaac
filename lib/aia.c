/* aia.c: the missing issuer of a certificate, fetched from its AIA
 * caIssuers URL (RFC 5280 4.2.2.1) as browsers do, so that "the server
 * omits an intermediate" can be told from "the issuer is a root the trust
 * store lacks". */
#include "internal.h"

const char *td_aia_outcome_name(td_aia_outcome_t o) {
  switch (o) {
  case TD_AIA_NONE: return "none";
  case TD_AIA_DISABLED: return "disabled";
  case TD_AIA_NO_URL: return "no_url";
  case TD_AIA_FAILED: return "failed";
  case TD_AIA_UNPARSABLE: return "unparsable";
  case TD_AIA_NOT_ISSUER: return "not_issuer";
  case TD_AIA_INTERMEDIATE: return "intermediate";
  case TD_AIA_UNTRUSTED: return "untrusted";
  case TD_AIA_ROOT: return "root";
  }
  return "unknown";
}
