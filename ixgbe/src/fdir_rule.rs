//! `--fdir RULE`: Flow Director filters from the command line (`driver_82599::fdir`), in the
//! words of `ethtool -N ... flow-type`:
//!
//! ```text
//! RULE   = FLOW [src ADDR[/LEN]] [dst ADDR[/LEN]] [src-port N] [dst-port N] (queue N | drop)
//! FLOW   = tcp | udp | sctp (IPv4; also tcp4, udp4, sctp4) | tcp6 | udp6 | sctp6
//! ```
//!
//! A field a rule leaves out is not compared: `udp dst-port 4789 queue 1` takes every IPv4
//! UDP frame to port 4789. The card compares the same fields for every filter (its field
//! masks, FDIRSIP4M ... FDIRIP6M, are one set for the table, datasheet 7.1.2.7): all rules
//! must name the same ports (and, per address family, the same address prefixes), or
//! [`plan`] says which rule differs. IPv6 prefixes are whole bytes (the card masks bytes).
//!
//! ```
//! use ixgbe::fdir_rule::{parse, plan};
//! let a = parse("udp dst-port 4789 queue 1").unwrap();
//! let b = parse("udp dst-port 53 drop").unwrap();
//! let p = plan(&[a, b]).unwrap();
//! assert!(p.drop);
//! assert_eq!((p.masks.src_port, p.masks.dst_port), (0, 0xFFFF));
//! assert!(parse("udp dst-port 4789").unwrap_err().contains("queue N or drop"));
//! assert!(plan(&[parse("udp src-port 1 drop").unwrap(), parse("udp dst-port 2 drop").unwrap()]).is_err());
//! ```

use driver_82599::fdir::{FdirMasks, Flow, L4};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One `--fdir` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The rule as written (for messages).
    pub text: String,
    pub l4: L4,
    pub v6: bool,
    /// Source and destination prefixes (address, length in bits).
    pub src: Option<(IpAddr, u8)>,
    pub dst: Option<(IpAddr, u8)>,
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
    /// The receive queue, or `None`: dropped.
    pub queue: Option<u16>,
}

/// What the rules need of the card: the field masks, and whether a rule drops.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub masks: FdirMasks,
    pub drop: bool,
}

const GRAMMAR: &str = "FLOW [src ADDR[/LEN]] [dst ADDR[/LEN]] [src-port N] [dst-port N] (queue N | drop), FLOW one of tcp udp sctp tcp6 udp6 sctp6";

/// Parses one rule (clap's value parser of `--fdir`).
pub fn parse(s: &str) -> Result<Rule, String> {
    let msg = |m: String| format!("--fdir {s:?}: {m} (a rule is {GRAMMAR})");
    let bad = |m: String| Err(msg(m));
    let mut w = s.split_whitespace();
    let (l4, v6) = match w.next() {
        Some("tcp" | "tcp4") => (L4::Tcp, false),
        Some("udp" | "udp4") => (L4::Udp, false),
        Some("sctp" | "sctp4") => (L4::Sctp, false),
        Some("tcp6") => (L4::Tcp, true),
        Some("udp6") => (L4::Udp, true),
        Some("sctp6") => (L4::Sctp, true),
        Some(t) => return bad(format!("{t:?} is not a flow type")),
        None => return bad("empty rule".into()),
    };
    let mut r = Rule {
        text: s.trim().to_string(),
        l4,
        v6,
        src: None,
        dst: None,
        src_port: None,
        dst_port: None,
        queue: None,
    };
    let mut action = None;
    while let Some(key) = w.next() {
        if action.is_some() {
            return bad(format!("{key:?} after the action: the action comes last"));
        }
        if key == "drop" {
            action = Some(None);
            continue;
        }
        let Some(val) = w.next() else {
            return bad(format!("{key:?} without a value"));
        };
        let twice = |set: bool| {
            if set {
                Err(format!("--fdir {s:?}: {key} given twice"))
            } else {
                Ok(())
            }
        };
        match key {
            "src" | "dst" => {
                let slot = if key == "src" { &mut r.src } else { &mut r.dst };
                twice(slot.is_some())?;
                *slot = Some(prefix(val, v6).map_err(msg)?);
            }
            "src-port" | "dst-port" => {
                let slot = if key == "src-port" {
                    &mut r.src_port
                } else {
                    &mut r.dst_port
                };
                twice(slot.is_some())?;
                match val.parse::<u16>() {
                    Ok(p) => *slot = Some(p),
                    Err(_) => return bad(format!("{key} {val:?} is not a port (0..=65535)")),
                }
            }
            "queue" => match val.parse::<u16>() {
                Ok(q) => action = Some(Some(q)),
                Err(_) => return bad(format!("queue {val:?} is not a queue number")),
            },
            _ => return bad(format!("{key:?} is not a field")),
        }
    }
    match action {
        Some(q) => r.queue = q,
        None => return bad("no action: end it with queue N or drop".into()),
    }
    Ok(r)
}

