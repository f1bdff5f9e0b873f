//! Simulated physical memory: the only memory the card can reach by DMA.
//!
//! One shared mapping of a memory file (`memfd`) seen by the card at `PHYS_BASE` + offset, so
//! physical addresses never equal virtual ones: a virtual address written into a descriptor
//! falls outside and is caught as a DMA fault instead of silently working. The file lets a
//! driver in another process map the same memory ([`crate::server`]).

use ::dma::{DmaError, DmaMemory, DmaRegion};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Where the simulated physical memory starts (4 GiB: above any 32-bit address, and far from
/// the addresses a process maps).
pub const PHYS_BASE: u64 = 0x1_0000_0000;

pub(crate) struct Block {
    /// Owns the memory that `base` points into.
    _map: Backing,
    base: *mut u8,
    /// The memory file behind the mapping, handed to driver processes.
    file: std::fs::File,
}

/// The memory file's mapping; under Miri, which cannot map files, a heap block of the same size
/// (the memory file then exists but is not what the card reads: no driver process can share it).
#[cfg(not(miri))]
type Backing = memmap2::MmapMut;
#[cfg(miri)]
type Backing = ::dma::testing::HeapBlock;

// SAFETY: the block is plain anonymous memory; every access goes through raw pointers, and
// whoever reads or writes it synchronises with the other side (fences around tail/DD).
unsafe impl Send for Block {}
// SAFETY: as for `Send`; the block itself has no interior state besides the mapping.
unsafe impl Sync for Block {}

/// The simulated physical memory of a card; implements [`DmaMemory`].
pub struct SimMemory {
    block: Arc<Block>,
    len: usize,
    next: Mutex<usize>,
    released: Arc<Released>,
}

/// What is called with `(phys, len)` when the driver releases a region.
pub(crate) type ReleaseHook = Box<dyn Fn(u64, usize) + Send + Sync>;

/// Regions the driver has released (dropped every `DmaRegion` of). The allocator never hands
/// memory out twice, so a released range stays released: the card must not write it again.
#[derive(Default)]
pub(crate) struct Released {
    ranges: Mutex<Vec<(u64, u64)>>,
    count: AtomicUsize,
    hook: OnceLock<ReleaseHook>,
}

impl Released {
    fn release(&self, phys: u64, len: usize) {
        self.ranges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((phys, phys + len as u64));
        self.count.fetch_add(1, Ordering::Release);
        if let Some(h) = self.hook.get() {
            h(phys, len);
        }
    }
}

/// Owner of an allocated region: keeps the mapping alive and records the release.
struct Lease {
    _block: Arc<Block>,
    released: Arc<Released>,
    phys: u64,
    len: usize,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.released.release(self.phys, self.len);
    }
}

impl fmt::Debug for SimMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SimMemory {{ phys: {:#x}..{:#x} }}",
            PHYS_BASE,
            PHYS_BASE + self.len as u64
        )
    }
}

