//! `registers/82576.txt` and `registers/82576-phy.txt` compile without a single diagnostic, and
//! the generated addresses are the ones the Linux igb register macros compute (queues 0..3 at
//! the 82575-compatible addresses, which the table declares as aliases).

use driver_82576::regs::{self, lookup};
use regdsl_rt::{ArraySpec, Single};

fn compile(name: &str) -> regdsl::Outcome {
    let path = format!("{}/../registers/{name}", env!("CARGO_MANIFEST_DIR"));
    regdsl::compile_file(std::path::Path::new(&path)).unwrap()
}

#[test]
fn tables_have_no_diagnostics() {
    for name in ["82576.txt", "82576-phy.txt"] {
        let out = compile(name);
        assert!(out.diagnostics.is_empty(), "{name}: {:?}", out.diagnostics);
        assert!(out.table.is_some());
    }
}

/// Linux igb `E1000_RDBAL(n)` and friends: n < 4 at 0x02800 + 0x100*n, else 0x0C000 + 0x40*n.
fn linux_queue_reg(rx: bool, off: usize, n: usize) -> usize {
    match (rx, n < 4) {
        (true, true) => 0x02800 + off + 0x100 * n,
        (true, false) => 0x0C000 + off + 0x40 * n,
        (false, true) => 0x03800 + off + 0x100 * n,
        (false, false) => 0x0E000 + off + 0x40 * n,
    }
}

#[test]
fn queue_registers_match_linux_and_aliases_resolve() {
    let rx: [(&str, usize, Option<usize>); 7] = [
        ("RDBAL", 0x00, <regs::RDBAL::Reg as ArraySpec>::offset(0)),
        ("RDBAH", 0x04, <regs::RDBAH::Reg as ArraySpec>::offset(0)),
        ("RDLEN", 0x08, <regs::RDLEN::Reg as ArraySpec>::offset(0)),
        ("SRRCTL", 0x0C, <regs::SRRCTL::Reg as ArraySpec>::offset(0)),
        ("RDH", 0x10, <regs::RDH::Reg as ArraySpec>::offset(0)),
        ("RDT", 0x18, <regs::RDT::Reg as ArraySpec>::offset(0)),
        ("RXDCTL", 0x28, <regs::RXDCTL::Reg as ArraySpec>::offset(0)),
    ];
    for (name, off, first) in rx {
        assert_eq!(first, Some(0xC000 + off), "{name}[0] canonical address");
        for n in 0..16 {
            let linux = linux_queue_reg(true, off, n);
            let site = lookup(linux).unwrap_or_else(|| panic!("{name}[{n}] at {linux:#x}"));
            assert_eq!(
                (site.name, site.index),
                (name, Some(n as u32)),
                "{linux:#x}"
            );
            let canonical = 0xC000 + off + 0x40 * n;
            let site = lookup(canonical).unwrap();
            assert_eq!((site.name, site.index), (name, Some(n as u32)));
        }
    }
    for (name, off) in [
        ("TDBAL", 0x00),
        ("TDBAH", 0x04),
        ("TDLEN", 0x08),
        ("TDH", 0x10),
        ("TDT", 0x18),
        ("TXDCTL", 0x28),
        ("TDWBAL", 0x38),
        ("TDWBAH", 0x3C),
    ] {
        for n in 0..16 {
            let linux = linux_queue_reg(false, off, n);
            let site = lookup(linux).unwrap();
            assert_eq!(
                (site.name, site.index),
                (name, Some(n as u32)),
                "{linux:#x}"
            );
        }
    }
    assert_eq!(
        <regs::TDT::Reg as ArraySpec>::offset(15),
        Some(0xE018 + 15 * 0x40)
    );
    assert_eq!(<regs::TDT::Reg as ArraySpec>::offset(16), None);
}

#[test]
fn receive_addresses_are_a_split_array() {
    // Linux E1000_RAL(i): i <= 15 at 0x05400 + 8i, else 0x054E0 + 8(i - 16).
    for i in 0..24usize {
        let (ral, rah) = if i <= 15 {
            (0x05400 + 8 * i, 0x05404 + 8 * i)
        } else {
            (0x054E0 + 8 * (i - 16), 0x054E4 + 8 * (i - 16))
        };
        assert_eq!(<regs::RAL::Reg as ArraySpec>::offset(i as u32), Some(ral));
        assert_eq!(<regs::RAH::Reg as ArraySpec>::offset(i as u32), Some(rah));
    }
    assert_eq!(<regs::RAL::Reg as ArraySpec>::offset(24), None);
}

