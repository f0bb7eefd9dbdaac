#!/bin/bash
# test_docs: docs/architecture.md names every file of lib/ and cli/ (each
# with its job), and README.md's layout table every file of lib/, so a new
# module cannot arrive undocumented.
set -euo pipefail
src=$2
arch=$src/docs/architecture.md
fail=0
for f in "$src"/lib/*.c "$src"/lib/*.h "$src"/cli/*.c; do
  rel=${f#"$src"/}
  base=${rel##*/}
  grep -qE "\`($rel|$base)\`" "$arch" || { echo "docs/architecture.md does not name $rel"; fail=1; }
done
layout=$(sed -n '/^## Layout/,/^## /p' "$src/README.md" | grep '^| `lib/`')
for f in "$src"/lib/*.c; do
  base=${f##*/}
  grep -qF "\`$base\`" <<<"$layout" || { echo "README.md's layout table does not name lib/$base"; fail=1; }
done
[ $fail = 0 ] && echo "every lib/ and cli/ file is documented"
exit $fail
