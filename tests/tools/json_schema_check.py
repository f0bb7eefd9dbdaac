#!/usr/bin/env python3
"""json_schema_check.py SCHEMA DEF FILE...: validates every line of each
JSON Lines FILE against #/$defs/DEF of SCHEMA (draft 2020-12, with format
checks), or against the root when DEF is "-". Prints each error with its
file, line and JSON path; exit 1 on any error or an empty file, else 0.
"""
import json
import sys

from jsonschema import Draft202012Validator, FormatChecker


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
    # Without a date-time checker installed, "format" would pass silently.
    if "date-time" not in fc.checkers:
        print("FormatChecker lacks date-time (install python3-rfc3339-validator)",
              file=sys.stderr)
        return 2
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
