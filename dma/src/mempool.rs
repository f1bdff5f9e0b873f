//! Packet buffers in DMA memory, shared by every driver.
//!
//! A [`Mempool`] carves fixed-size buffers out of DMA regions (each region at most 2 MiB, since
//! hugepage-backed memory is physically contiguous only within one page) and keeps a stack of
//! free buffer indices. A [`Packet`] is one buffer lent out of the pool (pool, index, length);
//! dropping it returns the buffer. The device-visible address of every buffer is computed once,
//! at creation.
//!
//! Ownership rule: a buffer is either on the free stack, held by a driver ring as a raw index
//! (the device may be writing it: nobody reads it then), or inside a `Packet` (the device is
//! done with it). Only a `Packet` gives access to the bytes.
//!
//! The free stack sits behind a small spin lock: the hot path takes it once per batch
//! ([`Mempool::alloc_raw`], [`Mempool::free_raw`]), and a `Packet` dropped on another thread takes
//! it once. The pool's memory lives until the last handle *and* the last lent buffer are gone,
//! decided under the same lock, so no per-packet reference count is needed.

use crate::{DmaError, DmaMemory, DmaRegion};
use core::cell::UnsafeCell;
use core::fmt;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, Ordering};

/// Largest physically contiguous piece asked of the DMA allocator.
pub const MAX_CHUNK: usize = 2 << 20;
/// Alignment of every buffer's device address (a cache line).
pub const BUF_ALIGN: usize = 64;

/// Why a pool could not be made.
#[derive(Debug)]
pub enum MempoolError {
    /// Zero buffers, a size that is zero, not a multiple of [`BUF_ALIGN`], or over [`MAX_CHUNK`].
    BadGeometry { count: usize, buf_size: usize },
    /// The DMA allocator failed.
    Dma(DmaError),
}

impl fmt::Display for MempoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MempoolError::BadGeometry { count, buf_size } => write!(
                f,
                "bad mempool geometry: {count} buffers of {buf_size} bytes (need count >= 1, \
                 size a non-zero multiple of {BUF_ALIGN} and at most {MAX_CHUNK})"
            ),
            MempoolError::Dma(e) => write!(f, "mempool DMA allocation failed: {e}"),
        }
    }
}

impl std::error::Error for MempoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MempoolError::Dma(e) => Some(e),
            MempoolError::BadGeometry { .. } => None,
        }
    }
}

impl From<DmaError> for MempoolError {
    fn from(e: DmaError) -> Self {
        MempoolError::Dma(e)
    }
}

#[derive(Clone, Copy)]
struct Buf {
    virt: *mut u8,
    phys: u64,
}

/// State guarded by `Inner::lock`.
struct Guarded {
    free: Vec<u32>,
    handles: usize,
}

struct Inner {
    lock: AtomicBool,
    guarded: UnsafeCell<Guarded>,
    bufs: Box<[Buf]>,
    /// The device addresses again, alone: 8 bytes per buffer, so that the hot paths' lookup
    /// is one scaled load.
    phys: Box<[u64]>,
    buf_size: u32,
    _regions: Vec<DmaRegion>,
}

// SAFETY: `guarded` is only touched with `lock` held; `bufs` is immutable after creation and
// holds plain addresses; the regions are Send + Sync.
unsafe impl Send for Inner {}
// SAFETY: as for `Send`.
unsafe impl Sync for Inner {}

impl Inner {
    /// Runs `f` with the lock held. Returns whether the pool must now be freed (no handles and
    /// every buffer home), which the caller does after this returns.
    #[inline(always)]
    fn locked<R>(&self, f: impl FnOnce(&mut Guarded) -> R) -> (R, bool) {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            core::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference to `guarded`.
        let g = unsafe { &mut *self.guarded.get() };
        let r = f(g);
        let dead = g.handles == 0 && g.free.len() == self.bufs.len();
        self.lock.store(false, Ordering::Release);
        (r, dead)
    }
}

/// Frees the pool's memory.
///
/// # Safety
/// `p` came from `Box::into_raw` in [`Mempool::new`], and `Inner::locked` just reported the
/// pool dead: no handle and no lent buffer refers to it any more, and none can appear.
unsafe fn destroy(p: NonNull<Inner>) {
    // SAFETY: see the function's contract.
    drop(unsafe { Box::from_raw(p.as_ptr()) });
}

