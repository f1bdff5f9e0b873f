//! Syntax rows → the model: merges split arrays, attaches aliases, fields and named values, and
//! runs every check that needs only one row and what came before it (identifiers, ranges,
//! alignment, stride, widths, duplicates). Cross-register checks are in `check.rs`.
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use crate::diag::Diagnostic;
use crate::ident::{ident_problem, is_ident};
use crate::model::{
    Access, Alias, ElementReset, Field, Layout, Mode, NamedValue, Register, Segment, Span, Table,
    Text, Width,
};
use crate::syntax::{Attr, AttrValue, FieldRow, Item, Line, ModeSyn, Num, RegRow, ValueRow};

/// Largest number of elements of one array (a 64 Ki-element array is far past any device).
pub const MAX_ELEMENTS: u64 = 1 << 16;
/// Largest number of rows (segments) of one split array.
pub const MAX_SEGMENTS: usize = 1024;
/// A field's first named values are checked for repeats by a search of the field's values;
/// those after them through a map (most fields have a few values, and hashing cost more).
const FEW_VALUES: usize = 16;

/// A name in `over=`, checked once the whole table is known.
pub struct OverRef {
    pub reg: usize,
    pub name: String,
    pub span: Span,
}

pub struct Resolved {
    pub table: Table,
    pub over_refs: Vec<OverRef>,
    pub diags: Vec<Diagnostic>,
}

/// Where a field or value row attaches.
#[derive(Clone, Copy)]
enum Ctx {
    /// Nothing above (start of file, after `@section`).
    None,
    /// The row above had an error: rows under it are skipped, not reported again.
    Poison,
    /// The row above is an ALIAS row (line).
    Alias(u32),
    Reg {
        reg: usize,
        field: FieldCtx,
    },
}

#[derive(Clone, Copy)]
enum FieldCtx {
    None,
    Poison,
    At(usize),
}

enum Loc {
    Single(u64),
    Seg(Segment),
}

/// Resolves a file's lines (see [`Resolver`] to resolve them one at a time).
pub fn resolve(file: &str, lines: &[Line]) -> Resolved {
    let mut b = Resolver::new(file);
    for line in lines {
        b.line(line);
    }
    b.finish()
}

/// Builds the model from the lines of a file, one line at a time, in file order: `compile`
/// hands it each line as the parser reads it.
pub struct Resolver<'f, 'a> {
    b: Builder<'f, 'a>,
}

impl<'f, 'a> Resolver<'f, 'a> {
    pub fn new(file: &'f str) -> Self {
        Resolver {
            b: Builder {
                file,
                table: Table {
                    file: file.to_string(),
                    registers: Vec::new(),
                },
                by_name: NameMap::default(),
                over_refs: Vec::new(),
                diags: Vec::new(),
                ctx: Ctx::None,
                section: None,
                default_width: Width::W32,
                value_names: NameMap::default(),
                over_seen: NameSet::default(),
                element_resets: Vec::new(),
            },
        }
    }

    /// Room for the registers of a file of `bytes` bytes, so that the register vector is not
    /// copied as it grows: one per 128 bytes (the tables of the repository have 72 to 143
    /// bytes per register; a file with more reserves too little, and the vector grows as usual).
    pub fn reserve_for(&mut self, bytes: usize) {
        self.b.table.registers.reserve(bytes / 128);
    }

    /// The next line of the file.
    pub fn line(&mut self, line: &Line<'a>) {
        let b = &mut self.b;
        if !matches!(
            line.item,
            Item::Blank | Item::Comment | Item::Value(_) | Item::Directive { .. }
        ) {
            b.close_rows(matches!(line.item, Item::Field(_)));
        }
        match &line.item {
            Item::Blank | Item::Comment => {}
            Item::Section { title, .. } => {
                b.section = Some(std::sync::Arc::from(&**title));
                b.ctx = Ctx::None;
            }
            Item::Width { width, .. } => {
                b.default_width = *width;
                b.ctx = Ctx::None;
            }
            Item::BadDirective | Item::DenyWarnings { .. } => b.ctx = Ctx::None,
            Item::Register(None) => b.ctx = Ctx::Poison,
            Item::Register(Some(row)) => b.register(row, line.number),
            Item::Field(row) => b.field_line(row.as_ref()),
            Item::Value(row) => b.value_line(row.as_ref()),
            Item::Directive { .. } => {}
            Item::Pasted { rows, .. } => b.pasted(rows, line.number),
        }
    }

