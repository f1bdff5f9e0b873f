#!/usr/bin/env bash
# What each kind of generated item costs `cargo check`: standalone crates (no dependency) with the
# items of a 2,000-register table written in one shape each, timed like compile_bench.sh (CPU
# seconds user+sys of `cargo check` of the crate itself, incremental compilation off, lowest of
# RUNS). Every crate has the same base: 2,000 modules, each with a marker `R` implementing a small
# spec trait with literal constants. The figures (BENCHMARKS.md, "Compile time", session 5) are the
# evidence for which shape `registers!` generates.
# Usage: regdsl-rt/scripts/compile_shapes.sh [WORKDIR] (default target/regdsl-compile-shapes)
# RUNS=N (default 3); SHAPES="base u32 ..." to time some of them.
set -euo pipefail
rt=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$rt/../target/regdsl-compile-shapes}
mkdir -p "$work"
python3 - "$work" <<'PY'
import os, sys
work = sys.argv[1]
N = 2000
# The synthetic table of compile_bench.sh: 6 single bits and an 8-bit field per register, every
# other register another 8-bit field with two named values (17,000 names in all).
def fields(n):
    f = [(f"B{b}", 1 << b, 1) for b in range(6)] + [("F8", 0xFF00, 8)]
    vals = []
    if n % 2 == 0:
        f.append(("F16", 0xFF0000, 8))
        vals = [("LOW", 0x10000), ("HIGH", 0x20000)]
    return f, vals
