#!/bin/bash
# test_preload_check: `tlsdiag hsts preload-check DOMAIN` against real nginx
# servers configured as sites are (`return 301 https://$host$request_uri;`
# on the plain port, `add_header Strict-Transport-Security ...` on the TLS
# one), one pair of loopback ports per scenario, ports 443 and 80 of the
# domain (and 443 of www) mapped there by --connect-to. Every rule passes
# once and fails once; each run asserts the exit status, the exact set of
# issue codes with their levels, and the verdict of the rule concerned.
# Needs nginx, openssl and python3 (Debian: nginx, openssl, python3).
set -euo pipefail
build=$1
src=$2
cli=$build/cli/tlsdiag
for tool in nginx openssl python3; do
  command -v $tool >/dev/null || [ -x /usr/sbin/$tool ] ||
    { echo "FAIL: $tool is not installed"; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
tmp=$(mktemp -d /tmp/tlsdiag-preload-XXXXXX)
# A fresh user: no cache of `hsts update`, no list in the environment.
export HOME="$tmp" XDG_CACHE_HOME="$tmp/cache"
unset TLSDIAG_HSTS_LIST TLSDIAG_HSTS_BUILTIN
ngx_pid=
hold_pid=
cleanup() {
  local rc=$?
  set +e
  [ -n "$ngx_pid" ] && kill "$ngx_pid" 2>/dev/null && wait "$ngx_pid" 2>/dev/null
  [ -n "$hold_pid" ] && kill "$hold_pid" 2>/dev/null && wait "$hold_pid" 2>/dev/null
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
D=preload.example

# ---- PKI: a root, leaves for the domain and for www (SHA-256), one leaf
# signed with SHA-1, and a root nobody trusts.
cd "$tmp"
ca() { # NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.pem" -days 30 -subj "/CN=$1" \
    -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
leaf() { # NAME CA DIGEST SAN...
  local name=$1 issuer=$2 md=$3
  shift 3
  local san
  san=$(printf 'DNS:%s,' "$@")
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$name.key" -out "$name.csr" -subj "/CN=$1" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "${san%,}" >"$name.ext"
  openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" \
    -CAcreateserial -days 20 "-$md" -extfile "$name.ext" -out "$name.pem" 2>/dev/null
}
ca root
ca other
leaf site root sha256 "$D"
leaf www root sha256 "www.$D"
leaf sha1 root sha1 "$D"
leaf untrusted other sha256 "$D"

# ---- ports: nginx's, and one that refuses (held bound, never listening).
ports=($(python3 -c '
import socket
ss = [socket.socket() for _ in range(60)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))'))
next_port=0
port() { echo "${ports[$next_port]}"; }
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True); time.sleep(3600)' >hold.port &
hold_pid=$!
for _ in $(seq 100); do [ -s hold.port ] && break; sleep 0.05; done
refused=$(cat hold.port)

# ---- scenarios: NAME -> "--connect-to" rules; nginx servers appended.
declare -A args
conf=$tmp/servers.conf
: >"$conf"
STS_OK='max-age=63072000; includeSubDomains; preload'
tls_server() { # PORT CERT BODY...
  local p=$1 cert=$2
  shift 2
  printf ' server { listen 127.0.0.1:%s ssl; server_name %s www.%s;\n' "$p" "$D" "$D" >>"$conf"
  printf '  ssl_certificate %s/%s.pem; ssl_certificate_key %s/%s.key;\n' "$tmp" "$cert" "$tmp" "$cert" >>"$conf"
  printf '  %s\n' "$@" >>"$conf"
  printf ' }\n' >>"$conf"
}
http_server() { # PORT BODY...
  local p=$1
  shift
  printf ' server { listen 127.0.0.1:%s; server_name %s www.%s;\n' "$p" "$D" "$D" >>"$conf"
  printf '  %s\n' "$@" >>"$conf"
  printf ' }\n' >>"$conf"
}
# scenario NAME WWW(refused|tls|plain) CERT HTTP-BODY -- TLS-BODY
scenario() {
  local name=$1 www=$2 cert=$3
  shift 3
  local h=${ports[$next_port]} t=${ports[$((next_port + 1))]} w=${ports[$((next_port + 2))]}
  next_port=$((next_port + 3))
  local hb=() tb=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do hb+=("$1"); shift; done
  shift
  tb=("$@")
  http_server "$h" "${hb[@]}"
  tls_server "$t" "$cert" "${tb[@]}"
  case $www in
    refused) w=$refused ;;
    tls) tls_server "$w" www 'location / { return 200 "www\n"; }' ;;
    plain) http_server "$w" 'location / { return 200 "plain\n"; }' ;;
  esac
  args[$name]="--connect-to $D:443:127.0.0.1:$t --connect-to $D:80:127.0.0.1:$h --connect-to www.$D:443:127.0.0.1:$w"
}
REDIR='location / { return 301 https://$host$request_uri; }'
hsts() { echo "add_header Strict-Transport-Security \"$1\" always;"; }
OK200='location / { return 200 "ok\n"; }'

