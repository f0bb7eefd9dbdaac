#!/bin/bash
# test_manpages: the man pages render without a single groff warning, and
# they and the shell completions cannot drift from the command: every
# command and every long option `tlsdiag CMD --help` lists is in
# tlsdiag.1 and completed by both completion files, and each command's
# completed options are exactly the rows of cli/opts.c's table that
# command accepts. The C example of libtlsdiag.3 compiles.
# Needs man (man-db) and groff (groff-base).
set -euo pipefail
build=$1
src=$2
cli=$build/cli/tlsdiag
man1=$src/man/tlsdiag.1
man3=$src/man/libtlsdiag.3
bashc=$src/completion/tlsdiag.bash
zshc=$src/completion/_tlsdiag
fail=0
bad() { echo "FAIL: $*"; fail=1; }
for tool in man groff; do
  command -v $tool >/dev/null ||
    { echo "FAIL: $tool is not installed (Debian: man-db, groff-base)"; exit 1; }
done
tmp=$(mktemp -d /tmp/tlsdiag-man-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. Rendering: no warning from groff (-ww: all of them) or man, at the
# widths of a terminal and a narrow window.
for page in "$man1" "$man3"; do
  groff -man -Tutf8 -ww -z "$page" 2>"$tmp/err" || bad "groff failed on $page"
  [ -s "$tmp/err" ] && bad "groff warnings in $page: $(cat "$tmp/err")"
  for w in 80 60; do
    LC_ALL=C.UTF-8 MANWIDTH=$w man --warnings=w -l "$page" >"$tmp/out" 2>"$tmp/err" ||
      bad "man -l failed on $page"
    [ -s "$tmp/err" ] && bad "man warnings in $page at width $w: $(cat "$tmp/err")"
    [ "$(wc -l <"$tmp/out")" -gt 50 ] || bad "$page renders to almost nothing"
  done
done

# 2. The commands: from the usage, hsts's subcommands from its own.
mapfile -t cmds < <("$cli" --help | sed -n 's/^\(usage:\)\{0,1\} *tlsdiag \([a-z][a-z]*\).*/\2/p' | sort -u)
[ "${#cmds[@]}" -ge 6 ] || bad "found only ${#cmds[@]} commands in tlsdiag --help"
subs=()
for c in "${cmds[@]}"; do
  case $c in
    hsts) for s in $("$cli" hsts --help | sed -n 's/^\(usage:\)\{0,1\} *tlsdiag hsts \([a-z][a-z-]*\).*/\2/p'); do
            subs+=("hsts $s"); done ;;
    version) ;;
    *) subs+=("$c") ;;
  esac
done
# serve comes with the exporter; check it as soon as the command has it
if "$cli" serve --help >/dev/null 2>&1 && ! printf '%s\n' "${subs[@]}" | grep -qx serve; then
  subs+=(serve)
fi
echo "commands: ${subs[*]}"
for c in "${cmds[@]}"; do
  grep -q "^\.SS \"tlsdiag $c" "$man1" || bad "tlsdiag.1 has no section for '$c'"
  grep -qw -- "$c" "$bashc" || bad "$bashc does not complete '$c'"
  grep -q "'$c:" "$zshc" || bad "$zshc does not complete '$c'"
done
for s in "${subs[@]}"; do
  grep -q "^\.SS \"tlsdiag $s\"" "$man1" || bad "tlsdiag.1 has no section for '$s'"
done

# What each completion offers for a command's options.
bash_opts() { # CMD [SUB]
  bash -c 'source "$1"; shift; COMP_WORDS=(tlsdiag "$@" --); COMP_CWORD=$(($# + 1))
           _tlsdiag; printf "%s\n" "${COMPREPLY[@]}"' _ "$bashc" "$@" | sort -u
}
zsh_block() { # NAME: the lines of function NAME or array NAME
  awk -v n="$1" '$0 ~ "^" n "\\(\\) \\{" || $0 ~ "^ *" n "=\\(" {on = 1; next}
                 on && /^ *[})]$/ {exit} on' "$zshc"
}
zsh_opts() { # CMD (lookup/update/preload-check for hsts)
  local body arr
  body=$(zsh_block "_tlsdiag_cmd_$1")
  [ -n "$body" ] || return 0
  { printf '%s\n' "$body"
    for arr in $(printf '%s\n' "$body" | grep -oE '\$\{td_[a-z]+\[@\]\}' | sed 's/^..//; s/\[.*//'); do
      zsh_block "$arr"
    done; } | grep -oE -- "--[a-z][a-z0-9.-]*[],}=[]" | sed 's/.$//' | sort -u
}