/// A pool of equal-sized DMA packet buffers. Cloning gives another handle to the same pool.
pub struct Mempool {
    inner: NonNull<Inner>,
}

// SAFETY: `Inner` is Send + Sync and the handle only reaches it through `&Inner`.
unsafe impl Send for Mempool {}
// SAFETY: as for `Send`.
unsafe impl Sync for Mempool {}

impl Mempool {
    /// `count` buffers of `buf_size` bytes each (a multiple of 64), from `dma`.
    pub fn new(dma: &dyn DmaMemory, count: usize, buf_size: usize) -> Result<Self, MempoolError> {
        if count == 0
            || count > u32::MAX as usize
            || buf_size == 0
            || buf_size % BUF_ALIGN != 0
            || buf_size > MAX_CHUNK
        {
            return Err(MempoolError::BadGeometry { count, buf_size });
        }
        let mut regions = Vec::new();
        let mut bufs = Vec::with_capacity(count);
        // Ask for the largest piece first; halve it when the allocator refuses the size.
        let mut chunk = (count * buf_size).min(MAX_CHUNK) / buf_size * buf_size;
        while bufs.len() < count {
            let want = chunk.min((count - bufs.len()) * buf_size);
            let region = match dma.alloc(want, BUF_ALIGN) {
                Ok(r) => r,
                Err(DmaError::TooLarge { .. }) if want > buf_size => {
                    chunk = (want / 2).max(buf_size) / buf_size * buf_size;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let n = region.len().min(want) / buf_size;
            if n == 0 {
                return Err(DmaError::Exhausted { size: want }.into());
            }
            for i in 0..n {
                bufs.push(Buf {
                    // SAFETY: `i * buf_size < region.len()`, inside the region.
                    virt: unsafe { region.virt().add(i * buf_size) },
                    phys: region.phys() + (i * buf_size) as u64,
                });
            }
            regions.push(region);
        }
        // Index 0 on top, so a fresh pool hands out buffers in address order.
        let free = (0..count as u32).rev().collect();
        let inner = Box::new(Inner {
            lock: AtomicBool::new(false),
            guarded: UnsafeCell::new(Guarded { free, handles: 1 }),
            phys: bufs.iter().map(|b| b.phys).collect(),
            bufs: bufs.into_boxed_slice(),
            buf_size: buf_size as u32,
            _regions: regions,
        });
        Ok(Mempool {
            inner: NonNull::from(Box::leak(inner)),
        })
    }

    #[inline(always)]
    fn inner(&self) -> &Inner {
        // SAFETY: a handle keeps the pool alive (`handles >= 1`).
        unsafe { self.inner.as_ref() }
    }

    /// Bytes per buffer.
    #[inline(always)]
    pub fn buf_size(&self) -> usize {
        self.inner().buf_size as usize
    }

    /// Buffers in the pool.
    pub fn capacity(&self) -> usize {
        self.inner().bufs.len()
    }

    /// Buffers currently free.
    pub fn free_count(&self) -> usize {
        self.inner().locked(|g| g.free.len()).0
    }

    /// Whether two handles are the same pool.
    pub fn same(&self, other: &Mempool) -> bool {
        self.inner == other.inner
    }

    /// Device address of buffer `idx` (for a descriptor).
    #[inline(always)]
    pub fn phys(&self, idx: u32) -> u64 {
        self.inner().bufs[idx as usize].phys
    }

    /// Device address of buffer `idx` without the bounds check (hot path).
    ///
    /// # Safety
    /// `idx` is a buffer of this pool (from [`Mempool::alloc_raw`]).
    #[inline(always)]
    pub unsafe fn phys_unchecked(&self, idx: u32) -> u64 {
        debug_assert!((idx as usize) < self.inner().bufs.len());
        // SAFETY: forwarded to the caller.
        unsafe { *self.inner().phys.get_unchecked(idx as usize) }
    }

    /// The pool as a plain copyable pointer for a receive loop (see [`PacketSource`]).
    #[inline(always)]
    pub fn packet_source(&self) -> PacketSource<'_> {
        PacketSource {
            inner: self.inner,
            _pool: core::marker::PhantomData,
        }
    }

    /// The buffer address table (see [`PhysTable`]).
    #[inline(always)]
    pub fn phys_table(&self) -> PhysTable<'_> {
        PhysTable {
            phys: &self.inner().phys,
        }
    }

