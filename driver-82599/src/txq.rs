//! A transmit queue: the shared ring engine (`nic_queue::TxQueue`: batched zero-copy send,
//! one TDT write per batch, reclaim by DD write-back) over the 82599's registers.

pub use crate::queue::TxRegs;

/// One 82599 transmit queue. `Send`: move it to the thread that sends on it. See
/// [`nic_queue::TxQueue`] for the ring state and the send path.
pub type TxQueue<B> = nic_queue::TxQueue<TxRegs<B>>;
