//! The card's own register decode (`sim_82599::regs`, the hardware side) against the project's
//! register table (`registers/82599.txt`, what drivers are generated from): two independent
//! transcriptions of the 82599 datasheet (section 8.2.3) that must agree.
//!
//! For every register the card decodes: the table has a register of that name, with the same
//! address for every index, the same 82598-compatible alias addresses, a compatible access
//! mode, and, where the table gives a reset value (of the register, of the element, or of a
//! field), the card resets to it at every index.

use regdsl::model::{Access, Layout, Register, Table};
use sim_82599::regs::{self, Def, Kind, RegFile, Seg, DEFS};
use std::collections::BTreeMap;
use std::path::Path;

const TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../registers/82599.txt");

/// Registers whose element list differs between the card and the table, and why. Each entry
/// must still differ (a fix on either side makes the test ask for the entry to go).
const KNOWN_LAYOUT: &[(&str, &str)] = &[];

/// Registers whose access differs, and why (each must still differ).
const KNOWN_ACCESS: &[(&str, &str)] = &[];

fn known(list: &[(&str, &str)], name: &str) -> bool {
    list.iter().any(|(n, _)| *n == name)
}

fn show(m: &BTreeMap<Option<u32>, u64>, pick: impl Fn(&(&Option<u32>, &u64)) -> bool) -> String {
    let v: Vec<String> = m
        .iter()
        .filter(|e| pick(e))
        .take(4)
        .map(|(i, a)| match i {
            Some(i) => format!("[{i}]@{a:#07x}"),
            None => format!("@{a:#07x}"),
        })
        .collect();
    v.join(" ")
}

fn table() -> Table {
    let out = regdsl::compile_file(Path::new(TABLE)).expect("registers/82599.txt is readable");
    match out.table {
        Some(t) => t,
        None => panic!("registers/82599.txt has errors: {:?}", out.diagnostics),
    }
}

/// Every `index -> byte address` of some segments (index `None` for a single register).
fn seg_elements(segs: &[Seg]) -> BTreeMap<Option<u32>, u64> {
    let mut m = BTreeMap::new();
    for s in segs {
        if s.step == 0 {
            m.insert(None, u64::from(s.base));
        } else {
            for i in s.min..=s.max {
                let a = s.base + s.step * u32::from(i - s.min);
                m.insert(Some(u32::from(i)), u64::from(a));
            }
        }
    }
    m
}

fn layout_elements(l: &Layout) -> BTreeMap<Option<u32>, u64> {
    l.elements().into_iter().collect()
}

fn table_reg<'t>(t: &'t Table, d: &Def) -> &'t Register {
    t.get(d.name).unwrap_or_else(|| {
        panic!(
            "the card decodes {} but registers/82599.txt has no register of that name",
            d.name
        )
    })
}

