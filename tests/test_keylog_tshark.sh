#!/bin/bash
# test_keylog_tshark: capture one check on loopback with tshark while
# tlsdiag writes its key log, then let tshark decrypt the capture with that
# key log: the HTTP request line must be visible. Needs root (capture) and
# tshark; reports itself skipped (77) without them.
set -euo pipefail
build=$1
tmp=$(mktemp -d /tmp/tlsdiag-keylog-XXXXXX)
srv= cap=
cleanup() {
  [ -n "$cap" ] && kill "$cap" 2>/dev/null || true
  [ -n "$srv" ] && kill "$srv" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
if ! command -v tshark >/dev/null || [ "$(id -u)" != 0 ]; then
  echo "SKIPPED: needs tshark and root to capture on loopback"
  exit 77
fi
coproc SRV { exec "$build/tests/tdserve" --root-out "$tmp/root.pem" --case valid --stdin; }
srv=$SRV_PID
read -r port <&"${SRV[0]}"
[ -n "$port" ] || { echo "tdserve did not start"; exit 1; }

# Capture only this server's port, on loopback only; stop by itself.
tshark -i lo -f "tcp port $port" -a duration:20 -w "$tmp/cap.pcapng" \
  >"$tmp/tshark.log" 2>&1 &
cap=$!
for _ in $(seq 100); do
  grep -q "Capturing on" "$tmp/tshark.log" && break
  sleep 0.1
done
grep -q "Capturing on" "$tmp/tshark.log" || { cat "$tmp/tshark.log"; exit 1; }
sleep 0.5 # the capture filter is attached once the message is printed

"$build/cli/tlsdiag" check --keylog "$tmp/keylog.txt" --method GET --path /decrypt-me \
  --cacert "$tmp/root.pem" --resolve "valid.tlsdiag.test:$port:127.0.0.1" \
  "valid.tlsdiag.test:$port" >/dev/null
sleep 1
kill -INT "$cap"
wait "$cap" || true
cap=

# Without the key log, the request is not visible; with it, it is.
plain=$(tshark -r "$tmp/cap.pcapng" -Y http -T fields -e http.request.line 2>/dev/null || true)
[ -z "$plain" ] || { echo "request visible without the key log: $plain"; exit 1; }
line=$(tshark -r "$tmp/cap.pcapng" -o "tls.keylog_file:$tmp/keylog.txt" \
  -Y http.request -T fields -e http.request.method -e http.request.uri 2>/dev/null)
echo "decrypted: $line"
case "$line" in
  *GET*/decrypt-me*) echo "keylog test passed" ;;
  *) echo "the decrypted capture lacks the request line"; exit 1 ;;
esac
