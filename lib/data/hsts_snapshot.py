#!/usr/bin/env python3
"""hsts_snapshot.py: turns a Chromium HSTS preload list (JSON with // and
/* */ comment lines, net/http/transport_security_state_static.json) into
tlsdiag's shipped snapshot, lib/data/hsts_preload.txt.xz:

    #tlsdiag-hsts-snapshot<TAB>DATE<TAB>SOURCE
    name<TAB>flags            (sorted by name, one entry a line)

flags: 1 = mode force-https, 2 = include_subdomains (so 3 = both; 0 or 2 =
an entry without force-https, kept because it shadows its parents, as in
Chromium). The build (lib/data/hsts_mkblob.c) turns this into the index the
library embeds. See docs/hsts.md, "The built-in list".

usage: hsts_snapshot.py LIST.json DATE SOURCE OUT.txt.xz
  DATE    the list's date, YYYY-MM-DD (when upstream published it)
  SOURCE  one line: where the list came from (URL, commit, checksum)
"""
import json
import lzma
import re
import sys


def strip_comments(text):
    # Chromium's file has whole-line // comments; block comments are rare
    # and never inside strings in practice, but be exact about strings.
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            k = text.find("*/", i + 2)
            i = n if k < 0 else k + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def main(argv):
    if len(argv) != 5:
        sys.stderr.write(__doc__)
        return 1
    src, date, source, out = argv[1:]
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        sys.exit("DATE must be YYYY-MM-DD")
    if "\t" in source or "\n" in source:
        sys.exit("SOURCE must be one line without tabs")
    with open(src, encoding="utf-8") as f:
        data = json.loads(strip_comments(f.read()))
    seen = {}
    for e in data["entries"]:
        name = e["name"].lower()
        if not re.fullmatch(r"[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*", name) \
                or len(name) > 253:
            sys.exit("not a host name: %r" % name)
        if name in seen:
            sys.exit("listed twice: %s" % name)
        flags = (1 if e.get("mode") == "force-https" else 0) | \
                (2 if e.get("include_subdomains") else 0)
        seen[name] = flags
    lines = ["#tlsdiag-hsts-snapshot\t%s\t%s\n" % (date, source)]
    lines += ["%s\t%d\n" % (k, seen[k]) for k in sorted(seen)]
    with lzma.open(out, "wt", encoding="ascii", preset=9) as f:
        f.writelines(lines)
    print("%s: %d entries, %d force-https" %
          (out, len(seen), sum(1 for v in seen.values() if v & 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