    /// Takes up to `out.len()` free buffer indices into `out`; returns how many (0 when empty).
    /// The caller owns those buffers until it gives them back with [`Mempool::free_raw`] or
    /// wraps them with [`Mempool::packet`].
    #[inline]
    pub fn alloc_raw(&self, out: &mut [u32]) -> usize {
        self.inner()
            .locked(|g| {
                let n = out.len().min(g.free.len());
                let from = g.free.len() - n;
                copy_indices(&mut out[..n], &g.free[from..]);
                g.free.truncate(from);
                n
            })
            .0
    }

    /// Returns buffers taken with [`Mempool::alloc_raw`].
    ///
    /// # Safety
    /// Every index came from this pool, is owned by the caller, and is not returned twice.
    #[inline]
    pub unsafe fn free_raw(&self, idx: &[u32]) {
        let inner = self.inner();
        let ((), dead) = inner.locked(|g| {
            debug_assert!(g.free.len() + idx.len() <= inner.bufs.len());
            g.free.extend_from_slice(idx)
        });
        // A handle (`self`) is alive, so the pool cannot be dead here.
        debug_assert!(!dead);
    }

    /// Wraps an owned raw buffer as a [`Packet`] of `len` bytes (clamped to the buffer size).
    ///
    /// # Safety
    /// `idx` came from this pool's [`Mempool::alloc_raw`], is owned by the caller (the device
    /// no longer writes it, and any device write was made visible by an acquire fence), and
    /// ownership passes to the packet.
    #[inline(always)]
    pub unsafe fn packet(&self, idx: u32, len: usize) -> Packet {
        let inner = self.inner();
        debug_assert!((idx as usize) < inner.bufs.len());
        Packet {
            pool: self.inner,
            idx,
            len: (len as u32).min(inner.buf_size),
        }
    }

    /// As [`Mempool::packet`] without clamping the length (hot path).
    ///
    /// # Safety
    /// As for [`Mempool::packet`], and `len <= buf_size()`.
    #[inline(always)]
    pub unsafe fn packet_exact(&self, idx: u32, len: u32) -> Packet {
        debug_assert!((idx as usize) < self.inner().bufs.len() && len <= self.inner().buf_size);
        Packet {
            pool: self.inner,
            idx,
            len,
        }
    }

    /// One packet of `len` bytes (clamped to the buffer size), or `None` when the pool is empty.
    /// The contents are whatever the buffer last held.
    pub fn alloc(&self, len: usize) -> Option<Packet> {
        let mut i = [0u32; 1];
        if self.alloc_raw(&mut i) == 1 {
            // SAFETY: just taken from the free stack, so owned and not in any ring.
            Some(unsafe { self.packet(i[0], len) })
        } else {
            None
        }
    }

    /// Appends up to `n` packets of `len` bytes to `out`; returns how many (fewer when the pool
    /// runs low, 0 when empty).
    pub fn alloc_batch(&self, out: &mut Vec<Packet>, n: usize, len: usize) -> usize {
        let mut idx = [0u32; 64];
        let mut done = 0;
        while done < n {
            let want = (n - done).min(idx.len());
            let got = self.alloc_raw(&mut idx[..want]);
            for &i in &idx[..got] {
                // SAFETY: just taken from the free stack.
                out.push(unsafe { self.packet(i, len) });
            }
            done += got;
            if got < want {
                break;
            }
        }
        done
    }
}

impl Clone for Mempool {
    fn clone(&self) -> Self {
        self.inner().locked(|g| g.handles += 1);
        Mempool { inner: self.inner }
    }
}

impl Drop for Mempool {
    fn drop(&mut self) {
        let ((), dead) = self.inner().locked(|g| g.handles -= 1);
        if dead {
            // SAFETY: last handle gone and every buffer home, decided under the lock.
            unsafe { destroy(self.inner) }
        }
    }
}

impl fmt::Debug for Mempool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mempool")
            .field("capacity", &self.capacity())
            .field("buf_size", &self.buf_size())
            .field("free", &self.free_count())
            .finish()
    }
}

/// One packet buffer lent out of a [`Mempool`]; returned to it when dropped.
///
/// Derefs to the packet's bytes (`len` of them). Holding a `Packet` means the device does not
/// own the buffer.
///
/// Layout (`repr(C)`, 16 bytes, checked at compile time): bytes 0-7 the pool
/// ([`PacketSource::pool_word`]), 8-11 the buffer index, 12-15 the length. A receive loop may
/// write packets as these 16 bytes (e.g. four at a time with SIMD), under the contract of
/// [`Mempool::packet_exact`].
#[repr(C)]
pub struct Packet {
    pool: NonNull<Inner>,
    idx: u32,
    len: u32,
}

