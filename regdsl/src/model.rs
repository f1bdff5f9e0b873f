//! The resolved model of a register table: what the parser produces after
//! checks, and what code generation, `fmt`, `dump` and `doc` consume.
//!
//! Invariants (established by `check`, relied on by every consumer):
//! - register names are unique; a split array is one [`Register`] with several [`Segment`]s
//!   whose index ranges are disjoint and sorted by `min`;
//! - every field lies inside the register width and fields do not overlap;
//! - every named value fits its field;
//! - a register's `element_resets` are those of an array, name indices of it, are disjoint,
//!   sorted by `min`, and every value fits the register.
//!
//! Names and descriptions are [`Text`]s: a text of up to 24 bytes (every register, field and
//! value name of a usual table, and short descriptions) is kept inline, without an allocation;
//! longer ones on the heap like a `String`. They dereference to `&str` (`name.as_str()`, `&*name`)
//! and compare with `&str` and `String`.

mod text;
pub use text::Text;

/// A position in a table file. Lines and columns count from 1; `offset`/`len` are byte offsets
/// into the source text (for carets in diagnostics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub offset: usize,
    pub len: usize,
}

/// What software may do with a register (or a field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read only.
    RO,
    /// Read and write.
    RW,
    /// Write only (reads return nothing meaningful).
    WO,
    /// Read-to-clear counter.
    RC,
    /// Counter that wraps and is not cleared by reads.
    RCR,
    /// Read-to-clear, not a counter (interrupt causes, a UART's line status): reading has a
    /// side effect (needs unique access) but the value is not summed into statistics. Not
    /// writable.
    RTC,
    /// Read-to-clear and writable, not a counter: the interrupt cause registers datasheets
    /// print `RC/W`, `RC/WC` or `RC/W1C` (a read clears the causes, a write of 1s clears
    /// them too). Reading needs unique access; not in `Stats`.
    RTCW,
    /// Write 1 to clear.
    W1C,
    /// Reserved (fields only): writes keep the value the table requires.
    RSV,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::RO => "RO",
            Access::RW => "RW",
            Access::WO => "WO",
            Access::RC => "RC",
            Access::RCR => "RCR",
            Access::RTC => "RTC",
            Access::RTCW => "RTCW",
            Access::W1C => "W1C",
            Access::RSV => "RSV",
        }
    }
    pub fn readable(self) -> bool {
        !matches!(self, Access::WO)
    }
    pub fn writable(self) -> bool {
        matches!(self, Access::RW | Access::WO | Access::W1C | Access::RTCW)
    }
    pub fn is_counter(self) -> bool {
        matches!(self, Access::RC | Access::RCR)
    }
    /// Reading changes the register (RC counters, RTC and RTCW causes): reads need unique
    /// access.
    pub fn clears_on_read(self) -> bool {
        matches!(self, Access::RC | Access::RTC | Access::RTCW)
    }
    /// The register gets a `NAME_mut()` accessor: it clears on read, or `Stats` reads it.
    pub fn has_unique_accessor(self) -> bool {
        self.is_counter() || self.clears_on_read()
    }
}

/// Register width in bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Width {
    W8,
    W16,
    W32,
    W64,
}

impl Width {
    pub fn bits(self) -> u32 {
        match self {
            Width::W8 => 8,
            Width::W16 => 16,
            Width::W32 => 32,
            Width::W64 => 64,
        }
    }
    /// `8`, `16`, `32` or `64`.
    pub fn from_bits(bits: u64) -> Option<Width> {
        Some(match bits {
            8 => Width::W8,
            16 => Width::W16,
            32 => Width::W32,
            64 => Width::W64,
            _ => return None,
        })
    }
    pub fn bytes(self) -> u64 {
        u64::from(self.bits() / 8)
    }
}

/// A register mode as written in a table: `RW`, `RC64`, ...
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mode {
    pub access: Access,
    pub width: Width,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.access.as_str())?;
        if self.width != Width::W32 {
            write!(f, "{}", self.width.bits())?;
        }
        Ok(())
    }
}

/// One row's index range of an array: element `i` (with `min <= i <= max`) is at
/// `base + step * (i - min)`, as in Snabb's `lib.hardware.register`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub base: u64,
    pub step: u64,
    pub min: u32,
    pub max: u32,
    pub span: Span,
}

impl Segment {
    pub fn address(&self, index: u32) -> Option<u64> {
        (self.min..=self.max)
            .contains(&index)
            .then(|| self.base + self.step * u64::from(index - self.min))
    }
}

/// Where a register lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One register (`-` in the table).
    Single { address: u64 },
    /// An array, possibly split over several rows; segments sorted by `min`, disjoint.
    Array { segments: Vec<Segment> },
}

