//! Flow Director perfect filters on the simulated card: a 5-tuple steered to a queue over
//! RSS, changed and removed at run time, dropped flows, checks, and the card's strict rules.

mod steer_kit;
use driver_82599::fdir::{FdirConfig, Flow, L4};
use driver_82599::{Config, Error};
use std::net::Ipv4Addr;
use steer_kit::*;

const BCAST: [u8; 6] = [0xFF; 6];

fn cfg4() -> Config {
    Config {
        rx_queues: 4,
        tx_queues: 4,
        fdir: Some(FdirConfig {
            drop_queue: 3,
            ..FdirConfig::default()
        }),
        ..cfg()
    }
}

/// The flow of `udp_frame(_, sport, _)`.
fn flow(sport: u16) -> Flow {
    Flow {
        l4: L4::Udp,
        src: Ipv4Addr::new(10, 0, 0, 1),
        dst: Ipv4Addr::new(10, 0, 0, 2),
        sport,
        dport: 12345,
    }
}

#[test]
fn fdir_steers_a_flow_to_its_queue_over_rss() {
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg4());
    // Where RSS puts each flow without filters.
    let frames: Vec<_> = (0..64)
        .map(|i| udp_frame(BCAST, 5000 + i as u16, i))
        .collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    // Every flow to queue 2 except those RSS already sends there.
    let moved: Vec<u16> = (0..64u16)
        .filter(|&i| before[&u32::from(i)] != [2])
        .collect();
    assert!(moved.len() > 10);
    for &i in &moved {
        rx.add_fdir(flow(5000 + i), Some(2)).unwrap();
    }
    let after = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    for i in 0..64u32 {
        assert_eq!(after[&i], [2], "flow {i}");
    }
    // The card counted a match for each steered frame.
    // FDIRMATCH (read-to-clear, so read here through the bus at its offset).
    let matched = regdsl_rt::Bus::read32(rx.regs().bus(), 0x0EE58, regdsl_rt::Site::UNNAMED);
    assert_eq!(matched as usize, moved.len());
    // One flow moved to queue 1, one removed (back to RSS), one dropped (drop queue 3).
    rx.add_fdir(flow(5000 + moved[0]), Some(1)).unwrap();
    rx.remove_fdir(flow(5000 + moved[1])).unwrap();
    rx.add_fdir(flow(5000 + moved[2]), None).unwrap();
    let again = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(again[&u32::from(moved[0])], [1]);
    assert_eq!(again[&u32::from(moved[1])], before[&u32::from(moved[1])]);
    assert_eq!(again[&u32::from(moved[2])], [3]);
    assert!(matches!(
        rx.remove_fdir(flow(5000 + moved[1])),
        Err(Error::NoSuchFilter(_))
    ));
    // A TCP flow with the same addresses and ports is another flow.
    let tcp = Flow {
        l4: L4::Tcp,
        ..flow(5000 + moved[3])
    };
    assert!(rx.remove_fdir(tcp).is_err());
    assert_no_violations(&sim);
}

#[test]
fn fdir_configuration_is_checked() {
    let mut c = cfg4();
    c.fdir.as_mut().unwrap().drop_queue = 4;
    assert!(c.validate().unwrap_err().to_string().contains("drop_queue"));
    let mut c = cfg4();
    c.vmdq = Some(driver_82599::vmdq::VmdqConfig::default());
    assert!(c.validate().is_err());
    let sim = sim2();
    let (_tx, mut rx) = pair(&sim, cfg4());
    assert!(rx.add_fdir(flow(1), Some(4)).is_err(), "no queue 4");
    let (mut plain, _) = pair(&sim2(), cfg());
    assert!(
        plain.add_fdir(flow(1), Some(0)).is_err(),
        "Flow Director is off"
    );
}

#[test]
fn fdir_strict_card_flags_filters_before_init_and_over_the_packet_buffer() {
    use driver_82599::regs::*;
    let sim = sim2();
    let (_tx, rx) = pair(&sim, cfg());
    // A command with Flow Director never initialised.
    rx.regs().FDIRCMD().write(FDIRCMD::CMD::ADD);
    assert_eq!(sim.violations()[0].rule, sim_82599::Rule::FdirBeforeInit);
    // Enabled while RXPBSIZE[0] still holds all 512 KB.
    rx.regs()
        .FDIRCTRL()
        .write(FDIRCTRL::PBALLOC::K64 | FDIRCTRL::PERFECT_MATCH);
    assert_eq!(
        sim.violations()[1].rule,
        sim_82599::Rule::FdirOverPacketBuffer
    );
}

#[test]
fn fdir_card_finds_a_filter_only_in_the_bucket_of_its_hash() {
    use driver_82599::fdir::{bucket_hash, HASH_KEY};
    use driver_82599::regs::*;
    let sim = sim2();
    let (mut tx, mut rx) = pair(&sim, cfg4());
    let frames: Vec<_> = (0..16)
        .map(|i| udp_frame(BCAST, 7000 + i as u16, i))
        .collect();
    let before = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    // A flow RSS does not send to queue 2, filed by hand under a wrong bucket hash.
    let i = (0..16u16).find(|&i| before[&u32::from(i)] != [2]).unwrap();
    let f = flow(7000 + i);
    let r = rx.regs();
    r.FDIRIPSA().write(FDIRIPSA::IP.val(u32::from(f.src)));
    r.FDIRIPDA().write(FDIRIPDA::IP.val(u32::from(f.dst)));
    r.FDIRPORT().write(
        FDIRPORT::SOURCE.val(u32::from(f.sport)) | FDIRPORT::DESTINATION.val(u32::from(f.dport)),
    );
    let wrong = (bucket_hash(HASH_KEY, &f) + 1) & 0x1FFF;
    r.FDIRHASH()
        .write(FDIRHASH::HASH.val(wrong) | FDIRHASH::BUCKET_VALID | FDIRHASH::SW_INDEX.val(9));
    r.FDIRCMD().write(
        FDIRCMD::CMD::ADD | FDIRCMD::L4TYPE::UDP | FDIRCMD::QUEUE_EN | FDIRCMD::RX_QUEUE.val(2),
    );
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(
        got[&u32::from(i)],
        before[&u32::from(i)],
        "not found: RSS decides"
    );
    // Filed by the driver, with the right hash: found.
    rx.add_fdir(f, Some(2)).unwrap();
    let got = landed(&exchange(&sim, &mut tx, &mut rx, &frames));
    assert_eq!(got[&u32::from(i)], [2]);
    assert_no_violations(&sim);
}