/// A new memory file: a `memfd` (under Miri, which has no `memfd_create`, an unlinked
/// temporary file).
fn memory_file() -> std::io::Result<std::fs::File> {
    #[cfg(not(miri))]
    {
        // SAFETY: a constant NUL-terminated name; the call returns a new descriptor or -1.
        let fd = unsafe { libc::memfd_create(c"sim-82599-dma".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        Ok(unsafe { <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(fd) })
    }
    #[cfg(miri)]
    {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "sim-82599-dma-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)?;
        std::fs::remove_file(&path)?;
        Ok(f)
    }
}

impl SimMemory {
    pub fn new(len: usize) -> Result<SimMemory, DmaError> {
        let len = len.max(4096).next_multiple_of(4096);
        let file = memory_file().map_err(|err| DmaError::Os {
            what: "creating the simulated DMA memory file (memfd)".into(),
            err,
        })?;
        // Sparse: pages are allocated when first touched, as with an anonymous mapping.
        file.set_len(len as u64).map_err(|err| DmaError::Os {
            what: format!("sizing the simulated DMA memory file to {len} bytes"),
            err,
        })?;
        #[cfg(not(miri))]
        // SAFETY: the file is ours, never truncated while mapped.
        let mut map = unsafe { memmap2::MmapMut::map_mut(&file) }.map_err(|err| DmaError::Os {
            what: format!("mapping {len} bytes of simulated DMA memory"),
            err,
        })?;
        #[cfg(not(miri))]
        let base = map.as_mut_ptr();
        #[cfg(miri)]
        let map = ::dma::testing::HeapBlock::zeroed(len)?;
        #[cfg(miri)]
        let base = map.as_ptr();
        Ok(SimMemory {
            block: Arc::new(Block {
                _map: map,
                base,
                file,
            }),
            len,
            next: Mutex::new(0),
            released: Arc::default(),
        })
    }

    /// Whether the driver has released any region (cheap: the card checks its writes against
    /// the released ranges only then).
    #[inline]
    pub fn any_released(&self) -> bool {
        self.released.count.load(Ordering::Acquire) != 0
    }

    /// The released range that `phys..phys + len` overlaps, if any.
    pub fn released_overlap(&self, phys: u64, len: usize) -> Option<(u64, u64)> {
        if !self.any_released() {
            return None;
        }
        let end = phys.saturating_add(len as u64);
        self.released
            .ranges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .find(|&(a, b)| phys < b && a < end)
    }

    /// Called with every released region (the card's strict-mode check; set once).
    pub(crate) fn on_release(&self, hook: ReleaseHook) {
        let _ = self.released.hook.set(hook);
    }

    /// Size of the simulated physical memory in bytes.
    pub fn size(&self) -> usize {
        self.len
    }

    /// The memory file (a `memfd`) whose offset `o` is physical address `PHYS_BASE + o`: a
    /// driver process maps it to reach the same memory.
    pub fn file(&self) -> &std::fs::File {
        &self.block.file
    }

    /// Host pointer for `len` bytes at physical address `phys`, or `None` if any byte lies
    /// outside the simulated memory (a DMA fault on real hardware).
    #[inline]
    pub fn translate(&self, phys: u64, len: usize) -> Option<*mut u8> {
        let off = phys.checked_sub(PHYS_BASE)?;
        let end = off.checked_add(len as u64)?;
        if end > self.len as u64 {
            return None;
        }
        // SAFETY: `off + len <= self.len`, inside the mapping.
        Some(unsafe { self.block.base.add(off as usize) })
    }

    /// Whether `addr` is an address of the host mapping (a virtual address where a physical one
    /// belongs), for the fault message.
    pub fn is_host_address(&self, addr: u64) -> bool {
        let b = self.block.base as u64;
        addr >= b && addr < b + self.len as u64
    }
}

impl DmaMemory for SimMemory {
    fn alloc(&self, size: usize, align: usize) -> Result<DmaRegion, DmaError> {
        if !align.is_power_of_two() || align > 1 << 21 {
            return Err(DmaError::BadAlign(align));
        }
        if size > self.len {
            return Err(DmaError::TooLarge {
                size,
                max: self.len,
            });
        }
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        // PHYS_BASE is aligned to anything up to 4 GiB, so aligning the offset aligns the
        // physical address.
        let start = next.next_multiple_of(align);
        let end = start
            .checked_add(size.max(1))
            .filter(|&e| e <= self.len)
            .ok_or(DmaError::Exhausted { size })?;
        *next = end;
        drop(next);
        // Bump allocation: memory is never handed out twice, so it is still zero from the
        // anonymous mapping.
        let owner: Box<dyn Send + Sync> = Box::new(Lease {
            _block: self.block.clone(),
            released: self.released.clone(),
            phys: PHYS_BASE + start as u64,
            len: size,
        });
        // SAFETY: `start..end` lies inside the mapping kept alive by `owner`; the card sees it
        // at PHYS_BASE + start.
        Ok(unsafe {
            DmaRegion::new(
                self.block.base.add(start),
                PHYS_BASE + start as u64,
                size,
                owner,
            )
        })
    }
}

/// A DMA access the card could not make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmaFault {
    pub port: usize,
    /// "RX descriptor", "RX buffer", "TX descriptor", "TX buffer", "TX head write-back".
    pub what: &'static str,
    pub queue: u32,
    pub addr: u64,
    pub len: usize,
    /// The address is one of the host's virtual addresses of DMA memory (a driver wrote
    /// `virt()` where `phys()` belongs).
    pub virtual_address: bool,
    /// Caused by [`crate::Fault::DmaError`], not by a bad address.
    pub injected: bool,
}

impl fmt::Display for DmaFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "port {} queue {}: DMA fault on {} at {:#x} ({} bytes)",
            self.port, self.queue, self.what, self.addr, self.len
        )?;
        if self.injected {
            f.write_str(": injected DMA error")
        } else if self.virtual_address {
            f.write_str(": a virtual address, not a physical one (use DmaRegion::phys)")
        } else {
            f.write_str(": outside the simulated physical memory")
        }
    }
}

