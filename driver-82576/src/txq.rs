//! A transmit queue: the shared ring engine (`nic_queue::TxQueue`: batched zero-copy send,
//! one TDT write per batch, reclaim by DD write-back) over the 82576's registers.

use crate::init::TdtIndex;
use crate::regs::Regs;
use regdsl_rt::Bus;

/// One 82576 transmit queue. `Send`: move it to the thread that sends on it. See
/// [`nic_queue::TxQueue`] for the ring state and the send path.
pub type TxQueue<B> = nic_queue::TxQueue<TxRegs<B>>;

/// A transmit queue's registers: TDT (its index validated once) and TXDCTL to stop the queue.
pub struct TxRegs<B: Bus> {
    regs: Regs<B>,
    tdt: TdtIndex,
}

impl<B: Bus> TxRegs<B> {
    pub(crate) fn new(regs: Regs<B>, tdt: TdtIndex) -> Self {
        TxRegs { regs, tdt }
    }
}

impl<B: Bus> nic_queue::QueueRegs for TxRegs<B> {
    #[inline(always)]
    fn id(&self) -> u32 {
        self.tdt.get()
    }

    /// The release fence, then TDT.
    #[inline(always)]
    fn write_tail(&self, tail: u32) {
        self.regs.TDT().idx(self.tdt).write_publish(tail);
    }

    fn stop(&self) -> bool {
        crate::init::disable_tx_queue(&self.regs, self.tdt.get())
    }
}