// SAFETY: a packet is unique ownership of one buffer; its pool is Sync.
unsafe impl Send for Packet {}
// SAFETY: `&Packet` only reads the buffer.
unsafe impl Sync for Packet {}

impl Packet {
    #[inline(always)]
    fn inner(&self) -> &Inner {
        // SAFETY: a lent buffer keeps the pool alive (the pool is freed only when all are home).
        unsafe { self.pool.as_ref() }
    }

    /// Bytes in the packet.
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes the buffer can hold.
    #[inline(always)]
    pub fn capacity(&self) -> usize {
        self.inner().buf_size as usize
    }

    /// Sets the length, clamped to the capacity. New bytes hold whatever the buffer last held.
    #[inline(always)]
    pub fn set_len(&mut self, len: usize) {
        self.len = (len as u32).min(self.inner().buf_size);
    }

    /// Device address of the first byte.
    #[inline(always)]
    pub fn phys(&self) -> u64 {
        self.inner().bufs[self.idx as usize].phys
    }

    /// The buffer's index in its pool.
    #[inline(always)]
    pub fn index(&self) -> u32 {
        self.idx
    }

    /// Whether this packet's buffer belongs to `pool`.
    #[inline(always)]
    pub fn is_from(&self, pool: &Mempool) -> bool {
        self.pool == pool.inner
    }

    /// Gives up the packet without returning it: the caller now owns buffer `index()` of the
    /// pool the packet came from and must hand it back with [`Packet::from_raw`] (e.g. once a
    /// device has finished sending it).
    #[inline(always)]
    pub fn into_raw(self) -> RawPacket {
        let r = RawPacket {
            pool: self.pool,
            idx: self.idx,
            len: self.len,
        };
        core::mem::forget(self);
        r
    }

    /// Rebuilds a packet from [`Packet::into_raw`].
    ///
    /// # Safety
    /// The device no longer reads or writes the buffer.
    #[inline(always)]
    pub unsafe fn from_raw(raw: RawPacket) -> Packet {
        Packet {
            pool: raw.pool,
            idx: raw.idx,
            len: raw.len,
        }
    }
}

/// A packet lent to a device (see [`Packet::into_raw`]): no access to the bytes, not returned
/// to its pool when dropped (dropping it leaks the buffer). [`free_raw_slice`] returns a
/// driver ring's worth at once, one lock per run of same-pool packets.
#[derive(Debug)]
pub struct RawPacket {
    pool: NonNull<Inner>,
    idx: u32,
    len: u32,
}

// SAFETY: as for `Packet`.
unsafe impl Send for RawPacket {}

