//! Receive interrupts through MSI-X (82576 datasheet 7.3): receive queue `q` on vector `q`
//! (IVAR, valid bit), the cause auto-cleared (EIAC) and the vector auto-masked (EIAM with
//! GPIE.EIAME) when its message is sent, so each arming ([`Device::rx_arm`], EIMS) yields at
//! most one message. The messages go to eventfds ([`pci_dma::EventFd`]) that the platform
//! binds: through VFIO with [`pci_dma::Msix::set_vectors`] and the fds of
//! [`Device::msix_fds`]. The same scheme as `driver_82599::irq`.

use crate::error::{Error, Result};
use crate::regs::*;
use crate::Device;
use nic_queue::QueueDevice;
use pci_dma::EventFd;
use regdsl_rt::Bus;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Duration;

/// Receive queues with a vector: 0..7 (`IVAR[q].INT_ALLOC0`; vectors 0..7 of the 25).
pub const MAX_VECTORS: usize = 8;

fn irq_err(e: std::io::Error) -> Error {
    Error::Interrupt(e.to_string())
}

impl<B: Bus + Clone> Device<B> {
    /// Sets up one MSI-X vector per receive queue (queue `q` on vector `q`), all masked:
    /// GPIE multiple-vector mode with PBA support and auto-mask (7.3.1), IVAR, EITR 0 (no
    /// moderation), EIAC and EIAM. Then bind [`Device::msix_fds`] to the platform.
    pub fn enable_rx_interrupts(&mut self) -> Result<()> {
        let n = usize::from(self.cfg.rx_queues);
        if n > MAX_VECTORS {
            return Err(Error::Config(format!(
                "receive interrupts for {n} queues: vectors are mapped for queues 0..{} only",
                MAX_VECTORS - 1
            )));
        }
        let all = (1u32 << n) - 1;
        let r = &self.regs;
        r.EIMC().write(all);
        r.GPIE()
            .modify(|v| v.set(GPIE::MSIX_MODE).set(GPIE::EIAME).set(GPIE::PBA));
        for q in 0..n as u32 {
            r.IVAR()
                .at(q)
                .modify(|v| v.with(IVAR::INT_ALLOC0.val(q)).set(IVAR::INT_ALLOC_VAL0));
            r.EITR().at(q).write(0);
        }
        r.EIAC().write(r.EIAC().read().bits() | all);
        r.EIAM().write(r.EIAM().read().bits() | all);
        if self.irq.is_empty() {
            for _ in 0..n {
                self.irq.push(EventFd::new().map_err(irq_err)?);
            }
        }
        Ok(())
    }

    /// The eventfd of each vector, `(vector, fd)`, to bind (vector i: the i-th).
    pub fn msix_fds(&self) -> Vec<(u32, BorrowedFd<'_>)> {
        self.irq
            .iter()
            .enumerate()
            .map(|(v, fd)| (v as u32, fd.as_fd()))
            .collect()
    }

    /// Receive queue `q`'s eventfd (to poll it; [`EventFd::take`] consumes it).
    pub fn rx_event_fd(&self, q: usize) -> Result<&EventFd> {
        self.irq.get(q).ok_or_else(|| no_irq(q))
    }

    /// Unmasks receive queue `q`'s vector (EIMS): its next cause sends one message.
    pub fn rx_arm(&self, q: usize) -> Result<()> {
        self.rx_event_fd(q)?;
        self.regs.EIMS().write(1 << q);
        Ok(())
    }

    /// Waits up to `timeout` for a packet on receive queue `q`: at once when one is there;
    /// else arms the vector and sleeps on its eventfd. True when a packet is there or an
    /// interrupt came.
    pub fn rx_wait(&mut self, q: usize, timeout: Duration) -> Result<bool> {
        let fd = self.rx_event_fd(q)?;
        fd.take().map_err(irq_err)?;
        if self.queues_mut().rx_queue(q)?.ready() {
            return Ok(true);
        }
        self.rx_arm(q)?;
        if self.queues_mut().rx_queue(q)?.ready() {
            return Ok(true);
        }
        let fd = self.rx_event_fd(q)?;
        let woke = fd.wait(timeout).map_err(irq_err)?;
        if woke {
            fd.take().map_err(irq_err)?;
        }
        Ok(woke || self.queues_mut().rx_queue(q)?.ready())
    }

    /// A real card's MSI-X vectors (opened through VFIO).
    pub fn msix(&self) -> Option<std::sync::Arc<pci_dma::Msix>> {
        self.msix.clone()
    }
}

fn no_irq(q: usize) -> Error {
    Error::Interrupt(format!(
        "receive queue {q} has no interrupt (call enable_rx_interrupts first)"
    ))
}
