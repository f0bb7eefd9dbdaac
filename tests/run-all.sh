#!/bin/bash
# Runs the whole test suite: the tests on the normal build (./build, made by
# the README's first command); the static checks (cppcheck, -Werror with gcc
# and clang); every libFuzzer harness for a bounded time; and last the
# tests again on a build with AddressSanitizer, UndefinedBehaviorSanitizer
# and LeakSanitizer (./build-asan), where any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || { echo "run the README's first command first (no ./build)"; exit 1; }
echo "== tests (build/)"
ctest --test-dir build --output-on-failure
echo "== static checks: cppcheck, -Werror with gcc and clang"
bash tests/lint.sh
echo "== fuzzing: each libFuzzer harness for 30 s"
bash tests/fuzz/run.sh 30
echo "== tests under ASan + UBSan + LSan (build-asan/)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTLSDIAG_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$(nproc)" >/dev/null
# The install test builds outside consumers; they would need the sanitizer
# runtime too, and it runs on the normal build already.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -E '^test_install$'
