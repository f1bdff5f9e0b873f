//! Generated accessors against hand-written volatile code on the same offsets. Each `gen_*`
//! function has a `hand_*` twin; `zero_cost.sh` builds this in release and compares their
//! machine code (instruction counts and listings). See BENCHMARKS.md, "Zero-cost registers".
//!
//! # Safety
//! Every function here has one contract: `base` points to a mapping of `LEN` bytes of device
//! registers. `main` never calls them.
#![allow(clippy::missing_safety_doc)]

use core::ptr::{read_volatile, write_volatile};
use regdsl_rt::{Index, Mmio};

// small.txt keeps two table warnings on purpose (an unaligned 64-bit register, an ALIAS range
// over RDT[68]); `registers!` reports them as `deprecated` uses, allowed here.
regdsl_rt::registers!(#[allow(deprecated)] mod t, "tests/tables/small.txt");
use t::*;

const LEN: usize = 0x20000;

#[inline(always)]
unsafe fn regs(base: *mut u8) -> Regs<Mmio> {
    // SAFETY: the callers' contract (see the crate docs).
    Regs::new(unsafe { Mmio::new(base, LEN) })
}

#[inline(always)]
unsafe fn r32(base: *mut u8, off: usize) -> u32 {
    // SAFETY: the callers' contract (see the crate docs).
    unsafe { read_volatile(base.add(off) as *const u32) }
}
#[inline(always)]
unsafe fn w32(base: *mut u8, off: usize, v: u32) {
    // SAFETY: the callers' contract (see the crate docs).
    unsafe { write_volatile(base.add(off) as *mut u32, v) }
}

// 1. Set one bit (read-modify-write). CTRL.RSV31 must be written as 0: hand code does the same.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_ctrl_reset(base: *mut u8) {
    regs(base).CTRL().set(CTRL::RST | CTRL::LRST);
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_ctrl_reset(base: *mut u8) {
    let v = r32(base, 0);
    w32(base, 0, (v | (1 << 26) | (1 << 3)) & !(1 << 31));
}

// 2. Tail write through a pre-validated queue index (publish fence included on both sides).
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_rdt_write(base: *mut u8, q: Index<idx::I0To127>, tail: u32) {
    regs(base).RDT().at(q).write_publish(tail);
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_rdt_write(base: *mut u8, q: u32, tail: u32) {
    core::sync::atomic::fence(core::sync::atomic::Ordering::Release);
    w32(base, 0x1018 + 0x40 * q as usize, tail);
}

// 3. Run-time checked index (panics out of range) against a hand-written bounds check.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_rxdctl_enable(base: *mut u8, q: u32) {
    regs(base).RXDCTL().at(q).set(RXDCTL::ENABLE);
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_rxdctl_enable(base: *mut u8, q: u32) {
    // Split array: 0..63 at 0x1028, 64..127 at 0xD028.
    let off = if q < 64 {
        0x1028 + 0x40 * q as usize
    } else if q < 128 {
        0xD028 + 0x40 * (q - 64) as usize
    } else {
        out_of_range(q, core::panic::Location::caller())
    };
    let v = r32(base, off);
    w32(base, off, v | (1 << 25));
}
// The panic names the line that passed the bad index, as regdsl-rt's `at` does with
// `#[track_caller]`: that costs two instructions on the cold path (the location's address).
// `main` takes this function's address, as a library's shared panic helper would be used from
// many places; else LLVM folds the one call site's constant location into it.
#[cold]
#[inline(never)]
fn out_of_range(q: u32, at: &'static core::panic::Location<'static>) -> ! {
    panic!("{at}: index {q} out of range for register array RXDCTL (valid: 0..=127)")
}

// 4. Set a multi-bit field to a named value and a single bit; reserved bits 7:5 keep 0.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_srrctl(base: *mut u8) {
    regs(base)
        .SRRCTL()
        .at_const::<5>()
        .modify(|v| v.with(SRRCTL::DESCTYPE::ADV_ONEBUF | SRRCTL::DROP_EN));
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_srrctl(base: *mut u8) {
    let off = 0x1014 + 0x40 * 5;
    let v = r32(base, off);
    w32(
        base,
        off,
        ((v & !(0b111 << 25)) | (1 << 25) | (1 << 28)) & !(0b111 << 5),
    );
}

// 5. Read a field.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_link_speed(base: *mut u8) -> u32 {
    regs(base).STATUS().read().get(STATUS::SPEED)
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_link_speed(base: *mut u8) -> u32 {
    (r32(base, 8) >> 28) & 0b11
}

// 6. Acknowledge one W1C cause without clearing the others.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_eicr_ack(base: *mut u8) {
    regs(base).EICR().write(EICR::LSC);
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_eicr_ack(base: *mut u8) {
    w32(base, 0x800, 1 << 20);
}

// 7. A 64-bit register that is not 8-aligned: two 32-bit halves, low first.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_systim(base: *mut u8) -> u64 {
    regs(base).SYSTIM().read().bits()
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_systim(base: *mut u8) -> u64 {
    let lo = r32(base, 0x8C0C) as u64;
    let hi = r32(base, 0x8C10) as u64;
    lo | (hi << 32)
}

// 8. Bounded poll for a self-clearing bit.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_wait_reset(base: *mut u8) -> bool {
    regs(base).CTRL().wait_clear_polls(CTRL::RST, 1000).is_ok()
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_wait_reset(base: *mut u8) -> bool {
    for _ in 0..1000 {
        if r32(base, 0) & (1 << 26) == 0 {
            return true;
        }
        core::hint::spin_loop();
    }
    false
}

// 9. Tail write through an owned, pre-resolved element (its offset stored, as a queue keeps it)
// against a hand-written write at a stored offset.
#[no_mangle]
#[inline(never)]
pub unsafe fn gen_element_write(base: *mut u8, rdt: &regdsl_rt::Element<RDT::Reg>, tail: u32) {
    let regs = regs(base);
    rdt.on(regs.bus()).write_publish(tail);
}
#[no_mangle]
#[inline(never)]
pub unsafe fn hand_element_write(base: *mut u8, offset: &usize, tail: u32) {
    core::sync::atomic::fence(core::sync::atomic::Ordering::Release);
    w32(base, *offset, tail);
}

fn main() {
    // Never touches a device: prints the function addresses so nothing is optimised away.
    let fns: [(&str, usize); 19] = [
        ("gen_ctrl_reset", gen_ctrl_reset as *const () as usize),
        ("hand_ctrl_reset", hand_ctrl_reset as *const () as usize),
        ("gen_rdt_write", gen_rdt_write as *const () as usize),
        ("hand_rdt_write", hand_rdt_write as *const () as usize),
        ("gen_rxdctl_enable", gen_rxdctl_enable as *const () as usize),
        (
            "hand_rxdctl_enable",
            hand_rxdctl_enable as *const () as usize,
        ),
        ("gen_srrctl", gen_srrctl as *const () as usize),
        ("hand_srrctl", hand_srrctl as *const () as usize),
        ("gen_link_speed", gen_link_speed as *const () as usize),
        ("hand_link_speed", hand_link_speed as *const () as usize),
        ("gen_eicr_ack", gen_eicr_ack as *const () as usize),
        ("hand_eicr_ack", hand_eicr_ack as *const () as usize),
        ("gen_systim", gen_systim as *const () as usize),
        ("hand_systim", hand_systim as *const () as usize),
        ("gen_wait_reset", gen_wait_reset as *const () as usize),
        ("hand_wait_reset", hand_wait_reset as *const () as usize),
        ("gen_element_write", gen_element_write as *const () as usize),
        (
            "hand_element_write",
            hand_element_write as *const () as usize,
        ),
        ("out_of_range", out_of_range as *const () as usize),
    ];
    for (n, a) in fns {
        println!("{n} {a:#x}");
    }
}