    /// The model, after the checks that need every line.
    pub fn finish(mut self) -> Resolved {
        self.b.close_rows(false);
        self.b.element_resets();
        Resolved {
            table: self.b.table,
            over_refs: self.b.over_refs,
            diags: self.b.diags,
        }
    }
}

/// How messages name the row's register, built only when there is a message.
#[derive(Clone, Copy)]
struct What<'a> {
    name: &'a str,
    alias: bool,
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.alias {
            write!(f, "ALIAS of `{}`", self.name)
        } else {
            write!(f, "`{}`", self.name)
        }
    }
}

/// A row's attributes by key (at most one each of `reset=`, `write=`, `over=`), then its
/// `reset[...]=` ones (the vector allocates only for those).
struct Attrs<'r, 'a>([Option<&'r Attr<'a>>; 3], Vec<&'r Attr<'a>>);

impl<'r, 'a> Attrs<'r, 'a> {
    fn get(&self, key: &str) -> Option<&'r Attr<'a>> {
        self.0.iter().flatten().copied().find(|a| a.key == key)
    }
    /// Adds an attribute whose key is not there yet (the syntax knows three keys).
    fn push(&mut self, a: &'r Attr<'a>) {
        if let Some(slot) = self.0.iter_mut().find(|s| s.is_none()) {
            *slot = Some(a);
        }
    }
}

