#!/usr/bin/env bash
# Compile time of registers! on a large table: a crate using a generated 2,000-register table with
# about 15,000 fields, against the same crate with hand-written constants. Times only the crate
# itself (dependencies are built first), for `cargo check` and `cargo build --release`.
# Usage: regdsl-rt/scripts/compile_bench.sh [--quick | --table FILE] [WORKDIR]
#   (default WORKDIR: target/regdsl-compile-bench, or target/regdsl-compile-bench-NAME for --table)
# --quick: a 20-register table and `cargo check` only, to show that both crates build (a test runs it).
# --table FILE: a real table (e.g. registers/82599.txt) through registers!, against hand-written
#   constants generated once from `regdsl dump --json FILE` (offsets, array segments, field masks
#   and shifts, named values); neither crate makes accesses.
# RUNS=N (default 3): each figure is the lowest of N builds (CPU time is what to compare on a
# shared machine).
set -euo pipefail
quick=0
table=""
if [ "${1:-}" = --quick ]; then quick=1; shift; fi
if [ "${1:-}" = --table ]; then table=$(realpath "$2"); shift 2; fi
rt=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "$table" ]; then
  work=${1:-$rt/../target/regdsl-compile-bench-$(basename "$table" .txt)}
  mkdir -p "$work"
  (cd "$rt/.." && cargo run -q -p regdsl -- dump --json "$table") > "$work/table.json"
else
  work=${1:-$rt/../target/regdsl-compile-bench}
  mkdir -p "$work"
fi
python3 - "$work" "$rt" "$quick" "$table" <<'PY'
import json, os, sys
work, rt, quick, table = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
# The profile lines recommended for users of registers! (as in the workspace Cargo.toml): the
# macro and its parser optimised. OPT_MACRO=0 leaves them out (Cargo's default: opt-level 0).
prof = "" if os.environ.get("OPT_MACRO") == "0" else "".join(
    f'[profile.{p}.package.{c}]\nopt-level = 3\n'
    for p in ("dev", "release") for c in ("regdsl", "regdsl-macros", "nom", "proc-macro2", "quote"))
def crate(d, dep, body):
    os.makedirs(f"{work}/{d}/src", exist_ok=True)
    open(f"{work}/{d}/Cargo.toml", "w").write(
        f'[package]\nname = "{d}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n{dep}\n\n[workspace]\n\n{prof}')
    open(f"{work}/{d}/src/lib.rs", "w").write(body)
if table:
    regs = json.load(open(f"{work}/table.json"))["registers"]
    crate("gen_regs", f'regdsl-rt = {{ path = "{rt}" }}',
          f'#![allow(non_snake_case, dead_code)]\nregdsl_rt::registers!("{table}");\n')
    out = ["#![allow(non_snake_case, dead_code)]"]
    for r in regs:
        ty = "u64" if r["width"] == 64 else "u32"
        out.append(f"/// {r['description']}\npub mod {r['name']} {{")
        if "segments" in r:
            for k, sg in enumerate(r["segments"]):
                out.append(f"    pub const BASE{k}: usize = 0x{sg['base']:X};\n    pub const STEP{k}: usize = 0x{sg['step']:X};")
                out.append(f"    pub const MIN{k}: u32 = {sg['min']};\n    pub const MAX{k}: u32 = {sg['max']};")
        else:
            out.append(f"    pub const OFFSET: usize = 0x{r['address']:X};")
        for f in r["fields"]:
            w = f["msb"] - f["lsb"] + 1
            out.append(f"    /// {f['description']}\n    pub const {f['name']}: {ty} = 0x{((1 << w) - 1) << f['lsb']:X};")
            if w > 1:
                out.append(f"    pub const {f['name']}_SHIFT: u32 = {f['lsb']};")
            if f["values"]:
                out.append(f"    pub mod {f['name']} {{")
                for v in f["values"]:
                    out.append(f"        pub const {v['name']}: {ty} = 0x{v['value'] << f['lsb']:X};")
                out.append("    }")
        out.append("}")
    crate("hand_regs", "", "\n".join(out) + "\n")
    nf = sum(len(r["fields"]) for r in regs)
    nv = sum(len(f["values"]) for r in regs for f in r["fields"])
    print(f"{os.path.basename(table)}: {len(regs)} registers, {nf} fields, {nv} named values")
    sys.exit(0)
regs = []
for n in range(20 if quick else 2000):
    name = f"R{n:04d}"
    arr = n % 10 == 0
    mode = ["RW", "RO", "RW", "W1C", "RW", "RC", "RW", "RW"][n % 8]
    fields = [(f"B{b}", b, b, []) for b in range(6)]
    fields.append(("F8", 15, 8, []))
    if n % 2 == 0:
        fields.append(("F16", 23, 16, [("LOW", 1), ("HIGH", 2)]))
    regs.append((name, n * 4 if not arr else 0x10000 + n * 0x100, arr, mode, fields))
