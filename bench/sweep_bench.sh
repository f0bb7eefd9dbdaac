#!/bin/bash
# sweep_bench.sh [BUILD_DIR] [VALID_TARGETS=2000]
#
# Sweep throughput of `tlsdiag sweep` against nginx on loopback, compared
# with `curl --parallel --parallel-max 64 -I` on the same list, a
# sequential gnutls-cli loop on a 200-target sample, and the raw limit: full
# GnuTLS handshakes client+server in one process (bench/sweep_rawhs.c).
#
# The fleet (all on 127.0.0.1, high ports, stopped at exit):
#  - nginx from Debian (installed when missing: nginx-light, else nginx),
#    not a daemon, generated config, NGINX_PORTS ports (default 10); on each
#    the default server is *.wild.tlsdiag.test (the test PKI's wildcard
#    certificate, ECDSA P-256 under the test intermediate), plus server
#    blocks for expired.tlsdiag.test, wrong-host.tlsdiag.test (its
#    certificate names only other.example) and soon.tlsdiag.test (expires in
#    10 days);
#  - VALID_TARGETS names hN.wild.tlsdiag.test spread over the ports, each a
#    distinct host:port, plus the three error names on every port;
#  - 4 targets on a listener that never accepts (backlog full: the first
#    connections hang in TLS, the rest in TCP) and 2 on a closed port.
# Every name is pinned with --resolve (curl: the same pins), every tool
# trusts only the test root, --connect-timeout 1 and --max-time 10 for all.
# The silent targets come first in the list so that their timeout overlaps
# the work, for every tool alike.
#
# Printed: targets/s and peak RSS of the sweep at --concurrency 64 and at
# 1000 (the 64 MB target is for 1000 in flight), lost targets (every target
# must have exactly one output record, with the expected cause), curl's
# rate and the ratio, gnutls-cli's rate on 200 targets and the ratio, the
# raw limit and tlsdiag's fraction of it. Targets (issue 5): >= 2x curl,
# >= 60% of the raw limit, < 64 MB at 1000 in flight, nothing lost.
#
# BUILD_DIR defaults to <src>/build-bench if it exists, else <src>/build;
# a Release build is what the figures are meant for:
#   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2
# Environment: NGINX_WORKERS (default 1: one core for the server, one for
# the client on a 2-core machine), RAW_SECONDS (default 3), JOBS (the
# sweep's --jobs, default 1),
# TLSDIAG_BENCH_ENFORCE=1 makes a missed target exit 3 (default: report).
# Exit: 0 done, 1 setup error, 2 a run failed or lost targets, 3 missed
# target with TLSDIAG_BENCH_ENFORCE=1.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
if [ $# -ge 1 ] && [ -n "$1" ]; then build=$1
elif [ -x "$src/build-bench/cli/tlsdiag" ]; then build=$src/build-bench
else build=$src/build; fi
nvalid=${2:-2000}
nports=${NGINX_PORTS:-10}
workers=${NGINX_WORKERS:-1}
raw_s=${RAW_SECONDS:-3}

die() { echo "sweep_bench: $*" >&2; exit 1; }
[[ $nvalid =~ ^[0-9]+$ ]] && ((nvalid >= 200 && nvalid <= 20000)) ||
  die "VALID_TARGETS must be in 200..20000 (got '$nvalid')"
[[ $nports =~ ^[0-9]+$ ]] && ((nports >= 1 && nports <= 50)) || die "NGINX_PORTS in 1..50"
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory '$1'"
tlsdiag=$build/cli/tlsdiag
gencerts=$build/testcerts/tlsdiag-gencerts
[ -x "$tlsdiag" ] || die "$tlsdiag not found: build the project first"
[ -x "$gencerts" ] || die "$gencerts not found"
command -v python3 >/dev/null || die "python3 is needed (peak RSS, silent listener)"

# ---- tools (Debian packages) -------------------------------------------
apt_install() { # best effort, quiet; the service must not start
  command -v apt-get >/dev/null || return 1
  local prc=/usr/sbin/policy-rc.d made=
  if [ ! -e $prc ]; then printf '#!/bin/sh\nexit 101\n' >$prc; chmod +x $prc; made=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1 || {
    apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" >/dev/null 2>&1; }
  local rc=$?
  [ -n "$made" ] && rm -f $prc
  return $rc
}
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "installing nginx-light..." >&2
  apt_install nginx-light || apt_install nginx || die "cannot install nginx"
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
command -v curl >/dev/null || apt_install curl || die "curl missing"
command -v gnutls-cli >/dev/null || apt_install gnutls-bin || die "gnutls-cli missing (gnutls-bin)"

tmp=$(mktemp -d /tmp/tlsdiag-sweep-bench-XXXXXX)
nginx_pid= silent_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
  [ -n "$silent_pid" ] && kill "$silent_pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    { [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; } || break
    sleep 0.2
  done
  [ -n "$nginx_pid" ] && kill -9 "$nginx_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# Free loopback ports: bound once by python, then released.
free_ports() {
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# ---- certificates and nginx ---------------------------------------------
"$gencerts" "$tmp/certs" >/dev/null || die "tlsdiag-gencerts failed"
read -r -a ports <<<"$(free_ports $((nports + 2)))"
silent_port=${ports[$nports]}
closed_port=${ports[$((nports + 1))]}
ports=("${ports[@]:0:$nports}")

conf=$tmp/nginx.conf
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp"
{
  echo "daemon off; master_process on; worker_processes $workers;"
  echo "pid $tmp/nginx/nginx.pid; error_log $tmp/nginx/logs/error.log warn;"
  echo "worker_rlimit_nofile 16384;"
  echo "events { worker_connections 8192; multi_accept on; }"
  echo "http {"
  echo "  access_log off; client_body_temp_path $tmp/nginx/tmp/body;"
  echo "  proxy_temp_path $tmp/nginx/tmp/proxy; fastcgi_temp_path $tmp/nginx/tmp/fcgi;"
  echo "  uwsgi_temp_path $tmp/nginx/tmp/uwsgi; scgi_temp_path $tmp/nginx/tmp/scgi;"
  echo "  ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off; ssl_session_cache off;"
  echo "  keepalive_timeout 5;"
  for case_name in wildcard expired wrong_host expiring_soon; do
    case $case_name in
      wildcard) names='*.wild.tlsdiag.test' ;;
      expired) names=expired.tlsdiag.test ;;
      wrong_host) names=wrong-host.tlsdiag.test ;;
      expiring_soon) names=soon.tlsdiag.test ;;
    esac
    echo "  server {"
    for p in "${ports[@]}"; do
      if [ $case_name = wildcard ]; then
        echo "    listen 127.0.0.1:$p ssl default_server backlog=4096;"
      else
        echo "    listen 127.0.0.1:$p ssl;"
      fi
    done
    echo "    server_name $names;"
    echo "    ssl_certificate $tmp/certs/$case_name.chain.pem;"
    echo "    ssl_certificate_key $tmp/certs/$case_name.key.pem;"
    echo "    location / { return 200 \"ok\\n\"; }"
    echo "  }"
  done
  echo "}"
} >"$conf"
"$nginx_bin" -t -q -p "$tmp/nginx" -c "$conf" 2>"$tmp/nginx-t.log" ||
  { cat "$tmp/nginx-t.log" >&2; die "nginx rejected the generated config"; }
