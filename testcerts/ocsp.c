/* ocsp.c: builds signed RFC 6960 OCSP responses. GnuTLS parses and verifies
 * them but cannot create one, so the DER is written by hand. */
#include <stddef.h>

#include "tdcerts_int.h"

#define OID_SHA1 "1.3.14.3.2.26"
#define OID_OCSP_BASIC "1.3.6.1.5.5.7.48.1.1"
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_RSA_SHA256 "1.2.840.113549.1.1.11"

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY } */
static void alg_id(tdc_der_t *d, const char *oid, int null_params)
{
  size_t m = tdc_der_begin(d, TDC_DER_SEQUENCE);

  tdc_der_oid(d, oid);
  if (null_params)
    tdc_der_null(d);
  tdc_der_end(d, m);
}

/* ResponseData ::= SEQUENCE {
 *   version [0] EXPLICIT Version DEFAULT v1,        -- omitted
 *   responderID ResponderID,                        -- byKey [2]
 *   producedAt GeneralizedTime,
 *   responses SEQUENCE OF SingleResponse,
 *   responseExtensions [1] EXPLICIT Extensions OPTIONAL }  -- omitted */
static int response_data(const tdc_ocsp_params_t *p, tdc_der_t *d)
{
  gnutls_datum_t issuer_dn = {NULL, 0};
  unsigned char name_hash[20];
  unsigned char serial[64];
  size_t serial_len = sizeof(serial);
  size_t rd, rid, list, single, cid, st, reason, next;
  int rc;

  /* CertID.issuerNameHash covers the DN exactly as the leaf encodes its
   * issuer, which is what gnutls_ocsp_resp_check_crt() compares. */
  rc = gnutls_x509_crt_get_raw_issuer_dn(p->leaf, &issuer_dn);
  if (rc < 0)
    return rc;
  rc = gnutls_hash_fast(GNUTLS_DIG_SHA1, issuer_dn.data, issuer_dn.size,
                        name_hash);
  gnutls_free(issuer_dn.data);
  if (rc < 0)
    return rc;
  rc = gnutls_x509_crt_get_serial(p->leaf, serial, &serial_len);
  if (rc < 0)
    return rc;

  rd = tdc_der_begin(d, TDC_DER_SEQUENCE);
  rid = tdc_der_begin(d, TDC_DER_CTX_CONS(2)); /* byKey [2] KeyHash */
  tdc_der_tlv(d, TDC_DER_OCTET_STRING, p->responder_key_hash, TDC_KEYID_LEN);
  tdc_der_end(d, rid);
  tdc_der_gtime(d, p->produced_at);

  list = tdc_der_begin(d, TDC_DER_SEQUENCE);
  single = tdc_der_begin(d, TDC_DER_SEQUENCE);
  /* CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash,
   *                       serialNumber } */
  cid = tdc_der_begin(d, TDC_DER_SEQUENCE);
  alg_id(d, OID_SHA1, 1);
  tdc_der_tlv(d, TDC_DER_OCTET_STRING, name_hash, sizeof(name_hash));
  tdc_der_tlv(d, TDC_DER_OCTET_STRING, p->issuer_key_hash, TDC_KEYID_LEN);
  /* the serial's INTEGER content, byte for byte as in the certificate */
  tdc_der_tlv(d, TDC_DER_INTEGER, serial, serial_len);
  tdc_der_end(d, cid);

  if (p->status == TDC_OCSP_GOOD) {
    tdc_der_tlv(d, TDC_DER_CTX(0), NULL, 0); /* good [0] IMPLICIT NULL */
  } else {
    /* revoked [1] IMPLICIT RevokedInfo ::= SEQUENCE { revocationTime,
     *   revocationReason [0] EXPLICIT CRLReason OPTIONAL } */
    st = tdc_der_begin(d, TDC_DER_CTX_CONS(1));
    tdc_der_gtime(d, p->revoked_at);
    if (p->revocation_reason >= 0) {
      reason = tdc_der_begin(d, TDC_DER_CTX_CONS(0));
      tdc_der_small(d, TDC_DER_ENUMERATED, (unsigned)p->revocation_reason);
      tdc_der_end(d, reason);
    }
    tdc_der_end(d, st);
  }
  tdc_der_gtime(d, p->this_update);
  next = tdc_der_begin(d, TDC_DER_CTX_CONS(0)); /* nextUpdate [0] */
  tdc_der_gtime(d, p->next_update);
  tdc_der_end(d, next);
  tdc_der_end(d, single);
  tdc_der_end(d, list);
  tdc_der_end(d, rd);
  return d->failed;
}

int tdc_ocsp_build(const tdc_ocsp_params_t *p, unsigned char **der,
                   size_t *len)
{
  tdc_der_t tbs, basic, resp;
  gnutls_datum_t data, sig = {NULL, 0};
  const char *sig_oid;
  int null_params, rc;
  size_t m, rb, rbs;

  *der = NULL;
  *len = 0;
  if (!p || !p->leaf || !p->signer || !p->issuer_key_hash ||
      !p->responder_key_hash)
    return GNUTLS_E_INVALID_REQUEST;
  switch (gnutls_privkey_get_pk_algorithm(p->signer, NULL)) {
  case GNUTLS_PK_ECDSA:
    sig_oid = OID_ECDSA_SHA256;
    null_params = 0;
    break;
  case GNUTLS_PK_RSA:
    sig_oid = OID_RSA_SHA256;
    null_params = 1;
    break;
  default:
    return GNUTLS_E_UNIMPLEMENTED_FEATURE;
  }

  tdc_der_init(&tbs);
  tdc_der_init(&basic);
  tdc_der_init(&resp);

  rc = response_data(p, &tbs);
  if (rc < 0)
    goto out;
  data.data = tbs.data;
  data.size = (unsigned)tbs.len;
  rc = gnutls_privkey_sign_data(p->signer, GNUTLS_DIG_SHA256, 0, &data,
                                &sig);
  if (rc < 0)
    goto out;

  /* BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm,
   *   signature BIT STRING, certs [0] EXPLICIT ... OPTIONAL }  -- no certs:
   * the issuing CA signs directly (RFC 6960 4.2.2.2). */
  m = tdc_der_begin(&basic, TDC_DER_SEQUENCE);
  tdc_der_raw(&basic, tbs.data, tbs.len);
  alg_id(&basic, sig_oid, null_params);
  tdc_der_bits(&basic, sig.data, sig.size);
  tdc_der_end(&basic, m);
  if (basic.failed) {
    rc = basic.failed;
    goto out;
  }

  /* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED successful(0),
   *   responseBytes [0] EXPLICIT SEQUENCE { responseType OID,
   *                                        response OCTET STRING } } */
  m = tdc_der_begin(&resp, TDC_DER_SEQUENCE);
  tdc_der_small(&resp, TDC_DER_ENUMERATED, 0);
  rb = tdc_der_begin(&resp, TDC_DER_CTX_CONS(0));
  rbs = tdc_der_begin(&resp, TDC_DER_SEQUENCE);
  tdc_der_oid(&resp, OID_OCSP_BASIC);
  tdc_der_tlv(&resp, TDC_DER_OCTET_STRING, basic.data, basic.len);
  tdc_der_end(&resp, rbs);
  tdc_der_end(&resp, rb);
  tdc_der_end(&resp, m);
  rc = tdc_der_steal(&resp, der, len);
out:
  gnutls_free(sig.data);
  tdc_der_free(&tbs);
  tdc_der_free(&basic);
  tdc_der_free(&resp);
  return rc;
}
