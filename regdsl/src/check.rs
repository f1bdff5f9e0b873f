//! Checks across registers: `over=` references and byte overlaps. Overlaps that no ALIAS row
//! or `over=` declares are warnings (Snabb tables define 64-bit views without declaring them);
//! two elements of one register at the same bytes are errors.
use std::collections::HashSet;

use crate::diag::Diagnostic;
use crate::model::{Access, ElementReset, Layout, Register, Span, Table};
use crate::resolve::{hex, NameMap, OverRef};

/// Above this many elements in total the overlap check is skipped (with a warning), so that
/// no table makes the checker slow.
pub const MAX_CHECKED_ELEMENTS: usize = 1 << 20;
/// Overlap warnings listed per table, at most.
pub const MAX_OVERLAP_REPORTS: usize = 500;

pub fn check(table: &Table, over_refs: &[OverRef], diags: &mut Vec<Diagnostic>) {
    let file = table.file.as_str();
    // Only `over=` looks registers up by name: most tables have none, and build no index.
    let index: NameMap<&str, usize> = if over_refs.is_empty() {
        NameMap::default()
    } else {
        table
            .registers
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.as_str(), i))
            .collect()
    };
    // Declared overlays, as unordered register pairs.
    let mut declared: HashSet<(usize, usize)> = HashSet::new();
    let mut declared_at: Vec<(usize, usize, Span)> = Vec::new();
    for o in over_refs {
        let me = &table.registers[o.reg].name;
        match index.get(o.name.as_str()) {
            None => diags.push(
                Diagnostic::error(
                    file,
                    o.span,
                    format!(
                        "`over=` names `{}`, which is not a register of this table",
                        o.name
                    ),
                )
                .with_label("unknown register"),
            ),
            Some(&j) if j == o.reg => diags.push(
                Diagnostic::error(file, o.span, format!("`{me}` cannot overlay itself"))
                    .with_label("itself"),
            ),
            Some(&j) => {
                declared.insert(pair(o.reg, j));
                declared_at.push((o.reg, j, o.span));
            }
        }
    }
    overlaps(table, &declared, &declared_at, diags);
    fields(table, diags);
}

/// Fields against their register: reset values agree, and no writable field in a
/// read-only register.
fn fields(table: &Table, diags: &mut Vec<Diagnostic>) {
    let file = table.file.as_str();
    for r in &table.registers {
        for f in &r.fields {
            if let Some(reset) = f.reset {
                // Every reset value some element of the register has, with the elements
                // it applies to: the field's reset must agree with each (one warning).
                let disagree = reset_values(r)
                    .map(|(which, v)| (which, v, (v & f.mask()) >> f.lsb))
                    .find(|&(_, _, implied)| implied != reset);
                if let Some((which, reg_reset, implied)) = disagree {
                    let which = match which {
                        None => String::new(),
                        Some(e) if e.min == e.max => format!("[{}]", e.min),
                        Some(e) => format!("[{}..{}]", e.min, e.max),
                    };
                    diags.push(
                        Diagnostic::warning(
                            file,
                            f.span,
                            format!(
                                "field `{}` has reset={reset:#x}, but the reset value {reg_reset:#010x} of `{}{which}` gives {implied:#x} in its bits",
                                f.name, r.name
                            ),
                        )
                        .with_label("reset disagrees"),
                    );
                }
            }
            let access = f.access.unwrap_or(r.mode.access);
            if r.mode.access == Access::RO && access.writable() {
                diags.push(
                    Diagnostic::warning(
                        file,
                        f.span,
                        format!(
                            "field `{}` is {} but register `{}` is RO",
                            f.name,
                            access.as_str(),
                            r.name
                        ),
                    )
                    .with_label("writable field"),
                );
            }
        }
    }
}

/// The register's reset values and the elements each applies to (`None` for all of them, or
/// the `reset[...]=`): its `reset=` if some element has no `reset[...]=`, then every
/// `reset[...]=`.
fn reset_values(r: &Register) -> impl Iterator<Item = (Option<&ElementReset>, u64)> {
    let named: u64 = r
        .element_resets
        .iter()
        .map(|e| u64::from(e.max - e.min) + 1)
        .sum();
    let all = r.reset.filter(|_| named < r.layout.len());
    all.map(|v| (None, v))
        .into_iter()
        .chain(r.element_resets.iter().map(|e| (Some(e), e.value)))
}

