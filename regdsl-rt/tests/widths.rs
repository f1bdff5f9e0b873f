//! Registers of 8, 16, 32 and 64 bits (issue 13.3) on two real layouts: a 16550 UART (8-bit
//! registers at consecutive bytes; RBR read-only and THR write-only at the same offset) and
//! the PCI type 0 configuration header (8-, 16- and 32-bit registers). The bus is plain memory
//! behind `Mmio`, traced: each access has its width, and the trace prints values at it.

use regdsl_rt::{Int, Mmio, Register, Trace, TraceLog};

regdsl_rt::registers!(mod uart, "../registers/uart16550.txt");
regdsl_rt::registers!(mod pci, "../registers/pci-type0.txt");

/// 64 bytes of memory standing in for the device, 8-aligned.
fn memory() -> Vec<u64> {
    vec![0u64; 8]
}

fn mmio(mem: &mut [u64]) -> Mmio {
    // SAFETY: `mem` is a live, 8-aligned buffer of 64 bytes that outlives every use (each test
    // keeps it until its end).
    unsafe { Mmio::new(mem.as_mut_ptr().cast(), 64) }
}

#[test]
fn uart_16550_byte_registers() {
    use uart::*;
    let mut mem = memory();
    let log = TraceLog::new();
    let mut regs = Regs::new(Trace::new(mmio(&mut mem), &log));
    // 115200 baud from a 1.8432 MHz clock: divisor 1, DLAB set around the latch writes.
    regs.LCR().write(LCR::DLAB | LCR::WLS::BITS8);
    regs.DLL().write(1u8);
    regs.DLM().write(0u8);
    regs.LCR().clr(LCR::DLAB);
    regs.FCR()
        .write(FCR::FIFOE | FCR::RFIFOR | FCR::XFIFOR | FCR::RXTRIG::B14);
    regs.THR().write(b'A');
    let lsr = regs.LSR_mut().read();
    let _: u8 = lsr.bits();
    assert!(!lsr.is_set(LSR::DR));
    let iir = regs.IIR_mut().read();
    assert_eq!(
        log.take(),
        [
            "W 0x00003 0x83 LCR",
            "W 0x00000 0x01 DLL",
            "W 0x00001 0x00 DLM",
            "R 0x00003 0x83 LCR",
            "W 0x00003 0x03 LCR",
            "W 0x00002 0xC7 FCR",
            "W 0x00000 0x41 THR",
            "R 0x00005 0x00 LSR",
            "R 0x00002 0xC7 IIR",
        ]
    );
    // RBR and THR share offset 0 and stay apart: RBR has no write, THR no read (ui tests
    // read_wo / write_ro show the compile errors); both are 8 bits wide.
    assert_eq!(regs.RBR().read().bits(), b'A');
    assert!(iir.is(IIR::FIFOS.val(0b11)));
    assert_eq!(<RBR::Reg as Register>::NAME, "RBR");
    assert_eq!(<<THR::Reg as Register>::Int as Int>::BITS, 8);
    // Read-to-clear registers that are not counters: no statistics at all.
    let mut n = 0;
    Stats::new().for_each(|_, _, _| n += 1);
    assert_eq!(n, 0);
    assert_eq!(mem[0].to_le_bytes()[..4], [b'A', 0, 0xC7, 0x03]);
}

#[test]
fn pci_type0_header_mixed_widths() {
    use pci::*;
    let mut mem = memory();
    // Vendor 8086, device 10FB (an 82599 SFP+), status: capabilities list; class 02/00/00.
    mem[0] = 0x0010_0000_10FB_8086;
    mem[1] = 0x0000_0000_0200_0001;
    let log = TraceLog::new();
    let regs = Regs::new(Trace::new(mmio(&mut mem), &log));
    let vendor: u16 = regs.VENDOR_ID().read().bits();
    assert_eq!((vendor, regs.DEVICE_ID().read().bits()), (0x8086, 0x10FB));
    assert_eq!(regs.CLASS_CODE().read().bits(), 0x02);
    regs.COMMAND().set(COMMAND::MEM_SPACE | COMMAND::BUS_MASTER);
    assert!(regs.STATUS().read().is_set(STATUS::CAP_LIST));
    // W1C: writing back what was read never clears the error bits by accident.
    regs.STATUS().modify(|v| v);
    regs.BAR().at(0).write(0xFEB0_0000u32);
    assert_eq!(
        log.take(),
        [
            "R 0x00000 0x8086 VENDOR_ID",
            "R 0x00002 0x10FB DEVICE_ID",
            "R 0x0000B 0x02 CLASS_CODE",
            "R 0x00004 0x0000 COMMAND",
            "W 0x00004 0x0006 COMMAND",
            "R 0x00006 0x0010 STATUS",
            "R 0x00006 0x0010 STATUS",
            "W 0x00006 0x0010 STATUS",
            "W 0x00010 0xFEB00000 BAR[0]",
        ]
    );
    // The table as data: widths and offsets for a tracer or a software device.
    let info = |n: &str| REGISTERS.iter().find(|r| r.name == n).unwrap();
    assert_eq!(
        (info("HEADER_TYPE").bits, info("HEADER_TYPE").offset),
        (8, 0x0E)
    );
    assert_eq!((info("STATUS").bits, info("BAR").bits), (16, 32));
    assert_eq!(lookup(0x3D).map(|s| s.name), Some("INTERRUPT_PIN"));
}
