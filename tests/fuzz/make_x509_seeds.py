#!/usr/bin/env python3
"""Writes the seed corpora of fuzz_verify and fuzz_crl (record format of
fuzz_x509.h). Inputs: FUZZPKI, a directory with the fuzz PKI made by
certtool (root.pem, int.pem, leaf.pem, revoked.crl, empty.crl: see
corpus/fuzz_verify/SOURCE), GENCERTS, the output of
`tlsdiag-gencerts DIR --now 1800000000`, and LIMBO, x509-limbo's
limbo.json. usage: make_x509_seeds.py FUZZPKI GENCERTS LIMBO"""
import base64, json, os, re, struct, sys

pki, gc, limbo = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))

def pem_blocks(text, label):
    return [base64.b64decode(''.join(m.split()))
            for m in re.findall(r'-----BEGIN %s-----(.*?)-----END %s-----'
                                % (label, label), text, re.S)]

def der_first(der):
    """The first element (TBS) inside the outer SEQUENCE."""
    def hdr(p, i):
        l = p[i + 1]
        if l < 0x80:
            return i + 2, l
        k = l & 0x7f
        return i + 2 + k, int.from_bytes(p[i + 2:i + 2 + k], 'big')
    i, _ = hdr(der, 0)
    j, l = hdr(der, i)
    return der[i:j + l]

def rec(kind, data):
    if isinstance(data, str):
        data = data.encode()
    return struct.pack('>BH', kind, len(data)) + data

CHAIN, UNTRUSTED, TRUSTED, CRL, HOST = range(5)
SIGN, PEM = 0x10, 0x20
rd = lambda p: open(p).read()
root, inter, leaf = (rd(os.path.join(pki, f)) for f in
                     ('root.pem', 'int.pem', 'leaf.pem'))
leaf_der, = pem_blocks(leaf, 'CERTIFICATE')
int_der, = pem_blocks(inter, 'CERTIFICATE')
root_der, = pem_blocks(root, 'CERTIFICATE')
crls = {n: pem_blocks(rd(os.path.join(pki, n + '.crl')), 'X509 CRL')[0]
        for n in ('revoked', 'empty')}

def write(harness, name, data):
    d = os.path.join(here, 'corpus', harness)
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, name), 'wb').write(data)

v = lambda hdr, *recs: bytes([hdr]) + b''.join(recs)
NODEPTH = 0x0e
write('fuzz_verify', 'fuzz-pem', v(NODEPTH, rec(CHAIN, leaf), rec(CHAIN, inter),
                                   rec(HOST, 'www.example.com')))
write('fuzz_verify', 'fuzz-der', v(NODEPTH, rec(CHAIN, leaf_der),
                                   rec(UNTRUSTED, int_der),
                                   rec(TRUSTED, root_der),
                                   rec(HOST, '192.168.1.1')))
write('fuzz_verify', 'fuzz-signed-tbs',
      v(NODEPTH, rec(CHAIN | SIGN, der_first(leaf_der)),
        rec(CHAIN | SIGN | PEM, der_first(int_der)),
        rec(HOST, 'x.a.example.com')))
write('fuzz_verify', 'fuzz-signed-oneshot',
      v(0x20 | 0x02, rec(CHAIN | SIGN, der_first(leaf_der)),
        rec(UNTRUSTED | SIGN, der_first(int_der)),
        rec(TRUSTED | SIGN, der_first(root_der)),
        rec(CRL, crls['empty'])))
write('fuzz_verify', 'fuzz-revoked', v(0x10 | NODEPTH, rec(CHAIN, leaf),
                                       rec(CHAIN, inter),
                                       rec(CRL | PEM, crls['revoked'])))
groot = rd(os.path.join(gc, 'root.pem'))
for case, host in (('valid', 'localhost'), ('idn', 'bücher.tlsdiag.test'),
                   ('wildcard', 'a.wild.tlsdiag.test'),
                   ('unknown_root', 'unknown-root.tlsdiag.test'),
                   ('with_root', 'with-root.tlsdiag.test'),
                   ('cn_only', 'cn-only.tlsdiag.test'),
                   ('rsa1024', 'weak-key.tlsdiag.test'),
                   ('sha1', 'sha1.tlsdiag.test')):
    chain = rd(os.path.join(gc, case + '.chain.pem'))
    write('fuzz_verify', 'gencerts-' + case,
          v(NODEPTH, rec(CHAIN, chain), rec(TRUSTED, groot), rec(HOST, host)))
    if case == 'valid':
        ders = pem_blocks(chain, 'CERTIFICATE')
        write('fuzz_verify', 'gencerts-valid-der',
              v(1 << 1, *[rec(CHAIN, d) for d in ders],
                rec(TRUSTED, pem_blocks(groot, 'CERTIFICATE')[0]),
                rec(CRL, pem_blocks(rd(os.path.join(gc, 'intermediate.crl.pem')),
                                    'X509 CRL')[0])))

cases = {c['id']: c for c in json.load(open(limbo))['testcases']}
for cid in ('rfc5280::nc::excluded-dns-match', 'rfc5280::nc::permitted-ipv6-match',
            'rfc5280::nc::permitted-dn-match', 'rfc5280::nc::nc-permits-email-domain',
            'rfc5280::aki::critical-aki', 'rfc5280::eku::ee-eku-empty',
            'rfc5280::nc::invalid-dnsname-leading-period',
            'pathlen::intermediate-pathlen-may-increase'):
    c = cases[cid]
    host = (c.get('expected_peer_name') or {}).get('value', '')
    recs = [rec(CHAIN, c['peer_certificate'])]
    recs += [rec(UNTRUSTED, x) for x in c['untrusted_intermediates']]
    recs += [rec(TRUSTED, x) for x in c['trusted_certs']]
    if host:
        recs.append(rec(HOST, host))
    write('fuzz_verify', 'limbo-' + cid.replace('::', '-'),
          v(0 if c.get('extended_key_usage') == ['client'] else 0x0e, *recs))

# fuzz_crl: every record is a CRL
write('fuzz_crl', 'revoked-pem', rec(CRL | PEM, crls['revoked']))
write('fuzz_crl', 'empty-der', rec(CRL, crls['empty']))
write('fuzz_crl', 'revoked-signed-tbs', rec(CRL | SIGN, der_first(crls['revoked'])))
write('fuzz_crl', 'two-signed-pem', rec(CRL | SIGN | PEM, der_first(crls['empty']))
      + rec(CRL | SIGN, der_first(crls['revoked'])))
write('fuzz_crl', 'gencerts-crl-pem',
      rec(CRL, rd(os.path.join(gc, 'intermediate.crl.pem'))))
