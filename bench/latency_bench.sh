#!/bin/bash
# latency_bench.sh [BUILD_DIR] [TARGETS=1000]
#
# Sweep throughput under emulated latency (issue 15, item 6): `tlsdiag
# sweep` and `curl --parallel` on the same list, in the same network
# namespace and run, with every packet between the clients and their
# servers (TLS and DNS) delayed by a userspace proxy (the kernel here has
# no netem: ../shared/FIELD-NOTES.md).
#
# The namespace (made by the script itself: unshare -n -m, as root; lo up;
# everything in it ends with the script, a trap kills what it started):
#  - nginx from Debian, one worker, on 127.0.0.2:443: *.wild.tlsdiag.test
#    (the test PKI's wildcard certificate, ECDSA P-256 under the test
#    intermediate), `return 200`, no session cache or tickets;
#  - dnsmasq on 127.0.0.2:53: *.wild.tlsdiag.test -> 127.0.0.1 (the proxy),
#    *.silent.tlsdiag.test -> 127.0.0.3, TTL 60;
#  - bench/delayproxy (compiled into a temporary directory) adding
#    DELAY_MS (default 25) each way: TCP 127.0.0.1:443 -> nginx, UDP
#    127.0.0.1:53 -> dnsmasq (RTT 2 x DELAY_MS for every exchange after
#    the TCP handshake, which completes at the proxy), and a listener on
#    127.0.0.3:443 that never accepts (backlog full: blackholed SYNs);
#  - /etc/resolv.conf bind-mounted (in the namespace only) to
#    "nameserver 127.0.0.1", so both tools resolve through the same
#    delayed DNS server: curl through glibc, tlsdiag through c-ares.
# Targets: TARGETS names hN.wild.tlsdiag.test (each a distinct name: one
# DNS query each), plus SILENT_PCT percent (default 5) names
# sN.silent.tlsdiag.test first in the list (so that their timeout overlaps
# the work, for both tools alike). Both tools: IPv4 (-4), the test root
# only, --connect-timeout CONNECT_TIMEOUT (default 2) and --max-time 10,
# HEAD /, IN_FLIGHT (default 256) at once; tlsdiag with --per-ip 0 (every
# target is one proxy address) and, when JOBS is set, --jobs JOBS (unset:
# the tool's default, one engine per processor, as a user runs it; JOBS=1
# for the CPU of one engine).
# ROUNDS (default 3) runs both tools that many times, alternately first
# and second (curl's rate varies by up to a fifth from run to run on a
# shared machine), and prints each round and the medians.
#
# tlsdiag runs with its default DNS look-ahead (each engine resolves up
# to its share of IN_FLIGHT names, at most 256, ahead of its connections:
# at most IN_FLIGHT targets past their lookup at once); DNS_AHEAD=N passes
# --dns-ahead N (DNS_AHEAD=0: the lookup inside the slot, as curl does).
#
# Printed per tool: targets/s, client CPU per target (user+sys of the
# client process / targets), the servers' CPU per target (nginx, dnsmasq
# and the proxy, from /proc, during that tool's run), mean check latency (tlsdiag: the records'
# total_ms; curl: time_total), the Little's-law bound (IN_FLIGHT / mean
# latency) and the fraction of it reached, and tlsdiag's ratio to curl.
# Then the same law over what IN_FLIGHT limits: the time a target holds
# one of the IN_FLIGHT connection slots ("slot lat", "slot bnd/s", "of
# slot"). tlsdiag: total_ms - queued_ms (time held waiting for a slot or
# for --per-ip/--rate), minus the DNS phase's ms when the name was looked
# up ahead (look-ahead on, the default; not with DNS_AHEAD=0). curl:
# time_total (its DNS lookup is inside its slot). With look-ahead the
# whole-check bound understates what tlsdiag can do (its lookups are not
# limited to IN_FLIGHT), so the slot bound is the one to hold it to.
# Targets (issue 15): >= 85% of the bound, >= 2x curl.
#
# BUILD_DIR defaults to <src>/build-bench if it exists, else <src>/build
# (a Release build is what the figures are for). TLSDIAG_BIN=path runs
# another tlsdiag binary (an older build, to compare). DELAY_MS=0 keeps the
# proxy with no delay (CPU per target through a local DNS server).
# KIND=refused: the answering names resolve to 127.0.0.4, where nothing
# listens (every connect refused at once): DNS, connect and the record
# only, no TLS, no silent targets (the CPU of the DNS path, with
# DELAY_MS=0).
# KEEP=DIR keeps the outputs (sweep.jsonl, curl.out, targets.txt) there.
# Exit: 0 done, 1 setup error, 2 a tool lost targets or failed on valid ones.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
die() { echo "latency_bench: $*" >&2; exit 1; }