scenario eligible tls site "$REDIR" -- "$(hsts "$STS_OK")" "$OK200"
scenario www_absent refused site "$REDIR" -- "$(hsts "$STS_OK")" "$OK200"
scenario www_no_tls plain site "$REDIR" -- "$(hsts "$STS_OK")" "$OK200"
scenario short_max_age refused site "$REDIR" -- "$(hsts 'max-age=300; includeSubDomains; preload')" "$OK200"
scenario max_age_zero refused site "$REDIR" -- "$(hsts 'max-age=0; includeSubDomains')" "$OK200"
scenario no_subdomains refused site "$REDIR" -- "$(hsts 'max-age=63072000; preload')" "$OK200"
scenario no_preload refused site "$REDIR" -- "$(hsts 'max-age=63072000; includeSubDomains')" "$OK200"
scenario two_headers refused site "$REDIR" -- "$(hsts "$STS_OK")" "$(hsts 'max-age=300')" "$OK200"
scenario no_header refused site "$REDIR" -- "$OK200"
scenario http_no_redirect refused site "$OK200" -- "$(hsts "$STS_OK")" "$OK200"
scenario other_host refused site 'location / { return 301 https://elsewhere.example/; }' -- "$(hsts "$STS_OK")" "$OK200"
scenario www_first tls site "location / { return 301 https://www.$D/; }" -- "$(hsts "$STS_OK")" "$OK200"
scenario via_http refused site "$REDIR" 'location /x { return 200 "x\n"; }' -- "$(hsts "$STS_OK")" \
  "location = / { return 301 http://$D/x; }"
scenario four_redirects refused site "$REDIR" -- "$(hsts "$STS_OK")" \
  'location = / { return 301 /a; }' 'location = /a { return 301 /b; }' \
  'location = /b { return 301 /c; }' 'location = /c { return 301 /d; }' "$OK200"
scenario three_redirects refused site "$REDIR" -- "$(hsts "$STS_OK")" \
  'location = / { return 301 /a; }' 'location = /a { return 301 /b; }' "$OK200"
scenario redirect_no_hsts refused site "location / { return 301 https://$D/r; }" -- \
  'location = /r { add_header X-Plain 1; return 200 "no header here\n"; }' "$(hsts "$STS_OK")" "$OK200"
scenario sha1 refused sha1 "$REDIR" -- "$(hsts "$STS_OK")" "$OK200" 'ssl_ciphers DEFAULT:@SECLEVEL=0;'
scenario untrusted refused untrusted "$REDIR" -- "$(hsts "$STS_OK")" "$OK200"

cat >nginx.conf <<EOF
daemon off; master_process off; pid $tmp/nginx.pid;
error_log $tmp/nginx.err;
events {}
http { access_log off; absolute_redirect off; include $conf; }
EOF
"$NGINX" -p "$tmp" -e /dev/null -c "$tmp/nginx.conf" >/dev/null 2>&1 &
ngx_pid=$!
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/${ports[$((next_port - 2))]}") 2>/dev/null && break
  kill -0 "$ngx_pid" 2>/dev/null || { cat "$tmp/nginx.err"; echo "FAIL: nginx exited"; exit 1; }
  sleep 0.05
done

