//! Ordering between memory (descriptors) and device registers.
//!
//! Volatile accesses are ordered among themselves, but not with ordinary stores to DMA memory:
//! the compiler (and on weakly ordered CPUs the hardware) may move a descriptor store after
//! the tail write that tells the device to fetch it. A driver therefore:
//! - writes descriptors, then calls [`publish`] (or `Reg::write_publish`) right before the
//!   tail (TDT/RDT) write;
//! - after seeing a "done" bit (DD) in a descriptor, calls [`acquire`] before reading the
//!   rest of the descriptor or the buffer.

use core::sync::atomic::{fence, Ordering};

/// Make every earlier memory write visible to the device before the next register write.
/// On x86 stores are not reordered with later (uncached) MMIO stores, so this is a compiler
/// barrier; on aarch64 a `dmb oshst` orders normal memory against device memory.
#[inline(always)]
pub fn publish() {
    fence(Ordering::Release);
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a barrier instruction; no memory is accessed.
    unsafe {
        core::arch::asm!("dmb oshst", options(nostack, preserves_flags));
    }
}

/// Order the read that saw a descriptor's done bit before every later read of the descriptor
/// and its buffer.
#[inline(always)]
pub fn acquire() {
    fence(Ordering::Acquire);
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a barrier instruction; no memory is accessed.
    unsafe {
        core::arch::asm!("dmb oshld", options(nostack, preserves_flags));
    }
}