/// `ADDR` or `ADDR/LEN` of the rule's family.
fn prefix(s: &str, v6: bool) -> Result<(IpAddr, u8), String> {
    let (a, len) = match s.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (s, None),
    };
    let addr: IpAddr = a
        .parse()
        .map_err(|_| format!("{a:?} is not an IP address"))?;
    if addr.is_ipv6() != v6 {
        return Err(format!(
            "{a} is {} but the flow type is {}",
            if addr.is_ipv6() { "IPv6" } else { "IPv4" },
            if v6 {
                "IPv6 (tcp6, udp6, sctp6)"
            } else {
                "IPv4 (tcp, udp, sctp)"
            }
        ));
    }
    let max = if v6 { 128 } else { 32 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => n,
            _ => return Err(format!("/{l} is not a prefix length (0..={max})")),
        },
    };
    if v6 && len % 8 != 0 {
        return Err(format!(
            "/{len}: IPv6 prefixes are whole bytes (/8, /16, ... /128): the card masks IPv6 addresses byte by byte"
        ));
    }
    Ok((addr, len))
}

/// The mask of an IPv4 prefix of `len` bits.
fn v4_mask(len: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0))
}

/// The bytes an IPv6 prefix of `len` bits compares (bit i: byte i).
fn v6_bytes(len: u8) -> u16 {
    ((1u32 << (len / 8)) - 1) as u16
}

impl Rule {
    /// The flow the driver files (fields left out are 0; the masks ignore them).
    pub fn flow(&self) -> Flow {
        let addr = |p: Option<(IpAddr, u8)>| match (p, self.v6) {
            (Some((a, _)), _) => a,
            (None, false) => Ipv4Addr::UNSPECIFIED.into(),
            (None, true) => Ipv6Addr::UNSPECIFIED.into(),
        };
        Flow {
            l4: self.l4,
            src: addr(self.src),
            dst: addr(self.dst),
            sport: self.src_port.unwrap_or(0),
            dport: self.dst_port.unwrap_or(0),
            flex: None,
        }
    }

    fn ports(&self) -> (u16, u16) {
        let m = |p: Option<u16>| if p.is_some() { 0xFFFF } else { 0 };
        (m(self.src_port), m(self.dst_port))
    }

    /// Prefix lengths of source and destination (0: not compared).
    fn prefixes(&self) -> (u8, u8) {
        let l = |p: Option<(IpAddr, u8)>| p.map_or(0, |(_, l)| l);
        (l(self.src), l(self.dst))
    }
}