"$nginx_bin" -p "$tmp/nginx" -c "$conf" 2>>"$tmp/nginx/logs/error.log" &
nginx_pid=$!

# A listener that never accepts: backlog 1, so two connections complete TCP
# and then hear nothing, the others' SYNs are dropped.
python3 - "$silent_port" <<'EOF' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
deadline = time.time() + 900   # bounded: never outlives a run
while time.time() < deadline: time.sleep(1)
EOF
silent_pid=$!

for _ in $(seq 1 50); do # wait for nginx
  if (exec 3<>/dev/tcp/127.0.0.1/${ports[0]}) 2>/dev/null; then break; fi
  sleep 0.1
done
(exec 3<>/dev/tcp/127.0.0.1/${ports[0]}) 2>/dev/null || die "nginx did not start"

# ---- the target list ------------------------------------------------------
list=$tmp/targets.txt pins=$tmp/pins.txt curlcfg=$tmp/curl.cfg
expect=$tmp/expect.txt # host:port<TAB>cause
: >"$list"; : >"$pins"; : >"$expect"
add() { # host port cause
  echo "$1:$2" >>"$list"
  echo "$1:$2:127.0.0.1" >>"$pins"
  printf '%s:%s\t%s\n' "$1" "$2" "$3" >>"$expect"
}
for i in 1 2 3 4; do add "silent$i.wild.tlsdiag.test" "$silent_port" timeout; done
for i in 1 2; do add "closed$i.wild.tlsdiag.test" "$closed_port" tcp_refused; done
for ((i = 0; i < nvalid; i++)); do
  add "h$i.wild.tlsdiag.test" "${ports[$((i % nports))]}" ok
