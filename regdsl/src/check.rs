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
    check_with(table, over_refs, diags, Sweep::Clusters)
}

/// How the overlap check walks the elements: both give the same diagnostics in the same
/// order (a test compares them); `Whole` is the plain algorithm the clusters shortcut.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sweep {
    Clusters,
    #[cfg_attr(not(test), allow(dead_code))]
    Whole,
}

fn check_with(table: &Table, over_refs: &[OverRef], diags: &mut Vec<Diagnostic>, sweep: Sweep) {
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
    overlaps(table, &declared, &declared_at, diags, sweep);
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

/// One element of a register (or of an alias): bytes `start..=last`. 48 bytes: the row's span
/// is looked up ([`Piece::span`]) only for a message. Only the elements of runs that share
/// bytes with another run (or with themselves) are built.
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

/// One segment of an array, or one single register (each also as an alias): its elements are
/// in address order. The order of runs, `(first, reg, alias, seg)` with `None` first, decides
/// the order of elements at equal keys in the stable sort below.
#[derive(Clone, Copy)]
struct Run {
    first: u64,
    /// Last byte of the last element.
    last: u64,
    reg: u32,
    /// `Some(a)` as `a + 1`, `None` as 0 (so the derived order is `Option`'s).
    alias: u32,
    /// The segment as `k + 1`, 0 for a single register.
    seg: u32,
    /// Two of the run's own elements share bytes (a stride below the width). The resolver
    /// refuses such rows, so a compiled table has none; a model built by hand still gets them
    /// reported, as before runs were grouped.
    self_overlap: bool,
}

impl Run {
    fn alias(&self) -> Option<u32> {
        self.alias.checked_sub(1)
    }
}

/// Every run of the table, ordered by first address.
fn runs(table: &Table) -> Vec<Run> {
    let mut runs = Vec::new();
    // Register, segment and alias counts come from vectors of a table in memory (far below
    // 2^32 elements of 48+ bytes each).
    for (r, reg) in table.registers.iter().enumerate() {
        let bytes = reg.width().bytes();
        let layouts = std::iter::once((0, &reg.layout)).chain(
            reg.aliases
                .iter()
                .enumerate()
                .map(|(i, a)| (i as u32 + 1, &a.layout)),
        );
        for (alias, layout) in layouts {
            match layout {
                Layout::Single { address } => runs.push(Run {
                    first: *address,
                    last: address + (bytes - 1),
                    reg: r as u32,
                    alias,
                    seg: 0,
                    self_overlap: false,
                }),
                Layout::Array { segments } => {
                    for (k, s) in segments.iter().enumerate() {
                        let n = u64::from(s.max - s.min);
                        runs.push(Run {
                            first: s.base,
                            last: s.base + s.step * n + (bytes - 1),
                            reg: r as u32,
                            alias,
                            seg: k as u32 + 1,
                            self_overlap: n > 0 && s.step < bytes,
                        });
                    }
                }
            }
        }
    }
    runs.sort_unstable_by_key(|r| (r.first, r.reg, r.alias, r.seg));
    runs
}

/// The elements of `runs`, run after run, into `out`.
fn pieces(table: &Table, runs: &[Run], out: &mut Vec<Piece>) {
    out.clear();
    for run in runs {
        let reg = &table.registers[run.reg as usize];
        let bytes = reg.width().bytes();
        let alias = run.alias();
        let layout = alias.map_or(&reg.layout, |a| &reg.aliases[a as usize].layout);
        match layout {
            Layout::Single { address } => out.push(Piece {
                start: *address,
                last: address + (bytes - 1),
                offset: alias
                    .map_or(reg.span, |a| reg.aliases[a as usize].span)
                    .offset,
                reg: run.reg,
                seg: 0,
                index: None,
                alias,
            }),
            Layout::Array { segments } => {
                let k = run.seg - 1;
                let s = &segments[k as usize];
                for i in s.min..=s.max {
                    let start = s.base + s.step * u64::from(i - s.min);
                    out.push(Piece {
                        start,
                        last: start + (bytes - 1),
                        offset: s.span.offset,
                        reg: run.reg,
                        seg: k,
                        index: Some(i),
                        alias,
                    });
                }
            }
        }
    }
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
    sweep: Sweep,
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
    let runs = runs(table);
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut used: HashSet<(usize, usize)> = HashSet::new();
    let mut reports = 0usize;
    let mut ps = Vec::new();
    // Clusters: maximal groups of consecutive runs whose byte ranges chain into one another.
    // Elements of different clusters never share a byte, and the clusters come in address
    // order, so checking cluster after cluster visits the same pairs in the same order as one
    // sweep over every element would. Most clusters are one run whose elements are disjoint:
    // nothing to compare, and no element is built.
    let mut first = 0;
    'outer: while first < runs.len() {
        let mut end = first + 1;
        let mut last = runs[first].last;
        while end < runs.len() && (runs[end].first <= last || sweep == Sweep::Whole) {
            last = last.max(runs[end].last);
            end += 1;
        }
        let cluster = &runs[first..end];
        first = end;
        if cluster.len() == 1 && !cluster[0].self_overlap && sweep == Sweep::Clusters {
            continue;
        }
        pieces(table, cluster, &mut ps);
        // Stable: ties (the same bytes, row and index) keep the runs' order.
        ps.sort_by_key(|p| (p.start, p.last, p.offset, p.index));
        for i in 0..ps.len() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    /// The table's check diagnostics with each sweep (syntax and resolver messages left out).
    fn both(src: &str) -> (Vec<String>, Vec<String>) {
        let mut resolver = crate::resolve::Resolver::new("t.txt");
        crate::syntax::parse_each("t.txt", src, |line| resolver.line(line));
        let r = resolver.finish();
        let run = |sweep| {
            let mut d = Vec::new();
            check_with(&r.table, &r.over_refs, &mut d, sweep);
            d.iter().map(|d| d.to_string()).collect::<Vec<_>>()
        };
        (run(Sweep::Clusters), run(Sweep::Whole))
    }

    /// Rows of a small address space: singles, arrays, split arrays (a name repeated), ALIAS
    /// rows, 32- and 64-bit registers, strides below the width, `over=`.
    fn table() -> impl Strategy<Value = String> {
        let row = (
            0usize..8,
            0u64..24,
            prop_oneof![Just(None), (0u64..4, 0u32..3, 0u32..4).prop_map(Some)],
            prop_oneof![3 => Just("RW"), 1 => Just("RW64"), 1 => Just("ALIAS")],
            proptest::option::weighted(0.15, 0usize..8),
        );
        proptest::collection::vec(row, 1..24).prop_map(|rows| {
            let mut s = String::new();
            for (name, addr, array, mode, over) in rows {
                let layout = match array {
                    None => "-".to_string(),
                    Some((step, min, n)) => format!("+{}*{}..{}", step * 4, min * 4, min * 4 + n),
                };
                let over = over.map(|o| format!(" over=R{o}")).unwrap_or_default();
                s.push_str(&format!(
                    "R{name} {:#x} {layout} {mode}{over} r\n",
                    addr * 4
                ));
            }
            s
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn clusters_report_what_one_sweep_reports(src in table()) {
            let (clusters, whole) = both(&src);
            prop_assert_eq!(clusters, whole, "{}", src);
        }
    }

    /// The generator reaches the cases the clusters must get right.
    #[test]
    fn the_cases_occur() {
        let (d, _) = both("A 0x0 +4*0..3 RW a\nB 0x8 - RW b\nA 0x40 +4*0..0 ALIAS a\nC 0x40 - RW c\nS 0x100 +4*0..3 RW s\nS 0x104 +4*4..5 RW s\n");
        assert_eq!(d.len(), 3, "{d:#?}");
        let mut hit = [0usize; 3];
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        for _ in 0..500 {
            let src = table().new_tree(&mut runner).unwrap().current();
            for m in both(&src).0 {
                hit[0] += usize::from(m.contains("undeclared overlap"));
                hit[1] += usize::from(m.contains("ALIAS range"));
                hit[2] += usize::from(m.contains("must not share addresses"));
            }
        }
        assert!(hit.iter().all(|&n| n > 0), "{hit:?}");
    }
}