nf = sum(len(r[4]) for r in regs)
tab = ["# Synthetic table for the compile-time benchmark."]
for name, off, arr, mode, fields in regs:
    lay = "+0x4*0..31" if arr else "-"
    tab.append(f"{name} 0x{off:05X} {lay} {mode} Register {name}")
    for f, msb, lsb, vals in fields:
        bits = f"{msb}" if msb == lsb else f"{msb}:{lsb}"
        tab.append(f"  .{f} {bits} Field {f} of {name}")
        for v, val in vals:
            tab.append(f"    ={v} {val} Value {v}")
open(f"{work}/big.txt", "w").write("\n".join(tab) + "\n")
# Generated: the table through registers!, and a few accesses.
gen = '''#![allow(non_snake_case)]
regdsl_rt::registers!("../big.txt");
pub fn touch<B: regdsl_rt::Bus>(regs: &Regs<B>) -> u32 {
    regs.R0002().set(R0002::B0 | R0002::B3);
    regs.R0004().modify(|v| v.with(R0004::F16::HIGH));
    regs.R0010().at(3).write(R0010::B1);
    regs.R0001().read().get(R0001::F8)
}
'''
crate("gen_regs", f'regdsl-rt = {{ path = "{rt}" }}', gen)
# Hand-written: the same names as plain constants (offsets, masks, shifts, values).
out = ["#![allow(non_snake_case, dead_code)]", "use core::ptr::{read_volatile, write_volatile};"]
for name, off, arr, mode, fields in regs:
    out.append(f"/// Register {name}\npub mod {name} {{")
    out.append(f"    pub const OFFSET: usize = 0x{off:X};")
    if arr:
        out.append("    pub const STEP: usize = 0x4;\n    pub const LEN: usize = 32;")
    for f, msb, lsb, vals in fields:
        w = msb - lsb + 1
        out.append(f"    /// Field {f}\n    pub const {f}: u32 = 0x{((1 << w) - 1) << lsb:X};")
        if w > 1:
            out.append(f"    pub const {f}_SHIFT: u32 = {lsb};")
        if vals:
            out.append(f"    pub mod {f} {{")
            for v, val in vals:
                out.append(f"        pub const {v}: u32 = 0x{val << lsb:X};")
            out.append("    }")
    out.append("}")
out.append('''pub unsafe fn touch(base: *mut u8) -> u32 {
    let p = |o: usize| base.add(o) as *mut u32;
    write_volatile(p(R0002::OFFSET), read_volatile(p(R0002::OFFSET)) | R0002::B0 | R0002::B3);
    let v = read_volatile(p(R0004::OFFSET));
    write_volatile(p(R0004::OFFSET), (v & !R0004::F16) | R0004::F16::HIGH);
    write_volatile(p(R0010::OFFSET + 3 * R0010::STEP), R0010::B1);
    (read_volatile(p(R0001::OFFSET)) & R0001::F8) >> R0001::F8_SHIFT
}''')
crate("hand_regs", "", "\n".join(out) + "\n")
print(f"{len(regs)} registers, {nf} fields")
PY
# Wall and CPU (user+sys) seconds of a build of the crate in the current directory, the lowest
# of RUNS; CPU is what to compare on a busy machine.
t() {
  local f; f=$(mktemp)
  for _ in $(seq "${RUNS:-3}"); do
    touch src/lib.rs
    /usr/bin/time -f '%e %U %S' -a -o "$f" "$@" >/dev/null 2>&1 || { echo "FAILED: $*"; "$@"; exit 1; }
  done
  awk 'NR == 1 || $1 < w { w = $1 } NR == 1 || $2 + $3 < c { c = $2 + $3 }
       END { printf "%6.2f s (cpu %6.2f s)", w, c }' "$f"; rm -f "$f"
}
# Incremental compilation off: each figure is a from-scratch build of the crate itself.
export CARGO_INCREMENTAL=0
for c in gen_regs hand_regs; do
  if [ $quick = 1 ]; then
    (cd "$work/$c" && cargo check -q) || { echo "FAILED: cargo check of $c"; exit 1; }
    ck=$(cd "$work/$c" && RUNS=1 t cargo check)
    printf '%-10s cargo check %s\n' "$c" "$ck"
    continue
  fi
  (cd "$work/$c" && cargo check -q && cargo build -q --release)
  ck=$(cd "$work/$c" && t cargo check)
  rl=$(cd "$work/$c" && t cargo build --release)
  printf '%-10s cargo check %s   cargo build --release %s\n' "$c" "$ck" "$rl"
done
