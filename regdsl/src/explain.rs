//! A register value read through its table: each field's value, its named value, and the set
//! bits no field defines (`regdsl decode TABLE REGISTER VALUE`). For the driver author with a
//! number from a register dump, a trace or a datasheet example.
//!
//! ```
//! let t = regdsl::compile("t.txt", "CTRL 0x0 - RW Device Control\n  .LRST 3 RW Link reset\n  .SPEED 9:8 RW Speed\n    =S1G 10b 1 Gb/s\n  .RST 26 RW Device reset\n")
//!     .table
//!     .unwrap();
//! let (reg, index) = regdsl::explain::find(&t, "CTRL").unwrap();
//! let r = regdsl::explain::read(reg, index, 0x0000_0208).unwrap();
//! assert_eq!(r.fields[1].value, 2);
//! assert_eq!(r.fields[1].named.unwrap().name, "S1G");
//! assert_eq!(r.undefined, 0);
//! let text = r.to_string();
//! assert!(text.contains("9:8") && text.contains("S1G"), "{text}");
//! assert!(regdsl::explain::read(reg, index, 1 << 40).is_err(), "wider than 32 bits");
//! ```

use std::fmt;

use crate::model::{Field, Layout, NamedValue, Register, Table};
use crate::resolve::hex;

/// One field of a [`Reading`].
#[derive(Clone, Copy, Debug)]
pub struct FieldReading<'t> {
    pub field: &'t Field,
    /// The field's bits, shifted down.
    pub value: u64,
    /// The named value equal to `value`, if the field has one.
    pub named: Option<&'t NamedValue>,
}

/// A value of a register, field by field.
#[derive(Clone, Debug)]
pub struct Reading<'t> {
    pub register: &'t Register,
    /// The array element, for an array.
    pub index: Option<u32>,
    pub value: u64,
    /// Every field, lowest bit first.
    pub fields: Vec<FieldReading<'t>>,
    /// Bits of the value that no field covers but are set (0 for a register without fields:
    /// there is nothing to compare with).
    pub undefined: u64,
}

/// The register `what` names: `NAME`, `NAME[INDEX]` for an array element, or an address
/// (`0x0EE00`, any number of the table's syntax) of a register or of an element, aliases
/// included.
pub fn find<'t>(table: &'t Table, what: &str) -> Result<(&'t Register, Option<u32>), String> {
    if what.starts_with(|c: char| c.is_ascii_digit()) {
        let addr = crate::number::parse_number(what).map_err(|e| e.message("an address"))?;
        return at_address(table, addr)
            .ok_or_else(|| format!("no register of the table is at {}", hex(addr)));
    }
    let (name, index) = match what.split_once('[') {
        Some((name, rest)) => {
            let i = rest
                .strip_suffix(']')
                .ok_or_else(|| format!("`{what}`: an index is written `NAME[INDEX]`"))?;
            let i = crate::number::parse_number(i)
                .map_err(|e| e.message("an index"))
                .and_then(|i| u32::try_from(i).map_err(|_| format!("index {i} is too large")))?;
            (name, Some(i))
        }
        None => (what, None),
    };
    let reg = table.get(name).ok_or_else(|| {
        let near = table
            .registers
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(name))
            .map(|r| format!("; did you mean `{}`?", r.name))
            .unwrap_or_default();
        format!("no register `{name}` in the table{near}")
    })?;
    match (index, &reg.layout) {
        (None, Layout::Array { .. }) => Err(format!(
            "`{name}` is an array: name an element, `{name}[0]`"
        )),
        (Some(_), Layout::Single { .. }) => Err(format!("`{name}` is not an array")),
        (Some(i), layout) if layout.address(i).is_none() => {
            Err(format!("`{name}` has no element {i}"))
        }
        _ => Ok((reg, index)),
    }
}

