//! PCI addresses (`0000:03:00.0`) and vendor:device ids (`8086:10fb`).

use std::fmt;
use std::str::FromStr;

use crate::error::PciError;

/// A PCI function address: domain, bus, device (0..=31), function (0..=7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PciAddr {
    pub domain: u32,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

fn hex(input: &str, part: &str, what: &str, max: u32) -> Result<u32, PciError> {
    let bad = |reason: String| PciError::BadAddress {
        input: input.to_string(),
        reason,
    };
    if part.is_empty() || part.len() > 8 || !part.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(format!("{what} {part:?} is not a hex number")));
    }
    let v = u32::from_str_radix(part, 16).map_err(|e| bad(format!("{what}: {e}")))?;
    if v > max {
        return Err(bad(format!("{what} {v:#x} is larger than {max:#x}")));
    }
    Ok(v)
}

impl FromStr for PciAddr {
    type Err = PciError;
    /// `DDDD:BB:DD.F`, or `BB:DD.F` for domain 0 (as `lspci` prints it).
    fn from_str(input: &str) -> Result<Self, PciError> {
        let s = input.trim();
        let (rest, func) = s.rsplit_once('.').ok_or_else(|| PciError::BadAddress {
            input: input.to_string(),
            reason: "no '.' before the function number".to_string(),
        })?;
        let parts: Vec<&str> = rest.split(':').collect();
        let (domain, bus, dev) = match parts.as_slice() {
            [d, b, v] => (hex(input, d, "domain", 0xffff_ffff)?, *b, *v),
            [b, v] => (0, *b, *v),
            _ => {
                return Err(PciError::BadAddress {
                    input: input.to_string(),
                    reason: "expected two or three ':'-separated parts before '.'".to_string(),
                })
            }
        };
        Ok(PciAddr {
            domain,
            bus: hex(input, bus, "bus", 0xff)? as u8,
            device: hex(input, dev, "device", 0x1f)? as u8,
            function: hex(input, func, "function", 7)? as u8,
        })
    }
}

impl fmt::Display for PciAddr {
    /// The sysfs spelling: `0000:03:00.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

/// A vendor:device id pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PciId {
    pub vendor: u16,
    pub device: u16,
}

impl PciId {
    pub const fn new(vendor: u16, device: u16) -> Self {
        PciId { vendor, device }
    }
}

/// One 16-bit id as sysfs writes it (`0x8086\n`) or as a person types it (`8086`).
pub(crate) fn parse_id16(input: &str, text: &str) -> Result<u16, PciError> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    if t.is_empty() || t.len() > 4 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(PciError::BadId {
            input: input.to_string(),
            reason: format!("{:?} is not a 16-bit hex number", text.trim()),
        });
    }
    u16::from_str_radix(t, 16).map_err(|e| PciError::BadId {
        input: input.to_string(),
        reason: e.to_string(),
    })
}

impl FromStr for PciId {
    type Err = PciError;
    fn from_str(input: &str) -> Result<Self, PciError> {
        let (v, d) = input
            .trim()
            .split_once(':')
            .ok_or_else(|| PciError::BadId {
                input: input.to_string(),
                reason: "no ':' between vendor and device".to_string(),
            })?;
        Ok(PciId {
            vendor: parse_id16(input, v)?,
            device: parse_id16(input, d)?,
        })
    }
}

impl fmt::Display for PciId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}:{:04x}", self.vendor, self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_print() {
        let a: PciAddr = "0000:03:00.0".parse().unwrap();
        assert_eq!((a.domain, a.bus, a.device, a.function), (0, 3, 0, 0));
        assert_eq!(a.to_string(), "0000:03:00.0");
        let b: PciAddr = "af:1f.7".parse().unwrap();
        assert_eq!(b.to_string(), "0000:af:1f.7");
        let c: PciAddr = "10000:00:02.1".parse().unwrap();
        assert_eq!(c.to_string(), "10000:00:02.1");
    }

    #[test]
    fn bad_addresses_say_why() {
        for (s, why) in [
            ("", "no '.'"),
            ("0000:03:00", "no '.'"),
            ("0000:03:20.0", "device 0x20 is larger"),
            ("0000:03:00.8", "function 0x8 is larger"),
            ("0000:103:00.0", "bus 0x103 is larger"),
            ("00:00:03:00.0", "two or three"),
            ("0000:g3:00.0", "bus \"g3\" is not a hex"),
            ("0000:03:00.", "function \"\" is not"),
        ] {
            let e = s.parse::<PciAddr>().unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, PciError::BadAddress { .. }) && msg.contains(why),
                "{s:?}: {msg}"
            );
        }
    }

    #[test]
    fn ids_parse_and_print() {
        assert_eq!(
            "8086:10fb".parse::<PciId>().unwrap(),
            PciId::new(0x8086, 0x10fb)
        );
        assert_eq!(
            "0x8086:0x10C9".parse::<PciId>().unwrap(),
            PciId::new(0x8086, 0x10c9)
        );
        assert_eq!(PciId::new(0x8086, 0x10c9).to_string(), "8086:10c9");
        assert_eq!(parse_id16("vendor", "0x8086\n").unwrap(), 0x8086);
    }

    #[test]
    fn bad_ids_say_why() {
        for (s, why) in [
            ("808610fb", "no ':'"),
            ("8086:", "\"\" is not"),
            ("18086:10fb", "\"18086\" is not"),
            ("8086:10fz", "\"10fz\" is not"),
            (":", "\"\" is not"),
        ] {
            let e = s.parse::<PciId>().unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, PciError::BadId { .. }) && msg.contains(why),
                "{s:?}: {msg}"
            );
        }
        assert!(parse_id16("vendor file", "").is_err());
    }
}
