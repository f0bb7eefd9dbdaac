# bash completion for tlsdiag(1). Install as
# share/bash-completion/completions/tlsdiag. The option lists follow
# cli/opts.c's table; tests/test_manpages.sh fails when they drift apart.

_tlsdiag_opts_check="--help --version --json --pretty --format --output
  --cacert --capath --resolve --dns-server --sni --no-sni --tls-min --tls-max
  --connect-timeout --max-time --happy-eyeballs-timeout-ms --method --path
  --now --warn-days --crit-days --clock-skew --hsts-list --resume --early-data --keylog --explain --no-http
  --no-probe --no-aia --http1.1 --http2 --connect-to --cert --key --color --verbose --ipv4
  --ipv6"
_tlsdiag_opts_sweep="--help --version --json --format --output --cacert
  --capath --resolve --dns-server --tls-min --tls-max --connect-timeout
  --max-time --happy-eyeballs-timeout-ms --method --path --now --warn-days
  --crit-days --clock-skew --hsts-list --no-http --no-probe --no-aia
  --http1.1 --http2 --connect-to --cert --key --ipv4 --ipv6 --concurrency --shard --expiring-within --summary --quiet
  --no-progress --per-ip --rate --jobs --dns-ahead --resume"
_tlsdiag_opts_verify="--help --version --json --pretty --format --cacert
  --capath --now --at --warn-days --crit-days --verbose --expiring-within
  --host --ip --untrusted --crl --purpose --max-depth"
_tlsdiag_opts_lookup="--help --version --hsts-list"
_tlsdiag_opts_update="--help --version --cacert --capath --resolve
  --connect-timeout --max-time --hsts-list --url --max-size"
_tlsdiag_opts_preload="--help --version --json --cacert --capath --resolve
  --dns-server --connect-timeout --max-time --now --hsts-list --connect-to
  --ipv4 --ipv6"
_tlsdiag_opts_serve="--help --version --listen --listen-non-loopback
  --allow-target --max-concurrent --request-timeout --quiet --cacert --capath
  --resolve --dns-server --tls-min --tls-max --connect-timeout --max-time
  --happy-eyeballs-timeout-ms --method --path --now --warn-days --crit-days
  --clock-skew --hsts-list --no-http --no-probe --no-aia --http1.1 --http2 --connect-to --cert
  --key --ipv4 --ipv6"
_tlsdiag_opts_demo="--help --version --json --color"

_tlsdiag() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local cmd= sub= i w
  COMPREPLY=()
  # --opt=VALUE: bash splits at '=' (COMP_WORDBREAKS)
  if [[ $cur == = ]]; then
    cur=
  elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
    prev=${COMP_WORDS[COMP_CWORD-2]}
  fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    [[ $w == -* || $w == = ]] && continue
    if [[ -z $cmd ]]; then cmd=$w
    elif [[ $cmd == hsts && -z $sub ]]; then sub=$w
    fi
  done

  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "check sweep verify hsts serve demo version help
      --help --version" -- "$cur"))
    return
  fi
  if [[ $cmd == hsts && -z $sub ]]; then
    COMPREPLY=($(compgen -W "lookup update preload-check --help" -- "$cur"))
    return
  fi

  # option values
  case $prev in
    --cacert|--untrusted|--crl|--keylog|-o|--output|--hsts-list|--cert|--key|\
    --resume)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur"))
      return ;;
    --capath)
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -d -- "$cur"))
      return ;;
    --format)
      case $cmd in
        check) w="text json mermaid nagios prometheus" ;;
        sweep) w="json nagios prometheus" ;;
        verify) w="text json nagios prometheus" ;;
        *) w= ;;
      esac
      COMPREPLY=($(compgen -W "$w" -- "$cur"))
      return ;;
    --tls-min|--tls-max)
      COMPREPLY=($(compgen -W "1.0 1.1 1.2 1.3" -- "$cur")); return ;;
    --color)
      COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --method)
      COMPREPLY=($(compgen -W "HEAD GET" -- "$cur")); return ;;
    --purpose)
      COMPREPLY=($(compgen -W "server client" -- "$cur")); return ;;
    --resolve|--dns-server|--sni|--connect-timeout|--max-time|--path|--now|\
    --happy-eyeballs-timeout-ms|\
    --at|-w|--warn-days|-c|--crit-days|--clock-skew|--concurrency|--shard|\
    --per-ip|--rate|--jobs|--dns-ahead|\
    --expiring-within|--host|--ip|--max-depth|--url|--max-size|--listen|\
    --max-concurrent|--allow-target|--request-timeout|--connect-to)
      return ;; # a value of the user's own
  esac

  local opts
  case $cmd in
    check) opts=$_tlsdiag_opts_check ;;
    sweep) opts=$_tlsdiag_opts_sweep ;;
    verify) opts=$_tlsdiag_opts_verify ;;
    serve) opts=$_tlsdiag_opts_serve ;;
    demo) opts=$_tlsdiag_opts_demo ;;
    hsts) [[ $sub == lookup ]] && opts=$_tlsdiag_opts_lookup
          [[ $sub == update ]] && opts=$_tlsdiag_opts_update
          [[ $sub == preload-check ]] && opts=$_tlsdiag_opts_preload ;;
    *) return ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    return
  fi
  case $cmd in
    sweep|verify) # a target list, or certificate files and directories
      compopt -o filenames 2>/dev/null
      COMPREPLY=($(compgen -f -- "$cur")) ;;
  esac
}
complete -F _tlsdiag tlsdiag
