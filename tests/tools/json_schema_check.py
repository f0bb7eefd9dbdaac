#!/usr/bin/env python3
"""json_schema_check.py SCHEMA DEF FILE...: validates every line of each
JSON Lines FILE against #/$defs/DEF of SCHEMA (draft 2020-12, with format
checks), or against the root when DEF is "-". Prints each error with its
file, line and JSON path; exit 1 on any error or an empty file, else 0.
"""
import datetime
import json
import re
import sys

from jsonschema import Draft202012Validator, FormatChecker


RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?"
                     r"([Zz]|[+-]\d{2}:\d{2})$")


def rfc3339_date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        raise ValueError(f"not an RFC 3339 date-time: {value!r}")
    # fromisoformat (3.11) accepts "Z"; it refuses impossible dates.
    datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    return True


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    Draft202012Validator.check_schema(schema)
    which = sys.argv[2]
    target = schema if which == "-" else dict(
        schema, **{"$ref": "#/$defs/" + which}, oneOf=None)
    if which != "-":
        del target["oneOf"]
        if which not in schema["$defs"]:
            print(f"no definition {which}", file=sys.stderr)
            return 2
    fc = FormatChecker()
    # Debian 12's python3-jsonschema checks "date-time" only with the
    # optional rfc3339-validator, which Debian does not package; without a
    # checker the format would pass silently, so bring our own (RFC 3339
    # section 5.6, and a real calendar date and time).
    if "date-time" not in fc.checkers:
        fc.checks("date-time", raises=ValueError)(rfc3339_date_time)
    v = Draft202012Validator(target, format_checker=fc)
    bad = 0
    for path in sys.argv[3:]:
        n = 0
        with open(path, encoding="utf-8") as f:
            for no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                n += 1
                try:
                    doc = json.loads(line)
                except ValueError as e:
                    print(f"{path}:{no}: not JSON: {e}")
                    bad += 1
                    continue
                for e in sorted(v.iter_errors(doc), key=lambda e: list(e.path)):
                    where = "/".join(str(p) for p in e.absolute_path)
                    print(f"{path}:{no}: /{where}: {e.message[:300]}")
                    bad += 1
        if n == 0:
            print(f"{path}: no records")
            bad += 1
        else:
            print(f"{path}: {n} records checked against {which}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
