//! The software/firmware semaphore (82599 datasheet 10.5.4, registers SWSM 8.2.3.4.x and
//! SW_FW_SYNC, named `GSSR` in the table): resources the card's firmware (manageability) and
//! the software share (the EEPROM, the PHYs, the MAC registers AUTOC/AUTOC2, the flash) are
//! taken one at a time.
//!
//! Taking a resource: get SWSM.SMBI (the read that returns 0 gets it; the read sets it), then
//! SWSM.SWESMBI (written 1, held once it reads back 1), then, if neither the software's nor the
//! firmware's bit of the resource is set in SW_FW_SYNC, set the software's bit; SWSM is then
//! given back (SWESMBI and SMBI cleared). A busy resource gives SWSM back and tries again.
//! Every wait is bounded ([`Error::SemaphoreTimeout`]). Releasing clears the bit under SWSM
//! again.
//!
//! The driver takes `SW_MAC_CSR_SM` around its writes to AUTOC and AUTOC2 (link set-up and
//! restarts): the simulated card's strict mode flags those writes without it, and a
//! SW_FW_SYNC write without SWSM (`sim_82599::Rule::SemaphoreNotHeld` in the simulator's
//! terms). Processes attached to a card the primary runs ([`crate::share`]) write no shared
//! register at all, so between driver processes the semaphore only guards the primary against
//! the firmware.

use crate::error::{Error, Result};
use crate::regs::*;
use regdsl_rt::Bus;
use std::time::{Duration, Instant};

/// A resource of SW_FW_SYNC: the software's bit and the firmware's bit of it.
#[derive(Clone, Copy, Debug)]
pub struct Resource {
    name: &'static str,
    sw: regdsl_rt::Bits<GSSR::Reg>,
    fw: regdsl_rt::Bits<GSSR::Reg>,
}

impl Resource {
    /// The MAC registers shared with the firmware (AUTOC, AUTOC2).
    pub const MAC_CSR: Resource = Resource {
        name: "MAC_CSR",
        sw: GSSR::SW_MAC_CSR_SM,
        fw: GSSR::FW_MAC_CSR_SM,
    };
    /// The EEPROM.
    pub const EEPROM: Resource = Resource {
        name: "EEPROM",
        sw: GSSR::SW_EEP_SM,
        fw: GSSR::FW_EEP_SM,
    };

    /// The name of the resource (`MAC_CSR`, `EEPROM`), as in SW_FW_SYNC's field names.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// Default bound of a semaphore wait (public drivers allow about a second).
pub const TIMEOUT: Duration = Duration::from_secs(1);

/// How long one attempt waits between polls.
const POLL: Duration = Duration::from_micros(50);

/// Gets SWSM (SMBI then SWESMBI) within `deadline`; `false` when it could not.
///
/// An SMBI that stays set for the whole wait was left by an agent that died holding it (SWSM
/// is held for a few register accesses only): it is cleared and tried once more, as public
/// drivers do.
fn take_swsm<B: Bus>(regs: &Regs<B>, deadline: Instant) -> bool {
    // SMBI: the read that returns 0 gets it (the read sets it).
    let mut forced = false;
    loop {
        if !regs.SWSM().read().is_set(SWSM::SMBI) {
            break;
        }
        if Instant::now() >= deadline {
            if forced {
                return false;
            }
            forced = true;
            give_swsm(regs);
            continue;
        }
        std::thread::sleep(POLL);
    }
    // SWESMBI: written 1, held once it reads back 1 (the firmware may hold it).
    loop {
        regs.SWSM().set(SWSM::SWESMBI);
        if regs.SWSM().read().is_set(SWSM::SWESMBI) {
            return true;
        }
        if Instant::now() >= deadline {
            regs.SWSM().clr(SWSM::SMBI | SWSM::SWESMBI);
            return false;
        }
        std::thread::sleep(POLL);
    }
}

fn give_swsm<B: Bus>(regs: &Regs<B>) {
    regs.SWSM().clr(SWSM::SMBI | SWSM::SWESMBI);
}

/// Takes `res` for the software (bounded by `timeout`).
pub fn acquire<B: Bus>(regs: &Regs<B>, res: Resource, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if !take_swsm(regs, deadline) {
            return Err(Error::SemaphoreTimeout {
                what: "SWSM (SMBI/SWESMBI)",
                timeout,
            });
        }
        let sync = regs.GSSR().read();
        if !sync.any(res.sw | res.fw) {
            regs.GSSR().write(sync.set(res.sw));
            give_swsm(regs);
            return Ok(());
        }
        give_swsm(regs);
        if Instant::now() >= deadline {
            return Err(Error::SemaphoreTimeout {
                what: res.name,
                timeout,
            });
        }
        std::thread::sleep(POLL);
    }
}

/// Gives `res` back (under SWSM; bounded by `timeout`).
pub fn release<B: Bus>(regs: &Regs<B>, res: Resource, timeout: Duration) -> Result<()> {
    if !take_swsm(regs, Instant::now() + timeout) {
        return Err(Error::SemaphoreTimeout {
            what: "SWSM (SMBI/SWESMBI)",
            timeout,
        });
    }
    regs.GSSR().clr(res.sw);
    give_swsm(regs);
    Ok(())
}

/// Runs `f` holding `res`; released afterwards whatever `f` returned.
pub fn with<B: Bus, T>(
    regs: &Regs<B>,
    res: Resource,
    timeout: Duration,
    f: impl FnOnce() -> T,
) -> Result<T> {
    acquire(regs, res, timeout)?;
    let r = f();
    release(regs, res, timeout)?;
    Ok(r)
}
