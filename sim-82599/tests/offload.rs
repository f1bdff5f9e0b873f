//! Strict mode catches malformed transmit offload requests (datasheet 7.2.3.2.3, 7.2.4,
//! 7.2.5): each is a `Rule::BadOffload` violation on the queue's TDT, and the packet is dropped
//! and counted (`PortStats::offload_drops`), never sent half-processed.

mod common;
use common::*;
use sim_82599::regs::R;
use sim_82599::strict::Rule;

const TSE: u32 = 1 << 31;
const IXSM: u32 = 1 << 8;
const TXSM: u32 = 1 << 9;
const CTX: u32 = (1 << 29) | (0x2 << 20);

fn put32(d: *mut u8, off: usize, v: u32) {
    // SAFETY: `d` is a descriptor of the test's ring, not yet handed to the card.
    unsafe { core::ptr::write_volatile(d.add(off) as *mut u32, v.to_le()) }
}

/// A context descriptor at the tail: MACLEN, IPLEN, TUCMD (IPv4 | TCP when `tcp`), L4LEN,
/// MSS, and extra DCMD bits.
fn context(tx: &mut Tx, maclen: u32, iplen: u32, l4len: u32, mss: u32, dcmd: u32) {
    let d = tx.desc(tx.tail);
    put32(d, 0, iplen | (maclen << 9));
    put32(d, 4, 0);
    put32(d, 8, CTX | (1 << 10) | (1 << 11) | dcmd);
    put32(d, 12, (l4len << 8) | (mss << 16));
    tx.tail = (tx.tail + 1) % tx.count;
}

/// A data descriptor for `frame` with extra DCMD bits and POPTS, PAYLEN given; published.
fn data(p: &sim_82599::Port, tx: &mut Tx, frame: &[u8], dcmd: u32, popts: u32, paylen: u32) {
    tx.send_cmd(p, frame, TX_CMD | dcmd, false);
    let d = tx.desc((tx.tail + tx.count - 1) % tx.count);
    put32(d, 12, popts | (paylen << 14));
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    w(p, R::TDT, tx.q, tx.tail);
}

fn tcp_frame(payload: usize) -> Vec<u8> {
    let mut f = vec![0xFF; 6];
    f.extend_from_slice(&MAC0);
    f.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
    f.extend_from_slice(&((40 + payload) as u16).to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    f.extend_from_slice(&[
        0, 1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 1, 0, 0, 0, 0, 0,
    ]);
    f.resize(54 + payload, 0x5A);
    f
}

fn check(case: &str, setup: impl FnOnce(&sim_82599::Port, &mut Tx), want: &str) {
    check_drop(case, setup, want, true)
}

fn check_drop(case: &str, setup: impl FnOnce(&sim_82599::Port, &mut Tx), want: &str, drop: bool) {
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15)); // MAC loopback
    rx_enable(&p, BAM);
    let mut rx = Rx::setup(&p, &*sim.dma(), 0, 32, 2, 0);
    let mut tx = Tx::setup(&p, &*sim.dma(), 0, 32);
    setup(&p, &mut tx);
    sim.step();
    let v = sim.violations();
    assert!(
        v.iter()
            .any(|v| v.rule == Rule::BadOffload && v.register == "TDT" && v.detail.contains(want)),
        "{case}: want a BadOffload violation naming {want:?}, got {v:?}"
    );
    let drops = u64::from(drop);
    assert_eq!(
        sim.stats(0).unwrap().offload_drops,
        drops,
        "{case}: dropped and counted"
    );
    assert_eq!(rx.poll(&p).is_empty(), drop, "{case}: sent unless dropped");
}

#[test]
fn strict_flags_malformed_tso_and_checksum_requests() {
    let f = tcp_frame(3000);
    let pay = (f.len() - 54) as u32;
    check(
        "TSO without a context",
        |p, tx| data(p, tx, &f, TSE, IXSM | TXSM, pay),
        "never written",
    );
    check(
        "MSS 0",
        |p, tx| {
            context(tx, 14, 20, 20, 0, 0);
            data(p, tx, &f, TSE, IXSM | TXSM, pay);
        },
        "MSS 0",
    );
    let short = tcp_frame(0);
    check(
        "headers beyond the buffer",
        |p, tx| {
            context(tx, 14, 60, 20, 0, 0);
            data(p, tx, &short[..40], 0, IXSM | TXSM, 40);
        },
        "beyond",
    );
    check(
        "TSO without TXSM",
        |p, tx| {
            context(tx, 14, 20, 20, 1000, 0);
            data(p, tx, &f, TSE, IXSM, pay);
        },
        "without TXSM",
    );
    check(
        "PAYLEN not the payload",
        |p, tx| {
            context(tx, 14, 20, 20, 1000, 0);
            data(p, tx, &f, TSE, IXSM | TXSM, pay + 1);
        },
        "PAYLEN",
    );
    // RS on a context: flagged (a driver waiting for its DD would hang); the packet goes.
    check_drop(
        "RS on a context",
        |p, tx| {
            context(tx, 14, 20, 20, 1000, 1 << 27);
            data(p, tx, &short, 0, IXSM | TXSM, short.len() as u32);
        },
        "RS set on a context",
        false,
    );
}
