#!/bin/bash
# Static checks, enforced by CI:
#  1. cppcheck over lib/ cli/ testcerts/ tests/support/ (warning,
#     performance and portability checks, inconclusive ones included, with
#     the POSIX library model); any finding fails;
#  2. the whole tree built with -Werror (TLSDIAG_WERROR=ON) by gcc at -O0
#     (Debug) and at the default -O2 (RelWithDebInfo: some warnings, such
#     as -Wdangling-pointer, need the optimiser), and by clang, tests and
#     fuzz harnesses included (the clang build is the fuzz configuration,
#     so the harnesses are compiled too). The project's warning set
#     (CMakeLists.txt TD_WARNINGS) includes -Wconversion.
# usage: tests/lint.sh
# Build trees: build-lint-gcc, build-lint-gcc-O2, build-lint-clang
# (TLSDIAG_LINT_BUILD prefix).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${TLSDIAG_LINT_BUILD:-build-lint}
status=0

echo "== cppcheck $(cppcheck --version | awk '{print $2}')"
# The POSIX model only: gnu.cfg models accept4(fd, NULL, NULL, flags) as a
# NULL dereference. Suppressions, each a false positive of cppcheck 2.10
# (keep the list short; prefer an inline "// cppcheck-suppress id" with a
# reason next to the code):
#  - invalidFunctionArg in hsts_list.c: cppcheck's POSIX model requires
#    mmap()'s fd >= 0, but MAP_ANONYMOUS takes -1 (as POSIX says it may).
#  - readdirCalled: cppcheck asks for readdir_r(), which glibc deprecated
#    (2.24); readdir() is safe when a stream is used by one thread.
suppress=(
  --suppress=invalidFunctionArg:lib/hsts_list.c
  --suppress=readdirCalled
)
if ! cppcheck --enable=warning,performance,portability --inconclusive \
    --library=posix --std=c11 -D_GNU_SOURCE -D__GNUC__ --inline-suppr \
    "${suppress[@]}" -I include -I lib -I cli -I testcerts -I tests/support \
    --error-exitcode=1 --quiet -j"$(nproc)" \
    --template='{file}:{line}: {severity}/{id}: {message}' \
    lib cli testcerts tests/support; then
  echo "cppcheck: findings above" >&2
  status=1
fi

werror_build() { # CC DIR BUILD_TYPE [cmake args...]
  local cc=$1 dir=$2 type=$3
  shift 3
  echo "== -Werror build with $cc, $type ($dir)"
  cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE="$type" \
    -DTLSDIAG_WERROR=ON "$@" >/dev/null
  if ! cmake --build "$dir" -j"$(nproc)" >"$dir.log" 2>&1; then
    grep -E 'error|warning' "$dir.log" | head -40 >&2
    echo "-Werror build with $cc failed (log: $dir.log)" >&2
    status=1
  fi
}
werror_build gcc "$prefix-gcc" Debug
werror_build gcc "$prefix-gcc-O2" RelWithDebInfo
werror_build clang "$prefix-clang" Debug -DTLSDIAG_FUZZ=ON

if [ $status -eq 0 ]; then echo "lint: clean"; fi
exit $status