RT = r'''
use core::marker::PhantomData;
pub trait Spec: 'static { const OFFSET: usize; const WRITABLE: u32; }
pub struct Bits<R> { pub m: u64, pub r: PhantomData<fn() -> R> }
impl<R> Bits<R> { pub const fn new(m: u64) -> Self { Bits { m, r: PhantomData } } }
pub struct Field<R> { pub lsb: u32, pub width: u32, pub name: &'static str, pub r: PhantomData<fn() -> R> }
impl<R> Field<R> { pub const fn new(name: &'static str, lsb: u32, width: u32) -> Self { Field { lsb, width, name, r: PhantomData } } }
pub struct FieldValue<R> { pub m: u64, pub v: u64, pub r: PhantomData<fn() -> R> }
impl<R> FieldValue<R> { pub const fn new(m: u64, v: u64) -> Self { FieldValue { m, v, r: PhantomData } } }
pub unsafe trait Tagged { type Reg: Spec; }
pub fn or2<E: Tagged>(a: E, b: E) -> Bits<E::Reg> { let _ = (a, b); Bits::new(0) }
pub struct Z<const ID: u32, const LSB: u32, const W: u32>;
pub struct ZV<const ID: u32, const LSB: u32, const W: u32, const V: u64>;
pub trait Bus { fn read(&self, offset: usize) -> u32; }
pub struct Handle<'a, B: ?Sized, R>(pub &'a B, pub usize, pub PhantomData<fn() -> R>);
pub struct Regs<B> { bus: B }
impl<B: Bus> Regs<B> {
    #[inline(always)]
    pub fn single<R: Spec>(&self) -> Handle<'_, B, R> { Handle(&self.bus, R::OFFSET, PhantomData) }
}
'''
def module(n, shape):
    o = [f"pub mod R{n:04d} {{",
         f"  pub struct R; impl crate::Spec for R {{ const OFFSET: usize = {n * 4:#x}; const WRITABLE: u32 = 0xffff3f; }}"]
    fs, vals = fields(n)
    bits = [f for f in fs if f[2] == 1]
    multi = [f for f in fs if f[2] > 1]
    if shape == "u32":
        o += [f"  pub const {f}: u32 = {m:#x};" for f, m, w in fs]
        if vals:
            o.append("  pub mod F16 { " + " ".join(f"pub const {v}: u32 = {x:#x};" for v, x in vals) + " }")
    elif shape in ("typed_fn", "typed_lit"):
        o.append("  type __B = crate::Bits<R>; type __F = crate::Field<R>;")
        for f, m, w in fs:
            lsb = (m & -m).bit_length() - 1
            if shape == "typed_fn":
                o.append(f"  pub const {f}: __B = __B::new({m:#x});" if w == 1 else
                         f'  pub const {f}: __F = __F::new("{f}", {lsb}, {w});')
            else:
                o.append(f"  pub const {f}: __B = __B {{ m: {m:#x}, r: core::marker::PhantomData }};" if w == 1 else
                         f'  pub const {f}: __F = __F {{ lsb: {lsb}, width: {w}, name: "{f}", r: core::marker::PhantomData }};')
        if vals:
            o.append("  pub mod F16 { type __V = crate::FieldValue<super::R>; " +
                     " ".join(f"pub const {v}: __V = __V::new(0xff0000, {x:#x});" for v, x in vals) + " }")
    elif shape == "typed_assoc":
        o.append("  impl R { " + " ".join(f"pub const {f}: crate::Bits<R> = crate::Bits::new({m:#x});" for f, m, w in fs) + " }")
        if vals:
            o.append("  pub struct V; impl V { " + " ".join(f"pub const {v}: crate::FieldValue<R> = crate::FieldValue::new(0xff0000, {x:#x});" for v, x in vals) + " }")
    elif shape == "zst":
        # Zero-sized constants whose type carries the register as a number (a const parameter):
        # `const B0: F<ID, LSB, WIDTH> = F;` is a trivial const for rustc (one constant operand).
        for f, m, w in fs:
            lsb = (m & -m).bit_length() - 1
            o.append(f"  pub const {f}: crate::Z<{n}, {lsb}, {w}> = crate::Z;")
        if vals:
            o.append("  pub mod F16 { " + " ".join(f"pub const {v}: crate::ZV<{n}, 16, 8, {x >> 16}> = crate::ZV;" for v, x in vals) + " }")
    elif shape == "fields_struct":
        # One typed constant per register: a struct whose fields are the register's fields
        # (`CTRL.RST` instead of `CTRL::RST`): field types are checked once per struct, and
        # there is one body to evaluate instead of one per name.
        def ty(w): return "crate::Bits<R>" if w == 1 else "crate::Field<R>"
        def val(f, m, w):
            lsb = (m & -m).bit_length() - 1
            return f"crate::Bits::new({m:#x})" if w == 1 else f'crate::Field::new("{f}", {lsb}, {w})'
        o.append("  pub struct Fields { " + " ".join(f"pub {f}: {ty(w)}," for f, m, w in fs) + " }")
        o.append("  pub const F: Fields = Fields { " + " ".join(f"{f}: {val(f, m, w)}," for f, m, w in fs) + " };")
        if vals:
            o.append("  pub struct Values { " + " ".join(f"pub {v}: crate::FieldValue<R>," for v, x in vals) + " }")
            o.append("  pub const V: Values = Values { " + " ".join(f"{v}: crate::FieldValue::new(0xff0000, {x:#x})," for v, x in vals) + " };")
    elif shape == "generic_assoc":
        # The typed constants inside an impl with an unused type parameter: polymorphic, so not
        # evaluated where defined.
        o.append("  pub struct D<X = ()>(core::marker::PhantomData<X>); impl<X> D<X> { " + " ".join(f"pub const {f}: crate::Bits<R> = crate::Bits::new({m:#x});" for f, m, w in fs) + " }")
        if vals:
            o.append("  pub struct V<X = ()>(core::marker::PhantomData<X>); impl<X> V<X> { " + " ".join(f"pub const {v}: crate::FieldValue<R> = crate::FieldValue::new(0xff0000, {x:#x});" for v, x in vals) + " }")
    elif shape == "unit":
        # The floor for a name with a type of its own: one unit struct per name, nothing else (no
        # impl: no mask, no link to the register, no `|`).
        o += [f"  pub struct {f};" for f, m, w in fs]
        if vals:
            o.append("  pub mod F16_VALUES { " + " ".join(f"pub struct {v};" for v, x in vals) + " }")  # (a struct F16 takes the type namespace)
    elif shape == "enum_plain":
        # The floor for names as enum variants: one enum per register and kind, variants in
        # declaration order (no discriminant, so no constant to check), re-exported, no impl.
        for k, names in (("__B", [f for f, m, w in bits]), ("__F", [f for f, m, w in multi])):
            o.append(f"  pub enum {k} {{ " + ", ".join(names) + f" }} pub use self::{k}::*;")
        if vals:
            o.append("  pub enum __V { " + ", ".join(f"F16_{v}" for v, x in vals) + " }")
            o.append("  pub mod F16 { " + " ".join(f"pub use super::__V::F16_{v} as {v};" for v, x in vals) + " }")
    elif shape.startswith("enum"):
        # One enum per register and kind; variants reachable as R0000::B0 (glob re-export) and the
        # named values as R0000::F16::LOW (renamed re-export).
        def enum(name, variants, impls):
            e = f"  #[repr(u32)] pub enum {name} {{ " + ", ".join(f"{v} = {c:#x}" for v, c in variants) + f" }}"
            if shape in ("enum_impl", "enum_copy", "enum_or"):
                e += f" unsafe impl crate::Tagged for {name} {{ type Reg = R; }}"
            if shape in ("enum_copy", "enum_or"):
                e += f" impl Clone for {name} {{ fn clone(&self) -> Self {{ *self }} }} impl Copy for {name} {{}}"
            if shape == "enum_or" and impls:
                e += f" impl core::ops::BitOr for {name} {{ type Output = crate::Bits<R>; fn bitor(self, o: Self) -> crate::Bits<R> {{ crate::or2(self, o) }} }}"
            return e
        o.append(enum("__B", [(f, k << 8 | ((m & -m).bit_length() - 1)) for k, (f, m, w) in enumerate(bits)], True) + " pub use self::__B::*;")
        o.append(enum("__F", [(f, k << 16 | w << 8 | ((m & -m).bit_length() - 1)) for k, (f, m, w) in enumerate(multi)], False) + " pub use self::__F::*;")
        if vals:
            o.append(enum("__V", [(f"F16_{v}", k << 24 | x) for k, (v, x) in enumerate(vals)], True))
            o.append("  pub mod F16 { " + " ".join(f"pub use super::__V::F16_{v} as {v};" for v, x in vals) + " }")
    o.append("}")
    return "\n".join(o)
