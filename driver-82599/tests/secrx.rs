//! Receive is enabled with the Rx security path halted (82599 datasheet 4.6.7): the access
//! trace shows SECRXCTRL.RX_DIS set -> SECRXSTAT.SECRX_RDY polled until 1 -> RXCTRL.RXEN set ->
//! RX_DIS cleared, and a path that never drains ends init in its typed timeout error.

mod common;
use common::*;
use driver_82599::regs::{Regs, RXCTRL, SECRXCTRL, SECRXSTAT};
use driver_82599::{Config, Device, Error};
use sim_82599::Fault;
use std::time::{Duration, Instant};

/// One access of the trace: `W 0x08D00 0x00000003 SECRXCTRL`.
struct Access {
    write: bool,
    value: u64,
    name: String,
}

fn parse(text: &str) -> Vec<Access> {
    text.lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert!(f.len() >= 4, "odd trace line {l:?}");
            Access {
                write: f[0] == "W",
                value: u64::from_str_radix(f[2].trim_start_matches("0x"), 16)
                    .unwrap_or_else(|e| panic!("{l:?}: {e}")),
                name: f[3].to_string(),
            }
        })
        .collect()
}

#[test]
fn init_halts_the_rx_security_path_around_rxen() {
    let sim = strict_sim(1);
    let trace = TraceBuf::default();
    sim.trace_to(trace.clone());
    let dev = open(&sim, 0, small_config());
    assert_no_violations(&sim);
    let text = String::from_utf8(trace.bytes()).unwrap();
    let acc = parse(&text);
    let rx_dis = SECRXCTRL::RX_DIS.mask();
    let rdy = SECRXSTAT::SECRX_RDY.mask();
    let rxen = RXCTRL::RXEN.mask();
    // The one write that turns receive on.
    let on: Vec<usize> = (0..acc.len())
        .filter(|&i| acc[i].write && acc[i].name == "RXCTRL" && acc[i].value & rxen != 0)
        .collect();
    assert_eq!(on.len(), 1, "RXEN set once during init:\n{text}");
    let on = on[0];
    // Before it: RX_DIS set, then SECRXSTAT read with SECRX_RDY = 1, with RX_DIS not cleared
    // in between.
    let set = (0..on)
        .rev()
        .find(|&i| acc[i].write && acc[i].name == "SECRXCTRL")
        .unwrap_or_else(|| panic!("no SECRXCTRL write before RXEN:\n{text}"));
    assert_ne!(
        acc[set].value & rx_dis,
        0,
        "RX_DIS set before RXEN:\n{text}"
    );
    let polls: Vec<&Access> = acc[set + 1..on]
        .iter()
        .filter(|a| !a.write && a.name == "SECRXSTAT")
        .collect();
    assert!(
        polls.last().is_some_and(|a| a.value & rdy != 0),
        "SECRX_RDY read as 1 between RX_DIS and RXEN:\n{text}"
    );
    // After it: RX_DIS cleared.
    let clear = (on + 1..acc.len())
        .find(|&i| acc[i].write && acc[i].name == "SECRXCTRL")
        .unwrap_or_else(|| panic!("no SECRXCTRL write after RXEN:\n{text}"));
    assert_eq!(
        acc[clear].value & rx_dis,
        0,
        "RX_DIS cleared after RXEN:\n{text}"
    );
    // The card runs with receive on and the security path no longer halted.
    let regs = Regs::new(sim.port(0));
    assert!(regs.RXCTRL().read().is_set(RXCTRL::RXEN));
    assert!(!regs.SECRXCTRL().read().is_set(SECRXCTRL::RX_DIS));
    drop(dev);
    assert_no_violations(&sim);
}

#[test]
fn a_security_path_that_never_drains_is_a_timeout() {
    let sim = strict_sim(1);
    sim.inject(0, Fault::SecRxNeverReady).unwrap();
    let timeout = Duration::from_millis(50);
    let cfg = Config {
        wait_timeout: timeout,
        ..small_config()
    };
    let t = Instant::now();
    let e = Device::new(sim.port(0), sim.dma(), cfg)
        .err()
        .expect("init must fail when SECRX_RDY never comes");
    assert!(matches!(e, Error::SecRxTimeout(d) if d == timeout), "{e}");
    assert!(e.to_string().contains("SECRX_RDY"), "{e}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "the wait was not bounded"
    );
    // Receive was not enabled, and the path was left running again.
    let regs = Regs::new(sim.port(0));
    assert!(!regs.RXCTRL().read().is_set(RXCTRL::RXEN));
    assert!(!regs.SECRXCTRL().read().is_set(SECRXCTRL::RX_DIS));
    assert_no_violations(&sim);
}

#[test]
fn receive_re_enabled_after_a_filter_change_uses_the_halt_too() {
    let sim = strict_sim(1);
    let mut dev = open(&sim, 0, small_config());
    // Promiscuous mode toggles RXEN off and on again: strict mode checks the halt.
    dev.set_promisc(true).unwrap();
    assert_no_violations(&sim);
    let regs = Regs::new(sim.port(0));
    assert!(regs.RXCTRL().read().is_set(RXCTRL::RXEN));
    // A path that stops draining: the change reports the timeout instead of hanging.
    sim.inject(0, Fault::SecRxNeverReady).unwrap();
    let t = Instant::now();
    let e = dev.set_promisc(false).unwrap_err();
    assert!(matches!(e, Error::SecRxTimeout(_)), "{e}");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(!regs.RXCTRL().read().is_set(RXCTRL::RXEN));
    // The filter change took effect, and the device's settings say so.
    assert!(!dev.promisc());
    assert!(!dev.config().promisc);
    assert_no_violations(&sim);
}
