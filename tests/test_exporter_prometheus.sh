#!/bin/bash
# test_exporter_prometheus: a real Prometheus scrapes `tlsdiag serve` with the
# blackbox-style relabelling (__address__ -> ?target=, the exporter as
# __address__). Two loopback TLS servers: one valid, one with an expired
# certificate. Prometheus's query API must show tlsdiag_check_success 1 and
# 0, and the expired one's cause label cert_expired.
set -euo pipefail
build=$1
src=$2
command -v prometheus >/dev/null ||
  { echo "SKIP: prometheus is not installed (Debian package prometheus)"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
tmp=$(mktemp -d /tmp/tlsdiag-exporter-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

coproc V { exec "$build/tests/tdserve" --root-out "$tmp/root_valid.pem" --case valid --stdin; }
pids+=("$V_PID")
read -r pvalid <&"${V[0]}"
coproc E { exec "$build/tests/tdserve" --root-out "$tmp/root_exp.pem" --case expired --stdin; }
pids+=("$E_PID")
read -r pexp <&"${E[0]}"
[ -n "$pvalid" ] && [ -n "$pexp" ] || { echo "tdserve did not start"; exit 1; }
cat "$tmp/root_valid.pem" "$tmp/root_exp.pem" > "$tmp/ca.pem"

"$build/cli/tlsdiag" serve --listen 127.0.0.1:0 --cacert "$tmp/ca.pem" \
  --resolve "expired.tlsdiag.test:$pexp:127.0.0.1" --allow-target 127.0.0.0/8 \
  >"$tmp/serve.out" 2>"$tmp/serve.err" &
pids+=("$!")
for _ in $(seq 50); do grep -q listening "$tmp/serve.out" && break; sleep 0.1; done
exporter=$(sed -nE 's|listening on http://(.*)/$|\1|p' "$tmp/serve.out")
[ -n "$exporter" ] || { echo "tlsdiag serve did not start"; cat "$tmp/serve.err"; exit 1; }
echo "exporter at $exporter; servers valid :$pvalid, expired :$pexp"

valid_t="localhost:$pvalid"
exp_t="expired.tlsdiag.test:$pexp"
cat > "$tmp/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: tlsdiag
    metrics_path: /probe
    static_configs:
      - targets: ['$valid_t', '$exp_t']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: '$exporter'
  - job_name: tlsdiag_exporter
    static_configs:
      - targets: ['$exporter']
YML
promtool check config "$tmp/prometheus.yml" >/dev/null
# Prometheus binds port 0 itself and the port is read back, as for the
# exporter: a port picked by bind-and-close could be taken by anyone before
# Prometheus binds it (and a query would then reach the wrong server).
# Prometheus 2.x logs 'msg="Listening on" address=127.0.0.1:PORT'; where a
# version does not, ss names the socket its pid listens on.
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="127.0.0.1:0" >"$tmp/prom.log" 2>&1 &
prom_pid=$!
pids+=("$prom_pid")
pport=
for _ in $(seq 300); do # 30 s at most
  kill -0 "$prom_pid" 2>/dev/null ||
    { echo "prometheus exited"; tail -5 "$tmp/prom.log"; exit 1; }
  pport=$(sed -nE 's/.*msg="Listening on" address=127\.0\.0\.1:([0-9]+).*/\1/p' \
    "$tmp/prom.log" | head -n1) || true
  if [ -z "$pport" ] && command -v ss >/dev/null; then
    pport=$(ss -Hltnp 2>/dev/null | grep "pid=$prom_pid," |
      sed -nE 's/.* 127\.0\.0\.1:([0-9]+) .*/\1/p' | head -n1) || true
  fi
  [ -n "$pport" ] && [ "$pport" != 0 ] && break
  pport=
  sleep 0.1
done
[ -n "$pport" ] || { echo "prometheus did not say its port"; tail -5 "$tmp/prom.log"; exit 1; }
echo "prometheus at 127.0.0.1:$pport (pid $prom_pid)"

# A scrape of the exporter's answer must pass promtool's own checks.
curl -sf "http://$exporter/probe?target=$valid_t" > "$tmp/probe.txt"
promtool check metrics < "$tmp/probe.txt" || { echo "promtool check metrics failed"; exit 1; }
curl -sf "http://$exporter/metrics" | promtool check metrics ||
  { echo "promtool check metrics failed on /metrics"; exit 1; }

query() { # PromQL -> "instance value cause" lines
  curl -sf --get "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys
d=json.load(sys.stdin)
for r in d["data"]["result"]:
    m=r["metric"]; print(m.get("instance",""), r["value"][1], m.get("cause",""))'
}
deadline=$((SECONDS + 30))
ok=
while [ $SECONDS -lt $deadline ]; do
  out=$(query 'tlsdiag_check_success' 2>/dev/null || true)
  if grep -q "^$valid_t " <<<"$out" && grep -q "^$exp_t " <<<"$out"; then ok=1; break; fi
  sleep 0.5
done
[ -n "$ok" ] || { echo "Prometheus has no sample for both targets after 30 s"; tail -5 "$tmp/prom.log"; cat "$tmp/serve.err"; exit 1; }
echo "tlsdiag_check_success:"; echo "$out"
grep -qx "$valid_t 1 " <<<"$out" || { echo "valid target not 1"; exit 1; }
grep -qx "$exp_t 0 " <<<"$out" || { echo "expired target not 0"; exit 1; }
cause=$(query "tlsdiag_cause_info{instance=\"$exp_t\"}")
echo "tlsdiag_cause_info: $cause"
grep -qx "$exp_t 1 cert_expired" <<<"$cause" || { echo "expired target: cause not cert_expired"; exit 1; }
up=$(query 'up{job="tlsdiag"}')
[ "$(grep -c ' 1 $' <<<"$up")" = 2 ] || { echo "up is not 1 for both probes: $up"; exit 1; }
lat=$(query 'rate(tlsdiag_exporter_probe_duration_seconds_sum[30s]) / rate(tlsdiag_exporter_probe_duration_seconds_count[30s])')
echo "mean probe duration through the exporter (s): $lat"
dur=$(query 'scrape_duration_seconds{job="tlsdiag"}')
echo "scrape_duration_seconds: $dur"
echo "OK"