#[test]
fn general_and_statistics_offsets() {
    let single = [
        ("CTRL", <regs::CTRL::Reg as Single>::OFFSET, 0x00000),
        ("STATUS", <regs::STATUS::Reg as Single>::OFFSET, 0x00008),
        ("EECD", <regs::EECD::Reg as Single>::OFFSET, 0x00010),
        ("EERD", <regs::EERD::Reg as Single>::OFFSET, 0x00014),
        ("CTRL_EXT", <regs::CTRL_EXT::Reg as Single>::OFFSET, 0x00018),
        ("MDIC", <regs::MDIC::Reg as Single>::OFFSET, 0x00020),
        ("ICR", <regs::ICR::Reg as Single>::OFFSET, 0x000C0),
        ("IMS", <regs::IMS::Reg as Single>::OFFSET, 0x000D0),
        ("IMC", <regs::IMC::Reg as Single>::OFFSET, 0x000D8),
        ("RCTL", <regs::RCTL::Reg as Single>::OFFSET, 0x00100),
        ("TCTL", <regs::TCTL::Reg as Single>::OFFSET, 0x00400),
        ("EICR", <regs::EICR::Reg as Single>::OFFSET, 0x01580),
        ("EIMC", <regs::EIMC::Reg as Single>::OFFSET, 0x01528),
        ("RXPBS", <regs::RXPBS::Reg as Single>::OFFSET, 0x02404),
        ("TXPBS", <regs::TXPBS::Reg as Single>::OFFSET, 0x03404),
        ("CRCERRS", <regs::CRCERRS::Reg as Single>::OFFSET, 0x04000),
        ("MPC", <regs::MPC::Reg as Single>::OFFSET, 0x04010),
        ("GPRC", <regs::GPRC::Reg as Single>::OFFSET, 0x04074),
        ("GPTC", <regs::GPTC::Reg as Single>::OFFSET, 0x04080),
        ("GORCL", <regs::GORCL::Reg as Single>::OFFSET, 0x04088),
        ("GORCH", <regs::GORCH::Reg as Single>::OFFSET, 0x0408C),
        ("GOTCL", <regs::GOTCL::Reg as Single>::OFFSET, 0x04090),
        ("GOTCH", <regs::GOTCH::Reg as Single>::OFFSET, 0x04094),
        ("RNBC", <regs::RNBC::Reg as Single>::OFFSET, 0x040A0),
        ("TPR", <regs::TPR::Reg as Single>::OFFSET, 0x040D0),
        ("TPT", <regs::TPT::Reg as Single>::OFFSET, 0x040D4),
        ("MRQC", <regs::MRQC::Reg as Single>::OFFSET, 0x05818),
    ];
    for (name, got, want) in single {
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(
        <regs::MTA::Reg as ArraySpec>::offset(127),
        Some(0x05200 + 4 * 127)
    );
}

#[test]
fn field_positions_from_the_datasheet() {
    use regs::*;
    assert_eq!(CTRL::RST.mask(), 1 << 26);
    assert_eq!(CTRL::SLU.mask(), 1 << 6);
    assert_eq!(STATUS::LU.mask(), 1 << 1);
    assert_eq!(EECD::AUTO_RD.mask(), 1 << 9);
    assert_eq!(
        RCTL::EN.mask() | RCTL::UPE.mask() | RCTL::MPE.mask(),
        0b1_1010
    );
    assert_eq!(RCTL::BAM.mask(), 1 << 15);
    assert_eq!(RCTL::SECRC.mask(), 1 << 26);
    assert_eq!(TCTL::EN.mask() | TCTL::PSP.mask(), 0b1010);
    assert_eq!(RXDCTL::ENABLE.mask(), 1 << 25);
    assert_eq!(TXDCTL::ENABLE.mask(), 1 << 25);
    assert_eq!(SRRCTL::DROP_EN.mask(), 1 << 31);
    assert_eq!(SRRCTL::DESCTYPE::ADV_ONEBUF.value(), 0x0200_0000);
    assert_eq!(MDIC::OP::READ.value(), 0x0800_0000);
    assert_eq!(MDIC::OP::WRITE.value(), 0x0400_0000);
    assert_eq!(MDIC::READY.mask(), 1 << 28);
    assert_eq!(MDIC::ERROR.mask(), 1 << 30);
    assert_eq!(MDIC::PHYADD.lsb(), 21);
    assert_eq!(MDIC::REGADD.lsb(), 16);
    assert_eq!(RAH::AV.mask(), 1 << 31);
    assert_eq!(phy::BMCR::ANENABLE.mask(), 1 << 12);
    assert_eq!(phy::BMCR::ANRESTART.mask(), 1 << 9);
    assert_eq!(
        <phy::BMSR::Reg as Single>::OFFSET,
        4,
        "PHY register 1 at offset 4"
    );
}
