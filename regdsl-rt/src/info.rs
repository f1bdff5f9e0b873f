//! The whole table as data: for tracers (name lookup) and a software device (reset values,
//! writable bits). Generated as `REGISTERS`, with `lookup(offset)` on top.

use crate::bus::Site;
use crate::spec::{Access, Seg};

/// One register of a table.
#[derive(Clone, Copy, Debug)]
pub struct RegInfo {
    pub name: &'static str,
    pub access: Access,
    /// Width in bits: 8, 16, 32 or 64.
    pub bits: u8,
    /// Empty for a single register (see `offset`).
    pub segments: &'static [Seg],
    /// Offset of a single register (the first segment's base for arrays).
    pub offset: usize,
    /// Declared alias ranges (element `i` of an alias is element `i` of the register).
    pub aliases: &'static [Seg],
    /// Registers this one deliberately overlays (a 64-bit view over a low/high pair).
    pub over: &'static [&'static str],
    /// Reset value of the register (of an array: of the elements `element_resets` does not
    /// name); see [`RegInfo::reset_of`].
    pub reset: Option<u64>,
    /// Elements of an array with their own reset value (`reset[0]=...` in the table); sorted,
    /// disjoint, usually empty.
    pub element_resets: &'static [ElementReset],
    pub writable: u64,
    pub w1c: u64,
    pub rsv_mask: u64,
    pub rsv_value: u64,
    pub description: &'static str,
}

/// Elements `min..=max` of an array reset to `value` (`reset[I..J]=V` in the table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ElementReset {
    pub min: u32,
    pub max: u32,
    pub value: u64,
}

impl RegInfo {
    /// Reset value of element `i` (`None` for a single register): its own when the table
    /// gives one, else `reset`. `None` also for an index the register does not have.
    pub fn reset_of(&self, i: Option<u32>) -> Option<u64> {
        self.offset_of(i)?;
        match i {
            Some(i) => self
                .element_resets
                .iter()
                .find(|e| e.min <= i && i <= e.max)
                .map_or(self.reset, |e| Some(e.value)),
            None => self.reset,
        }
    }
    pub fn is_array(&self) -> bool {
        !self.segments.is_empty()
    }
    pub fn bytes(&self) -> usize {
        usize::from(self.bits / 8)
    }
    /// Offset of element `i` (`None` for an index outside the array; single registers take
    /// no index).
    pub fn offset_of(&self, i: Option<u32>) -> Option<usize> {
        match i {
            None => (!self.is_array()).then_some(self.offset),
            Some(i) => crate::spec::seg_offset(self.segments, i),
        }
    }
    /// Index (or `None` for a single register) of the element that covers byte `offset`,
    /// through the register's own address or an alias.
    pub fn element_at(&self, offset: usize) -> Option<Option<u32>> {
        let n = self.bytes();
        if !self.is_array() {
            return (offset >= self.offset && offset < self.offset + n).then_some(None);
        }
        self.segments
            .iter()
            .chain(self.aliases.iter())
            .find_map(|s| seg_index(s, offset, n))
            .map(Some)
    }
}

fn seg_index(s: &Seg, offset: usize, bytes: usize) -> Option<u32> {
    if offset < s.base {
        return None;
    }
    let d = offset - s.base;
    // A step of 0 (an alias of a single register) has one element.
    let (k, r) = match d.checked_div(s.step) {
        Some(k) => (k, d % s.step),
        None => (0, d),
    };
    (r < bytes && k <= (s.max - s.min) as usize).then(|| s.min + k as u32)
}

/// The canonical name and index at `offset`: ordinary registers first, then overlays
/// (`over=`), aliases resolved to their register. Linear in the table size: a device model
/// that decodes every access should build its own map from `regs`.
pub fn lookup(regs: &'static [RegInfo], offset: usize) -> Option<Site> {
    let find = |overlay: bool| {
        regs.iter()
            .filter(|r| r.over.is_empty() != overlay)
            .find_map(|r| r.element_at(offset).map(|i| Site::new(r.name, i)))
    };
    find(false).or_else(|| find(true))
}