impl RawPacket {
    /// Device address of the first byte.
    #[inline(always)]
    pub fn phys(&self) -> u64 {
        // SAFETY: a lent buffer keeps the pool alive, and `idx` is one of its buffers (a raw
        // packet is only made from a packet of that pool).
        unsafe {
            self.pool
                .as_ref()
                .bufs
                .get_unchecked(self.idx as usize)
                .phys
        }
    }
    #[inline(always)]
    pub fn len(&self) -> usize {
        self.len as usize
    }
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Returns the raw packets `pkts[..]` (read out of `pkts`, which the caller then treats as
/// uninitialised): one lock per run of consecutive same-pool packets, indices pushed straight
/// onto the pool's free stack: how a driver's ring of `MaybeUninit<RawPacket>` gives its
/// buffers back.
///
/// # Safety
/// Every element is an initialised raw packet the device no longer uses, and none is used
/// again after this call.
#[inline]
pub unsafe fn free_raw_slice(pkts: &[core::mem::MaybeUninit<RawPacket>]) {
    let mut rest = pkts;
    while let Some(first) = rest.first() {
        // SAFETY: initialised, per the contract.
        let pool = unsafe { first.assume_init_ref() }.pool;
        // SAFETY: lent buffers keep their pool alive until they are home.
        let inner = unsafe { pool.as_ref() };
        let (n, dead) = inner.locked(|g| {
            let have = g.free.len();
            // Lent buffers fit: the stack holds every buffer of the pool at most once.
            let room = g.free.capacity() - have;
            let limit = rest.len().min(room);
            let dst = g.free.spare_capacity_mut().as_mut_ptr();
            let mut n = 0;
            while n < limit {
                // SAFETY: `n < rest.len()`, initialised per the contract.
                let p = unsafe { rest.get_unchecked(n).assume_init_ref() };
                if p.pool != pool {
                    break;
                }
                // SAFETY: `n < room`, inside the stack's spare capacity.
                unsafe { dst.add(n).write(core::mem::MaybeUninit::new(p.idx)) };
                n += 1;
            }
            // SAFETY: `n` more elements were written above.
            unsafe { g.free.set_len(have + n) };
            n
        });
        if dead {
            // SAFETY: no handle and every buffer home, decided under the lock.
            unsafe { destroy(pool) };
        }
        if n == 0 {
            // Only a double return can overflow the stack: refuse rather than corrupt it.
            debug_assert!(false, "mempool: more buffers returned than the pool holds");
            return;
        }
        rest = &rest[n..];
    }
}

/// A pool borrowed for a receive loop: wraps buffers as packets from a pointer held in a
/// register (the handle inside a driver's queue would be reloaded after every packet written
/// out, since the compiler cannot tell that the write does not change it).
#[derive(Clone, Copy)]
pub struct PacketSource<'a> {
    inner: NonNull<Inner>,
    _pool: core::marker::PhantomData<&'a Mempool>,
}

impl PacketSource<'_> {
    /// Bytes 0-7 of every packet of this pool (see [`Packet`]'s layout): a pointer, to be
    /// written as one (a pointer rebuilt from an integer would have no provenance, and using
    /// it would be undefined behaviour).
    #[inline(always)]
    pub fn pool_word(self) -> *const () {
        self.inner.as_ptr().cast_const().cast()
    }

    /// As [`Mempool::packet_exact`].
    ///
    /// # Safety
    /// As for [`Mempool::packet_exact`].
    #[inline(always)]
    pub unsafe fn packet_exact(self, idx: u32, len: u32) -> Packet {
        Packet {
            pool: self.inner,
            idx,
            len,
        }
    }
}

/// A pool's buffer address table, borrowed for a refill loop (the address lookup then needs
/// no reload of the pool through its handle after each descriptor write).
#[derive(Clone, Copy)]
pub struct PhysTable<'a> {
    phys: &'a [u64],
}

impl PhysTable<'_> {
    /// Device address of buffer `idx`.
    ///
    /// # Safety
    /// `idx` is a buffer of the pool.
    #[inline(always)]
    pub unsafe fn get(self, idx: u32) -> u64 {
        debug_assert!((idx as usize) < self.phys.len());
        // SAFETY: forwarded to the caller.
        unsafe { *self.phys.get_unchecked(idx as usize) }
    }
}

// `Packet`'s documented layout, relied on by SIMD receive loops.
const _: () = {
    assert!(core::mem::size_of::<Packet>() == 16);
    assert!(core::mem::offset_of!(Packet, pool) == 0);
    assert!(core::mem::offset_of!(Packet, idx) == 8);
    assert!(core::mem::offset_of!(Packet, len) == 12);
};

/// The pool of lent buffers, as one plain word: what a transmit ring keeps per slot next to
/// the buffer index (see [`Packet::into_parts`]). It does not keep the pool alive; the lent
/// buffers do.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(transparent)]
pub struct PoolRef(NonNull<Inner>);

// SAFETY: a plain pointer to a Send + Sync pool; using it needs the lent-buffer contracts.
unsafe impl Send for PoolRef {}
// SAFETY: as for `Send`.
unsafe impl Sync for PoolRef {}

impl PoolRef {
    /// The pointer's bits: equal for two references to the same pool.
    #[inline(always)]
    pub fn addr(self) -> usize {
        self.0.as_ptr() as usize
    }

    /// Device address of buffer `idx`.
    ///
    /// # Safety
    /// `idx` is a buffer of this pool lent out (so the pool is alive).
    #[inline(always)]
    pub unsafe fn phys(self, idx: u32) -> u64 {
        // SAFETY: forwarded to the caller: the pool is alive and `idx` one of its buffers.
        unsafe { *self.0.as_ref().phys.get_unchecked(idx as usize) }
    }

