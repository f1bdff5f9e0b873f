//! A receive queue: the shared ring engine (`nic_queue::RxQueue`: batched zero-copy receive,
//! write-back checks, refill in runs with one RDT write each) over the 82576's registers.

use crate::desc::Format;
use crate::init::RdtIndex;
use crate::regs::Regs;
use regdsl_rt::Bus;

/// One 82576 receive queue. `Send`: move it to the thread that polls it. See
/// [`nic_queue::RxQueue`] for the ring state and the receive path.
pub type RxQueue<B> = nic_queue::RxQueue<RxRegs<B>, Format>;

/// A receive queue's registers: RDT (its index validated once, so the per-refill tail write
/// has no range check) and RXDCTL to stop the queue.
pub struct RxRegs<B: Bus> {
    regs: Regs<B>,
    rdt: RdtIndex,
}

impl<B: Bus> RxRegs<B> {
    pub(crate) fn new(regs: Regs<B>, rdt: RdtIndex) -> Self {
        RxRegs { regs, rdt }
    }
}

impl<B: Bus> nic_queue::QueueRegs for RxRegs<B> {
    #[inline(always)]
    fn id(&self) -> u32 {
        self.rdt.get()
    }

    /// The release fence, then RDT (RDT == RDH means "no descriptor for the device").
    #[inline(always)]
    fn write_tail(&self, tail: u32) {
        self.regs.RDT().idx(self.rdt).write_publish(tail);
    }

    fn stop(&self) -> bool {
        crate::init::disable_rx_queue(&self.regs, self.rdt.get())
    }
}
