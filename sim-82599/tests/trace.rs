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