#[test]
fn every_decoded_register_is_in_the_table_at_the_same_addresses() {
    let t = table();
    let mut bad = Vec::new();
    for d in DEFS {
        let r = table_reg(&t, d);
        let card = seg_elements(d.segs);
        let tab = layout_elements(&r.layout);
        if (card != tab) != known(KNOWN_LAYOUT, d.name) {
            bad.push(format!(
                "{}: card has {} element(s), table {}; only in the card: {}; only in the table: {}{}",
                d.name,
                card.len(),
                tab.len(),
                show(&card, |(i, a)| tab.get(*i) != Some(*a)),
                show(&tab, |(i, a)| card.get(*i) != Some(*a)),
                if card == tab { " (listed in KNOWN_LAYOUT but agrees now: remove it)" } else { "" },
            ));
        }
        // Aliases: the same elements at the same second addresses, both ways.
        let card_al = seg_elements(d.aliases);
        let mut tab_al = BTreeMap::new();
        for a in &r.aliases {
            tab_al.extend(layout_elements(&a.layout));
        }
        if card_al != tab_al {
            bad.push(format!(
                "{}: aliases differ: only in the card: {}; only in the table: {}",
                d.name,
                show(&card_al, |(i, a)| tab_al.get(*i) != Some(*a)),
                show(&tab_al, |(i, a)| card_al.get(*i) != Some(*a)),
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Each dword of each element (own addresses and aliases) of `r`: byte address of the dword,
/// element index.
fn dwords_of(r: &Register) -> Vec<(u64, Option<u32>)> {
    let n = if r.width() == regdsl::model::Width::W64 {
        2
    } else {
        1
    };
    let mut all = layout_elements(&r.layout).into_iter().collect::<Vec<_>>();
    for a in &r.aliases {
        all.extend(layout_elements(&a.layout));
    }
    all.into_iter()
        .flat_map(|(i, addr)| (0..n).map(move |k| (addr + 4 * k, i)))
        .collect()
}

#[test]
fn every_register_of_the_table_is_decoded_by_name_and_every_name_the_card_decodes_is_the_tables() {
    // Issue 14.6, names and offsets both ways, through the card's real decoder
    // (`regs::lookup`: what its traces and violations print).
    // The table -> the card: every address of every register of the table (each element,
    // each alias, both dwords of a 64-bit register) decodes to that register and index; a
    // register that overlays others (`over=`, such as the 64-bit counter views) to one of them.
    // The card -> the table: every BAR0 dword the card names is an address the table gives
    // for that name and index (so the card's own transcription adds no name or address the
    // table lacks).
    let t = table();
    let mut bad = Vec::new();
    // dword -> the (name, index) the table allows there.
    let mut allowed: BTreeMap<u64, Vec<(String, Option<u32>)>> = BTreeMap::new();
    for r in &t.registers {
        for (addr, i) in dwords_of(r) {
            allowed
                .entry(addr)
                .or_default()
                .push((r.name.to_string(), i));
        }
    }
    let name =
        |n: &str, i: Option<u32>| format!("{n}{}", i.map(|i| format!("[{i}]")).unwrap_or_default());
    for r in &t.registers {
        // The first wrong address of each register is enough to name the problem.
        let wrong = dwords_of(r).into_iter().find_map(|(addr, i)| {
            let got = regs::lookup(addr as usize);
            let ok = match got {
                Some((n, idx)) if r.over.is_empty() => n == r.name && idx == i,
                // An overlay: one of the registers it overlays, at an address the table
                // gives for it.
                Some((n, idx)) => {
                    r.over.iter().any(|o| o == n)
                        && allowed[&addr].iter().any(|(a, ai)| a == n && *ai == idx)
                }
                None => false,
            };
            (!ok).then(|| {
                format!(
                    "{}: table address {addr:#07x} decodes to {}",
                    name(&r.name, i),
                    got.map_or("nothing (`?`)".to_string(), |(n, idx)| name(n, idx))
                )
            })
        });
        bad.extend(wrong);
        // Storage: an alias must be one the card resolves (its own definitions), else a
        // write through it would land in other storage than the register's.
        if !r.aliases.is_empty() && !DEFS.iter().any(|d| d.name == r.name) {
            bad.push(format!(
                "{}: has aliases, but the card stores table-only registers at their own address: add it to the card's definitions",
                r.name
            ));
        }
    }
    let mut named = 0;
    for dw in 0..regs::DWORDS {
        let addr = dw as u64 * 4;
        let Some((n, i)) = regs::lookup(addr as usize) else {
            continue;
        };
        named += 1;
        let ok = allowed
            .get(&addr)
            .is_some_and(|a| a.iter().any(|(an, ai)| an == n && *ai == i));
        if !ok {
            bad.push(format!(
                "the card names {addr:#07x} {}, the table has {}",
                name(n, i),
                allowed
                    .get(&addr)
                    .map_or("no register there".to_string(), |a| a
                        .iter()
                        .map(|(n, i)| name(n, *i))
                        .collect::<Vec<_>>()
                        .join(" or "))
            ));
        }
    }
    let n = bad.len();
    bad.truncate(40);
    assert!(bad.is_empty(), "{n} problem(s):\n{}", bad.join("\n"));
    assert!(named > 5000, "the card names only {named} dwords");
}

#[test]
fn access_modes_agree() {
    let t = table();
    let mut bad = Vec::new();
    for d in DEFS {
        let r = table_reg(&t, d);
        let a = r.mode.access;
        // The card's kinds are coarser: RW covers registers with side effects on write
        // (EICR's write-1-to-clear is a side effect in the card).
        let ok = match d.kind {
            Kind::Rw => matches!(a, Access::RW | Access::W1C),
            Kind::Ro => a == Access::RO,
            Kind::Rc => matches!(a, Access::RC | Access::RCR),
            Kind::Rtc => matches!(a, Access::RTC | Access::RTCW),
            Kind::Wo => a == Access::WO,
        };
        if ok == known(KNOWN_ACCESS, d.name) {
            bad.push(format!(
                "{}: card {:?}, table {}{}",
                d.name,
                d.kind,
                r.mode,
                if ok {
                    " (listed in KNOWN_ACCESS but agrees now: remove it)"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn reset_values_agree_where_the_table_gives_one() {
    let t = table();
    // LAN 0; the MAC address the card loads "from the EEPROM" into RAL/RAH[0].
    let file = RegFile::new(0, [0x02, 0, 0, 0x82, 0x59, 0]);
    let mut bad = Vec::new();
    let mut checked = 0;
    // Every register of the table (the card's own and those it stores by name; a 32-bit
    // overlay shares its register's storage, a 64-bit one is checked through its halves).
    for r in t.registers.iter().filter(|r| r.over.is_empty()) {
        let mut wrong = Vec::new();
        for (i, addr) in layout_elements(&r.layout) {
            let card = u64::from(file.reset[addr as usize / 4]);
            let name = format!(
                "{}{}",
                r.name,
                i.map(|i| format!("[{i}]")).unwrap_or_default()
            );
            // The element's own reset (`reset[I]=` in the table), else the register's.
            if let Some(v) = r.reset_of(i) {
                checked += 1;
                if card != v {
                    wrong.push(format!(
                        "{name}: card resets to {card:#010x}, table says {v:#010x}"
                    ));
                }
            }
            for f in &r.fields {
                if let Some(v) = f.reset {
                    checked += 1;
                    let got = (card & f.mask()) >> f.lsb;
                    if got != v {
                        wrong.push(format!(
                            "{name}.{} (bits {}:{}): card resets to {got:#x}, table says {v:#x}",
                            f.name, f.msb, f.lsb
                        ));
                    }
                }
            }
        }
        // One line per register: the first disagreement and how many more there are.
        if let Some(first) = wrong.first() {
            bad.push(format!("{first} (+{} more)", wrong.len() - 1));
        }
    }
    assert!(checked > 0, "no reset value compared");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Registers whose write mask in the card and fields in the table differ on purpose, and why
/// (each must still differ).
const KNOWN_FIELDS: &[(&str, &str)] = &[
    ("RDBAL", "bits 6:0 read as 0 in the card (128-byte aligned, 8.2.3.8.1); the table keeps one field so that the driver writes the byte address"),
    ("TDBAL", "as RDBAL (8.2.3.9.5)"),
    ("RDLEN", "bits 6:0 read as 0 in the card (a multiple of 128 bytes, 8.2.3.8.3); the table's LEN counts bytes"),
    ("TDLEN", "as RDLEN (8.2.3.9.7)"),
    ("RDH", "the table's field is RO; the card accepts a write while the queue is disabled, as public drivers write RDH = 0 before enabling (strict mode flags a change while enabled)"),
    ("PSRTYPE", "the table's PSR_TYPE1 (bit 1) and the card's bits 6, 10 and 11: not yet checked against the datasheet"),
];

#[test]
fn field_bits_agree_with_the_cards_write_masks() {
    // Issue 14.6, field bits: for every register the card decodes as read/write and the table
    // gives fields, each field the table declares writable is writable in the card (all its
    // bits in the card's write mask), and each read-only field is not.
    let t = table();
    let mut bad = Vec::new();
    let mut checked = 0;
    for d in DEFS {
        let r = table_reg(&t, d);
        if r.fields.is_empty() || d.kind != Kind::Rw {
            continue;
        }
        let wmask = u64::from(d.wmask);
        let mut wrong = Vec::new();
        let mut named = 0u64;
        for f in &r.fields {
            checked += 1;
            named |= f.mask();
            let access = f.access.unwrap_or(r.mode.access);
            let in_card = wmask & f.mask();
            if access.writable() && in_card != f.mask() {
                wrong.push(format!(
                    "{}.{} (bits {}:{}) is {} in the table, the card writes only {in_card:#x} of {:#x}",
                    d.name, f.name, f.msb, f.lsb, access.as_str(), f.mask()
                ));
            }
            if access == Access::RO && in_card != 0 {
                wrong.push(format!(
                    "{}.{} (bits {}:{}) is RO in the table, the card writes {in_card:#x}",
                    d.name, f.name, f.msb, f.lsb
                ));
            }
        }
        // Bits outside every field are not compared: the table names the fields drivers use,
        // not every bit of every register.
        let _ = named;
        if wrong.is_empty() == known(KNOWN_FIELDS, d.name) {
            if wrong.is_empty() {
                bad.push(format!(
                    "{}: listed in KNOWN_FIELDS but agrees now: remove it",
                    d.name
                ));
            } else {
                bad.extend(wrong);
            }
        }
    }
    assert!(checked > 0, "no field compared");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_bit_the_card_models_is_the_tables_field() {
    // The other direction, field bits: each bit constant the card's model acts on is exactly
    // the field of that name in the table (a bit at the wrong place in either would otherwise
    // pass every datapath test).
    use sim_82599::regs as c;
    let t = table();
    let modelled: &[(&str, &str, u32)] = &[
        ("CTRL", "PCIE_MASTER_DISABLE", c::CTRL_PCIE_MASTER_DISABLE),
        ("CTRL", "LRST", c::CTRL_LRST),
        ("CTRL", "RST", c::CTRL_RST),
        ("STATUS", "LINK_UP", c::STATUS_LINK_UP),
        (
            "STATUS",
            "PCIE_MASTER_ENABLE_STATUS",
            c::STATUS_PCIE_MASTER_ENABLE,
        ),
        ("CTRL_EXT", "DRV_LOAD", c::CTRL_EXT_DRV_LOAD),
        ("EEC", "ARD", c::EEC_ARD),
        ("RDRXCTL", "CRCSTRIP", c::RDRXCTL_CRCSTRIP),
        ("RDRXCTL", "DMAIDONE", c::RDRXCTL_DMAIDONE),
        ("RXCTRL", "RXEN", c::RXCTRL_RXEN),
        ("FCTRL", "MPE", c::FCTRL_MPE),
        ("FCTRL", "UPE", c::FCTRL_UPE),
        ("FCTRL", "BAM", c::FCTRL_BAM),
        ("HLREG0", "RXCRCSTRP", c::HLREG0_RXCRCSTRP),
        ("HLREG0", "JUMBOEN", c::HLREG0_JUMBOEN),
        ("HLREG0", "TXPADEN", c::HLREG0_TXPADEN),
        ("HLREG0", "LPBK", c::HLREG0_LPBK),
        ("AUTOC", "RESTART_AN", c::AUTOC_RESTART_AN),
        ("AUTOC", "LMS", c::AUTOC_LMS_MASK),
        (
            "AUTOC2",
            "PMA_PMD_10G_SERIAL",
            c::AUTOC2_PMA_PMD_SERIAL_MASK,
        ),
        ("RXDCTL", "ENABLE", c::XDCTL_ENABLE),
        ("TXDCTL", "ENABLE", c::XDCTL_ENABLE),
        ("SRRCTL", "BSIZEPACKET", c::SRRCTL_BSIZEPACKET),
        ("SRRCTL", "DROP_EN", c::SRRCTL_DROP_EN),
        ("DMATXCTL", "TE", c::DMATXCTL_TE),
        ("DMATXCTL", "VT", 0xFFFF << c::DMATXCTL_VT_SHIFT),
        ("RAH", "AV", c::RAH_AV),
        ("RTTDCS", "ARBDIS", c::RTTDCS_ARBDIS),
        ("RXCSUM", "PCSD", c::RXCSUM_PCSD),
        ("SECRXCTRL", "RX_DIS", c::SECRXCTRL_RX_DIS),
        ("SECRXSTAT", "SECRX_RDY", c::SECRXSTAT_SECRX_RDY),
        ("LINKS", "LINK_UP", 1 << 30),
    ];
    let mut bad = Vec::new();
    for &(reg, field, bits) in modelled {
        let Some(r) = t.get(reg) else {
            bad.push(format!("{reg}: not in the table"));
            continue;
        };
        match r.fields.iter().find(|f| f.name == field) {
            None => bad.push(format!("{reg}.{field}: no such field in the table")),
            Some(f) if f.mask() != u64::from(bits) => bad.push(format!(
                "{reg}.{field}: the card models bits {bits:#010x}, the table {:#010x}",
                f.mask()
            )),
            Some(_) => {}
        }
    }
    // The values the card compares with, against the table's named values.
    let value = |reg: &str, field: &str, name: &str| {
        t.get(reg)
            .and_then(|r| r.fields.iter().find(|f| f.name == field))
            .and_then(|f| f.values.iter().find(|v| v.name == name))
            .map(|v| v.value)
    };
    if value("AUTOC", "LMS", "SERIAL_10G") != Some(u64::from(c::AUTOC_LMS_10G_SERIAL)) {
        bad.push("AUTOC.LMS=SERIAL_10G differs".into());
    }
    if value("AUTOC2", "PMA_PMD_10G_SERIAL", "SFI") != Some(u64::from(c::AUTOC2_PMA_PMD_SFI)) {
        bad.push("AUTOC2.PMA_PMD_10G_SERIAL=SFI differs".into());
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_register_of_the_table_lies_in_bar0_and_reads_without_a_violation() {
    // Issue 14.6, the table -> card direction: every element of every register of the table
    // (aliases and 64-bit views included) is a 4-byte aligned offset inside the card's 128 KiB
    // BAR0 (datasheet 9.3.6.1), and the card takes a read of each without a strict-mode
    // violation (`ixgbe regs` reads them all). FCDDC, FCDFC and FCDFCD at 0x20000-0x31FFC,
    // another family's registers, failed this with 6,144 accesses outside BAR0.
    let t = table();
    let sim = sim_82599::Sim::builder().strict(true).build();
    let p = sim.port(0);
    let mut bad = Vec::new();
    let mut n = 0;
    for r in &t.registers {
        let bytes = if r.width() == regdsl::model::Width::W64 {
            8
        } else {
            4
        };
        let mut all = layout_elements(&r.layout).into_iter().collect::<Vec<_>>();
        for a in &r.aliases {
            all.extend(layout_elements(&a.layout));
        }
        for (i, addr) in all {
            n += 1;
            let addr = addr as usize;
            if !addr.is_multiple_of(4) || addr + bytes > regs::BAR0_LEN {
                bad.push(format!(
                    "{}{}: {addr:#07x} is outside BAR0 (0..{:#x})",
                    r.name,
                    i.map(|i| format!("[{i}]")).unwrap_or_default(),
                    regs::BAR0_LEN
                ));
                continue;
            }
            for off in (addr..addr + bytes).step_by(4) {
                let _ = regdsl_rt::Bus::read32(&p, off, regdsl_rt::Site::UNNAMED);
            }
        }
    }
    assert!(n > 5000, "only {n} elements");
    assert!(
        bad.is_empty(),
        "{} outside BAR0:\n{}",
        bad.len(),
        bad.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(sim.violations().is_empty(), "{:?}", &sim.violations()[..1]);
}