done
for p in "${ports[@]}"; do
  add expired.tlsdiag.test "$p" cert_expired
  add wrong-host.tlsdiag.test "$p" cert_hostname_mismatch
  add soon.tlsdiag.test "$p" ok
done
ntargets=$(wc -l <"$list")
resolve_args=()
while read -r pin; do resolve_args+=(--resolve "$pin"); done <"$pins"
{
  while read -r pin; do echo "resolve = \"$pin\""; done <"$pins"
  while read -r t; do
    echo "url = \"https://$t/\""
    echo "output = \"/dev/null\""
  done <"$list"
} >"$curlcfg"

# ---- measuring ------------------------------------------------------------
# run_measured OUT ERR CMD...: prints "seconds maxrss_kb exit cpu_s" of CMD
# (cpu_s: user + system time of CMD and its children).
run_measured() {
  local out=$1 err=$2; shift 2
  python3 - "$out" "$err" "$@" <<'EOF'
import resource, subprocess, sys, time
out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(out, "wb") as o, open(err, "wb") as e:
    rc = subprocess.call(cmd, stdout=o, stderr=e, timeout=600)
el = time.monotonic() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f %d %d %.3f" % (el, ru.ru_maxrss, rc, ru.ru_utime + ru.ru_stime))
EOF
}

sweep_args=(sweep -q --no-progress --cacert "$tmp/certs/root.pem" --connect-timeout 1
  --max-time 10 "${resolve_args[@]}")
# Every target is on 127.0.0.1: no per-address limit here (the default of
# 4 would measure the limit). One engine unless JOBS says otherwise, so
# that the CPU per target compares with the figures of one core; builds
# without these options (before issue 15) run as they are.
if "$tlsdiag" sweep --help 2>&1 | grep -q -- --per-ip; then
  sweep_args+=(--per-ip 0 --jobs "${JOBS:-1}")
fi

# Warm-up (page cache, nginx workers), not timed.
head -n 50 "$list" | tail -n 40 >"$tmp/warm.txt"
"$tlsdiag" "${sweep_args[@]}" "$tmp/warm.txt" >/dev/null 2>&1 || true

lost_check() { # jsonl -> prints "records lost wrong"
  python3 - "$1" "$expect" <<'EOF'
import json, sys
want = {}
for line in open(sys.argv[2]):
    t, c = line.rstrip("\n").split("\t"); want[t] = c
seen, wrong = {}, 0
for line in open(sys.argv[1]):
    j = json.loads(line)
    t = "%s:%d" % (j["target"]["host"], j["target"]["port"])
    seen[t] = seen.get(t, 0) + 1
    c = want.get(t)
    ok = c == j["cause"] or (c == "timeout" and j["cause"] in ("tls_timeout", "tcp_timeout"))
    wrong += 0 if ok else 1
lost = sum(1 for t in want if seen.get(t, 0) != 1)
print(sum(seen.values()), lost, wrong)
EOF
}

echo "sweep_bench: $ntargets targets ($nvalid valid on $nports nginx ports, 30 expired/wrong-host/soon, 4 silent, 2 refused); nginx workers: $workers; $(nproc) cores"
failed=0
read -r t64 rss64 rc64 cpu64 < <(run_measured "$tmp/sweep64.jsonl" "$tmp/sweep64.err" \
  "$tlsdiag" "${sweep_args[@]}" --concurrency 64 "$list")
