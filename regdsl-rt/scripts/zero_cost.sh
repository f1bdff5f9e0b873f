#!/usr/bin/env bash
# Zero-cost check: builds examples/zero_cost.rs in release and compares the machine code of each
# generated accessor (gen_*) with its hand-written volatile twin (hand_*). Exits 1 when an
# instruction count differs. Needs objdump. Usage: regdsl-rt/scripts/zero_cost.sh [-v]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v objdump >/dev/null || { echo "SKIP: objdump not found"; exit 0; }
exe=$(cargo build --release -q -p regdsl-rt --example zero_cost --message-format=json \
      | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
[ -n "$exe" ] || { echo "build produced no executable"; exit 1; }
body() { # instructions of one function, addresses and encodings stripped
  objdump -d --no-show-raw-insn --disassemble="$1" "$exe" \
    | awk '/^[ ]+[0-9a-f]+:/ { $1=""; sub(/^ /, ""); sub(/[ ]+#.*/, ""); print }'
}
addr() { objdump -t "$exe" | awk -v s="$1" '$NF == s {print $1}'; }
status=0
printf '%-16s %5s %5s\n' case gen hand
for g in $(objdump -t "$exe" | awk '$NF ~ /^gen_/ {print $NF}' | sort); do
  h="hand_${g#gen_}"
  ng=$(body "$g" | wc -l); nh=$(body "$h" | wc -l); mark=""
  if [ "$(addr "$g")" = "$(addr "$h")" ]; then
    nh=$ng; mark="  (identical: the linker folded both into one function)"
  elif [ "$ng" != "$nh" ]; then
    mark="  DIFFERENT"; status=1
  fi
  printf '%-16s %5d %5d%s\n' "${g#gen_}" "$ng" "$nh" "$mark"
  if [ "${1:-}" = -v ] || [ "${mark# }" = " DIFFERENT" ]; then
    diff <(body "$g") <(body "$h") | sed 's/^/    /' || true
  fi
done
exit $status
