/* fuzz_serve_req.c: the request parser of `tlsdiag serve` (cli/serve_req.c,
 * td_req_parse and td_req_query) on any bytes. Properties: a verdict is
 * MORE, DONE or a 4xx/5xx status with a reason; MORE only below the head
 * limit; DONE gives a target that starts with '/', holds no control byte
 * and fits TD_REQ_MAX_TARGET; the query split never overflows and the
 * decoded value holds no NUL before its end. */
#include "fuzz.h"
#include "serve_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static td_req_t req;
  const char *why = NULL;
  int rc = td_req_parse((const char *)data, size, &req, &why);
  FZ_ASSERT(why != NULL, "no reason");
  if (rc == TD_REQ_MORE) {
    FZ_ASSERT(size < TD_REQ_MAX_HEAD, "MORE at %zu bytes", size);
    return 0;
  }
  if (rc != TD_REQ_DONE) {
    FZ_ASSERT(rc >= 400 && rc <= 505 && *why, "status %d", rc);
    return 0;
  }
  size_t tl = strlen(req.target);
  FZ_ASSERT(tl >= 1 && tl <= TD_REQ_MAX_TARGET && req.target[0] == '/',
            "target length %zu", tl);
  for (size_t i = 0; i < tl; i++)
    FZ_ASSERT((unsigned char)req.target[i] > 0x20 &&
                  (unsigned char)req.target[i] < 0x7f,
              "byte %zu", i);
  char path[TD_REQ_MAX_TARGET + 1], val[TD_REQ_MAX_TARGET + 1];
  int found = 0;
  rc = td_req_query(req.target, "target", path, sizeof(path), val,
                    sizeof(val), &found, &why);
  FZ_ASSERT(rc == 0 || (rc == 400 && *why), "query %d", rc);
  if (rc == 0) FZ_ASSERT(strlen(path) <= tl && path[0] == '/', "path");
  return 0;
}
