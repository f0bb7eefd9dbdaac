#!/bin/bash
# test_install: `cmake --install` the build into a temporary prefix, then
# build a consumer through pkg-config and through find_package(tlsdiag)
# (shared and static), and run one check with each against a local server.
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d /tmp/tlsdiag-install-XXXXXX)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null || true; rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in tlsdiag.h tlsdiag_version.h libtlsdiag.so libtlsdiag.a tlsdiag.pc \
         tlsdiag-config.cmake tlsdiag-config-version.cmake tlsdiag-targets.cmake; do
  [ -n "$(find "$prefix" -name "$f")" ] || { echo "not installed: $f"; exit 1; }
done
[ -x "$prefix/bin/tlsdiag" ] || { echo "not installed: bin/tlsdiag"; exit 1; }
# The installed tool carries no test fixtures: nothing of the test servers
# or the test PKI, and `demo` says where the demo lives (exit 1, one line).
if nm "$prefix/bin/tlsdiag" 2>/dev/null | grep -qE ' (tdserver|tddns|tdcerts)_'; then
  echo "the installed tlsdiag contains the test servers"; exit 1
fi
set +e
demo_err=$("$prefix/bin/tlsdiag" demo 2>&1 >/dev/null)
demo_rc=$?
set -e
[ "$demo_rc" -eq 1 ] && [ "$(printf '%s\n' "$demo_err" | wc -l)" -eq 1 ] &&
  case "$demo_err" in *"source build"*) true ;; *) false ;; esac ||
  { echo "installed demo: exit $demo_rc: $demo_err"; exit 1; }
# Man pages, shell completion and the documentation, where man, bash-completion
# and zsh look for them; each the same as in the source tree.
share=$(cd "$build" && cmake -L -N . 2>/dev/null | sed -n 's/^CMAKE_INSTALL_DATAROOTDIR:PATH=//p')
share=$prefix/${share:-share}
for f in man/man1/tlsdiag.1:man/tlsdiag.1 man/man3/libtlsdiag.3:man/libtlsdiag.3 \
         bash-completion/completions/tlsdiag:completion/tlsdiag.bash \
         zsh/vendor-completions/_tlsdiag:completion/_tlsdiag \
         doc/tlsdiag/README.md:README.md doc/tlsdiag/architecture.md:docs/architecture.md \
         doc/tlsdiag/json-schema.md:docs/json-schema.md; do
  cmp -s "$share/${f%%:*}" "$src/${f#*:}" || { echo "not installed: share/${f%%:*}"; exit 1; }
done
MANPATH=$share/man man -w tlsdiag >/dev/null 2>&1 && MANPATH=$share/man man -w 3 libtlsdiag >/dev/null 2>&1 ||
  { echo "man does not find the installed pages under $share/man"; exit 1; }
pcdir=$(dirname "$(find "$prefix" -name tlsdiag.pc | head -1)")
libdir=$(dirname "$(find "$prefix" -name libtlsdiag.so | head -1)")

# A loopback server with a freshly generated test PKI.
mkdir -p "$tmp/certs"
coproc SRV { exec "$build/tests/tdserve" --root-out "$tmp/certs/root.pem" --case valid --stdin; }
srv=$SRV_PID
read -r port <&"${SRV[0]}"
[ -n "$port" ] || { echo "tdserve did not start"; exit 1; }

# 1. pkg-config
cc_flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags tlsdiag)
ld_flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --libs tlsdiag)
cc -std=c11 $cc_flags "$src/tests/install/consumer.c" -o "$tmp/consumer_pc" $ld_flags
out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer_pc" localhost "$port" "$tmp/certs/root.pem")
echo "pkg-config consumer: $out"
case "$out" in *"cause=ok tls=TLS1.3 http=200"*) ;; *) echo "unexpected: $out"; exit 1;; esac

# 2. CMake find_package, shared and static
cmake -S "$src/tests/install" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$tmp/cb" >/dev/null
for exe in consumer_cmake consumer_static; do
  out=$(LD_LIBRARY_PATH=$libdir "$tmp/cb/$exe" localhost "$port" "$tmp/certs/root.pem")
  echo "$exe: $out"
  case "$out" in *"cause=ok tls=TLS1.3 http=200"*) ;; *) echo "unexpected: $out"; exit 1;; esac
done
# The static consumer must not need the shared library.
if ldd "$tmp/cb/consumer_static" | grep -q libtlsdiag; then
  echo "static consumer links libtlsdiag.so"; exit 1
fi
# The shared library exports only the public API, under its version node
# (the node itself shows as an absolute symbol).
bad=$(nm -D --defined-only "$libdir/libtlsdiag.so" | awk '$2 != "A" {print $3}' | grep -v '^tlsdiag_' | grep -v '^_' || true)
[ -z "$bad" ] || { echo "unexpected exports: $bad"; exit 1; }
# (grep without -q reads it all: with -q, objdump may get SIGPIPE, which
# pipefail turns into a failure)
objdump -T "$libdir/libtlsdiag.so" | grep 'TLSDIAG_0 *tlsdiag_check$' >/dev/null ||
  { echo "tlsdiag_check is not under the TLSDIAG_0 version node"; exit 1; }
# The static library exposes no internals either: every td_* symbol is
# local to its one merged object.
bad=$(nm -g --defined-only "$libdir/libtlsdiag.a" | awk 'NF == 3 {print $3}' | grep -v '^tlsdiag_' || true)
[ -z "$bad" ] || { echo "libtlsdiag.a exports internals: $(echo $bad | head -c 300)"; exit 1; }
nlocal=$(nm "$libdir/libtlsdiag.a" | grep -c ' t td_' || true)
[ "$nlocal" -gt 0 ] || { echo "libtlsdiag.a: expected local td_* symbols"; exit 1; }
# The .pc file carries no placeholder.
! grep -q 'example.invalid' "$libdir/pkgconfig/tlsdiag.pc" ||
  { echo "tlsdiag.pc has a placeholder URL"; exit 1; }
echo "install test passed"