/// FxHash (the hasher of rustc's own tables) with a final mix, for the name maps: SipHash was
/// 4% of a compile.
/// Names come from the table being compiled: no defence against crafted collisions is needed
/// (at worst such a table compiles slowly).
#[derive(Clone, Copy, Default)]
pub(crate) struct NameHasher(u64);

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0xf135_7aea_2e62_a9c5;
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            h = (h ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            h = (h ^ u64::from_le_bytes(buf)).wrapping_mul(K);
        }
        self.0 = h;
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0 ^ i).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn finish(&self) -> u64 {
        // A multiply carries a byte's bits upwards only: the last bytes of a name (`REG00001`)
        // would reach neither the low bits (the bucket) nor the top ones (the tag). Fold them.
        let h = self.0 ^ (self.0 >> 33);
        let h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

pub(crate) type NameMap<K, V> = HashMap<K, V, BuildHasherDefault<NameHasher>>;
pub(crate) type NameSet<K> = HashSet<K, BuildHasherDefault<NameHasher>>;

/// A `reset[I..J]=V` of a register row, checked against the whole array once every segment
/// of it is known.
struct PendingReset {
    reg: usize,
    reset: ElementReset,
    /// `[I..J]` as written.
    text: String,
}

pub fn hex(v: u64) -> String {
    format!("0x{v:05X}")
}

struct Builder<'f, 'a> {
    file: &'f str,
    table: Table,
    by_name: NameMap<&'a str, usize>,
    over_refs: Vec<OverRef>,
    diags: Vec<Diagnostic>,
    ctx: Ctx,
    /// The current `@section`, shared by every register under it.
    section: Option<std::sync::Arc<str>>,
    /// `@width`: the width of register rows whose mode has no width suffix.
    default_width: Width,
    /// Named values of the current field after its first [`FEW_VALUES`]: name → line.
    value_names: NameMap<&'a str, u32>,
    /// `(register, name)` of every `over=` name seen (registers may repeat rows).
    over_seen: NameSet<(usize, &'a str)>,
    /// `reset[...]=` of every register row, in file order.
    element_resets: Vec<PendingReset>,
}

impl<'a> Builder<'_, 'a> {
    /// A field's rows end (and, unless `field_only`, its register's): their vectors are
    /// copied to exact size, so the table holds no spare room (a quarter of the benchmark
    /// table's heap), and the spare buffer is reused for the next register.
    fn close_rows(&mut self, field_only: bool) {
        if let Ctx::Reg { reg, field } = self.ctx {
            let fields = &mut self.table.registers[reg].fields;
            if let FieldCtx::At(f) = field {
                exact(&mut fields[f].values);
            }
            if !field_only {
                exact(fields);
            }
        }
    }
    fn error(&mut self, span: Span, msg: impl Into<String>, label: &str) {
        self.diags
            .push(Diagnostic::error(self.file, span, msg).with_label(label));
    }
    fn warning(&mut self, span: Span, msg: impl Into<String>, label: &str) {
        self.diags
            .push(Diagnostic::warning(self.file, span, msg).with_label(label));
    }

    fn name_ok(&mut self, name: &str, span: Span) -> bool {
        if is_ident(name) {
            return true;
        }
        match ident_problem(name) {
            Some(p) => {
                self.error(span, p, "not a valid name");
                false
            }
            None => true,
        }
    }

    /// Attributes by key; reports repeated and misplaced keys.
    fn attrs<'r>(
        &mut self,
        attrs: &'r [Attr<'a>],
        allowed: &[&str],
        row: &str,
    ) -> Option<Attrs<'r, 'a>> {
        let mut out = Attrs([None; 3], Vec::new());
        let mut ok = true;
        for a in attrs {
            if a.index.is_some() {
                if allowed.contains(&"reset[]") {
                    out.1.push(a);
                } else {
                    self.error(
                        a.span,
                        format!("per-element resets (`reset[I]=`) belong on register rows of arrays, not on {row}"),
                        "not allowed here",
                    );
                    ok = false;
                }
            } else if !allowed.contains(&a.key) {
                let msg = match a.key {
                    "write" => "`write=` belongs on RSV field rows".to_string(),
                    "over" => "`over=` belongs on register rows".to_string(),
                    k => format!("`{k}=` is not allowed on {row}"),
                };
                self.error(a.span, msg, "not allowed here");
                ok = false;
            } else if out.get(a.key).is_some() {
                self.error(a.span, format!("`{}=` is given twice", a.key), "repeated");
                ok = false;
            } else {
                out.push(a);
            }
        }
        ok.then_some(out)
    }

    /// The row's address or segment, after the per-row layout checks.
    fn location(&mut self, row: &RegRow<'a>, width: Width, what: What) -> Option<Loc> {
        let base = row.offset.value;
        let bytes = width.bytes();
        let bits = width.bits();
        let mut ok = true;
        let Some(arr) = &row.layout.array else {
            if base.checked_add(bytes - 1).is_none() {
                self.error(
                    row.offset.span,
                    format!("{what} at {} runs past the 64-bit address space", hex(base)),
                    "too large",
                );
                return None;
            }
            ok &= self.align(base, width, what, row.offset.span, false);
            return ok.then_some(Loc::Single(base));
        };
        for n in [&arr.min, &arr.max] {
            if n.value > u64::from(u32::MAX) {
                self.error(
                    n.span,
                    format!("index {} is too large (at most {})", n.text, u32::MAX),
                    "too large",
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        if arr.min.value > arr.max.value {
            self.error(
                arr.range_span,
                format!(
                    "reversed index range `{}..{}`: the first index must not exceed the last",
                    arr.min.text, arr.max.text
                ),
                "empty range",
            );
            return None;
        }
        let count = arr.max.value - arr.min.value + 1;
        if count > MAX_ELEMENTS {
            self.error(
                arr.range_span,
                format!("{what} would have {count} elements; arrays have at most {MAX_ELEMENTS}"),
                "too many elements",
            );
            return None;
        }
        let step = arr.step.value;
        let last = step
            .checked_mul(count - 1)
            .and_then(|d| d.checked_add(base))
            .and_then(|l| l.checked_add(bytes - 1));
        if last.is_none() {
            self.error(
                row.layout.span,
                format!("{what} runs past the 64-bit address space"),
                "too large",
            );
            return None;
        }
        ok &= self.align(base, width, what, row.offset.span, false);
        if count > 1 {
            if step < bytes {
                self.error(
                    arr.step.span,
                    format!(
                        "stride {} of {what} is smaller than its width ({bits} bits = {bytes} bytes): elements would overlap",
                        arr.step.text
                    ),
                    "stride too small",
                );
                ok = false;
            } else {
                ok &= self.align(step, width, what, arr.step.span, true);
            }
        }
        ok.then_some({
            Loc::Seg(Segment {
                base,
                step,
                min: arr.min.value as u32,
                max: arr.max.value as u32,
                span: row.offset.span,
            })
        })
    }

    /// Alignment of an address (or a stride): 8-, 16- and 32-bit registers need their width
    /// in bytes (error); 64-bit registers need 4 (error) and should have 8 (warning: two
    /// 32-bit halves then).
    fn align(&mut self, v: u64, width: Width, what: What, span: Span, stride: bool) -> bool {
        let need = width.bytes().min(4);
        if v.is_multiple_of(need) && (width != Width::W64 || v.is_multiple_of(8)) {
            return true;
        }
        let thing = if stride {
            format!("stride {} of {what}", hex(v))
        } else {
            format!("{what} at {}", hex(v))
        };
        if !v.is_multiple_of(need) {
            self.error(
                span,
                format!(
                    "{thing} is not {need}-byte aligned ({}-bit registers need {need}-byte alignment)",
                    width.bits()
                ),
                &format!("not {need}-byte aligned"),
            );
            return false;
        }
        if width == Width::W64 && !v.is_multiple_of(8) {
            self.warning(
                span,
                format!("{thing} is not 8-byte aligned: the 64-bit register is accessed as two 32-bit halves"),
                "not 8-byte aligned",
            );
        }
        true
    }

    fn register(&mut self, row: &RegRow<'a>, line: u32) {
        self.ctx = Ctx::Poison;
        if !self.name_ok(row.name.text, row.name.span) {
            return;
        }
        match row.mode {
            ModeSyn::Alias => self.alias(row, line),
            ModeSyn::Reg(mut mode) => {
                if !crate::syntax::mode_has_width(row.mode_tok.text) {
                    mode.width = self.default_width;
                }
                self.reg_row(row, mode)
            }
        }
    }

    fn reg_row(&mut self, row: &RegRow<'a>, mode: Mode) {
        let name = row.name.text;
        let loc = self.location(row, mode.width, What { name, alias: false });
        let attrs = self.attrs(&row.attrs, &["reset", "reset[]", "over"], "register rows");
        let (Some(loc), Some(attrs)) = (loc, attrs) else {
            return;
        };
        let mut reset = None;
        if let Some(a) = attrs.get("reset") {
            if let AttrValue::Num(n) = &a.value {
                if fits(n.value, mode.width.bits()) {
                    reset = Some(n.value);
                } else {
                    self.error(
                        n.span,
                        format!(
                            "reset value {} does not fit the {}-bit register `{name}`",
                            n.text,
                            mode.width.bits()
                        ),
                        "too wide",
                    );
                    return;
                }
            }
        }
        let Some(element_resets) = self.element_reset_attrs(&attrs.1, &loc, mode, name) else {
            return;
        };
        let over: Vec<_> = match attrs.get("over").map(|a| &a.value) {
            Some(AttrValue::Names(names)) => names.clone(),
            _ => Vec::new(),
        };
        // One lookup: a new name is inserted through its vacant entry.
        let idx = match self.by_name.entry(name) {
            Entry::Occupied(e) => {
                let idx = *e.get();
                match self.merge(idx, row, mode, loc) {
                    Some(()) => idx,
                    None => return,
                }
            }
            Entry::Vacant(v) => {
                let layout = match loc {
                    Loc::Single(address) => Layout::Single { address },
                    Loc::Seg(s) => Layout::Array { segments: vec![s] },
                };
                self.table.registers.push(Register {
                    name: Text::from(name),
                    mode,
                    description: Text::from(row.description),
                    layout,
                    aliases: Vec::new(),
                    over: Vec::new(),
                    reset: None,
                    element_resets: Vec::new(),
                    fields: Vec::new(),
                    section: self.section.clone(),
                    span: row.name.span,
                });
                *v.insert(self.table.registers.len() - 1)
            }
        };
        let reg = &mut self.table.registers[idx];
        if reset.is_some() {
            reg.reset = reset;
        }
        for (reset, text) in element_resets {
            self.element_resets.push(PendingReset {
                reg: idx,
                reset,
                text,
            });
        }
        let reg = &mut self.table.registers[idx];
        for o in over {
            if self.over_seen.insert((idx, o.text)) {
                reg.over.push(o.text.to_string());
                self.over_refs.push(OverRef {
                    reg: idx,
                    name: o.text.to_string(),
                    span: o.span,
                });
            }
        }
        self.ctx = Ctx::Reg {
            reg: idx,
            field: FieldCtx::None,
        };
    }

    /// The row's `reset[I]=V` / `reset[I..J]=V`: only on arrays, `I <= J`, values that fit.
    /// Whether the indices are the array's is checked at the end (`element_resets`), when
    /// every segment is known.
    fn element_reset_attrs(
        &mut self,
        attrs: &[&Attr],
        loc: &Loc,
        mode: Mode,
        name: &str,
    ) -> Option<Vec<(ElementReset, String)>> {
        let mut out = Vec::new();
        let mut ok = true;
        for a in attrs {
            let (Some(sel), AttrValue::Num(n)) = (&a.index, &a.value) else {
                continue;
            };
            let text = if sel.min.span == sel.max.span {
                format!("[{}]", sel.min.text)
            } else {
                format!("[{}..{}]", sel.min.text, sel.max.text)
            };
            if matches!(loc, Loc::Single(_)) {
                self.error(
                    sel.span,
                    format!("`reset{text}=` on `{name}`, which is a single register: element resets are for arrays (write `reset=`)"),
                    "not an array",
                );
                ok = false;
                continue;
            }
            let mut bad_index = false;
            for i in [&sel.min, &sel.max] {
                if i.value > u64::from(u32::MAX) {
                    self.error(
                        i.span,
                        format!("index {} is too large (at most {})", i.text, u32::MAX),
                        "too large",
                    );
                    bad_index = true;
                }
            }
            if bad_index {
                ok = false;
                continue;
            }
            if sel.min.value > sel.max.value {
                self.error(
                    sel.span,
                    format!(
                        "reversed index range in `reset{text}=`: the first index must not exceed the last"
                    ),
                    "empty range",
                );
                ok = false;
                continue;
            }
            if !fits(n.value, mode.width.bits()) {
                self.error(
                    n.span,
                    format!(
                        "reset value {} of `{name}{text}` does not fit the {}-bit register",
                        n.text,
                        mode.width.bits()
                    ),
                    "too wide",
                );
                ok = false;
                continue;
            }
            out.push((
                ElementReset {
                    min: sel.min.value as u32,
                    max: sel.max.value as u32,
                    value: n.value,
                    span: sel.span,
                },
                text,
            ));
        }
        ok.then_some(out)
    }

    /// Attaches the `reset[...]=` of every row to its array, once all of the array's segments
    /// are known: each index must be one of the array's, and no element may be given twice.
    fn element_resets(&mut self) {
        for p in std::mem::take(&mut self.element_resets) {
            let r = &self.table.registers[p.reg];
            let Layout::Array { segments } = &r.layout else {
                continue;
            };
            let e = &p.reset;
            if let Some(i) = first_missing(segments, e.min, e.max) {
                let have: Vec<String> = segments
                    .iter()
                    .map(|s| format!("{}..{}", s.min, s.max))
                    .collect();
                let msg = format!(
                    "index {i} of `reset{}=` is not an index of `{}` (it has {})",
                    p.text,
                    r.name,
                    have.join(", ")
                );
                self.error(e.span, msg, "outside the register's indices");
                continue;
            }
            if let Some(o) = r
                .element_resets
                .iter()
                .find(|o| o.min <= e.max && e.min <= o.max)
            {
                let msg = format!(
                    "element {}[{}] is given a reset twice: `reset{}=` here and `reset[{}]=` at line {}",
                    r.name,
                    e.min.max(o.min),
                    p.text,
                    if o.min == o.max {
                        o.min.to_string()
                    } else {
                        format!("{}..{}", o.min, o.max)
                    },
                    o.span.line
                );
                self.error(e.span, msg, "given twice");
                continue;
            }
            let list = &mut self.table.registers[p.reg].element_resets;
            let at = list.partition_point(|o| o.min < e.min);
            list.insert(at, p.reset);
        }
    }

    /// Another row for an existing name: a split-array segment or a repeated row.
    fn merge(&mut self, idx: usize, row: &RegRow<'a>, mode: Mode, loc: Loc) -> Option<()> {
        let name = row.name.text;
        let first_line = self.table.registers[idx].span.line;
        let first_mode = self.table.registers[idx].mode;
        let mode_differs = |this: &mut Self| {
            if first_mode != mode {
                this.error(
                    row.mode_tok.span,
                    format!("`{name}` has mode {mode} here but {first_mode} at line {first_line}"),
                    "different mode",
                );
                return true;
            }
            false
        };
        let repeated = |this: &mut Self, line: u32| {
            this.warning(
                row.name.span,
                format!("`{name}` is defined again with the same address and layout as at line {line}; the last description wins"),
                "repeated",
            );
            this.table.registers[idx].description = Text::from(row.description);
        };
        match (&self.table.registers[idx].layout, loc) {
            (Layout::Single { address }, Loc::Single(a)) => {
                if *address != a {
                    let msg = format!(
                        "`{name}` is defined twice at different addresses: {} here, {} at line {first_line} (only arrays can be split over several rows)",
                        hex(a),
                        hex(*address)
                    );
                    self.error(row.offset.span, msg, "second address");
                    return None;
                }
                if mode_differs(self) {
                    return None;
                }
                repeated(self, first_line);
            }
            (Layout::Array { segments }, Loc::Seg(seg)) => {
                let same = segments
                    .iter()
                    .find(|s| {
                        s.base == seg.base
                            && s.step == seg.step
                            && s.min == seg.min
                            && s.max == seg.max
                    })
                    .map(|s| s.span.line);
                let clash = segments
                    .iter()
                    .find(|s| s.min <= seg.max && seg.min <= s.max)
                    .map(|s| (s.min, s.max, s.span.line));
                let nseg = segments.len();
                if let Some(line) = same {
                    if mode_differs(self) {
                        return None;
                    }
                    repeated(self, line);
                } else if let Some((lo, hi, line)) = clash {
                    let arr = row.layout.array.as_ref().expect("array layout");
                    self.error(
                        arr.range_span,
                        format!(
                            "index range {}..{} of split array `{name}` overlaps its segment {lo}..{hi} at line {line}",
                            seg.min, seg.max
                        ),
                        "overlapping indices",
                    );
                    return None;
                } else {
                    if mode_differs(self) {
                        return None;
                    }
                    let len = self.table.registers[idx].layout.len();
                    let count = u64::from(seg.max - seg.min) + 1;
                    if nseg >= MAX_SEGMENTS || len + count > MAX_ELEMENTS {
                        self.error(
                            row.name.span,
                            format!("split array `{name}` would have more than {MAX_SEGMENTS} rows or {MAX_ELEMENTS} elements"),
                            "too large",
                        );
                        return None;
                    }
                    if let Layout::Array { segments } = &mut self.table.registers[idx].layout {
                        let at = segments.partition_point(|s| s.min < seg.min);
                        segments.insert(at, seg);
                    }
                }
            }
            (Layout::Single { .. }, Loc::Seg(_)) | (Layout::Array { .. }, Loc::Single(_)) => {
                let (was, is) = if matches!(self.table.registers[idx].layout, Layout::Single { .. })
                {
                    ("a single register", "an array")
                } else {
                    ("an array", "a single register")
                };
                self.error(
                    row.layout.span,
                    format!(
                        "`{name}` is defined twice: as {was} at line {first_line} and as {is} here"
                    ),
                    "different layout",
                );
                return None;
            }
        }
        Some(())
    }

    /// The rows of one pasted line (segments of a split array, then ALIAS rows, or one field):
    /// field rows below attach to the register, not to its last ALIAS.
    fn pasted(&mut self, rows: &[Item<'a>], line: u32) {
        let mut reg_ctx = None;
        let mut poisoned = false;
        for item in rows {
            match item {
                Item::Register(Some(row)) => {
                    self.register(row, line);
                    match self.ctx {
                        Ctx::Poison => poisoned = true,
                        Ctx::Reg { .. } => reg_ctx = Some(self.ctx),
                        _ => {}
                    }
                }
                Item::Field(row) => self.field_line(row.as_ref()),
                _ => {}
            }
        }
        if poisoned {
            self.ctx = Ctx::Poison;
        } else if let Some(ctx) = reg_ctx {
            self.ctx = ctx;
        }
    }

    fn alias(&mut self, row: &RegRow<'a>, line: u32) {
        let name = row.name.text;
        let Some(&idx) = self.by_name.get(name) else {
            self.error(
                row.name.span,
                format!("ALIAS of `{name}`, but no register `{name}` is defined above (an ALIAS row adds an address range to an earlier register)"),
                "unknown register",
            );
            return;
        };
        if let Some(a) = row.attrs.first() {
            self.error(
                a.span,
                "attributes are not allowed on ALIAS rows",
                "not allowed here",
            );
            return;
        }
        let width = self.table.registers[idx].mode.width;
        let Some(loc) = self.location(row, width, What { name, alias: true }) else {
            return;
        };
        let layout = match (&self.table.registers[idx].layout, loc) {
            (Layout::Single { .. }, Loc::Single(address)) => Layout::Single { address },
            (Layout::Array { segments }, Loc::Seg(seg)) => {
                if let Some(i) = first_missing(segments, seg.min, seg.max) {
                    let have: Vec<String> = segments
                        .iter()
                        .map(|s| format!("{}..{}", s.min, s.max))
                        .collect();
                    let arr = row.layout.array.as_ref().expect("array layout");
                    self.error(
                        arr.range_span,
                        format!(
                            "index {i} of this ALIAS is not an index of `{name}` (it has {})",
                            have.join(", ")
                        ),
                        "outside the register's indices",
                    );
                    return;
                }
                Layout::Array {
                    segments: vec![seg],
                }
            }
            (Layout::Single { .. }, Loc::Seg(_)) => {
                self.error(
                    row.layout.span,
                    format!("`{name}` is a single register: its ALIAS must have layout `-`"),
                    "array layout",
                );
                return;
            }
            (Layout::Array { .. }, Loc::Single(_)) => {
                self.error(
                    row.layout.span,
                    format!("`{name}` is an array: its ALIAS needs `+STEP*MIN..MAX`"),
                    "single layout",
                );
                return;
            }
        };
        self.table.registers[idx].aliases.push(Alias {
            layout,
            description: Text::from(row.description),
            span: row.offset.span,
        });
        self.ctx = Ctx::Alias(line);
    }

    fn field_line(&mut self, row: Option<&FieldRow<'a>>) {
        let reg = match self.ctx {
            Ctx::Reg { reg, .. } => reg,
            Ctx::Poison => return,
            Ctx::None | Ctx::Alias(_) => {
                if let Some(row) = row {
                    let msg = match self.ctx {
                        Ctx::Alias(line) => format!(
                            "field `.{}` follows an ALIAS row (line {line}): fields go under the register's own row",
                            row.name.text
                        ),
                        _ => format!("field `.{}` must follow a register row", row.name.text),
                    };
                    self.error(row.name.span, msg, "no register above");
                }
                self.ctx = Ctx::Poison;
                return;
            }
        };
        let field = match row.and_then(|row| self.field(reg, row)) {
            Some(f) => FieldCtx::At(f),
            None => FieldCtx::Poison,
        };
        self.value_names.clear();
        self.ctx = Ctx::Reg { reg, field };
    }

    /// Adds a field to register `reg`; `None` if it has an error.
    fn field(&mut self, reg: usize, row: &FieldRow<'a>) -> Option<usize> {
        let name = &*row.name.text;
        let ok_name = self.name_ok(name, row.name.span);
        let r = &self.table.registers[reg];
        let bits = r.mode.width.bits();
        let (msb, lsb) = (row.bits.msb.value, row.bits.lsb.value);
        if lsb > msb {
            self.error(
                row.bits.span,
                format!(
                    "reversed bit range `{}`: write the high bit first (`{}:{}`)",
                    row.bits.text, row.bits.lsb.text, row.bits.msb.text
                ),
                "reversed",
            );
            return None;
        }
        if msb >= u64::from(bits) {
            let what = if msb == lsb {
                format!("bit {msb} is")
            } else {
                format!("bits {msb}:{lsb} are")
            };
            let msg = format!(
                "{what} beyond the {bits}-bit register `{}` (bits {}:0)",
                r.name,
                bits - 1
            );
            self.error(row.bits.span, msg, "beyond the register");
            return None;
        }
        let (msb, lsb) = (msb as u32, lsb as u32);
        if let Some(f) = r.fields.iter().find(|f| f.name == name) {
            let line = f.span.line;
            let msg = format!(
                "field `{name}` is defined twice in `{}` (first at line {line})",
                r.name
            );
            self.error(row.name.span, msg, "repeated field");
            return None;
        }
        if let Some(f) = r.fields.iter().find(|f| f.lsb <= msb && lsb <= f.msb) {
            let msg = format!(
                "{} of field `{name}` overlap{} field `{}` ({}, line {})",
                bit_text(msb, lsb),
                if msb == lsb { "s" } else { "" },
                f.name,
                bit_text(f.msb, f.lsb),
                f.span.line
            );
            self.error(row.bits.span, msg, "overlapping bits");
            return None;
        }
        let access = row.access.as_ref().map(|(a, _)| *a);
        let allowed: &[&str] = if access == Some(Access::RSV) {
            &["reset", "write"]
        } else {
            &["reset"]
        };
        let attrs = self.attrs(&row.attrs, allowed, "field rows")?;
        let width = msb - lsb + 1;
        let value_of = |this: &mut Self, key: &str| -> Result<Option<u64>, ()> {
            match attrs.get(key).map(|a| &a.value) {
                Some(AttrValue::Num(n)) => {
                    if fits(n.value, width) {
                        Ok(Some(n.value))
                    } else {
                        this.too_wide(n, &format!("{key} value"), width, name);
                        Err(())
                    }
                }
                _ => Ok(None),
            }
        };
        let reset = value_of(self, "reset");
        let write_value = value_of(self, "write");
        let (Ok(reset), Ok(write_value), true) = (reset, write_value, ok_name) else {
            return None;
        };
        let r = &mut self.table.registers[reg];
        r.fields.push(Field {
            name: Text::from(name),
            lsb,
            msb,
            access,
            reset,
            write_value,
            description: Text::from(row.description),
            values: Vec::new(),
            span: row.name.span,
        });
        Some(r.fields.len() - 1)
    }

    fn too_wide(&mut self, n: &Num, what: &str, width: u32, field: &str) {
        let max = if width >= 64 {
            u64::MAX
        } else {
            (1u64 << width) - 1
        };
        self.error(
            n.span,
            format!(
                "{what} {} ({}) is too wide for the {width}-bit field `{field}` (at most {max})",
                n.text, n.value
            ),
            "too wide",
        );
    }

    fn value_line(&mut self, row: Option<&ValueRow<'a>>) {
        let (reg, field) = match self.ctx {
            Ctx::Reg {
                reg,
                field: FieldCtx::At(f),
            } => (reg, f),
            Ctx::Poison
            | Ctx::Reg {
                field: FieldCtx::Poison,
                ..
            } => return,
            _ => {
                if let Some(row) = row {
                    self.error(
                        row.name.span,
                        format!(
                            "named value `={}` must follow a field row (`.NAME BITS ...`)",
                            row.name.text
                        ),
                        "no field above",
                    );
                }
                return;
            }
        };
        let Some(row) = row else { return };
        let name = row.name.text;
        if !self.name_ok(name, row.name.span) {
            return;
        }
        let f = &self.table.registers[reg].fields[field];
        let width = f.width();
        // The field's first values are searched in place; a field with many has them mapped.
        let first = f.values[..f.values.len().min(FEW_VALUES)]
            .iter()
            .find(|v| v.name == name)
            .map(|v| v.span.line);
        if let Some(line) = first.or_else(|| self.value_names.get(name).copied()) {
            let msg = format!(
                "value `{name}` is defined twice for field `{}` (first at line {line})",
                f.name
            );
            self.error(row.name.span, msg, "repeated value");
            return;
        }
        if !fits(row.value.value, width) {
            let fname = f.name.clone();
            self.too_wide(&row.value, "value", width, &fname);
            return;
        }
        if f.values.len() >= FEW_VALUES {
            self.value_names.insert(name, row.name.span.line);
        }
        self.table.registers[reg].fields[field]
            .values
            .push(NamedValue {
                name: Text::from(name),
                value: row.value.value,
                description: Text::from(row.description),
                span: row.name.span,
            });
    }
}

/// `v` with capacity for its elements only (a copy: shrinking in place would leave
/// fragments that nothing reuses).
fn exact<T>(v: &mut Vec<T>) {
    if v.capacity() > v.len() {
        let mut e = Vec::with_capacity(v.len());
        e.append(v);
        *v = e;
    }
}

fn fits(v: u64, bits: u32) -> bool {
    bits >= 64 || v >> bits == 0
}

fn bit_text(msb: u32, lsb: u32) -> String {
    if msb == lsb {
        format!("bit {msb}")
    } else {
        format!("bits {msb}:{lsb}")
    }
}

/// The first index in `min..=max` that no segment has (segments sorted and disjoint).
fn first_missing(segments: &[Segment], min: u32, max: u32) -> Option<u32> {
    let mut cur = u64::from(min);
    for s in segments {
        if u64::from(s.max) < cur {
            continue;
        }
        if u64::from(s.min) > cur {
            return Some(cur as u32);
        }
        cur = u64::from(s.max) + 1;
        if cur > u64::from(max) {
            return None;
        }
    }
    (cur <= u64::from(max)).then_some(cur as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// Names that differ in their last characters spread over buckets and tags (a multiply
    /// alone left `REG00000`..`REG09999` in a few buckets).
    #[test]
    fn name_hasher_spreads_similar_names() {
        let b = BuildHasherDefault::<NameHasher>::default();
        let hashes: Vec<u64> = (0..10_000)
            .map(|i| b.hash_one(format!("REG{i:05}").as_str()))
            .collect();
        let buckets: HashSet<u64> = hashes.iter().map(|h| h & 0x3fff).collect();
        let tags: HashSet<u64> = hashes.iter().map(|h| h >> 57).collect();
        assert!(buckets.len() > 5_000, "{}", buckets.len());
        assert_eq!(tags.len(), 128);
    }
}
