//! Every bounded wait of the init sequence ends in its own typed error, checked on a minimal
//! register file whose registers never reach the awaited state. Offsets and bits come from
//! the generated table, as in the driver.

use driver_82599::regs::{EEC, LINKS, RDRXCTL, RXDCTL, SECRXCTRL, SECRXSTAT, TXDCTL};
use driver_82599::{Config, Device, Error, QueueError};
use regdsl_rt::{ArraySpec, Bus, Single, Site};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the fake card refuses to do.
#[derive(Clone, Copy, PartialEq)]
enum Stuck {
    Eeprom,
    DmaInit,
    SecRx,
    RxQueue,
    TxQueue,
    Nothing,
}

/// A register file: writes are stored; reset bits clear at once; status bits come up unless
/// `stuck` says otherwise.
#[derive(Clone)]
struct Fake {
    regs: Arc<Mutex<HashMap<usize, u32>>>,
    stuck: Stuck,
}

impl Bus for Fake {
    // The table has no 8- or 16-bit registers: generated code never makes these accesses.
    fn read8(&self, offset: usize, _site: Site) -> u8 {
        unreachable!("8-bit read at {offset:#x}")
    }
    fn write8(&self, offset: usize, _value: u8, _site: Site) {
        unreachable!("8-bit write at {offset:#x}")
    }
    fn read16(&self, offset: usize, _site: Site) -> u16 {
        unreachable!("16-bit read at {offset:#x}")
    }
    fn write16(&self, offset: usize, _value: u16, _site: Site) {
        unreachable!("16-bit write at {offset:#x}")
    }
    fn read32(&self, off: usize, _: Site) -> u32 {
        let v = *self.regs.lock().unwrap().get(&off).unwrap_or(&0);
        let bit = |b: u64| b as u32;
        if off == <EEC::Reg as Single>::OFFSET && self.stuck != Stuck::Eeprom {
            return v | bit(EEC::ARD.mask());
        }
        if off == <RDRXCTL::Reg as Single>::OFFSET && self.stuck != Stuck::DmaInit {
            return v | bit(RDRXCTL::DMAIDONE.mask());
        }
        if off == <SECRXSTAT::Reg as Single>::OFFSET && self.stuck != Stuck::SecRx {
            // The Rx security path drains at once once RX_DIS is set.
            let ctrl = *self
                .regs
                .lock()
                .unwrap()
                .get(&<SECRXCTRL::Reg as Single>::OFFSET)
                .unwrap_or(&0);
            if ctrl & bit(SECRXCTRL::RX_DIS.mask()) != 0 {
                return bit(SECRXSTAT::SECRX_RDY.mask());
            }
        }
        if off == <LINKS::Reg as Single>::OFFSET {
            return bit(LINKS::LINK_UP.mask() | LINKS::LINK_SPEED::SPEED_10G.value());
        }
        if Some(off) == <RXDCTL::Reg as ArraySpec>::offset(0) && self.stuck == Stuck::RxQueue {
            return v & !bit(RXDCTL::ENABLE.mask());
        }
        if Some(off) == <TXDCTL::Reg as ArraySpec>::offset(0) && self.stuck == Stuck::TxQueue {
            return v & !bit(TXDCTL::ENABLE.mask());
        }
        v
    }
    fn write32(&self, off: usize, v: u32, _: Site) {
        let v = if off == <driver_82599::regs::CTRL::Reg as Single>::OFFSET {
            // Reset completes at once.
            v & !((driver_82599::regs::CTRL::RST | driver_82599::regs::CTRL::LRST).mask() as u32)
        } else {
            v
        };
        self.regs.lock().unwrap().insert(off, v);
    }
}

fn init(stuck: Stuck) -> Result<(), Error> {
    let sim = sim_82599::Sim::builder().ports(1).build(); // only for its DMA memory
    let bus = Fake {
        regs: Arc::default(),
        stuck,
    };
    let cfg = Config {
        rx_ring: 64,
        tx_ring: 64,
        pool_size: 128,
        wait_timeout: Duration::from_millis(30),
        ..Config::default()
    };
    let t = Instant::now();
    let r = Device::new(bus, sim.dma(), cfg).map(drop);
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "a wait was not bounded"
    );
    r
}

#[test]
fn each_stuck_state_has_its_error() {
    assert!(matches!(init(Stuck::Eeprom), Err(Error::EepromTimeout(_))));
    assert!(matches!(
        init(Stuck::DmaInit),
        Err(Error::DmaInitTimeout(_))
    ));
    assert!(matches!(init(Stuck::SecRx), Err(Error::SecRxTimeout(_))));
    match init(Stuck::RxQueue) {
        Err(Error::Queue(QueueError::EnableTimeout {
            dir: "RX",
            queue: 0,
            ..
        })) => {}
        other => panic!("{other:?}"),
    }
    match init(Stuck::TxQueue) {
        Err(e @ Error::Queue(QueueError::EnableTimeout { dir: "TX", .. })) => {
            assert!(e.to_string().contains("TX queue 0"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    init(Stuck::Nothing).expect("a cooperative register file initialises");
}
