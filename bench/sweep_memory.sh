#!/bin/bash
# sweep_memory.sh [BUILD_DIR] [SWEEP_TARGETS=100000] [SWEEP_IN_FLIGHT=256]
#
# Memory of a sweep (issue 15 item 5; targets: 10,000 in flight <= 256 MB
# peak RSS, a 100,000-target sweep against loopback with no RSS growth
# after warm-up). Runs bench/sweep_memory (build it first:
# `cmake --build BUILD_DIR --target sweep_memory`) three ways:
#   parts 1000    the big items of one check, 1000 of each, heap per item
#                 (GnuTLS session with the priorities parsed per session
#                 and per engine, the key schedule capture after the
#                 ClientHello, the check and result structs, a c-ares
#                 channel during DNS);
#   stall 10000   10,000 checks in flight at once against a listener (in a
#                 forked child, so its memory is not counted) that accepts
#                 and never answers: every check has sent its ClientHello
#                 (the child counts them) and waits for the ServerHello;
#                 heap and RSS per check, peak RSS;
#   sweep M C     M checks, C in flight, of a TLS 1.3 tdserver (forked
#                 child), HEAD / -> 200, names pinned; RSS, heap and peak
#                 sampled every M/20 checks; growth after warm-up (10%).
# RLIMIT_NOFILE is raised by the program (run as root for 10,000).
# Then it prints the baseline: the same program on the tree before the
# memory work (commit 1e493f4), for comparison.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
build=${1:-$src/build}
m=${2:-100000}
c=${3:-256}
bin=$build/bench/sweep_memory
[ -x "$bin" ] || { echo "sweep_memory.sh: no $bin (cmake --build $build --target sweep_memory)" >&2; exit 1; }

echo "== the big items"
"$bin" parts 1000
echo
echo "== 10,000 in flight"
"$bin" stall 10000
echo
echo "== $m checks, $c in flight"
"$bin" sweep "$m" "$c"
cat <<'EOF'

== baseline: the same program before the memory work (commit 1e493f4,
   Debug build, 2026-12-04, 2 vCPU shared with other jobs)
parts: GnuTLS session after its ClientHello 20224 B (priorities parsed per
       session; 11928 B with the engine's), key schedule capture after the
       ClientHello 22192 B, struct tlsdiag_result 3240 B, td_check 664 B,
       c-ares channel + query 76067 B
stall 10000: 49034 B/check heap, 35456 B/check RSS, peak 344.0 MiB
EOF
