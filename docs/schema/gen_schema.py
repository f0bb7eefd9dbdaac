#!/usr/bin/env python3
"""Writes tlsdiag.schema.json (JSON Schema draft 2020-12) next to itself.

The schema is kept as Python so that repeated shapes are written once; the
generated JSON is checked in and tests/test_json_schema.sh fails when it is
stale. Run:  python3 docs/schema/gen_schema.py
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))


def causes():
    """Cause names from the one cause table, lib/cause.c, in enum order."""
    with open(os.path.join(SRC, "lib", "cause.c"), encoding="utf-8") as f:
        text = f.read()
    return re.findall(r'\[TLSDIAG_CAUSE_\w+\]\s*=\s*\{\s*"(\w+)"', text)


def ref(name):
    return {"$ref": "#/$defs/" + name}


def nullable(schema):
    """schema or null."""
    if "type" in schema and len(schema) == 1:
        t = schema["type"]
        return {"type": (t if isinstance(t, list) else [t]) + ["null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def obj(props, required=None):
    """A closed object whose keys are all required (every key is always
    present: docs/json-schema.md), unless `required` says otherwise."""
    return {
        "type": "object",
        "properties": props,
        "required": list(props) if required is None else required,
        "additionalProperties": False,
    }


S = {"type": "string"}
S0 = {"type": ["string", "null"]}
I = {"type": "integer"}
I0 = {"type": ["integer", "null"]}
B = {"type": "boolean"}
B0 = {"type": ["boolean", "null"]}
MS = ref("ms")
PORT = {"type": "integer", "minimum": 0, "maximum": 65535}
TIME0 = ref("time_or_null")

defs = {}

defs["time"] = {
    "description": "ISO 8601 UTC, seconds precision: 2026-01-02T03:04:05Z",
    "type": "string",
    "format": "date-time",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$",
}
defs["time_or_null"] = {"anyOf": [ref("time"), {"type": "null"}]}
defs["ms"] = {"description": "milliseconds, three decimals; null when not measured",
              "type": ["number", "null"], "minimum": 0}
defs["cause"] = {"description": "cause codes: the table in lib/cause.c",
                 "enum": causes()}
defs["severity"] = {"enum": ["error", "warning", "info"]}
defs["status"] = {"enum": ["ok", "failed", "timeout", "skipped", "not_run"]}
defs["family"] = {"enum": ["ipv4", "ipv6"]}
defs["tls_version"] = {"enum": ["SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"]}
defs["sha256_hex"] = {"type": "string", "pattern": "^[0-9a-f]{64}$"}

defs["evidence_value"] = {
    "description": "evidence values: integer, boolean, string (times as ISO "
                   "8601) or array of strings",
    "anyOf": [I, B, S, {"type": "array", "items": S}],
}
defs["finding"] = obj({
    "code": ref("cause"),
    "severity": ref("severity"),
    "message": S,
    # Open: a code may gain evidence keys in later releases.
    "evidence": {"type": "object",
                 "additionalProperties": ref("evidence_value")},
})


def phase(extra):
    p = {"status": ref("status"), "start_ms": MS, "ms": MS, "error": S0}
    p.update(extra)
    return obj(p)


defs["phases"] = obj({
    "dns": phase({
        "server": S0,
        "pinned": B,
        "addresses": {"type": "array", "items": obj({
            "address": S, "family": ref("family")})},
        "ares_status": I,
        "ares_error": S0,
    }),
    "tcp": phase({
        "connected": S0,
        "local": S0,
        "winner": {"type": ["integer", "null"], "minimum": 0},
        "attempt_delay_ms": {"type": "integer", "minimum": 0},
        "attempts": {"type": "array", "items": obj({
            "address": S, "family": ref("family"),
            "status": {"enum": ["ok", "failed", "timeout", "abandoned"]},
            "started_ms": MS, "ms": MS, "errno": I, "error": S0})},
    }),
    "tls": phase({
        "gnutls_error": nullable(obj({
            "code": {"type": "integer", "maximum": 0}, "name": S0, "text": S0})),
    }),
    "http": phase({"head_bytes": {"type": "integer", "minimum": 0}}),
})

defs["verify"] = obj({
    "status": {"type": "integer", "minimum": 0},
    "text": S0,
    "trusted": B,
    "chain_to_root": B,
    "name_ok": B,
    "dates_ok": B,
    "judged_at": ref("time"),
    "issuer_missing": B,
    "chain_ends_in_root": B,
    "ocsp": {"enum": ["good", "revoked", "unknown", "invalid", "none"]},
    "ocsp_error": S0,
    "ocsp_this_update": TIME0,
    "ocsp_next_update": TIME0,
    "ocsp_revoked_at": TIME0,
    # The two verdicts, dates judged apart: tlsdiag's path building, and
    # GnuTLS's verification of the chain as sent (null when it did not run).
    "browser": obj({"ok": B, "reason": S0}),
    "strict": nullable(obj({
        "ok": B, "reason": S0, "status": {"type": "integer", "minimum": 0}})),
})

defs["tls"] = obj({
    "version": nullable(ref("tls_version")),
    "cipher": S0,
    "kx": S0,
    "group": S0,
    "alpn": S0,
    "signature": S0,
    "ocsp_stapled": B,
    "session_ticket": B,
    "resumed": B,
    "alert": S0,
    "alert_number": {"type": ["integer", "null"], "minimum": 0, "maximum": 255},
    "verify": nullable(ref("verify")),
    "probes": nullable({"type": "array", "items": obj({
        "version": ref("tls_version"), "accepted": B, "error": S0})}),
    # The store the chain was verified against (docs/json-schema.md).
    "trust_store": nullable(obj({
        "kind": {"enum": ["system", "cafile", "capath", "cafile+capath"]},
        "source": S,
        "file": S0,
        "dir": S0,
        "roots": {"type": ["integer", "null"], "minimum": 0},
    })),
})

defs["cert"] = obj({
    "subject": S0,
    "issuer": S0,
    "common_name": S0,
    "sans": {"type": "array", "items": obj({
        "type": {"enum": ["dns", "ip", "other"]}, "value": S})},
    "serial": nullable({"type": "string", "pattern": "^[0-9a-f]*$"}),
    "not_before": TIME0,
    "not_after": TIME0,
    "days_left": I0,
    "key_type": S0,
    "key_bits": {"type": ["integer", "null"], "minimum": 1},
    "signature_algorithm": S0,
    "weak_signature": B,
    "sha256_fingerprint": nullable(ref("sha256_hex")),
    "is_ca": B,
    "self_issued": B,
    "self_signed": B,
    "aia_ca_issuers": S0,
    "ocsp_url": S0,
})

defs["expiry_cert"] = obj({
    "chain_index": {"type": "integer", "minimum": 0},
    "subject": S0,
    "common_name": S0,
    "not_after": TIME0,
    "days_left": I0,
})
defs["expiry"] = obj({
    "leaf": ref("expiry_cert"),
    "earliest": ref("expiry_cert"),
    "path_length": {"type": "integer", "minimum": 1},
    "verified_path": B,
})

defs["http"] = obj({
    "method": S0,
    "path": S0,
    "request": S0,
    "status": {"type": ["integer", "null"], "minimum": 0, "maximum": 999},
    "status_line": S0,
    "version": S0,
    "head_status": {"type": ["integer", "null"], "minimum": 100,
                    "maximum": 999},
    "headers": {
        "type": "object",
        "properties": {k: S0 for k in ("strict-transport-security", "date",
                                       "location", "server")},
        "required": ["strict-transport-security", "date", "location", "server"],
        # More keys may be added (docs): still strings or null.
        "additionalProperties": S0,
    },
    "all_headers": {"type": "array", "items": {
        "type": "array", "prefixItems": [S, S], "minItems": 2, "maxItems": 2}},
    "date": TIME0,
    "server_clock_offset_s": I0,
})

defs["hsts"] = obj({
    "list": nullable(obj({
        "source": {"enum": ["builtin", "cache", "file", "env", "memory"]},
        "path": S0,
        "date": TIME0,
        "entries": {"type": "integer", "minimum": 0},
        "stale": B,
    })),
    "preloaded": B0,
    "entry": S0,
    "include_subdomains": B0,
    "entry_is_host": B0,
    "header": nullable(obj({
        "value": S,
        "valid": B,
        "error": S0,
        "max_age": {"type": ["integer", "null"], "minimum": 0},
        "include_subdomains": B,
        "preload": B,
        "count": {"type": "integer", "minimum": 1},
    })),
})

defs["anatomy"] = obj({
    "rtt_ms": MS,
    "round_trips": obj({k: {"type": "integer", "minimum": 0}
                        for k in ("dns", "tcp", "tls", "http")}),
    "dns_queries": {"type": "integer", "minimum": 0},
    "ttfb_ms": MS,
    "ttfb_rtts": I0,
    "server_ms": MS,
    "hello_retry": B,
    "hello_retry_group": S0,
    "tickets": {"type": "integer", "minimum": 0},
    "ticket_lifetime_s": I0,
    "resumption": nullable(obj({
        "resumed": B,
        "psk_mode": S0,
        "handshake_ms_first": MS,
        "handshake_ms_resumed": MS,
        # first minus resumed handshake: negative when resuming was slower
        "saved_ms": {"type": ["number", "null"]},
        "early_data": nullable(obj({"sent": B, "accepted": B})),
        "error": S0,
    })),
})

KEY_SHARE = obj({"group": S, "bytes": {"type": "integer", "minimum": 0}})
defs["key_schedule"] = obj({
    "version": ref("tls_version"),
    "cipher_suite": S,
    "hash": S,
    "hash_bytes": {"type": "integer", "minimum": 1},
    "group": S0,
    "client_key_shares": {"type": "array", "items": KEY_SHARE},
    "client_key_shares_after_retry": nullable(
        {"type": "array", "items": KEY_SHARE}),
    "server_key_share": nullable(
        {"type": "array", "items": KEY_SHARE, "maxItems": 1}),
    "shared_secret_bytes": I0,
    "hello_retry": B,
    "extended_master_secret": B0,
    "secrets": {"type": "array", "items": obj({
        "name": S,
        "label": S0,
        "bytes": I0,
        "derivation": S,
        "protects": {"type": "array", "items": S},
        "keylog_label": S0,
        "observed": B,
    })},
    "traffic_keys": obj({
        "key_bytes": I,
        "iv_bytes": I,
        "mac_key_bytes": I0,
        "derivation": S,
    }),
    "rows": nullable({"type": "array", "items": ref("key_schedule_row")}),
    "resumed_rows": nullable(
        {"type": "array", "items": ref("key_schedule_row")}),
    "not_derivable": S0,
    "resumed_not_derivable": S0,
})
defs["key_schedule_row"] = obj({
    "name": S,
    "derived_from": S,
    "label": S0,
    "length": {"type": "integer", "minimum": 1},
    "fingerprint": {"type": ["string", "null"], "pattern": "^[0-9a-f]{8}$"},
    "proven_by": S,
    "ok": B0,
})

defs["event"] = obj({
    "t_ms": MS,
    "dir": {"enum": ["c2dns", "dns2c", "c2s", "s2c", "local"]},
    "what": S,
    "detail": S0,
})

CHECK_PROPS = {
    "schema": {"const": "tlsdiag/1"},
    "tool": obj({"name": {"const": "tlsdiag"}, "version": S}),
    "target": obj({
        "host": S0, "ace": S0, "port": PORT, "sni": S0, "ip_literal": B,
        "connect_to": nullable(obj({"rule": S, "host": S, "port": PORT}))}),
    "options": obj({
        "tls_min": nullable(ref("tls_version")),
        "tls_max": nullable(ref("tls_version")),
        "warn_days": I,
        "clock_skew_s": I,
    }),
    "time": obj({"now": TIME0, "clock_override": B, "started": TIME0}),
    "ok": B,
    "cause": ref("cause"),
    "message": S,
    "findings": {"type": "array", "items": ref("finding")},
    "phases": ref("phases"),
    "tls": ref("tls"),
    "chain": {"type": "array", "items": ref("cert")},
    "expiry": nullable(ref("expiry")),
    "http": ref("http"),
    "hsts": ref("hsts"),
    "anatomy": nullable(ref("anatomy")),
    "key_schedule": nullable(ref("key_schedule")),
    "timeline": {"type": "array", "items": ref("event")},
    "total_ms": MS,
    "queued_ms": MS,
}
defs["check"] = dict(obj(CHECK_PROPS), description=(
    "tlsdiag check --json, one JSON Lines record of tlsdiag sweep, one case "
    "of tlsdiag demo --json (docs/json-schema.md)"))

verify_props = {"file": S}
verify_props.update(CHECK_PROPS)
defs["verify_record"] = dict(obj(verify_props), description=(
    "tlsdiag verify --json: the check report with the file as its first "
    "member (docs/verify.md)"))

SWEEP_TARGET = obj({"host": S, "port": PORT, "sni": S0, "name": S})
SIGNAL = {"enum": ["SIGINT", "SIGTERM"]}
defs["sweep_cancelled"] = dict(obj({
    "schema": {"const": "tlsdiag-sweep/1"},
    "record": {"const": "cancelled"},
    "target": SWEEP_TARGET,
    "ok": {"const": False},
    "cause": {"const": "cancelled"},
    "signal": SIGNAL,
    "message": S,
}), description="tlsdiag sweep: a target cut short by SIGINT/SIGTERM "
                "(docs/sweep.md)")

defs["sweep_bad_line"] = dict(obj({
    "schema": {"const": "tlsdiag-sweep/1"},
    "record": {"const": "bad_line"},
    "line": {"type": "integer", "minimum": 1},
    "input": S,
    "ok": {"const": False},
    "cause": {"const": "bad_line"},
    "message": S,
}), description="tlsdiag sweep: a line of the list that is no valid "
                "target, not checked (docs/sweep.md)")

summary = {
    "schema": {"const": "tlsdiag-sweep/1"},
    "targets": {"type": "integer", "minimum": 0},
    "ok": {"type": "integer", "minimum": 0},
    "failed": {"type": "integer", "minimum": 0},
    "bad_lines": {"type": "integer", "minimum": 0},
    "duplicates": {"type": "integer", "minimum": 0},
    "elapsed_s": {"type": "number", "minimum": 0},
    "cancelled": {"type": "integer", "minimum": 0},
    "interrupted_by": SIGNAL,
    "causes": {"type": "object",
               "propertyNames": ref("cause"),
               "additionalProperties": {"type": "integer", "minimum": 1}},
    "soonest_expiries": {"type": "array", "items": obj({
        "target": S,
        "sni": S0,
        "days_left": I,
        "not_after": ref("time"),
    })},
}
req = [k for k in summary if k not in ("cancelled", "interrupted_by")]
inner = obj(summary, required=req)
inner["dependentRequired"] = {"cancelled": ["interrupted_by"],
                              "interrupted_by": ["cancelled"]}
defs["sweep_summary"] = dict(obj({"summary": inner}), description=(
    "tlsdiag sweep --summary: the last line (docs/sweep.md)"))

PRELOAD_RULES = ["domain", "https", "header", "http_redirects",
                 "https_redirects", "www", "removal", "status"]
defs["preload_check"] = dict(obj({
    "schema": {"const": "tlsdiag-preload/1"},
    "tool": obj({"name": {"const": "tlsdiag"}, "version": S}),
    "domain": S,
    "eligible": B,
    "status": {"enum": ["preloaded", "not_listed", "unknown"]},
    "entry": S0,
    "header": S0,
    "removable": B,
    "http_redirects": {"type": "array", "items": S, "maxItems": 4},
    "https_redirects": {"type": "array", "items": S, "maxItems": 4},
    "rules": {"type": "array", "minItems": len(PRELOAD_RULES),
              "maxItems": len(PRELOAD_RULES), "items": obj({
        "rule": {"enum": PRELOAD_RULES},
        "verdict": {"enum": ["pass", "warn", "fail", "skipped", "info"]},
        "evidence": S0,
    })},
    "issues": {"type": "array", "items": obj({
        "code": {"type": "string", "pattern": r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"},
        "level": {"enum": ["error", "warning"]},
        "rule": {"enum": PRELOAD_RULES[:6]},
        "message": S,
    })},
}), description="tlsdiag hsts preload-check --json (docs/json-schema.md)")

schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://tlsdiag.invalid/schema/tlsdiag.schema.json",
    "title": "tlsdiag JSON outputs",
    "description": (
        "Every JSON document tlsdiag writes. Generated by "
        "docs/schema/gen_schema.py from docs/json-schema.md and the cause "
        "table; strict (closed objects, enums) for this release: a newer "
        "tlsdiag may add keys and enum values (the stability promise), so "
        "validate a release's output with that release's schema. Pick a "
        "definition with $ref, e.g. #/$defs/check, or use the root, which "
        "accepts any record tlsdiag writes."),
    "oneOf": [ref("check"), ref("verify_record"), ref("sweep_cancelled"),
              ref("sweep_bad_line"), ref("sweep_summary"),
              ref("preload_check")],
    "$defs": defs,
}

if __name__ == "__main__":
    out = os.path.join(HERE, "tlsdiag.schema.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(schema, f, indent=2, ensure_ascii=False)
        f.write("\n")
