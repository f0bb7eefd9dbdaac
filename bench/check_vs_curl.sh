#!/bin/bash
# check_vs_curl.sh [BUILD_DIR] [RUNS=100]
#
# Overhead of one `tlsdiag check` against one `curl -I` doing the same
# request (same loopback server, same trust store, same pinned address,
# HEAD / over HTTPS). Both are timed as whole processes, interleaved
# (curl, tlsdiag, curl, tlsdiag, ...) so that drift hits both alike, and the
# wall-time ratio tlsdiag/curl is printed. Target: <= 1.0.
#
# BUILD_DIR defaults to <src>/build-bench if it exists, else <src>/build;
# it must hold cli/tlsdiag and tests/tdserve. A Release build is what the
# figures in bench/README.md were measured with:
#   cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2
#
# Environment: WARMUP (default 5 runs of each tool, not timed),
# TLSDIAG_BENCH_ENFORCE=1 makes a missed target exit 3 (default: report only),
# CC (compiler for the timing helper, default cc).
# Exit: 0 done, 1 setup error (missing tool, server did not start),
# 2 a run failed, 3 target missed with TLSDIAG_BENCH_ENFORCE=1.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
if [ $# -ge 1 ] && [ -n "$1" ]; then
  build=$1
elif [ -x "$src/build-bench/cli/tlsdiag" ]; then
  build=$src/build-bench
else
  build=$src/build
fi
runs=${2:-100}
warmup=${WARMUP:-5}

die() { echo "check_vs_curl: $*" >&2; exit 1; }

[[ $runs =~ ^[0-9]+$ ]] && ((runs >= 1 && runs <= 100000)) ||
  die "RUNS must be an integer in 1..100000 (got '$runs')"
[[ $warmup =~ ^[0-9]+$ ]] && ((warmup <= 1000)) ||
  die "WARMUP must be an integer in 0..1000 (got '$warmup')"
build_arg=$build
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory '$build_arg'"
tlsdiag=$build/cli/tlsdiag
tdserve=$build/tests/tdserve
[ -x "$tlsdiag" ] || die "$tlsdiag not found: build the project first"
[ -x "$tdserve" ] || die "$tdserve not found: configure with TLSDIAG_BUILD_TESTS=ON and build"
curl_bin=$(command -v curl) ||
  die "curl is not installed: it is the reference this benchmark compares against (Debian: apt-get install curl)"

tmp=$(mktemp -d /tmp/tlsdiag-bench-XXXXXX)
srv_pid=
srv_w=
cleanup() {
  # Closing tdserve's stdin stops it (--stdin); kill it if it lingers.
  if [ -n "$srv_pid" ]; then
    [ -n "$srv_w" ] && { exec {srv_w}>&-; } 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$srv_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill "$srv_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- the clock -------------------------------------------------------------
# A tiny helper (bench/nstime.c) times each process with CLOCK_MONOTONIC at
# ns resolution, from just before posix_spawn() to just after waitpid().
# Without a C compiler, fall back to bash's $EPOCHREALTIME (wall clock, us).
clock_desc=
if "${CC:-cc}" -O2 -o "$tmp/nstime" "$here/nstime.c" 2>"$tmp/cc.err"; then
  clock_desc="CLOCK_MONOTONIC, ns (bench/nstime.c: posix_spawn .. waitpid)"
  timed() { # timed OUTFILE CMD...: run, append elapsed ns, keep exit status
    "$tmp/nstime" "$@"
  }
else
  clock_desc="bash \$EPOCHREALTIME, us (no C compiler for bench/nstime.c)"
  timed() {
    local out=$1 s e rc=0
    shift
    s=${EPOCHREALTIME/[.,]/}
    "$@" || rc=$?
    e=${EPOCHREALTIME/[.,]/}
    echo "$(((e - s) * 1000))" >>"$out"
    return $rc
  }
fi

# ---- the server ------------------------------------------------------------
root=$tmp/root.pem
coproc SRV { exec "$tdserve" --root-out "$root" --case valid --stdin; }
srv_pid=$SRV_PID
srv_w=${SRV[1]}
port=
read -r -t 30 port <&"${SRV[0]}" || true
[[ $port =~ ^[0-9]+$ ]] || die "tdserve did not start (no port printed)"
[ -s "$root" ] || die "tdserve wrote no root certificate"

host=valid.tlsdiag.test
pin=$host:$port:127.0.0.1
curl_cmd=("$curl_bin" -sS -o /dev/null -I --cacert "$root" --resolve "$pin"
          "https://$host:$port/")
td_cmd=("$tlsdiag" check --cacert "$root" --resolve "$pin" "$host:$port")

# ---- environment -----------------------------------------------------------
curl_ver=$("$curl_bin" --version | head -1)
curl_tls=$(grep -o '\(OpenSSL\|GnuTLS\|wolfSSL\|mbedTLS\|BoringSSL\|LibreSSL\|NSS\|rustls\)/[^ ]*' <<<"$curl_ver" | head -1 || true)
gnutls_ver=$(dpkg-query -W -f '${Version}' libgnutls30 2>/dev/null || echo unknown)
cpu=$(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
echo "== tlsdiag check vs curl -I: $runs interleaved runs each (after $warmup warm-up runs each)"
echo "date      $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "curl      $curl_ver"
echo "          curl's TLS library is ${curl_tls:-unknown}; tlsdiag uses GnuTLS $gnutls_ver"
[[ $curl_tls == OpenSSL/* ]] &&
  echo "          (Debian 12's curl is OpenSSL-based: the two tools use different TLS stacks)"
echo "tlsdiag   $("$tlsdiag" version) ($tlsdiag, build type ${build_type:-unknown})"
echo "machine   nproc=$(nproc), ${cpu:-unknown cpu}, kernel $(uname -r)"
echo "clock     $clock_desc"
echo "server    tdserve (case valid) on 127.0.0.1:$port (TCP_NODELAY, as nginx)"
echo "curl cmd  curl -sS -o /dev/null -I --cacert ROOT --resolve $pin https://$host:$port/"
echo "td cmd    tlsdiag check --cacert ROOT --resolve $pin $host:$port  >/dev/null"

# ---- sanity and warm-up ----------------------------------------------------
# The reference must really get an answer (curl -I exits 0 on any HTTP
# status), and tlsdiag must report the check as ok.
code=$("$curl_bin" -sS -o /dev/null -w '%{http_code} %{http_version}' -I \
  --cacert "$root" --resolve "$pin" "https://$host:$port/") ||
  die "curl cannot fetch https://$host:$port/ (see above)"
[[ $code == "200 1.1" ]] || die "curl got '$code', expected HTTP/1.1 200"
"${td_cmd[@]}" >"$tmp/td.out" 2>&1 || { cat "$tmp/td.out" >&2; die "tlsdiag check failed"; }
for ((i = 0; i < warmup; i++)); do
  "${curl_cmd[@]}" 2>/dev/null || die "curl warm-up run $i failed"
  "${td_cmd[@]}" >/dev/null 2>&1 || die "tlsdiag warm-up run $i failed"
done

# ---- the measurement -------------------------------------------------------
: >"$tmp/curl.ns"
: >"$tmp/td.ns"
run_one() { # run_one NAME NSFILE CMD...: one timed run that must exit 0
  local name=$1 ns=$2 rc=0
  shift 2
  timed "$ns" "$@" >/dev/null 2>"$tmp/err" || rc=$?
  if ((rc != 0)); then
    echo "check_vs_curl: $name run $((i + 1)) of $runs failed (exit $rc):" >&2
    sed 's/^/  /' "$tmp/err" >&2
    exit 2
  fi
}
for ((i = 0; i < runs; i++)); do
  run_one curl "$tmp/curl.ns" "${curl_cmd[@]}"
  run_one tlsdiag "$tmp/td.ns" "${td_cmd[@]}"
done

# ---- statistics ------------------------------------------------------------
# stats FILE -> "median mean p90 min max slow" in ms (p90: nearest rank;
# slow: how many runs took more than 3x the fastest one, which is how
# stalls such as a 40 ms delayed ACK show up).
stats() {
  sort -n "$1" | awk '
    { v[NR] = $1; s += $1 }
    END {
      n = NR
      med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
      k = int(0.9 * n); if (k < 0.9 * n) k++; if (k < 1) k = 1
      slow = 0
      for (i = 1; i <= n; i++) if (v[i] > 3 * v[1]) slow++
      printf "%.3f %.3f %.3f %.3f %.3f %d\n", med / 1e6, s / n / 1e6, v[k] / 1e6, v[1] / 1e6, v[n] / 1e6, slow
    }'
}
read -r c_med c_mean c_p90 c_min c_max c_slow < <(stats "$tmp/curl.ns")
read -r t_med t_mean t_p90 t_min t_max t_slow < <(stats "$tmp/td.ns")
echo
printf '%-8s %6s %11s %11s %11s %11s %11s %8s\n' tool runs median mean p90 min max '>3x min'
printf '%-8s %6d %8s ms %8s ms %8s ms %8s ms %8s ms %8d\n' curl "$runs" "$c_med" "$c_mean" "$c_p90" "$c_min" "$c_max" "$c_slow"
printf '%-8s %6d %8s ms %8s ms %8s ms %8s ms %8s ms %8d\n' tlsdiag "$runs" "$t_med" "$t_mean" "$t_p90" "$t_min" "$t_max" "$t_slow"
r_med=$(awk -v a="$t_med" -v b="$c_med" 'BEGIN { printf "%.3f", a / b }')
r_mean=$(awk -v a="$t_mean" -v b="$c_mean" 'BEGIN { printf "%.3f", a / b }')
r_p90=$(awk -v a="$t_p90" -v b="$c_p90" 'BEGIN { printf "%.3f", a / b }')
echo
echo "ratio tlsdiag/curl: median $r_med, mean $r_mean (p90 $r_p90)"
met=$(awk -v m="$r_med" -v a="$r_mean" 'BEGIN { print (m <= 1.0 && a <= 1.0) ? "MET" : "NOT MET" }')
echo "target <= 1.0 (median and mean): $met"
((runs >= 50)) || echo "note: the acceptance criterion asks for at least 50 runs"
if [ "$met" != MET ] && [ "${TLSDIAG_BENCH_ENFORCE:-0}" = 1 ]; then
  exit 3
fi
exit 0
