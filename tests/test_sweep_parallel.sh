#!/bin/bash
# test_sweep_parallel: the GNU parallel recipe of docs/sweep.md spreads one
# sweep over N workers with --shard K/N, and the merged output has exactly
# one record per target, each with the cause one sweep gives it. Locally:
# the workers are processes here (the docs add --sshlogin for machines).
# Needs GNU parallel (Debian package `parallel`; moreutils' `parallel` is a
# different program): exit 77 (skipped) without it.
set -euo pipefail
build=$1
cli=$build/cli/tlsdiag
tdserve=$build/tests/tdserve
if ! parallel --version 2>/dev/null | grep -q 'GNU parallel'; then
  echo "GNU parallel is not installed (apt-get install parallel)"
  exit 77
fi
tmp=$(mktemp -d)
srv_pid=
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A valid server (its certificate covers 127.0.0.1 and valid.tlsdiag.test)
# and a closed port; 40 names on the server (a name mismatch each), the
# right name and the IP (valid), 10 names on the closed port (refused).
mkfifo "$tmp/in"
"$tdserve" --root-out "$tmp/root.pem" --case valid --stdin <"$tmp/in" >"$tmp/port" &
srv_pid=$!
exec 3>"$tmp/in" # tdserve runs while this stays open
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(head -n 1 "$tmp/port")
[[ $port =~ ^[0-9]+$ ]] || { echo "FAIL: tdserve did not start"; exit 1; }
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
args=(--cacert "$tmp/root.pem" --connect-timeout 2 --max-time 10 -q)
: >"$tmp/list"
for i in $(seq 40); do
  echo "n$i.tlsdiag.test:$port" >>"$tmp/list"
  args+=(--resolve "n$i.tlsdiag.test:$port:127.0.0.1")
done
for i in $(seq 10); do
  echo "c$i.tlsdiag.test:$closed" >>"$tmp/list"
  args+=(--resolve "c$i.tlsdiag.test:$closed:127.0.0.1")
done
echo "valid.tlsdiag.test:$port" >>"$tmp/list"
echo "127.0.0.1:$port" >>"$tmp/list"
args+=(--resolve "valid.tlsdiag.test:$port:127.0.0.1")
ntargets=$(wc -l <"$tmp/list")

# The recipe (docs/sweep.md): one job per shard, each its own file, merged.
N=4
parallel --jobs "$N" --halt never \
  "'$cli' sweep ${args[*]@Q} --shard {}/$N '$tmp/list' >'$tmp/shard-{}.jsonl'" \
  ::: $(seq "$N") || true # a shard with an error finding exits 2
cat "$tmp"/shard-*.jsonl >"$tmp/merged.jsonl"

# One sweep of the whole list, for the expected causes.
"$cli" sweep "${args[@]}" "$tmp/list" >"$tmp/one.jsonl" || true

python3 - "$tmp/merged.jsonl" "$tmp/one.jsonl" "$ntargets" "$N" "$tmp" <<'PY'
import glob, json, sys
merged, one, n, shards, tmp = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def records(path):
    out = {}
    for line in open(path):
        j = json.loads(line)
        k = "%s:%d" % (j["target"]["host"], j["target"]["port"])
        out.setdefault(k, []).append(j["cause"])
    return out
m, o = records(merged), records(one)
bad = [k for k, v in m.items() if len(v) != 1]
assert not bad, "targets with more than one record: %s" % bad
assert len(m) == n, "merged: %d targets, want %d" % (len(m), n)
assert m == o, "the shards disagree with one sweep: %s" % (set(m.items()) ^ set(o.items()))
causes = sorted(v[0] for v in m.values())
assert causes.count("ok") == 2, causes
assert causes.count("cert_hostname_mismatch") == 40, causes
assert causes.count("tcp_refused") == 10, causes
nonempty = sum(1 for p in glob.glob(tmp + "/shard-*.jsonl") if open(p).read())
assert nonempty == shards, "only %d of %d shards got targets" % (nonempty, shards)
print("ok: %d targets over %d shards, one record each" % (n, shards))
PY