read -r rec64 lost64 wrong64 < <(lost_check "$tmp/sweep64.jsonl")
rate64=$(python3 -c "print('%.1f' % ($ntargets / $t64))")
cpt64=$(python3 -c "print('%.3f' % ($cpu64 * 1000 / $ntargets))")
echo "tlsdiag sweep  --concurrency 64:   $ntargets targets in ${t64}s = $rate64 targets/s, $cpt64 ms CPU/target, peak RSS $((rss64 / 1024)) MB, exit $rc64; records $rec64, lost $lost64, wrong cause $wrong64"
group=$(python3 -c "
import json,sys
for l in open('$tmp/sweep64.jsonl'):
    j=json.loads(l)
    if j['cause']=='ok' and j['tls']['group']: print(j['tls']['group']); break
" || echo X25519)
((lost64 == 0 && wrong64 == 0)) || failed=1

read -r t1k rss1k rc1k cpu1k < <(run_measured "$tmp/sweep1k.jsonl" "$tmp/sweep1k.err" \
  "$tlsdiag" "${sweep_args[@]}" --concurrency 1000 "$list")
read -r rec1k lost1k wrong1k < <(lost_check "$tmp/sweep1k.jsonl")
rate1k=$(python3 -c "print('%.1f' % ($ntargets / $t1k))")
cpt1k=$(python3 -c "print('%.3f' % ($cpu1k * 1000 / $ntargets))")
echo "tlsdiag sweep  --concurrency 1000: $ntargets targets in ${t1k}s = $rate1k targets/s, $cpt1k ms CPU/target, peak RSS $((rss1k / 1024)) MB, exit $rc1k; records $rec1k, lost $lost1k, wrong cause $wrong1k"
((lost1k == 0 && wrong1k == 0)) || failed=1

# curl: the same list, the same pins and trust store, HEAD, 64 in parallel.
read -r tc rssc rcc cpuc < <(run_measured "$tmp/curl.out" "$tmp/curl.err" \
  curl --parallel --parallel-max 64 -I -s --cacert "$tmp/certs/root.pem" \
  --connect-timeout 1 --max-time 10 -w '%{http_code}\n' --config "$curlcfg")
curl_lines=$(wc -l <"$tmp/curl.out")
curl_ok=$(grep -c '^200$' "$tmp/curl.out" || true)
ratec=$(python3 -c "print('%.1f' % ($ntargets / $tc))")
cptc=$(python3 -c "print('%.3f' % ($cpuc * 1000 / $ntargets))")
echo "curl --parallel --parallel-max 64: $ntargets targets in ${tc}s = $ratec targets/s, $cptc ms CPU/target (HTTP 200 for $curl_ok, $curl_lines results), peak RSS $((rssc / 1024)) MB"

# gnutls-cli, one process per target, sequentially, on a 200-target sample
# of the valid ones (handshake and verification only: it sends no request).
sample=$tmp/sample.txt
nresp=$(grep -cv -e '^silent' -e '^closed' "$list")
grep -v -e '^silent' -e '^closed' "$list" | awk -v step=$((nresp / 200)) 'NR % step == 0' |
  head -n 200 >"$sample"
nsample=$(wc -l <"$sample")
tg0=$(date +%s.%N); gfail=0
while IFS=: read -r h p; do
  gnutls-cli --x509cafile "$tmp/certs/root.pem" --sni-hostname "$h" --verify-hostname "$h" \
    -p "$p" 127.0.0.1 </dev/null >/dev/null 2>&1 || gfail=$((gfail + 1))
done <"$sample"
tg1=$(date +%s.%N)
rateg=$(python3 -c "print('%.1f' % ($nsample / ($tg1 - $tg0)))")
echo "gnutls-cli sequential:             $nsample targets in $(python3 -c "print('%.3f' % ($tg1 - $tg0))")s = $rateg targets/s ($gfail refused by verification)"

# The raw limit.
rawbin=$build/bench/sweep_rawhs
if [ ! -x "$rawbin" ]; then
  rawbin=$tmp/sweep_rawhs
  cc -O2 -o "$rawbin" "$here/sweep_rawhs.c" $(pkg-config --cflags --libs gnutls) ||
    die "cannot build bench/sweep_rawhs.c"
fi
raw=$("$rawbin" "$tmp/certs/wildcard.chain.pem" "$tmp/certs/wildcard.key.pem" \
  "$tmp/certs/root.pem" h1.wild.tlsdiag.test "$raw_s" "$group") || die "sweep_rawhs failed"
rater=$(echo "$raw" | awk '{print $6}')
echo "raw GnuTLS handshakes (client+server, one thread, $group): $raw"

python3 - "$rate64" "$rate1k" "$ratec" "$rateg" "$rater" "$rss1k" <<'EOF' | tee "$tmp/verdict"
import sys
r64, r1k, rc, rg, rr, rss = map(float, sys.argv[1:])
best = max(r64, r1k)
print("ratios: tlsdiag/curl %.2f (target >= 2)   tlsdiag/gnutls-cli %.1f   "
      "tlsdiag/raw %.0f%% (target >= 60%%)   RSS at 1000 in flight %.1f MB (target < 64)"
      % (r64 / rc, r64 / rg, 100 * best / rr, rss / 1024))
miss = [n for n, ok in (("curl", r64 / rc >= 2), ("raw", best / rr >= 0.6),
                        ("rss", rss / 1024 < 64)) if not ok]
print("missed: " + (", ".join(miss) if miss else "none"))
EOF
((failed == 0)) || { echo "sweep_bench: targets lost or wrong causes" >&2; exit 2; }
if [ "${TLSDIAG_BENCH_ENFORCE:-0}" = 1 ] && ! grep -q '^missed: none' "$tmp/verdict"; then exit 3; fi
exit 0
