//! Initialisation on the simulated card: strict mode passes, the trace is in the datasheet's
//! order, and every wait that cannot finish ends in its typed error.

mod common;
use common::*;
use driver_82599::{Config, Device, Error};
use sim_82599::Fault;
use std::time::{Duration, Instant};

#[test]
fn init_passes_strict_mode_and_follows_the_datasheet_order() {
    let sim = strict_sim(1);
    let trace = TraceBuf::default();
    sim.trace_to(trace.clone());
    let dev = open(&sim, 0, small_config());
    assert!(dev.link().up);
    assert_no_violations(&sim);
    let text = String::from_utf8(trace.bytes()).unwrap();
    let pos = |what: &str| {
        text.lines()
            .position(|l| l.starts_with("W ") && l.ends_with(what))
            .unwrap_or_else(|| panic!("no write to {what} in the trace:\n{text}"))
    };
    let last = |what: &str| {
        let lines: Vec<&str> = text.lines().collect();
        lines
            .iter()
            .rposition(|l| l.starts_with("W ") && l.ends_with(what))
            .unwrap_or_else(|| panic!("no write to {what} in the trace"))
    };
    // 4.6.3: interrupts masked before the reset; the reset before everything else.
    assert!(pos(" EIMC") < pos(" CTRL"));
    // 4.6.7: receive configured with RXEN clear, queue enabled after its ring.
    assert!(pos(" RDBAL[0]") < pos(" RXDCTL[0]"));
    assert!(pos(" RXCTRL") < pos(" FCTRL") && last(" FCTRL") < last(" RXCTRL"));
    assert!(last(" RXCTRL") < pos(" RXDCTL[0]"));
    // 4.6.8: transmit ring before the queue is enabled, DMATXCTL.TE before TXDCTL.ENABLE.
    assert!(pos(" TDBAL[0]") < pos(" DMATXCTL"));
    // Every access is named from the table.
    assert!(
        !text.lines().any(|l| l.ends_with(" ?")),
        "unnamed access in:\n{text}"
    );
    // Issue 13.8: the waits back off. The simulated reset (1 ms) and link-up (10 ms) take a
    // few dozen reads, not thousands (a spinning wait read CTRL ~5,000 and LINKS ~27,000 times).
    let reads = |reg: &str| {
        text.lines()
            .filter(|l| l.starts_with("R ") && l.ends_with(reg))
            .count()
    };
    assert!(reads(" CTRL") <= 100, "{} reads of CTRL", reads(" CTRL"));
    assert!(reads(" LINKS") <= 200, "{} reads of LINKS", reads(" LINKS"));
    drop(dev);
    assert_no_violations(&sim);
}

#[test]
fn reset_that_never_completes_is_a_timeout() {
    let sim = strict_sim(1);
    sim.inject(0, Fault::ResetNeverCompletes).unwrap();
    let cfg = Config {
        wait_timeout: Duration::from_millis(50),
        ..small_config()
    };
    let t = Instant::now();
    let e = Device::new(sim.port(0), sim.dma(), cfg)
        .err()
        .expect("must fail");
    assert!(matches!(e, Error::ResetTimeout(_)), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn link_that_never_comes_up_is_a_timeout() {
    let sim = strict_sim(1);
    sim.inject(0, Fault::LinkNeverUp).unwrap();
    let cfg = Config {
        link_timeout: Duration::from_millis(100),
        ..small_config()
    };
    let e = Device::new(sim.port(0), sim.dma(), cfg)
        .err()
        .expect("must fail");
    assert!(matches!(e, Error::LinkTimeout(_)), "{e}");
    assert!(e.to_string().contains("link"), "{e}");
}

#[test]
fn link_wait_can_be_left_to_the_application() {
    let sim = strict_sim(1);
    sim.inject(0, Fault::LinkNeverUp).unwrap();
    let cfg = Config {
        wait_link: false,
        ..small_config()
    };
    let dev = Device::new(sim.port(0), sim.dma(), cfg).unwrap();
    assert!(!dev.link().up);
    assert!(matches!(
        dev.wait_link(Duration::from_millis(20)),
        Err(Error::LinkTimeout(_))
    ));
    sim.clear_faults(0).unwrap();
    let l = dev.wait_link(Duration::from_secs(5)).unwrap();
    assert!(l.up);
    assert_eq!(l.speed, driver_82599::Speed::Gb10);
}

#[test]
fn bad_configuration_is_refused_before_touching_the_card() {
    let sim = strict_sim(1);
    let trace = TraceBuf::default();
    sim.trace_to(trace.clone());
    let cfg = Config {
        tx_ring: 1000,
        ..small_config()
    };
    let e = Device::new(sim.port(0), sim.dma(), cfg).err().unwrap();
    assert!(matches!(e, Error::Config(_)), "{e}");
    assert!(trace.is_empty(), "no access may happen");
}

#[test]
fn a_link_that_needs_its_setup_restarted_comes_up() {
    // Up only after three AUTOC.RESTART_AN writes: the one of init (4.6.4) and two more,
    // which the link wait makes when a slice of its timeout ends with the link down.
    let sim = strict_sim(1);
    sim.inject(0, Fault::LinkNeedsRestarts { count: 3 })
        .unwrap();
    let cfg = Config {
        link_timeout: Duration::from_secs(2),
        link_restarts: 3,
        ..small_config()
    };
    let t = Instant::now();
    let dev = Device::new(sim.port(0), sim.dma(), cfg).unwrap();
    assert!(dev.link().up);
    assert!(t.elapsed() < Duration::from_secs(2));
    assert_no_violations(&sim);
}

#[test]
fn without_restarts_such_a_link_times_out() {
    let sim = strict_sim(1);
    sim.inject(0, Fault::LinkNeedsRestarts { count: 2 })
        .unwrap();
    let cfg = Config {
        link_timeout: Duration::from_millis(200),
        link_restarts: 0,
        ..small_config()
    };
    let e = Device::new(sim.port(0), sim.dma(), cfg)
        .err()
        .expect("the link needs one more restart than init makes");
    assert!(matches!(e, Error::LinkTimeout(_)), "{e}");
}