# The issues as sorted "level:code" words, and a rule's verdict, read with
# grep (the writer's key order is fixed; python3 starts too slowly to run
# per case on a loaded machine).
codes() {
  { grep -o '"code":"[^"]*","level":"[^"]*"' || true; } |
    sed 's/"code":"\([^"]*\)","level":"\([^"]*\)"/\2:\1/' | sort | tr '\n' ' ' |
    sed 's/ $//'
}
verdict() { # JSON RULE
  grep -o "\"rule\":\"$2\",\"verdict\":\"[a-z]*\"" <<<"$1" | head -1 |
    sed 's/.*"verdict":"\([a-z]*\)"/\1/'
}
expect() { # NAME EXIT "CODES" RULE VERDICT [ARGS...]
  local name=$1 want_rc=$2 want=$3 rule=$4 want_v=$5
  shift 5
  local out rc=0
  out=$("$cli" hsts preload-check --json --cacert "$tmp/root.pem" \
    --connect-timeout 3 --max-time 10 ${args[$name]:-} "$@") || rc=$?
  [ "$rc" = "$want_rc" ] || bad "$name: exit $rc, expected $want_rc: $out"
  local got
  case $out in '{"schema":"tlsdiag-preload/1"'*) ;; *) bad "$name: not a preload-check record: $out"; return ;; esac
  got=$(codes <<<"$out")
  [ "$got" = "$want" ] || bad "$name: issues [$got], expected [$want]"
  [ "$(verdict "$out" "$rule")" = "$want_v" ] ||
    bad "$name: rule $rule is $(verdict "$out" "$rule"), expected $want_v"
  printf '%s\n' "$out" >"$tmp/last.json"
  printf '%s\n' "$out" >>"$tmp/all.jsonl"
}

# domain form
expect eligible 0 "" domain pass "$D"
expect eligible 2 "error:domain.is_subdomain" domain fail "www.$D"
expect eligible 2 "error:domain.format.is_ip_address" domain fail 127.0.0.1
expect eligible 2 "error:domain.format.public_suffix" domain fail co.uk
expect eligible 2 "error:domain.format.invalid_characters" domain fail "pre_load.example"
expect eligible 2 "error:domain.format.ends_with_dot" domain fail "$D."
# the whole site, as hstspreload.org wants it; www present and valid
expect eligible 0 "" www pass "$D"
grep -q '"header":"max-age=63072000; includeSubDomains; preload"' "$tmp/last.json" ||
  bad "eligible: header not reported"
grep -q "\"http_redirects\":\[\"https://$D/\"\]" "$tmp/last.json" ||
  bad "eligible: redirect chain not reported: $(cat "$tmp/last.json")"