if [ "${TD_LAT_INSIDE:-}" != 1 ]; then
  [ "$(id -u)" = 0 ] || die "needs root (it makes a network namespace)"
  command -v unshare >/dev/null || die "unshare missing (util-linux)"
  export TD_LAT_INSIDE=1
  exec unshare -n -m --propagation private -- "$0" "$@"
fi

if [ $# -ge 1 ] && [ -n "$1" ]; then build=$1
elif [ -x "$src/build-bench/cli/tlsdiag" ]; then build=$src/build-bench
else build=$src/build; fi
ntargets=${2:-1000}
delay_ms=${DELAY_MS:-25}
inflight=${IN_FLIGHT:-256}
cto=${CONNECT_TIMEOUT:-2}
jobs=${JOBS:-}
dns_ahead=${DNS_AHEAD:-}
[ -z "$dns_ahead" ] || [[ $dns_ahead =~ ^[0-9]+$ ]] || die "DNS_AHEAD is a number"
rounds=${ROUNDS:-3}
[[ $rounds =~ ^[0-9]+$ ]] && ((rounds >= 1 && rounds <= 20)) || die "ROUNDS in 1..20"
kind=${KIND:-https}
[ "$kind" = https ] || [ "$kind" = refused ] || die "KIND is https or refused"
silent_pct=${SILENT_PCT:-5}
[ "$kind" = refused ] && silent_pct=0
[[ $ntargets =~ ^[0-9]+$ ]] && ((ntargets >= 50 && ntargets <= 20000)) ||
  die "TARGETS must be in 50..20000"
[[ $delay_ms =~ ^[0-9]+$ ]] && ((delay_ms <= 1000)) || die "DELAY_MS in 0..1000"
[[ $silent_pct =~ ^[0-9]+$ ]] && ((silent_pct <= 50)) || die "SILENT_PCT in 0..50"
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory '$1'"
tlsdiag=${TLSDIAG_BIN:-$build/cli/tlsdiag}
gencerts=$build/testcerts/tlsdiag-gencerts
[ -x "$tlsdiag" ] || die "$tlsdiag not found: build the project first"
[ -x "$gencerts" ] || die "$gencerts not found"
for t in nginx dnsmasq curl python3 cc ip; do
  command -v $t >/dev/null || [ -x /usr/sbin/$t ] ||
    die "$t missing (Debian: nginx, dnsmasq-base, curl, python3, gcc, iproute2)"
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
dnsmasq_bin=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)