    /// Returns lent buffers to this pool with one lock.
    ///
    /// # Safety
    /// Every index is a buffer of this pool taken out with [`Packet::into_parts`] (or
    /// [`Mempool::alloc_raw`]), owned by the caller, no longer used by any device, and
    /// returned once.
    #[inline]
    pub unsafe fn free_raw(self, idx: &[u32]) {
        // SAFETY: forwarded to the caller.
        unsafe { return_to(self.0, idx) }
    }
}

impl Packet {
    /// Takes one free buffer of this packet's pool (its index, the caller now owns it and
    /// returns it with [`PoolRef::free_raw`]), or `None` when the pool is empty. A transmit
    /// queue gives such a buffer to a ring slot that carries no packet (a context descriptor),
    /// so that every slot returns one buffer when the card is done.
    #[inline]
    pub fn alloc_sibling_raw(&self) -> Option<u32> {
        self.inner().locked(|g| g.free.pop()).0
    }

    /// Gives up the packet without returning its buffer: (pool, buffer index, length). The
    /// caller now owns the buffer and hands it back with [`PoolRef::free_raw`] (e.g. once a
    /// device has finished sending it).
    #[inline(always)]
    pub fn into_parts(self) -> (PoolRef, u32, u32) {
        let r = (PoolRef(self.pool), self.idx, self.len);
        core::mem::forget(self);
        r
    }
}

/// # Safety
/// `idx` are lent buffers of the live pool `p`, now owned by the caller.
#[inline]
unsafe fn return_to(p: NonNull<Inner>, idx: &[u32]) {
    // SAFETY: lent buffers keep the pool alive until they are home.
    let inner = unsafe { p.as_ref() };
    let ((), dead) = inner.locked(|g| push_indices(&mut g.free, idx));
    if dead {
        // SAFETY: no handle and every buffer home, decided under the lock.
        unsafe { destroy(p) }
    }
}

/// Pushes `idx` onto a free stack.
#[inline(always)]
fn push_indices(free: &mut Vec<u32>, idx: &[u32]) {
    let have = free.len();
    if free.capacity() - have < idx.len() {
        // Only a double return can need more room than the pool's buffers.
        free.extend_from_slice(idx);
        return;
    }
    // SAFETY: `idx.len()` slots of spare capacity, written just below, then counted.
    unsafe {
        let room = core::slice::from_raw_parts_mut(free.as_mut_ptr().add(have), idx.len());
        copy_indices(room, idx);
        free.set_len(have + idx.len());
    }
}

/// `dst.copy_from_slice(src)` for the short runs of buffer indices the hot paths move (a
/// ring's refill or reclaim group): two overlapping fixed-size copies inline instead of a
/// `memcpy` call, which costs more than the copy for up to 64 indices.
#[inline(always)]
fn copy_indices(dst: &mut [u32], src: &[u32]) {
    let n = src.len();
    assert_eq!(dst.len(), n);
    /// The first and the last `K` indices (overlapping when `n < 2K`).
    ///
    /// # Safety
    /// `K <= n <= 2K`; `d` and `s` hold `n` indices each and do not overlap.
    #[inline(always)]
    unsafe fn two<const K: usize>(d: *mut u32, s: *const u32, n: usize) {
        // SAFETY: both ends are within the `n` indices, per the contract.
        unsafe {
            let a = core::ptr::read_unaligned(s as *const [u32; K]);
            let b = core::ptr::read_unaligned(s.add(n - K) as *const [u32; K]);
            core::ptr::write_unaligned(d as *mut [u32; K], a);
            core::ptr::write_unaligned(d.add(n - K) as *mut [u32; K], b);
        }
    }
    let (d, s) = (dst.as_mut_ptr(), src.as_ptr());
    // SAFETY: each arm's `K` satisfies `K <= n <= 2K`; two distinct slices do not overlap.
    unsafe {
        match n {
            0..=3 => {
                for i in 0..n {
                    *d.add(i) = *s.add(i);
                }
            }
            4..=8 => two::<4>(d, s, n),
            9..=16 => two::<8>(d, s, n),
            17..=32 => two::<16>(d, s, n),
            33..=64 => two::<32>(d, s, n),
            _ => dst.copy_from_slice(src),
        }
    }
}

impl Drop for Packet {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: a `Packet` owns its buffer and the device is done with it.
        unsafe { return_to(self.pool, &[self.idx]) }
    }
}