fn pair(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

/// One element of a register (or of an alias): bytes `start..=last`. 48 bytes (the table's
/// 86,000 elements of the benchmark take 4 MB): the row's span is looked up ([`Piece::span`])
/// only for a message.
struct Piece {
    start: u64,
    last: u64,
    /// Byte offset of the row that defines the element (`span().offset`), for the order.
    offset: usize,
    reg: u32,
    /// The segment of an array (index into `Layout::Array::segments`); 0 for a single register.
    seg: u32,
    index: Option<u32>,
    /// Index of the alias in `Register::aliases`, if this is an alias address.
    alias: Option<u32>,
}

impl Piece {
    fn reg(&self) -> usize {
        self.reg as usize
    }

    /// The row that defines the element: the register's (or alias's) row for a single
    /// register, the segment's row for an array element.
    fn span(&self, table: &Table) -> Span {
        let reg = &table.registers[self.reg()];
        let (layout, row) = match self.alias {
            Some(a) => (
                &reg.aliases[a as usize].layout,
                reg.aliases[a as usize].span,
            ),
            None => (&reg.layout, reg.span),
        };
        match layout {
            Layout::Single { .. } => row,
            Layout::Array { segments } => segments[self.seg as usize].span,
        }
    }
}

/// Every element of every register and alias, each segment's elements in address order (a
/// run), the runs ordered by their first address: nearly sorted already, so the caller's
/// stable sort merges runs instead of sorting elements.
fn pieces(table: &Table) -> Vec<Piece> {
    // (first address, register, alias, segment or None for a single register)
    let mut runs: Vec<(u64, usize, Option<usize>, Option<usize>)> = Vec::new();
    for (r, reg) in table.registers.iter().enumerate() {
        let layouts = std::iter::once((None, &reg.layout)).chain(
            reg.aliases
                .iter()
                .enumerate()
                .map(|(i, a)| (Some(i), &a.layout)),
        );
        for (alias, layout) in layouts {
            match layout {
                Layout::Single { address } => runs.push((*address, r, alias, None)),
                Layout::Array { segments } => {
                    for (k, s) in segments.iter().enumerate() {
                        runs.push((s.base, r, alias, Some(k)));
                    }
                }
            }
        }
    }
    runs.sort_unstable_by_key(|&(start, r, alias, seg)| (start, r, alias, seg));
    let mut out = Vec::with_capacity(total_elements(table) as usize);
    for (_, r, alias, seg) in runs {
        let reg = &table.registers[r];
        let bytes = reg.width().bytes();
        let layout = alias.map_or(&reg.layout, |a| &reg.aliases[a].layout);
        // Register, segment and alias counts come from vectors of a table in memory (far below
        // 2^32 elements of 48+ bytes each).
        let (reg_no, alias) = (r as u32, alias.map(|a| a as u32));
        match (layout, seg) {
            (Layout::Single { address }, _) => out.push(Piece {
                start: *address,
                last: address + (bytes - 1),
                offset: alias
                    .map_or(reg.span, |a| reg.aliases[a as usize].span)
                    .offset,
                reg: reg_no,
                seg: 0,
                index: None,
                alias,
            }),
            (Layout::Array { segments }, Some(k)) => {
                let s = &segments[k];
                for i in s.min..=s.max {
                    let start = s.base + s.step * u64::from(i - s.min);
                    out.push(Piece {
                        start,
                        last: start + (bytes - 1),
                        offset: s.span.offset,
                        reg: reg_no,
                        seg: k as u32,
                        index: Some(i),
                        alias,
                    });
                }
            }
            (Layout::Array { .. }, None) => unreachable!("an array's run names its segment"),
        }
    }
    out
}

fn total_elements(table: &Table) -> u64 {
    table
        .registers
        .iter()
        .map(|r| r.layout.len() + r.aliases.iter().map(|a| a.layout.len()).sum::<u64>())
        .sum()
}

fn overlaps(
    table: &Table,
    declared: &HashSet<(usize, usize)>,
    declared_at: &[(usize, usize, Span)],
    diags: &mut Vec<Diagnostic>,
) {
    let file = table.file.as_str();
    let total = total_elements(table);
    if total > MAX_CHECKED_ELEMENTS as u64 {
        if let Some(r) = table.registers.first() {
            diags.push(Diagnostic::warning(
                file,
                r.span,
                format!("overlap check skipped: the table has {total} register elements (checked up to {MAX_CHECKED_ELEMENTS})"),
            ));
        }
        return;
    }
    let mut ps = pieces(table);
    // Stable: on runs already in order this is a merge, linear for most tables; ties (the
    // same bytes, row and index) keep the runs' order, which is deterministic.
    // (Skipping the sort when the pieces are in order already, the usual case, saves 1.6 M
    // instructions on the benchmark's table but measured 20% slower there in CPU time: without
    // the sort buffer glibc returned and re-faulted heap pages every pass. See BENCHMARKS.md.)
    ps.sort_by_key(|p| (p.start, p.last, p.offset, p.index));
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut reports = 0usize;
    'outer: for i in 0..ps.len() {
        for j in i + 1..ps.len() {
            let (a, b) = (&ps[i], &ps[j]);
            if b.start > a.last {
                break;
            }
            if a.reg == b.reg {
                // An alias over its own register is deliberate; two elements of one register
                // at the same bytes are not.
                if a.alias.is_none()
                    && b.alias.is_none()
                    && a.index != b.index
                    && seen.insert((a.reg(), a.reg()))
                {
                    let (early, late) = order(a, b);
                    let name = &table.registers[a.reg()].name;
                    diags.push(
                        Diagnostic::error(
                            file,
                            late.span(table),
                            format!(
                                "{} at {} overlaps {} at {}: the segments of a split array must not share addresses",
                                element(name, late),
                                hex(late.start),
                                element(name, early),
                                hex(early.start)
                            ),
                        )
                        .with_label("same bytes"),
                    );
                }
                continue;
            }
            let key = pair(a.reg(), b.reg());
            if declared.contains(&key) {
                used.insert(key);
                continue;
            }
            if !seen.insert(key) {
                continue;
            }
            reports += 1;
            if reports > MAX_OVERLAP_REPORTS {
                diags.push(Diagnostic::warning(
                    file,
                    b.span(table),
                    format!("more than {MAX_OVERLAP_REPORTS} overlapping register pairs; the rest are not listed"),
                ));
                return;
            }
            let (early, late) = order(a, b);
            let (en, ln) = (&table.registers[early.reg()], &table.registers[late.reg()]);
            // Suggest declaring the overlay on the wider register (the view), else the later one.
            let (view, under) = if en.width().bits() > ln.width().bits() {
                (en, ln)
            } else {
                (ln, en)
            };
            let what = if early.alias.is_some() || late.alias.is_some() {
                "an ALIAS range overlapping another register"
            } else {
                "undeclared overlap"
            };
            diags.push(
                Diagnostic::warning(
                    file,
                    late.span(table),
                    format!(
                        "{} ({}..={}) overlaps {} ({}..={}, line {}): {what}; if deliberate, add `over={}` to `{}`",
                        element(&ln.name, late),
                        hex(late.start),
                        hex(late.last),
                        element(&en.name, early),
                        hex(early.start),
                        hex(early.last),
                        early.span(table).line,
                        under.name,
                        view.name,
                    ),
                )
                .with_label("overlapping bytes"),
            );
            if reports > MAX_OVERLAP_REPORTS {
                break 'outer;
            }
        }
    }
    for &(r, o, span) in declared_at {
        if !used.contains(&pair(r, o)) {
            diags.push(
                Diagnostic::warning(
                    file,
                    span,
                    format!(
                        "`{}` is declared `over={}` but they share no bytes",
                        table.registers[r].name, table.registers[o].name
                    ),
                )
                .with_label("no overlap"),
            );
        }
    }
}

fn order<'a>(a: &'a Piece, b: &'a Piece) -> (&'a Piece, &'a Piece) {
    if (a.offset, a.index) <= (b.offset, b.index) {
        (a, b)
    } else {
        (b, a)
    }
}

fn element(name: &str, p: &Piece) -> String {
    let mut s = format!("`{name}");
    if let Some(i) = p.index {
        s.push_str(&format!("[{i}]"));
    }
    s.push('`');
    if p.alias.is_some() {
        s.push_str(" (ALIAS)");
    }
    s
}