tmp=$(mktemp -d /tmp/tlsdiag-lat-bench-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  umount /etc/resolv.conf 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP" && cp "$tmp"/sweep.jsonl "$tmp"/curl.out "$tmp"/targets.txt "$KEEP"/ 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
ulimit -n 65536 2>/dev/null || ulimit -n 16384 2>/dev/null || true

ip link set lo up

# ---- servers -------------------------------------------------------------
"$gencerts" "$tmp/certs" >/dev/null || die "tlsdiag-gencerts failed"
cc -O2 -o "$tmp/delayproxy" "$here/delayproxy.c" || die "cannot build delayproxy"
mkdir -p "$tmp/nginx/logs" "$tmp/nginx/tmp"
cat >"$tmp/nginx.conf" <<EOF
daemon off; master_process on; worker_processes 1;
pid $tmp/nginx/nginx.pid; error_log $tmp/nginx/logs/error.log warn;
worker_rlimit_nofile 16384;
events { worker_connections 8192; multi_accept on; }
http {
  access_log off; client_body_temp_path $tmp/nginx/tmp/body;
  proxy_temp_path $tmp/nginx/tmp/proxy; fastcgi_temp_path $tmp/nginx/tmp/fcgi;
  uwsgi_temp_path $tmp/nginx/tmp/uwsgi; scgi_temp_path $tmp/nginx/tmp/scgi;
  ssl_protocols TLSv1.2 TLSv1.3; ssl_session_tickets off; ssl_session_cache off;
  keepalive_timeout 5;
  server {
    listen 127.0.0.2:443 ssl default_server backlog=4096;
    server_name *.wild.tlsdiag.test;
    ssl_certificate $tmp/certs/wildcard.chain.pem;
    ssl_certificate_key $tmp/certs/wildcard.key.pem;
    location / { return 200 "ok\n"; }
  }
}
EOF
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx.conf" 2>"$tmp/nginx.err" &
pids+=($!)
"$dnsmasq_bin" -k --conf-file=/dev/null --no-resolv --no-hosts --user=root \
  --listen-address=127.0.0.2 --bind-interfaces --port=53 --local-ttl=60 \
  --address=/wild.tlsdiag.test/127.0.0.1 --address=/silent.tlsdiag.test/127.0.0.3 \
  --address=/refused.tlsdiag.test/127.0.0.4 \
  --pid-file="$tmp/dnsmasq.pid" 2>"$tmp/dnsmasq.err" &
pids+=($!)
half=$delay_ms
"$tmp/delayproxy" "$half" tcp:127.0.0.1:443:127.0.0.2:443 \
  udp:127.0.0.1:53:127.0.0.2:53 hold:127.0.0.3:443 >"$tmp/proxy.out" 2>&1 &
pids+=($!)
printf 'nameserver 127.0.0.1\noptions ndots:1 timeout:2 attempts:2\n' >"$tmp/resolv.conf"
mount --bind "$tmp/resolv.conf" /etc/resolv.conf || die "cannot bind-mount resolv.conf"

for _ in $(seq 50); do
  grep -q ready "$tmp/proxy.out" 2>/dev/null &&
    curl -4 -s -o /dev/null --cacert "$tmp/certs/root.pem" https://h0.wild.tlsdiag.test/ && break
  sleep 0.1
done
curl -4 -sS -o /dev/null --cacert "$tmp/certs/root.pem" https://h0.wild.tlsdiag.test/ ||
  die "setup: curl cannot reach nginx through the proxy ($(cat "$tmp/nginx.err" "$tmp/dnsmasq.err" "$tmp/proxy.out" 2>/dev/null | head -5))"

# ---- the list ---------------------------------------------------------------
nsilent=$((ntargets * silent_pct / 100))
{
  for i in $(seq 1 $nsilent); do echo "s$i.silent.tlsdiag.test"; done
  dom=wild; [ "$kind" = refused ] && dom=refused
  for i in $(seq 1 $ntargets); do echo "h$i.$dom.tlsdiag.test"; done
} >"$tmp/targets.txt"
awk '{print "url = \"https://" $1 "/\"\noutput = \"/dev/null\""}' "$tmp/targets.txt" >"$tmp/curl.cfg"

echo "latency_bench: RTT $((2 * delay_ms)) ms (delay proxy), $ntargets answering + $nsilent silent targets," \
  "$inflight in flight, connect timeout ${cto}s; tlsdiag $("$tlsdiag" --version 2>/dev/null | head -1), $(curl --version | head -1 | cut -d' ' -f1-2)"

# In the background, so that a signal runs the trap at once (bash defers
# it while a foreground child runs); python kills its client on SIGTERM.
python3 - "$tmp" "$tlsdiag" "$inflight" "$cto" "$jobs" "$ntargets" "$nsilent" "$kind" "$rounds" "$dns_ahead" "${pids[@]}" <<'EOF' &
import json, os, resource, signal, statistics, subprocess, sys, time
tmp, tlsdiag, inflight, cto, jobs, nvalid, nsilent, kind, rounds, ahead = sys.argv[1:11]
servers = [int(p) for p in sys.argv[11:]] # nginx master, dnsmasq, proxy
tick = os.sysconf("SC_CLK_TCK")

def server_cpu():
    """user+sys seconds of the servers and their children (nginx's worker)"""
    pids = set(servers)
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                st = open("/proc/%s/stat" % d).read().rsplit(")", 1)[1].split()
                if int(st[1]) in servers: pids.add(int(d))
            except OSError:
                pass
    total = 0
    for p in pids:
        try:
            st = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            total += int(st[11]) + int(st[12])
        except OSError:
            pass
    return total / tick
inflight, nvalid, nsilent = int(inflight), int(nvalid), int(nsilent)
n = nvalid + nsilent

child = None
def on_term(signum, frame):
    if child: child.kill()
    sys.exit(128 + signum)
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

def run(argv, out):
    global child
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    s0 = server_cpu()
    t0 = time.monotonic()
    with open(out, "w") as f:
        child = subprocess.Popen(argv, stdout=f, stderr=subprocess.DEVNULL)
        child.wait()
        p, child = child, None
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    srv.append(server_cpu() - s0)
    return p.returncode, wall, cpu

srv = []
jobs_args = ["--jobs", jobs] if jobs else []
ahead_args = ["--dns-ahead", ahead] if ahead else []
looked_ahead = ahead != "0" # the default is on

def run_tlsdiag():
    rc, wall, cpu = run([tlsdiag, "sweep", "-q", "--no-progress"] + jobs_args +
                        ahead_args +
                        ["--concurrency", str(inflight), "--per-ip", "0",
                         "--cacert", tmp + "/certs/root.pem", "-4",
                         "--connect-timeout", cto, "--max-time", "10",
                         tmp + "/targets.txt"], tmp + "/sweep.jsonl")
    lat, slot, ok = [], [], 0
    for line in open(tmp + "/sweep.jsonl"):
        d = json.loads(line)
        if "total_ms" not in d: continue
        lat.append(d["total_ms"] / 1000.0)
        # the time it held one of the IN_FLIGHT slots (the header says why)
        held = d["total_ms"] - d.get("queued_ms", 0)
        if looked_ahead:
            held -= d.get("phases", {}).get("dns", {}).get("ms", 0)
        slot.append(held / 1000.0)
        ok += d.get("cause") == ("ok" if kind == "https" else "tcp_refused")
    return (wall, cpu, lat, slot, ok, len(lat), srv[-1])

def run_curl():
    rc, wall, cpu = run(["curl", "--parallel", "--parallel-max", str(inflight), "-4",
                         "-I", "-s", "--cacert", tmp + "/certs/root.pem",
                         "--connect-timeout", cto, "--max-time", "10",
                         "-w", "%{time_total} %{http_code}\n",
                         "-K", tmp + "/curl.cfg"], tmp + "/curl.out")
    lat, ok = [], 0
    for line in open(tmp + "/curl.out"):
        f = line.split()
        if len(f) != 2: continue
        lat.append(float(f[0]))
        ok += f[1] == ("200" if kind == "https" else "000")
    return (wall, cpu, lat, lat, ok, len(lat), srv[-1]) # DNS in the slot

tools = [("tlsdiag sweep", run_tlsdiag), ("curl --parallel", run_curl)]
print("tlsdiag DNS look-ahead: %s" % (
      "off (--dns-ahead 0)" if not looked_ahead else
      "--dns-ahead " + ahead if ahead else "on (default)"))
print("%-5s %-16s %8s %9s %9s %10s %9s %8s %8s %10s %9s %10s %7s" % ("round",
      "client", "records", "ok(200)" if kind == "https" else "refused",
      "targets/s", "cpu ms/tgt", "mean lat", "bound/s", "of bound",
      "srv ms/tgt", "slot lat", "slot bnd/s", "of slot"))
rows = {name: [] for name, _ in tools}
bad = 0
for rnd in range(int(rounds)):
    # alternate which tool goes first, so that drift favours neither
    order = tools if rnd % 2 == 0 else tools[::-1]
    for name, fn in order:
        wall, cpu, lat, slot, ok, nrec, scpu = fn()
        mean = sum(lat) / len(lat) if lat else float("nan")
        bound = inflight / mean if lat else float("nan")
        smean = sum(slot) / len(slot) if slot else float("nan")
        sbound = inflight / smean if slot else float("nan")
        rate = n / wall
        rows[name].append((rate, 1000 * cpu / n, mean, bound, scpu, sbound))
        print("%-5d %-16s %8d %9d %9.1f %10.3f %7.0f ms %8.1f %7.0f%% %10.3f"
              " %6.0f ms %10.1f %6.0f%%" % (
            rnd + 1, name, nrec, ok, rate, 1000 * cpu / n, 1000 * mean, bound,
            100 * rate / bound, 1000 * scpu / n, 1000 * smean, sbound,
            100 * rate / sbound), flush=True)
        if nrec != n or ok != nvalid: bad = 1
med = lambda xs: statistics.median(xs)
ratios = [t[0] / c[0] for t, c in zip(rows["tlsdiag sweep"], rows["curl --parallel"])]
for name, _ in tools:
    r = rows[name]
    print("median %-16s %9.1f targets/s %7.3f cpu ms/tgt %5.0f%% of bound"
          " %5.0f%% of slot bound" % (
        name, med([x[0] for x in r]), med([x[1] for x in r]),
        100 * med([x[0] / x[3] for x in r]),
        100 * med([x[0] / x[5] for x in r])))
print("tlsdiag / curl throughput per round: %s; median %.2fx"
      "   (targets: >= 85%% of the bound, >= 2x curl)" % (
      " ".join("%.2fx" % x for x in ratios), med(ratios)))
if bad: print("latency_bench: a tool lost targets or failed on answering ones", file=sys.stderr)
sys.exit(2 if bad else 0)
EOF
pypid=$!
pids=("$pypid" "${pids[@]}") # the clients first when interrupted
rc=0
wait "$pypid" || rc=$?
exit $rc