expect www_absent 0 "" www pass "$D"
expect www_no_tls 2 "error:domain.www.no_tls" www fail "$D"
# the header
expect short_max_age 2 "error:header.preloadable.max_age.below_1_year" header fail "$D"
expect max_age_zero 2 "error:header.preloadable.max_age.zero error:header.preloadable.preload.missing" header fail "$D"
grep -q '"removable":true' "$tmp/last.json" || bad "max_age_zero: not removable"
expect no_subdomains 2 "error:header.preloadable.include_sub_domains.missing" header fail "$D"
expect no_preload 2 "error:header.preloadable.preload.missing" header fail "$D"
grep -q '"removable":true' "$tmp/last.json" || bad "no_preload: not removable"
expect eligible 0 "" removal info "$D"
grep -q '"removable":false' "$tmp/last.json" || bad "eligible: removable"
expect two_headers 2 "error:response.multiple_headers" header fail "$D"
expect no_header 2 "error:response.no_header" header fail "$D"
# redirects from http://
expect http_no_redirect 2 "error:redirects.http.no_redirect" http_redirects fail "$D"
# (the chain is followed on, as hstspreload.org does: elsewhere refuses)
args[other_host]+=" --connect-to elsewhere.example:443:127.0.0.1:$refused"
expect other_host 2 "error:redirects.follow_error error:redirects.http.first_redirect.insecure" http_redirects fail "$D"
expect www_first 2 "error:redirects.http.www_first" http_redirects fail "$D"
expect via_http 2 "error:redirects.insecure.initial error:redirects.insecure.subsequent" http_redirects fail "$D"
expect four_redirects 2 "error:redirects.too_many error:redirects.too_many" https_redirects fail "$D"
expect three_redirects 0 "" https_redirects pass "$D"
expect redirect_no_hsts 2 "error:redirects.http.first_redirect.no_hsts" http_redirects fail "$D"
# port 80 closed: a warning only (hstspreload.org: the site may not want
# plain-HTTP users)
args[no_http]="--connect-to $D:80:127.0.0.1:$refused ${args[eligible]}"
expect no_http 0 "warning:redirects.http.does_not_exist" http_redirects warn "$D"
# the certificate
expect eligible 2 "error:domain.tls.invalid_cert_chain" https fail "$D" --now 2099-01-01
expect untrusted 2 "error:domain.tls.invalid_cert_chain" https fail "$D"
expect sha1 2 "error:domain.tls.sha1" https fail "$D"
# https:// not answering at all
args[no_tls]="--connect-to $D:443:127.0.0.1:$refused"
expect no_tls 2 "error:domain.tls.cannot_connect" https fail "$D"
# status from the list in use
printf '{ "entries": [\n { "name": "%s", "policy": "custom", "mode": "force-https", "include_subdomains": true }\n]}\n' "$D" >list.json
expect eligible 0 "" status info "$D" --hsts-list "$tmp/list.json"
grep -q '"status":"preloaded"' "$tmp/last.json" || bad "status: not preloaded"
# a preloaded domain with a weak header: the header rule says so (the
# check's own hsts_* findings never turn into a connection failure)
expect short_max_age 2 "error:header.preloadable.max_age.below_1_year" https pass "$D" --hsts-list "$tmp/list.json"
# no list named: the built-in snapshot answers (preload.example is not on it)
expect eligible 0 "" status info "$D"
grep -q '"status":"not_listed"' "$tmp/last.json" || bad "status: not not_listed from the built-in list"
TLSDIAG_HSTS_BUILTIN=off expect eligible 0 "" status info "$D"
grep -q '"status":"unknown"' "$tmp/last.json" || bad "status: not unknown without a list"

# text output and usage errors
out=$("$cli" hsts preload-check --cacert "$tmp/root.pem" ${args[short_max_age]} "$D") && bad "text: exit 0"
grep -q '^  header  *fail' <<<"$out" || bad "text: no failing header rule: $out"
grep -q 'error header.preloadable.max_age.below_1_year' <<<"$out" || bad "text: no issue line: $out"
rc=0; "$cli" hsts preload-check >/dev/null 2>&1 || rc=$?
[ $rc = 1 ] || bad "no DOMAIN: exit $rc, expected 1"
rc=0; "$cli" hsts preload-check --connect-to bad "$D" >/dev/null 2>&1 || rc=$?
[ $rc = 1 ] || bad "bad --connect-to: exit $rc, expected 1"

# curl agrees on what the servers do (for the report, and as a check of the
# fixture): the redirect and the header.
if command -v curl >/dev/null; then
  t=${args[eligible]#*$D:443:127.0.0.1:}; t=${t%% *}
  h=${args[eligible]#*$D:80:127.0.0.1:}; h=${h%% *}
  curl -sS -o /dev/null -w '%{http_code} %{redirect_url}\n' --connect-to "$D:80:127.0.0.1:$h" "http://$D/" >curl.txt
  grep -qx "301 https://$D/" curl.txt || bad "curl: http://$D/ -> $(cat curl.txt)"
  curl -sS -D - -o /dev/null --cacert "$tmp/root.pem" --connect-to "$D:443:127.0.0.1:$t" "https://$D/" | grep -qi "^strict-transport-security: $STS_OK" ||
    bad "curl: no STS header on https://$D/"
fi

# every record against the JSON Schema (one validator run for all)
python3 "$src/tests/tools/json_schema_check.py" "$src/docs/schema/tlsdiag.schema.json" \
  preload_check "$tmp/all.jsonl" >/dev/null || bad "records do not match the schema"

[ $fail = 0 ] && echo "preload-check: every rule passes and fails as hstspreload.org says"
exit $fail