/// The register, and element, whose first byte is at `addr`.
fn at_address(table: &Table, addr: u64) -> Option<(&Register, Option<u32>)> {
    table.registers.iter().find_map(|r| {
        let layouts = std::iter::once(&r.layout).chain(r.aliases.iter().map(|a| &a.layout));
        layouts.into_iter().find_map(|l| match l {
            Layout::Single { address } => (*address == addr).then_some((r, None)),
            Layout::Array { segments } => segments.iter().find_map(|s| {
                let off = addr.checked_sub(s.base)?;
                // A one-element segment may have stride 0: only its base is an element.
                let i = match off {
                    0 => u64::from(s.min),
                    _ if s.step == 0 || off % s.step != 0 => return None,
                    _ => u64::from(s.min) + off / s.step,
                };
                (i <= u64::from(s.max)).then_some((r, Some(i as u32)))
            }),
        })
    })
}

/// `value` of `reg` (element `index`) field by field; an error when the value is wider than
/// the register.
pub fn read(reg: &Register, index: Option<u32>, value: u64) -> Result<Reading<'_>, String> {
    let bits = reg.width().bits();
    if bits < 64 && value >> bits != 0 {
        return Err(format!(
            "{} does not fit the {bits}-bit register `{}`",
            hex(value),
            reg.name
        ));
    }
    let mut fields: Vec<FieldReading> = reg
        .fields
        .iter()
        .map(|f| {
            let v = (value & f.mask()) >> f.lsb;
            FieldReading {
                field: f,
                value: v,
                named: f.values.iter().find(|n| n.value == v),
            }
        })
        .collect();
    fields.sort_by_key(|f| f.field.lsb);
    let covered = reg.fields.iter().fold(0, |m, f| m | f.mask());
    Ok(Reading {
        register: reg,
        index,
        value,
        fields,
        undefined: if reg.fields.is_empty() {
            0
        } else {
            value & !covered
        },
    })
}

impl fmt::Display for Reading<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.register;
        let name = match self.index {
            Some(i) => format!("{}[{i}]", r.name),
            None => r.name.to_string(),
        };
        let addr = match self.index {
            Some(i) => r.layout.address(i),
            None => match r.layout {
                Layout::Single { address } => Some(address),
                Layout::Array { .. } => None,
            },
        };
        let digits = (r.width().bits() / 4) as usize;
        write!(f, "{name}")?;
        if let Some(a) = addr {
            write!(f, " at {}", hex(a))?;
        }
        writeln!(f, " = 0x{:0digits$X}  {}", self.value, r.description)?;
        let bits = |fr: &FieldReading| {
            let fd = fr.field;
            if fd.msb == fd.lsb {
                format!("{}", fd.lsb)
            } else {
                format!("{}:{}", fd.msb, fd.lsb)
            }
        };
        let bw = self.fields.iter().map(|x| bits(x).len()).max().unwrap_or(0);
        let nw = self
            .fields
            .iter()
            .map(|x| x.field.name.len())
            .max()
            .unwrap_or(0);
        let shown = |fr: &FieldReading| {
            let value = if fr.field.width() == 1 {
                fr.value.to_string()
            } else {
                format!("0x{:X}", fr.value)
            };
            match fr.named {
                Some(n) => format!("{value} = {}", n.name),
                None => value,
            }
        };
        let vw = self
            .fields
            .iter()
            .map(|x| shown(x).len())
            .max()
            .unwrap_or(0);
        for fr in self.fields.iter().rev() {
            let fd = fr.field;
            let access = fd.access.unwrap_or(r.mode.access).as_str();
            writeln!(
                f,
                "  {:>bw$}  {:<nw$}  {access:<4} {:<vw$}  {}",
                bits(fr),
                fd.name,
                shown(fr),
                fd.description,
            )?;
        }
        if self.undefined != 0 {
            writeln!(f, "  bits no field defines are set: 0x{:X}", self.undefined)?;
        }
        Ok(())
    }
}
