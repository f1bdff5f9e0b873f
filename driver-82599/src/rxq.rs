//! A receive queue: the shared ring engine (`nic_queue::RxQueue`: batched zero-copy receive,
//! write-back checks, refill in runs with one RDT write each) over the 82599's registers.

pub use crate::queue::RxRegs;

/// One 82599 receive queue. `Send`: move it to the thread that polls it. See
/// [`nic_queue::RxQueue`] for the ring state and the receive path.
pub type RxQueue<B> = nic_queue::RxQueue<RxRegs<B>, crate::desc::Format>;
