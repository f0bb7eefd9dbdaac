#!/bin/bash
# Runs ctest on one build tree and fails on anything that is not an honest
# pass: a failing test, no tests at all, or a skipped test that
# tests/skips.allow does not allow under the conditions of this machine.
# Every skip is listed with its reason, allowed or not.
#
# usage: tests/ctest-checked.sh BUILD_DIR [ctest args...]
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1
shift

shared_ok() { [ -d ../shared/data ]; }
condition_holds() { # CONDITION
  case $1 in
    no-shared) ! shared_ok ;;
    not-root) [ "$(id -u)" != 0 ] ;;
    no-ipv6) ! ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' ;;
    *) return 1 ;;
  esac
}

# Where this machine allows it (root), the tests run in a network namespace
# of their own with only the loopback interface up: whatever a resolver, a
# certificate's URL or a bug points at, no test can send a packet anywhere
# but this machine.
isolate=()
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  isolate=(unshare -n bash -c 'ip link set lo up && exec "$@"' isolate)
  echo "(tests run in a loopback-only network namespace)"
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
"${isolate[@]}" ctest --test-dir "$build" --no-tests=error --output-on-failure \
  "$@" 2>&1 | tee "$log" || rc=$?

# ctest: "12/29 Test #20: test_limbo .......***Skipped   0.59 sec"
mapfile -t skipped < <(sed -n 's/.*Test *#[0-9]*: \([A-Za-z0-9_]*\) .*\*\*\*Skipped.*/\1/p' "$log" | sort -u)
bad=0
if [ "${#skipped[@]}" -gt 0 ]; then
  echo "== skipped tests in $build"
  for t in "${skipped[@]}"; do
    # The program's own reason (lines "SKIPPED: ..."), from a verbose rerun.
    why=$(ctest --test-dir "$build" -R "^$t\$" -V 2>&1 | grep -E -m3 '^([0-9]+: )?SKIPPED' |
      sed 's/^[0-9]*: //' | tr '\n' ' ')
    allowed=""
    while read -r name cond reason; do
      [ "$name" = "$t" ] || continue
      if condition_holds "$cond"; then allowed="$cond: $reason"; fi
    done < <(grep -v '^#' tests/skips.allow | grep -v '^[[:space:]]*$')
    if [ -n "$allowed" ]; then
      echo "  $t  (allowed, $allowed) ${why}"
    else
      echo "  $t  NOT ALLOWED: ${why:-no reason printed}" >&2
      bad=1
    fi
  done
fi
if [ "$rc" -ne 0 ]; then
  echo "ctest failed in $build (exit $rc)" >&2
  exit 1
fi
if [ "$bad" -ne 0 ]; then
  echo "unexpected skips in $build (tests/skips.allow lists the allowed ones)" >&2
  exit 1
fi
exit 0
