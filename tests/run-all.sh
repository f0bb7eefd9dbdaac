#!/bin/bash
# Runs the whole test suite: the tests on the normal build (./build, made by
# the README's first command); the static checks (cppcheck, -Werror with gcc
# at -O0 and -O2 and with clang); every libFuzzer harness for a bounded
# time; the tests again on a build with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer (./build-asan); and the
# threaded and engine tests under ThreadSanitizer (./build-tsan).
#
# Every step must pass; a skipped test counts only where tests/skips.allow
# allows it on this machine (tests/ctest-checked.sh). In CI (CI=true) the
# real data in ../shared is required.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build ] || { echo "run the README's first command first (no ./build)" >&2; exit 1; }
if [ "${CI:-}" = true ] && [ ! -d ../shared/data ]; then
  echo "CI needs ../shared/data (x509-limbo, the HSTS preload list) beside the checkout" >&2
  exit 1
fi

steps=()
step() { # NAME COMMAND...
  local name=$1 start rc=0
  shift
  echo
  echo "== $name"
  start=$(date +%s)
  "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "FAILED: $name (exit $rc)" >&2
    exit 1
  fi
  steps+=("$(printf '%-48s %5d s' "$name" $(($(date +%s) - start)))")
}

asan_build() {
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTLSDIAG_SANITIZE=ON >/dev/null &&
    cmake --build build-asan -j"$(nproc)" >build-asan.log 2>&1 ||
    { tail -30 build-asan.log >&2; return 1; }
}
asan_tests() {
  # Upper time bounds in tests scale with TD_TIME_SCALE, which
  # tests/CMakeLists.txt sets for sanitizer builds (lower bounds stay).
  # The install test builds outside consumers, which would need the
  # sanitizer runtime too; it runs on the normal build already.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    bash tests/ctest-checked.sh build-asan -E '^test_install$'
}

step "tests (build/)" bash tests/ctest-checked.sh build
step "static checks: cppcheck, -Werror gcc -O0/-O2, clang" bash tests/lint.sh
step "fuzzing: every libFuzzer harness" bash tests/fuzz/run.sh 30
step "build with ASan + UBSan + LSan (build-asan/)" asan_build
step "tests under ASan + UBSan + LSan" asan_tests
step "threaded and engine tests under TSan (build-tsan/)" bash tests/tsan.sh

echo
echo "== all steps passed"
printf '  %s\n' "${steps[@]}"