/// The field masks every rule needs, checked to be the same for all of them, and the flows
/// checked to be distinct under them (no rules: the default masks, nothing dropped).
pub fn plan(rules: &[Rule]) -> Result<Plan, String> {
    let Some(first) = rules.first() else {
        return Ok(Plan {
            masks: FdirMasks::default(),
            drop: false,
        });
    };
    let describe = |r: &Rule| {
        let (s, d) = r.ports();
        let (sp, dp) = r.prefixes();
        let mut v = Vec::new();
        if sp > 0 {
            v.push(format!("src /{sp}"));
        }
        if dp > 0 {
            v.push(format!("dst /{dp}"));
        }
        if s != 0 {
            v.push("src-port".to_string());
        }
        if d != 0 {
            v.push("dst-port".to_string());
        }
        if v.is_empty() {
            "no field".to_string()
        } else {
            v.join(", ")
        }
    };
    let differ = |a: &Rule, b: &Rule, what: &str| {
        Err(format!(
            "--fdir {:?} compares {} but --fdir {:?} compares {}: the card compares the same {what} for every filter (its field masks are one set for the table, datasheet 7.1.2.7); give every rule the same fields",
            b.text,
            describe(b),
            a.text,
            describe(a)
        ))
    };
    let mut masks = FdirMasks::default();
    (masks.src_port, masks.dst_port) = first.ports();
    let (mut v4, mut v6): (Option<&Rule>, Option<&Rule>) = (None, None);
    for r in rules {
        if r.ports() != first.ports() {
            return differ(first, r, "ports");
        }
        let slot = if r.v6 { &mut v6 } else { &mut v4 };
        match slot {
            Some(f) if f.prefixes() != r.prefixes() => return differ(f, r, "address prefixes"),
            Some(_) => {}
            None => {
                *slot = Some(r);
                let (s, d) = r.prefixes();
                if r.v6 {
                    (masks.src_v6_bytes, masks.dst_v6_bytes) = (v6_bytes(s), v6_bytes(d));
                } else {
                    (masks.src_v4, masks.dst_v4) = (v4_mask(s), v4_mask(d));
                }
            }
        }
    }
    for (i, r) in rules.iter().enumerate() {
        let f = masks.apply(&r.flow());
        if let Some(o) = rules[..i].iter().find(|o| masks.apply(&o.flow()) == f) {
            return Err(format!(
                "--fdir {:?} is the same flow as --fdir {:?} (under the fields compared): give each flow one rule",
                r.text, o.text
            ));
        }
    }
    Ok(Plan {
        masks,
        drop: rules.iter().any(|r| r.queue.is_none()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_into_flows_and_masks() {
        let r = parse("tcp src 10.1.2.0/24 dst 192.168.0.1 dst-port 80 queue 2").unwrap();
        assert_eq!((r.l4, r.v6, r.queue), (L4::Tcp, false, Some(2)));
        assert_eq!(r.flow().dport, 80);
        assert_eq!(r.flow().src, IpAddr::from([10, 1, 2, 0]));
        let p = plan(std::slice::from_ref(&r)).unwrap();
        assert_eq!(p.masks.src_v4, Ipv4Addr::new(255, 255, 255, 0));
        assert_eq!(p.masks.dst_v4, Ipv4Addr::BROADCAST);
        assert_eq!((p.masks.src_port, p.masks.dst_port), (0, 0xFFFF));
        assert!(!p.drop);
        let r6 = parse("udp6 dst 2001:db8::/32 drop").unwrap();
        let p = plan(&[r6]).unwrap();
        assert_eq!(
            (p.masks.src_v6_bytes, p.masks.dst_v6_bytes, p.drop),
            (0, 0x000F, true)
        );
        // Every UDP flow: nothing compared.
        let all = plan(&[parse("udp queue 0").unwrap()]).unwrap();
        assert_eq!(all.masks.src_v4, Ipv4Addr::UNSPECIFIED);
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        for (rule, says) in [
            ("", "empty rule"),
            ("icmp queue 1", "\"icmp\" is not a flow type"),
            ("udp dst-port 4789", "no action"),
            ("udp dst-port 70000 queue 1", "not a port"),
            ("udp dst-port queue 1", "not a port"),
            ("udp dst-port 1 dst-port 2 queue 1", "dst-port given twice"),
            ("udp src 10.0.0.1/33 drop", "/33 is not a prefix length"),
            ("udp src 2001:db8::1 drop", "IPv6 but the flow type is IPv4"),
            ("udp6 src 10.0.0.1 drop", "IPv4 but the flow type is IPv6"),
            ("udp6 src 2001:db8::/50 drop", "whole bytes"),
            ("udp drop queue 1", "after the action"),
            ("udp queue x", "not a queue number"),
            ("udp port 1 drop", "\"port\" is not a field"),
            ("udp src", "without a value"),
        ] {
            let e = parse(rule).unwrap_err();
            assert!(e.contains(says), "{rule:?}: {e}");
        }
        let p = |s: &str| parse(s).unwrap();
        let e = plan(&[p("udp dst-port 1 drop"), p("tcp src-port 2 drop")]).unwrap_err();
        assert!(e.contains("same ports"), "{e}");
        let e = plan(&[p("udp src 10.0.0.0/8 drop"), p("udp src 10.0.0.0/16 drop")]).unwrap_err();
        assert!(e.contains("same address prefixes"), "{e}");
        // IPv4 and IPv6 rules have their own address masks.
        assert!(plan(&[p("udp src 10.0.0.0/8 drop"), p("udp6 queue 0")]).is_ok());
        let e = plan(&[
            p("udp src 10.1.0.0/8 queue 0"),
            p("udp src 10.2.0.0/8 drop"),
        ])
        .unwrap_err();
        assert!(e.contains("same flow"), "{e}");
    }
}