impl core::ops::Deref for Packet {
    type Target = [u8];
    #[inline(always)]
    fn deref(&self) -> &[u8] {
        let b = self.inner().bufs[self.idx as usize];
        // SAFETY: the packet owns the buffer, the device no longer writes it, and
        // `len <= buf_size` bytes of it are inside the pool's live region.
        unsafe { core::slice::from_raw_parts(b.virt, self.len as usize) }
    }
}

impl core::ops::DerefMut for Packet {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut [u8] {
        let b = self.inner().bufs[self.idx as usize];
        // SAFETY: as in `deref`, and `&mut self` makes this the only access.
        unsafe { core::slice::from_raw_parts_mut(b.virt, self.len as usize) }
    }
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Packet")
            .field("idx", &self.idx)
            .field("len", &self.len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::HeapDma;

    #[test]
    fn index_copies_of_every_length_are_exact() {
        for n in 0..=130usize {
            let src: Vec<u32> = (0..n as u32).map(|i| i * 7 + 3).collect();
            let mut dst = vec![u32::MAX; n + 2];
            copy_indices(&mut dst[1..n + 1], &src);
            assert_eq!(&dst[1..n + 1], &src[..], "n = {n}");
            assert_eq!(
                (dst[0], dst[n + 1]),
                (u32::MAX, u32::MAX),
                "n = {n}: wrote outside"
            );
            let mut stack = Vec::with_capacity(n + 5);
            stack.extend_from_slice(&[1, 2, 3]);
            push_indices(&mut stack, &src);
            assert_eq!(&stack[3..], &src[..]);
        }
    }

    #[test]
    fn packets_give_their_parts_and_go_home_in_bulk() {
        let pool = Mempool::new(&HeapDma::new(), 8, 256).unwrap();
        let mut v = Vec::new();
        pool.alloc_batch(&mut v, 8, 60);
        let src = pool.packet_source();
        let parts: Vec<(PoolRef, u32, u32)> = v.into_iter().map(Packet::into_parts).collect();
        assert_eq!(pool.free_count(), 0);
        for &(p, idx, len) in &parts {
            assert_eq!(p.addr(), src.pool_word() as usize);
            assert_eq!(len, 60);
            // SAFETY: `idx` is lent from this live pool.
            assert_eq!(unsafe { p.phys(idx) }, pool.phys(idx));
        }
        let idx: Vec<u32> = parts.iter().map(|&(_, i, _)| i).collect();
        // SAFETY: owned (given up by the packets), no device, returned once.
        unsafe { parts[0].0.free_raw(&idx) };
        assert_eq!(pool.free_count(), 8);
    }

    #[test]
    fn alloc_until_empty_then_refill() {
        let dma = HeapDma::new();
        let pool = Mempool::new(&dma, 8, 2048).unwrap();
        let mut v = Vec::new();
        assert_eq!(pool.alloc_batch(&mut v, 5, 60), 5);
        assert_eq!(pool.alloc_batch(&mut v, 5, 60), 3);
        assert_eq!(pool.alloc_batch(&mut v, 5, 60), 0);
        assert!(pool.alloc(60).is_none());
        assert_eq!(pool.free_count(), 0);
        // All distinct, phys aligned.
        let mut phys: Vec<u64> = v.iter().map(|p| p.phys()).collect();
        phys.sort();
        phys.dedup();
        assert_eq!(phys.len(), 8);
        assert!(phys.iter().all(|p| p % BUF_ALIGN as u64 == 0));
        v.truncate(2);
        assert_eq!(pool.free_count(), 6);
        drop(v);
        assert_eq!(pool.free_count(), 8);
    }

    #[test]
    fn packet_bytes_are_private_per_buffer() {
        let dma = HeapDma::new();
        let pool = Mempool::new(&dma, 4, 128).unwrap();
        let mut a = pool.alloc(128).unwrap();
        let mut b = pool.alloc(200).unwrap();
        assert_eq!(b.len(), 128, "length clamped to buffer size");
        a.fill(0xAA);
        b.fill(0x55);
        assert!(a.iter().all(|&x| x == 0xAA));
        b.set_len(10);
        assert_eq!(b.len(), 10);
    }

    #[test]
    fn chunks_respect_allocator_limit() {
        // The allocator refuses more than 4 KiB: the pool falls back to smaller pieces.
        let dma = HeapDma::with_max(4096);
        let pool = Mempool::new(&dma, 10, 2048).unwrap();
        assert_eq!(pool.capacity(), 10);
        assert!(dma.allocations().iter().all(|&s| s <= 4096));
        let mut v = Vec::new();
        assert_eq!(pool.alloc_batch(&mut v, 10, 1), 10);
    }

    #[test]
    fn bad_geometry_is_an_error() {
        let dma = HeapDma::new();
        assert!(Mempool::new(&dma, 0, 2048).is_err());
        assert!(Mempool::new(&dma, 4, 100).is_err());
        assert!(Mempool::new(&dma, 4, 0).is_err());
        let e = Mempool::new(&dma, 4, 4 << 20).unwrap_err().to_string();
        assert!(e.contains("geometry"), "{e}");
    }

    #[test]
    fn packets_outlive_pool_handle_and_cross_threads() {
        let dma = HeapDma::new();
        let pool = Mempool::new(&dma, 64, 256).unwrap();
        let mut v = Vec::new();
        pool.alloc_batch(&mut v, 64, 10);
        let p2 = pool.clone();
        drop(pool);
        let h = std::thread::spawn(move || drop(v));
        h.join().unwrap();
        assert_eq!(p2.free_count(), 64);
        let mut w = Vec::new();
        p2.alloc_batch(&mut w, 3, 10);
        drop(p2);
        // The pool is freed when the last packet comes home (Miri/ASan would catch misuse).
        drop(w);
    }

    #[test]
    fn ring_slice_return_handles_mixed_pools() {
        let dma = HeapDma::new();
        let a = Mempool::new(&dma, 100, 256).unwrap();
        let b = Mempool::new(&dma, 100, 256).unwrap();
        let mut v = Vec::new();
        a.alloc_batch(&mut v, 70, 10);
        b.alloc_batch(&mut v, 3, 10);
        a.alloc_batch(&mut v, 2, 10);
        let ring: Vec<core::mem::MaybeUninit<RawPacket>> = v
            .into_iter()
            .map(|p| core::mem::MaybeUninit::new(p.into_raw()))
            .collect();
        assert_eq!((a.free_count(), b.free_count()), (28, 97));
        // SAFETY: no device involved; the ring is not used again.
        unsafe { free_raw_slice(&ring) };
        assert_eq!((a.free_count(), b.free_count()), (100, 100));
        let table = a.phys_table();
        let mut idx = [0u32; 100];
        assert_eq!(a.alloc_raw(&mut idx), 100);
        let mut sorted = idx.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 100, "every buffer exactly once");
        // SAFETY: indices from this pool.
        assert_eq!(unsafe { table.get(idx[0]) }, a.phys(idx[0]));
        // SAFETY: owned, returned once.
        unsafe { a.free_raw(&idx) };
    }