def accessors(shape):
    if shape == "accessors":
        body = lambda n: f"self.single()"
        ret = lambda n: f"crate::Handle<'_, B, R{n:04d}::R>"
    else:
        body = lambda n: "0"
        ret = lambda n: "u32"
    return ("impl<B: Bus> Regs<B> {\n" + "\n".join(
        f"  #[inline(always)] pub fn R{n:04d}(&self) -> {ret(n)} {{ {body(n)} }}" for n in range(N)) + "\n}")
shapes = os.environ.get("SHAPES", "base u32 typed_fn typed_lit typed_assoc unit enum_plain enum enum_impl enum_copy enum_or accessors methods zst generic_assoc fields_struct").split()
for shape in shapes:
    d = f"{work}/{shape}"
    os.makedirs(f"{d}/src", exist_ok=True)
    open(f"{d}/Cargo.toml", "w").write(f'[package]\nname = "shape_{shape}"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n')
    body = ["#![allow(non_snake_case, non_camel_case_types, dead_code)]", RT]
    body += [module(n, shape if shape not in ("accessors", "methods") else "base") for n in range(N)]
    if shape in ("accessors", "methods"):
        body.append(accessors(shape))
    open(f"{d}/src/lib.rs", "w").write("\n".join(body) + "\n")
open(f"{work}/shapes", "w").write("\n".join(shapes) + "\n")
PY
export CARGO_INCREMENTAL=0
echo "shape         cargo check CPU s (lowest of ${RUNS:-3})"
while read -r s; do
  (cd "$work/$s" && cargo check -q) || { echo "FAILED: $s"; exit 1; }
  f=$(mktemp)
  for _ in $(seq "${RUNS:-3}"); do
    touch "$work/$s/src/lib.rs"
    (cd "$work/$s" && /usr/bin/time -f '%U %S' -a -o "$f" cargo check -q)
  done
  printf '%-13s %s\n' "$s" "$(awk 'NR == 1 || $1 + $2 < c { c = $1 + $2 } END { printf "%.2f", c }' "$f")"
  rm -f "$f"
done < "$work/shapes"
uptime
