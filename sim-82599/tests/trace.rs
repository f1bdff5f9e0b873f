mod common;
use common::*;
use regdsl_rt::{Bus, Site};
use sim_82599::regs::R;
use testkit::TraceBuf;

#[test]
fn every_access_is_one_trace_line() {
    let sim = sim_82599::Sim::builder()
        .reset_delay(std::time::Duration::from_secs(60))
        .build();
    let p = sim.port(0);
    let buf = TraceBuf::default();
    sim.trace_to(buf.clone());
    p.write32(0x0, 0x0400_0008, Site::new("CTRL", None));
    let _ = p.read32(off(R::RXDCTL, 0), Site::UNNAMED);
    let _ = p.read32(0x05400, Site::UNNAMED); // alias: canonical name
    p.write32(0x0F800, 1, Site::UNNAMED);
    w(&p, R::RDT, 64, 0);
    sim.trace_off();
    let _ = rd(&p, R::CTRL, 0);
    let text = buf.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "W 0x00000 0x04000008 CTRL",
            "R 0x01028 0x00000000 RXDCTL[0]",
            "R 0x05400 0x82000002 RAL[0]",
            "W 0x0F800 0x00000001 ?",
            "W 0x0D018 0x00000000 RDT[64]",
        ]
    );
}

#[test]
fn registers_the_card_only_stores_are_traced_by_name_and_index() {
    // Issue 14.6: every register of the table is known to the card by name, also those it
    // keeps as plain storage (FCRTH, EITRSEL) and the dwords of a 64-bit view (GORC64: its
    // halves' names); an offset in no register stays `?`.
    let sim = sim_82599::Sim::builder().build();
    let p = sim.port(0);
    let buf = TraceBuf::default();
    sim.trace_to(buf.clone());
    p.write32(0x0326C, 0x8000_0400, Site::UNNAMED);
    let _ = p.read32(0x0326C, Site::UNNAMED);
    let _ = p.read32(0x00894, Site::UNNAMED);
    let _ = p.read32(0x0408C, Site::UNNAMED);
    let _ = p.read32(0x0F800, Site::UNNAMED);
    sim.trace_off();
    let text = buf.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "W 0x0326C 0x80000400 FCRTH[3]",
            "R 0x0326C 0x80000400 FCRTH[3]",
            "R 0x00894 0x00000000 EITRSEL",
            "R 0x0408C 0x00000000 GORCH",
            "R 0x0F800 0x00000000 ?",
        ]
    );
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}