// Raw accessors for descriptor words. Descriptors are shared with the driver, which polls
// them concurrently: volatile accesses through raw pointers, never references.

#[inline]
pub(crate) fn rd64(p: *mut u8, off: usize) -> u64 {
    // SAFETY: callers pass a pointer from `translate` covering `off + 8` bytes.
    unsafe { core::ptr::read_volatile(p.add(off) as *const u64) }
}
#[inline]
pub(crate) fn rd32(p: *mut u8, off: usize) -> u32 {
    // SAFETY: as for `rd64`, with 4 bytes.
    unsafe { core::ptr::read_volatile(p.add(off) as *const u32) }
}
#[inline]
pub(crate) fn wr64(p: *mut u8, off: usize, v: u64) {
    // SAFETY: as for `rd64`.
    unsafe { core::ptr::write_volatile(p.add(off) as *mut u64, v) }
}
#[inline]
pub(crate) fn wr32(p: *mut u8, off: usize, v: u32) {
    // SAFETY: as for `rd32`.
    unsafe { core::ptr::write_volatile(p.add(off) as *mut u32, v) }
}
/// Copy `n` bytes between non-overlapping buffers; small frames (the common case at line
/// rate) in 16-byte blocks inline rather than through a `memcpy` call: 16 to 64 bytes in two
/// or four blocks without a loop, the first and last blocks overlapping the middle ones.
///
/// # Safety
/// `src` readable and `dst` writable for `n` bytes, the two ranges disjoint.
#[inline(always)]
unsafe fn copy(src: *const u8, dst: *mut u8, n: usize) {
    // SAFETY (every use): `at + 16 <= n`, inside both ranges (each arm checks n >= 16).
    let block = |at: usize| {
        let v = core::ptr::read_unaligned(src.add(at) as *const u128);
        core::ptr::write_unaligned(dst.add(at) as *mut u128, v);
    };
    match n {
        16..=32 => {
            block(0);
            block(n - 16);
        }
        33..=64 => {
            block(0);
            block(16);
            block(n - 32);
            block(n - 16);
        }
        65..=128 => {
            let mut i = 0;
            while i + 16 < n {
                block(i);
                i += 16;
            }
            // The last block, overlapping the previous one when n % 16 != 0.
            block(n - 16);
        }
        _ => core::ptr::copy_nonoverlapping(src, dst, n),
    }
}

/// Copy `dst.len()` bytes from DMA memory into `dst`.
#[inline]
pub(crate) fn copy_from(src: *mut u8, dst: &mut [u8]) {
    // SAFETY: `src` comes from `translate(.., dst.len())`; the memory is plain bytes and
    // `dst` is host memory that cannot overlap the DMA block.
    unsafe { copy(src, dst.as_mut_ptr(), dst.len()) }
}
/// Copy `src` into DMA memory at `dst`.
#[inline]
pub(crate) fn copy_to(src: &[u8], dst: *mut u8) {
    // SAFETY: `dst` comes from `translate(.., src.len())`; `src` is host memory (an engine
    // buffer), never inside the DMA block.
    unsafe { copy(src.as_ptr(), dst, src.len()) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn copies_every_small_size_exactly() {
        let src: Vec<u8> = (0..300u32).map(|i| (i * 7 + 1) as u8).collect();
        for n in 0..300 {
            let mut dst = vec![0xEEu8; 310];
            // SAFETY: both buffers hold at least `n` bytes and are distinct allocations.
            unsafe { super::copy(src.as_ptr(), dst.as_mut_ptr(), n) };
            assert_eq!(dst[..n], src[..n], "{n} bytes");
            assert!(
                dst[n..].iter().all(|&b| b == 0xEE),
                "{n} bytes: wrote past the end"
            );
        }
    }
}
