#!/bin/bash
# The threaded tests under ThreadSanitizer: every test program that starts
# threads (the loopback test servers of tests/support run on threads, and
# test_embed's worker pool calls the library from four threads at once).
# Configures ./build-tsan with clang and -DTLSDIAG_SANITIZE=thread, builds,
# runs them; any TSan report, in a test or in a CLI it runs, fails the run.
# Suppressions (tests/tsan.supp) only for races inside GnuTLS, nettle and
# c-ares themselves.
# usage: tests/tsan.sh            (about 3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
dir=${TLSDIAG_TSAN_BUILD:-build-tsan}
tests='test_multi|test_sweep|test_embed|test_cli|test_check|test_support'
tests+='|test_diagnose|test_anatomy|test_hostile_server|test_hostile_dns'
tests+='|test_hostile_cert|test_hsts_e2e|test_hsts_update'
tests+='|test_sweep_scale|test_aia'

echo "== ThreadSanitizer build ($dir/)"
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug \
  -DTLSDIAG_SANITIZE=thread >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# log_path: reports from the CLI children of test_cli land in files too,
# so a child's race fails this run even where the test ignores its stderr.
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4\
:suppressions=$src/tests/tsan.supp:log_path=$logs/tsan"
# clang 14's TSan cannot map its shadow memory under a high ASLR entropy
# (vm.mmap_rnd_bits > 28 on newer kernels): run without randomisation.
run=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null
then
  run=(setarch "$(uname -m)" -R)
fi

echo "== threaded tests under TSan"
status=0
# ctest-checked.sh: failures, no tests and unexpected skips fail too.
"${run[@]}" bash tests/ctest-checked.sh "$dir" -R "^($tests)\$" || status=$?
if compgen -G "$logs/tsan*" >/dev/null; then
  echo "== ThreadSanitizer reports"
  cat "$logs"/tsan*
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "tsan.sh: FAILED"
  exit 1
fi
echo "tsan.sh: no ThreadSanitizer report"
