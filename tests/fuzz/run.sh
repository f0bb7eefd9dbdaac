#!/bin/bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan, leak checking) in
# build-fuzz and runs each one on its seed corpus for SECONDS (default 30),
# except fuzz_verify and fuzz_crl, which get 3 x SECONDS: they keep whole
# allocation stacks (see below): 2.3k and 6k executions in 30 s in CI. With
# 18 harnesses the default run takes 16 x 30 + 2 x 90 = 660 s (11 minutes)
# plus the build; the total is printed before the run. Prints the executions
# of each. Fails (exit 1) if any harness crashes, leaks, trips a sanitizer,
# breaks one of its properties or takes over 10 s on one input; the input
# is kept in build-fuzz/fuzz-artifacts/. A harness that does not build
# fails the run before any is run (the compiler's error is shown).
#
# usage: tests/fuzz/run.sh [SECONDS] [HARNESS...]
#   TLSDIAG_FUZZ_BUILD   build directory (default build-fuzz)
#   TLSDIAG_FUZZ_SEED    libFuzzer's random seed (default 1; 0: a new one
#                        each run). A fixed seed makes the run a
#                        regression check that replays the same inputs on
#                        the same code, so a finding in CI is found again
#                        by the same command on any machine; explore with 0
#                        and longer times.
#   CC                   the clang to use (default clang)
#
# The seed corpora in tests/fuzz/corpus/ are only read: new inputs go to a
# temporary directory that is deleted afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-30}
shift || true
case $secs in
  '' | *[!0-9]*) echo "run.sh: SECONDS must be a whole number" >&2; exit 2 ;;
esac
build=${TLSDIAG_FUZZ_BUILD:-build-fuzz}
cc=${CC:-clang}
seed=${TLSDIAG_FUZZ_SEED:-1}
case $seed in
  '' | *[!0-9]*) echo "run.sh: TLSDIAG_FUZZ_SEED must be a whole number" >&2; exit 2 ;;
esac

if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  harnesses=()
  for f in tests/fuzz/fuzz_*.c; do
    harnesses+=("$(basename "$f" .c)")
  done
fi

cmake -S . -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTLSDIAG_FUZZ=ON -DTLSDIAG_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${harnesses[@]}" >/dev/null

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds per harness: the slow two get three times as long.
secs_for() {
  case $1 in fuzz_verify | fuzz_crl) echo $((secs * 3)) ;; *) echo "$secs" ;; esac
}
total=0
for h in "${harnesses[@]}"; do total=$((total + $(secs_for "$h"))); done
echo "run.sh: ${#harnesses[@]} harnesses, ${total} s of fuzzing in all, seed $seed"

failed=0
printf '%-18s %12s %8s  %s\n' harness executions exec/s result
for h in "${harnesses[@]}"; do
  seeds="tests/fuzz/corpus/$h"
  [ -d "$seeds" ] || { echo "run.sh: no seed corpus $seeds" >&2; exit 2; }
  mkdir -p "$work/$h"
  dict=()
  [ -f "tests/fuzz/$h.dict" ] && dict=(-dict="tests/fuzz/$h.dict")
  log="$artifacts/$h.log"
  # -timeout: one input may take at most 10 s (a hang is a finding);
  # -rss_limit_mb: memory is bounded too.
  # Harnesses that reach GnuTLS's own chain verification keep whole
  # allocation stacks, so tests/lsan.supp can name the GnuTLS frame of a
  # leak inside GnuTLS (fast unwinding stops at GnuTLS's first frame).
  unwind=
  case $h in fuzz_verify | fuzz_crl) unwind=:fast_unwind_on_malloc=0 ;; esac
  set +e
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1$unwind \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/$h" -max_total_time="$(secs_for "$h")" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -seed="$seed" \
    -artifact_prefix="$artifacts/$h-" "${dict[@]}" "$work/$h" "$seeds" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
  if [ $rc -eq 0 ]; then
    result=ok
  else
    result="FAILED (exit $rc, see $log)"
    failed=1
  fi
  printf '%-18s %12s %8s  %s\n' "$h" "${execs:-?}" "${rate:-?}" "$result"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|runtime error|property failed|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
  fi
done
exit $failed