    #[test]
    fn raw_roundtrip_and_batched_return() {
        let dma = HeapDma::new();
        let a = Mempool::new(&dma, 16, 256).unwrap();
        let b = Mempool::new(&dma, 16, 256).unwrap();
        let mut v = Vec::new();
        a.alloc_batch(&mut v, 5, 10);
        b.alloc_batch(&mut v, 5, 10);
        a.alloc_batch(&mut v, 5, 10);
        assert!(v[0].is_from(&a) && v[5].is_from(&b) && !v[5].is_from(&a));
        let raws: Vec<core::mem::MaybeUninit<RawPacket>> = v
            .into_iter()
            .map(|p| core::mem::MaybeUninit::new(p.into_raw()))
            .collect();
        assert_eq!(a.free_count(), 6);
        // SAFETY: no device involved; `raws` is not used again.
        unsafe { free_raw_slice(&raws) };
        assert_eq!(a.free_count(), 16);
        assert_eq!(b.free_count(), 16);
        let mut idx = [0u32; 4];
        assert_eq!(a.alloc_raw(&mut idx), 4);
        // SAFETY: owned by us.
        let p = unsafe { a.packet(idx[0], 42) };
        assert_eq!(p.len(), 42);
        assert_eq!(p.phys(), a.phys(idx[0]));
        // SAFETY: owned by us, returned once.
        unsafe { a.free_raw(&idx[1..2]) };
        // SAFETY: owned by us; 17 <= buf_size.
        let q = unsafe { a.packet_source().packet_exact(idx[2], 17) };
        assert!(q.is_from(&a) && q.len() == 17 && q.phys() == a.phys(idx[2]));
        // SAFETY: owned by us, returned once.
        unsafe { a.free_raw(&idx[3..]) };
        drop((p, q));
        assert_eq!(a.free_count(), 16);
    }
}
