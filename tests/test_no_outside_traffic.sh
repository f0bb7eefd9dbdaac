#!/bin/bash
# test_no_outside_traffic: the offline demo (every diagnosis, each on its
# own local server) sends nothing off this machine: no DNS query to the
# system resolver, no connection to an address a certificate names. strace
# records every connect/send; any address outside 127.0.0.0/8 and ::1
# fails the test. (The suite itself runs in a loopback-only network
# namespace where it can; the demo also runs outside one, in CI step 1.)
set -uo pipefail
build=$1
command -v strace >/dev/null ||
  { echo "strace is not installed (Debian package strace)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# LeakSanitizer cannot run under ptrace; leaks are the other tests' job.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
  timeout 120 strace -f -qq -e trace=connect,sendto,sendmsg,sendmmsg \
  -o "$tmp/trace" "$build/cli/tlsdiag" demo >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || { echo "demo failed under strace (exit $rc)"; tail -5 "$tmp/out"; exit 1; }
grep -q 'cases, .* as expected' "$tmp/out" || { echo "demo did not finish"; exit 1; }
n=$(grep -cE 'sin6?_addr' "$tmp/trace")
[ "$n" -gt 20 ] || { echo "strace saw only $n addressed calls: not tracing?"; exit 1; }
outside=$(grep -E 'sin6?_addr' "$tmp/trace" |
  grep -vE 'inet_addr\("127\.|inet_pton\(AF_INET6, "::1"' || true)
if [ -n "$outside" ]; then
  echo "the demo sent traffic off this machine:"
  echo "$outside" | head -10
  exit 1
fi
echo "demo: $n connect/send calls, all to loopback"