impl Layout {
    /// Address of element `index` (`None` for `Single`, or an index outside every segment).
    pub fn address(&self, index: u32) -> Option<u64> {
        match self {
            Layout::Single { .. } => None,
            Layout::Array { segments } => segments.iter().find_map(|s| s.address(index)),
        }
    }
    /// Every `(index, address)`; one `(None, address)` for a single register.
    pub fn elements(&self) -> Vec<(Option<u32>, u64)> {
        match self {
            Layout::Single { address } => vec![(None, *address)],
            Layout::Array { segments } => segments
                .iter()
                .flat_map(|s| (s.min..=s.max).map(move |i| (Some(i), s.address(i).unwrap_or(0))))
                .collect(),
        }
    }
    /// Number of elements (1 for a single register).
    pub fn len(&self) -> u64 {
        match self {
            Layout::Single { .. } => 1,
            Layout::Array { segments } => {
                segments.iter().map(|s| u64::from(s.max - s.min) + 1).sum()
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Smallest and largest index of an array.
    pub fn index_range(&self) -> Option<(u32, u32)> {
        match self {
            Layout::Single { .. } => None,
            Layout::Array { segments } => {
                let min = segments.iter().map(|s| s.min).min()?;
                let max = segments.iter().map(|s| s.max).max()?;
                Some((min, max))
            }
        }
    }
}

/// A second, deliberate address range for the same register (the 82599's 82598-compatible
/// ranges): element `i` of the alias is element `i` of the register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    pub layout: Layout,
    pub description: Text,
    pub span: Span,
}

/// A named value of a multi-bit field (`=ADV_ONEBUF 001b Advanced one buffer`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedValue {
    pub name: Text,
    pub value: u64,
    pub description: Text,
    pub span: Span,
}

/// A bit field of a register, bits `lsb..=msb`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Text,
    pub lsb: u32,
    pub msb: u32,
    /// `None`: same access as the register.
    pub access: Option<Access>,
    pub reset: Option<u64>,
    /// For reserved (`RSV`) fields: the value writes must keep, when the table says
    /// (`write=VALUE`); otherwise the reset value is kept.
    pub write_value: Option<u64>,
    pub description: Text,
    pub values: Vec<NamedValue>,
    pub span: Span,
}

impl Field {
    pub fn width(&self) -> u32 {
        self.msb - self.lsb + 1
    }
    /// The field's bits in place.
    pub fn mask(&self) -> u64 {
        let ones = if self.width() >= 64 {
            u64::MAX
        } else {
            (1u64 << self.width()) - 1
        };
        ones << self.lsb
    }
}

/// The reset value of some elements of an array (`reset[0]=0x00080000`, `reset[1..7]=0`):
/// elements `min..=max` reset to `value` rather than to the register's `reset`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElementReset {
    pub min: u32,
    pub max: u32,
    pub value: u64,
    /// The `reset[...]=` attribute.
    pub span: Span,
}

/// One register (or register array) of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    pub name: Text,
    pub mode: Mode,
    pub description: Text,
    pub layout: Layout,
    /// Declared extra address ranges for the same register.
    pub aliases: Vec<Alias>,
    /// Registers this one deliberately overlays (`over=GORCL,GORCH`): a 64-bit view over a
    /// low/high pair, for example.
    pub over: Vec<String>,
    /// The reset value (`reset=`); for an array, that of every element `element_resets`
    /// does not name.
    pub reset: Option<u64>,
    /// Per-element reset values of an array (datasheets give some arrays a different reset
    /// in element 0); sorted by `min`, disjoint. Empty for most registers.
    pub element_resets: Vec<ElementReset>,
    pub fields: Vec<Field>,
    /// The `@section` heading the register stands under, if any: one shared text for every
    /// register of a section (`section.as_deref()` gives the `&str`).
    pub section: Option<std::sync::Arc<str>>,
    /// Where the register (its first row) is defined.
    pub span: Span,
}

impl Register {
    pub fn is_array(&self) -> bool {
        matches!(self.layout, Layout::Array { .. })
    }
    pub fn width(&self) -> Width {
        self.mode.width
    }
    /// Reset value of element `index` (`None` for a single register): its `reset[...]=` if
    /// one names it, else `reset=`. `None` when the table gives none, or for an index that is
    /// not one of the register's (or an index given for a single register).
    pub fn reset_of(&self, index: Option<u32>) -> Option<u64> {
        match (index, &self.layout) {
            (None, Layout::Single { .. }) => self.reset,
            (Some(i), Layout::Array { .. }) => {
                self.layout.address(i)?;
                match self
                    .element_resets
                    .iter()
                    .find(|e| e.min <= i && i <= e.max)
                {
                    Some(e) => Some(e.value),
                    None => self.reset,
                }
            }
            _ => None,
        }
    }
}

/// A whole table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// The file the table came from, as given to the parser (for diagnostics).
    pub file: String,
    pub registers: Vec<Register>,
}

impl Table {
    pub fn get(&self, name: &str) -> Option<&Register> {
        self.registers.iter().find(|r| r.name == name)
    }
}