# 3. Every long option of every command's --help: in the man page and in
# both completions of that command.
for s in "${subs[@]}"; do
  set -- $s
  # (the usage lines of other commands left out; hsts's one text is for
  # both subcommands, so it is compared with both together)
  mapfile -t helpopts < <("$cli" "$@" --help |
    awk -v c="$1" '{ l = $0; sub(/^(usage:)? */, "", l) }
                   l ~ /^tlsdiag / { split(l, w, " "); if (w[2] != c) next } 1' |
    grep -oE -- '--[a-z][a-z0-9-]*([.][0-9]+)?' | sort -u)
  [ "${#helpopts[@]}" -gt 0 ] || bad "tlsdiag $s --help lists no option"
  if [ "$1" = hsts ]; then
    b=$( (bash_opts hsts lookup; bash_opts hsts update;
          bash_opts hsts preload-check) | sort -u)
    z=$( (zsh_opts lookup; zsh_opts update; zsh_opts preload-check) | sort -u)
  else
    b=$(bash_opts "$@")
    z=$(zsh_opts "$1")
  fi
  for o in "${helpopts[@]}"; do
    grep -qF -- "${o//-/\\-}" "$man1" || bad "tlsdiag.1 does not document $o ($s)"
    grep -qx -- "$o" <<<"$b" || bad "bash completion of '$s' lacks $o"
    grep -qx -- "$o" <<<"$z" || bad "zsh completion of '$s' lacks $o"
  done
done

# 4. cli/opts.c's table: each command's completions are exactly its rows,
# and every option is in the man page.
# (the macros before the table, a continued line joined)
awk 'function flush() { sub(/\/\*.*/, "", d); print d; d = "" }
     d != "" { d = d $0; if (sub(/\\$/, "", d)) next; flush(); next }
     !on && /^#define [A-Z]+ / { d = $0; if (sub(/\\$/, "", d)) next; flush(); next }
     /^static const opt_t table/{on=1; next} on && /^};/{exit} on{printf "%s", $0} END{print ""}' \
  "$src/cli/opts.c" >"$tmp/table"
declare -A macro
while read -r _ name rest; do macro[$name]=$rest; done < <(grep '^#define' "$tmp/table")
expand() { # an expression of TD_C_* bits and macros -> command names
  local t out=
  local -
  set -f
  for t in $(tr -d '()|' <<<"$1"); do
    if [ -n "${macro[$t]:-}" ]; then out+=" $(expand "${macro[$t]}")"
    else out+=" $(sed 's/^TD_C_//' <<<"$t" | tr 'A-Z' 'a-z')"; fi
  done
  echo $out
}
declare -A want
rows=0
while IFS= read -r row; do
  name=$(sed -n 's/^ *{"\([a-z0-9.-]*\)".*/\1/p' <<<"$row")
  [ -n "$name" ] || continue
  rows=$((rows + 1))
  grep -qF -- "\\-\\-${name//-/\\-}" "$man1" || bad "tlsdiag.1 does not document --$name (cli/opts.c)"
  for c in $(expand "$(sed 's/.*,\([^,]*\)}$/\1/' <<<"$row")"); do
    want[$c]+="--$name"$'\n'
  done
done < <(grep -v '^#define' "$tmp/table" | sed 's/},/}\n/g')
[ "$rows" -gt 40 ] || bad "read only $rows rows of cli/opts.c's table"
for c in "${!want[@]}"; do
  # (TD_C_PRELOAD is `hsts preload-check`)
  zc=$c
  case $c in
    lookup|update) args=(hsts "$c") ;;
    preload) args=(hsts preload-check); zc=preload-check ;;
    *) args=("$c") ;;
  esac
  exp=$(printf '%s' "${want[$c]}" | sort -u)
  diff <(echo "$exp") <(bash_opts "${args[@]}") >"$tmp/d" ||
    bad "bash completion of '${args[*]}' differs from cli/opts.c (< table, > completion): $(cat "$tmp/d")"
  diff <(echo "$exp") <(zsh_opts "$zc") >"$tmp/d" ||
    bad "zsh completion of '${args[*]}' differs from cli/opts.c (< table, > completion): $(cat "$tmp/d")"
done

# 5. Value completion in bash.
val() { bash -c 'source "$1"; shift; COMP_WORDS=(tlsdiag "$@"); COMP_CWORD=$(($# ))
                 _tlsdiag; echo "${COMPREPLY[*]}"' _ "$bashc" "$@"; }
[ "$(val check --format '')" = "text json mermaid nagios prometheus" ] || bad "bash: check --format values"
[ "$(val sweep --format '')" = "json nagios prometheus" ] || bad "bash: sweep --format values"
[ "$(val check --tls-min '')" = "1.0 1.1 1.2 1.3" ] || bad "bash: --tls-min values"
[ "$(val check --color '')" = "auto always never" ] || bad "bash: --color values"
[ "$(val check --cacert "$src/man/tlsdiag.")" = "$src/man/tlsdiag.1" ] || bad "bash: --cacert files"
[ "$(val sweep -o "$src/man/libtlsdiag.")" = "$src/man/libtlsdiag.3" ] || bad "bash: -o files"
[ "$(val check --capath "$src/completio")" = "$src/completion" ] || bad "bash: --capath directories"

# 6. libtlsdiag.3's example compiles against the header.
LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$man3" 2>/dev/null |
  awk '/^EXAMPLES/{on=1; next} on && /^ *Build it/{exit} on' | sed 's/^       //' >"$tmp/ex.c"
grep -q 'tlsdiag_check' "$tmp/ex.c" || bad "no example found in libtlsdiag.3"
cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$src/include" "$tmp/ex.c" ||
  bad "libtlsdiag.3's example does not compile"

[ $fail = 0 ] && echo "man pages and completions consistent"
exit $fail
