#!/bin/bash
# test_json_schema: every JSON record tlsdiag writes, from real runs against
# loopback servers, validated with a real JSON Schema validator (Debian
# python3-jsonschema, Draft 2020-12 with format checks) against
# docs/schema/tlsdiag.schema.json: `demo --json` (every diagnosis), a sweep
# with failing targets, --summary and an interrupted sweep (cancelled
# records), `verify --json` over the test PKI, `check --json` and
# `hsts preload-check --json`. Also: the
# checked-in schema is what docs/schema/gen_schema.py makes (causes come
# from lib/cause.c), and the earliest expiry ignores a cross-signed root
# sent after the path (the AddTrust false alarm).
set -euo pipefail
build=$1
src=$2
td=$build/cli/tlsdiag
schema=$src/docs/schema/tlsdiag.schema.json
check="python3 $src/tests/tools/json_schema_check.py $schema"
tmp=$(mktemp -d /tmp/tlsdiag-schema-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

python3 -c 'import jsonschema' 2>/dev/null ||
  fail "python3-jsonschema is not installed (apt-get install python3-jsonschema)"

# 1. The checked-in schema is up to date with its generator and cause.c.
python3 - "$src" "$schema" <<'PY' || fail "tlsdiag.schema.json is stale: run python3 docs/schema/gen_schema.py"
import json, sys, importlib.util
spec = importlib.util.spec_from_file_location("g", sys.argv[1] + "/docs/schema/gen_schema.py")
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
with open(sys.argv[2], encoding="utf-8") as f:
    sys.exit(0 if json.load(f) == g.schema else 1)
PY

# 2. The schema can fail: a record with a missing key and one with an
# unknown key, a Unix time and an unknown cause are each rejected.
"$td" demo --json >"$tmp/demo.jsonl" || fail "demo did not give every expected cause"
[ "$(wc -l <"$tmp/demo.jsonl")" -ge 28 ] || fail "demo wrote too few records"
head -1 "$tmp/demo.jsonl" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
muts = []
a = dict(d); del a["expiry"]; muts.append(a)
b = json.loads(json.dumps(d)); b["tls"]["bogus"] = 1; muts.append(b)
c = json.loads(json.dumps(d)); c["time"]["now"] = 1767225600; muts.append(c)
e = json.loads(json.dumps(d)); e["cause"] = "no_such_cause"; muts.append(e)
f = json.loads(json.dumps(d)); f["time"]["now"] = "2026-13-45T99:00:00Z"; muts.append(f)
for m in muts: print(json.dumps(m))
' >"$tmp/bad.jsonl"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  printf '%s\n' "$line" >"$tmp/one.jsonl"
  if $check check "$tmp/one.jsonl" >/dev/null; then fail "mutant $n passed the schema"; fi
done <"$tmp/bad.jsonl"
[ "$n" = 5 ] || fail "expected 5 mutants, got $n"

# 3. demo --json: every diagnosis.
$check check "$tmp/demo.jsonl" || fail "demo --json"
$check - "$tmp/demo.jsonl" >/dev/null || fail "demo --json against the root"

# 4. Loopback servers, one per case, with their roots in one bundle.
start() { # CASE
  coproc SRV { exec "$build/tests/tdserve" --root-out "$tmp/root-$1.pem" --case "$1" --stdin; }
  pids+=("$SRV_PID")
  local port
  read -r port <&"${SRV[0]}"
  [ -n "$port" ] || fail "tdserve $1 did not start"
  eval "port_$1=$port"
  # keep the server's stdin open: its write end stays with this shell
  exec {fd}>&"${SRV[1]}"
}
start valid; start expired; start wrong_host
cat "$tmp"/root-*.pem >"$tmp/roots.pem"
# A port that refuses: bound (so no other socket of this machine can take
# it while the test runs) but never listening.
python3 -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(3600)
' >"$tmp/refused.port" &
pids+=("$!")
for _ in $(seq 600); do [ -s "$tmp/refused.port" ] && break; sleep 0.1; done
refused=$(cat "$tmp/refused.port")
[ -n "$refused" ] || fail "no refusing port"
# A server that accepts TCP and never speaks TLS: a check of it stays in
# flight until the sweep is interrupted.
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' >"$tmp/silent.port" &
pids+=("$!")
for _ in $(seq 600); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
silent=$(cat "$tmp/silent.port")
[ -n "$silent" ] || fail "silent server did not start"

pins=(--resolve "valid.tlsdiag.test:$port_valid:127.0.0.1"
      --resolve "expired.tlsdiag.test:$port_expired:127.0.0.1"
      --resolve "wrong-host.tlsdiag.test:$port_wrong_host:127.0.0.1")
cat >"$tmp/targets.txt" <<T
valid.tlsdiag.test:$port_valid
expired.tlsdiag.test:$port_expired
wrong-host.tlsdiag.test:$port_wrong_host
127.0.0.1:$refused
T

# 5. A sweep with failing targets and the summary.
rc=0
"$td" sweep -q --summary --cacert "$tmp/roots.pem" "${pins[@]}" \
  "$tmp/targets.txt" >"$tmp/sweep.jsonl" || rc=$?
[ "$rc" = 2 ] || fail "sweep exit $rc, want 2"
grep -v '^{"summary"' "$tmp/sweep.jsonl" >"$tmp/sweep-records.jsonl"
grep '^{"summary"' "$tmp/sweep.jsonl" >"$tmp/sweep-summary.jsonl"
[ "$(wc -l <"$tmp/sweep-records.jsonl")" = 4 ] || fail "sweep: want 4 records"
$check check "$tmp/sweep-records.jsonl" || fail "sweep records"
$check sweep_summary "$tmp/sweep-summary.jsonl" || fail "sweep summary"
$check - "$tmp/sweep.jsonl" >/dev/null || fail "sweep against the root"
python3 - "$tmp/sweep.jsonl" <<'PY' || fail "sweep contents"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
summ = recs[-1]["summary"]
causes = sorted(r["cause"] for r in recs[:-1])
assert causes == ["cert_expired", "cert_hostname_mismatch", "ok", "tcp_refused"], causes
assert summ["causes"] == {"ok": 1, "tcp_refused": 1, "cert_expired": 1,
                          "cert_hostname_mismatch": 1}, summ["causes"]
exp = {r["target"]["host"]: r["expiry"] for r in recs[:-1]}
assert exp["127.0.0.1"] is None
e = exp["expired.tlsdiag.test"]
assert e["earliest"]["chain_index"] == 0 and e["earliest"]["days_left"] == -10, e
assert e["leaf"] == e["earliest"] and e["verified_path"] is True and e["path_length"] == 2, e
# the soonest expiry first, as an ISO 8601 time equal to the record's
soon = summ["soonest_expiries"][0]
assert soon["target"].startswith("expired.tlsdiag.test:"), soon
assert soon["not_after"] == e["earliest"]["not_after"], (soon, e)
assert soon["days_left"] == -10
PY

# 5b. Bad lines: a bad_line record each, valid against its definition.
printf '%s\n' "valid.tlsdiag.test:$port_valid" 'exa mple.test' 'x..y.test' \
  "$(printf 'ctl\001\377')" >"$tmp/bad-lines.txt"
rc=0
"$td" sweep -q --cacert "$tmp/roots.pem" "${pins[@]}" "$tmp/bad-lines.txt" \
  >"$tmp/bad-sweep.jsonl" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "sweep with bad lines: exit $rc, want 1"
grep '"record":"bad_line"' "$tmp/bad-sweep.jsonl" >"$tmp/bad-lines.jsonl" || fail "no bad_line record"
[ "$(wc -l <"$tmp/bad-lines.jsonl")" = 3 ] || fail "want 3 bad_line records"
$check sweep_bad_line "$tmp/bad-lines.jsonl" || fail "bad_line records"
$check - "$tmp/bad-sweep.jsonl" >/dev/null || fail "sweep with bad lines against the root"

# 6. An interrupted sweep: the silent target is cancelled.
printf '%s\n' "valid.tlsdiag.test:$port_valid" "127.0.0.1:$silent" >"$tmp/slow.txt"
"$td" sweep -q --summary --cacert "$tmp/roots.pem" "${pins[@]}" \
  --connect-timeout 60 --max-time 60 "$tmp/slow.txt" >"$tmp/int.jsonl" &
sw=$!
# (bounded at 60 s: a loaded or sanitizer build is slow to get there)
for _ in $(seq 600); do grep -q valid "$tmp/int.jsonl" 2>/dev/null && break; sleep 0.1; done
kill -INT "$sw"
rc=0; wait "$sw" || rc=$?
[ "$rc" = 130 ] || fail "interrupted sweep exit $rc, want 130"
grep '"record":"cancelled"' "$tmp/int.jsonl" >"$tmp/cancelled.jsonl" || fail "no cancelled record"
grep '^{"summary"' "$tmp/int.jsonl" >"$tmp/int-summary.jsonl"
$check sweep_cancelled "$tmp/cancelled.jsonl" || fail "cancelled record"
$check sweep_summary "$tmp/int-summary.jsonl" || fail "interrupted summary"
grep -q '"cancelled":1,"interrupted_by":"SIGINT"' "$tmp/int-summary.jsonl" || fail "summary lacks the cancellation"
$check - "$tmp/int.jsonl" >/dev/null || fail "interrupted sweep against the root"

# 7. check --json: a success, a certificate error, a refused port.
for t in "valid.tlsdiag.test:$port_valid" "expired.tlsdiag.test:$port_expired" "127.0.0.1:$refused"; do
  "$td" check --json --cacert "$tmp/roots.pem" "${pins[@]}" "$t" >>"$tmp/check.jsonl" || true
done
# and one whose destination a --connect-to rule moved (target.connect_to)
"$td" check --json --cacert "$tmp/roots.pem" \
  --connect-to "valid.tlsdiag.test:443:127.0.0.1:$port_valid" valid.tlsdiag.test \
  >>"$tmp/check.jsonl" || true
grep -q '"connect_to":{"rule":"valid.tlsdiag.test:443:127.0.0.1:' "$tmp/check.jsonl" ||
  fail "check --json: no target.connect_to"
[ "$(wc -l <"$tmp/check.jsonl")" = 4 ] || fail "check --json: want 4 records"
$check check "$tmp/check.jsonl" || fail "check --json"

# 7b. hsts preload-check --json: a malformed domain, and a domain whose
# https:// port refuses (the TLS rule fails, the rest is skipped).
"$td" hsts preload-check --json 127.0.0.1 >"$tmp/preload.jsonl" || true
"$td" hsts preload-check --json --connect-to "preload.example:443:127.0.0.1:$refused" \
  preload.example >>"$tmp/preload.jsonl" || true
[ "$(wc -l <"$tmp/preload.jsonl")" = 2 ] || fail "preload-check --json: want 2 records"
$check preload_check "$tmp/preload.jsonl" || fail "preload-check --json"

# 8. verify --json over the whole test PKI.
"$build/testcerts/tlsdiag-gencerts" "$tmp/pki" >/dev/null
"$td" verify --json --cacert "$tmp/pki/root.pem" --host localhost "$tmp/pki" \
  >"$tmp/verify.jsonl" 2>/dev/null || true
[ "$(grep -c . "$tmp/verify.jsonl")" -ge 20 ] || fail "verify --json: too few records"
$check verify_record "$tmp/verify.jsonl" || fail "verify --json"

# 9. AddTrust: the server also sends a cross-signed copy of the root, issued
# by another CA, that expires in 2 days. The path ends at the trusted root:
# 3 days on, the chain is fine and the earliest expiry is the leaf's.
p=$tmp/pki
openssl x509 -in "$p/root.pem" -pubkey -noout >"$tmp/rootpub.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=Old Root" -keyout "$tmp/old.key" -out "$tmp/old.pem" -days 3650 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$tmp/ext.cnf"
subj=$(openssl x509 -in "$p/root.pem" -noout -subject -nameopt compat | sed 's/^subject=//')
openssl x509 -new -force_pubkey "$tmp/rootpub.pem" -subj "$subj" -CA "$tmp/old.pem" \
  -CAkey "$tmp/old.key" -days 2 -extfile "$tmp/ext.cnf" -out "$tmp/cross.pem" 2>/dev/null
cat "$p/valid.chain.pem" "$tmp/cross.pem" >"$tmp/addtrust.pem"
at=$(date -u -d '+3 days' +%Y-%m-%dT%H:%M:%SZ)
"$td" verify --json --at "$at" --cacert "$p/root.pem" --host localhost \
  "$tmp/addtrust.pem" >"$tmp/addtrust.jsonl" || fail "AddTrust chain: verify failed"
$check verify_record "$tmp/addtrust.jsonl" || fail "AddTrust record"
python3 - "$tmp/addtrust.jsonl" "$at" <<'PY' || fail "AddTrust contents"
import json, sys
from datetime import datetime
d = json.loads(open(sys.argv[1]).read())
def when(s):
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
# GnuTLS, verifying the chain as sent, follows the extra root to its
# unknown issuer (3.7.9 does so before and after it expires): only the
# two-verdicts warning, never a date finding.
assert d["cause"] == "ok", d["cause"]
assert [(f["code"], f["severity"]) for f in d["findings"]] == [
    ("cert_path_browser_only", "warning")], d["findings"]
ev = d["findings"][0]["evidence"]
assert ev["why"] == "cross_sign_path" and ev["strict_status"] == 66, ev
v = d["tls"]["verify"]
assert v["browser"] == {"ok": True, "reason": None}, v["browser"]
assert v["strict"]["ok"] is False and v["strict"]["status"] == 66, v["strict"]
assert len(d["chain"]) == 3 and d["chain"][2]["issuer"] == "CN=Old Root"
assert d["chain"][2]["days_left"] < 0  # the extra certificate has expired
e = d["expiry"]
assert e["verified_path"] and e["path_length"] == 2, e
# whole days from --at to the leaf's end, truncated: 86 or 87 by whether a
# second ticked between making the leaf (now + 90 d) and reading the clock
days = int((when(e["earliest"]["not_after"]) - when(sys.argv[2])).total_seconds() // 86400)
assert days in (86, 87), days
assert e["earliest"]["chain_index"] == 0 and e["earliest"]["days_left"] == days, e
PY
"$td" verify --format prometheus --at "$at" --cacert "$p/root.pem" --host localhost \
  "$tmp/addtrust.pem" >"$tmp/addtrust.prom"
leaf=$(sed -n 's/^tlsdiag_cert_expiry_seconds{.*cert="leaf"} //p' "$tmp/addtrust.prom")
path=$(sed -n 's/^tlsdiag_cert_expiry_seconds{.*cert="path_earliest"} //p' "$tmp/addtrust.prom")
[ -n "$leaf" ] && [ "$leaf" = "$path" ] || fail "prometheus path_earliest $path, leaf $leaf"
grep -q 'index="2".*on_path="false"' "$tmp/addtrust.prom" || fail "the cross-signed root is on_path"
echo "json schema test passed"
