//! PCI configuration space: the command register (PCI Local Bus spec 3.0, 6.2.2).

use std::fs::File;
use std::os::unix::fs::FileExt;

/// Offset of the 16-bit command register.
pub const COMMAND: u64 = 0x04;
/// Command bit 1: respond to memory-space accesses (BAR decoding).
pub const CMD_MEMORY_SPACE: u16 = 1 << 1;
/// Command bit 2: the device may master the bus (DMA).
pub const CMD_BUS_MASTER: u16 = 1 << 2;

/// Read-modify-write the command register at `base + 4` of `file` (sysfs `config`, or the VFIO
/// config region at `base`): set memory-space decoding and bus mastering, keep every other bit.
/// Returns (old, new) command values.
pub(crate) fn enable_bus_master(file: &File, base: u64) -> std::io::Result<(u16, u16)> {
    let mut b = [0u8; 2];
    file.read_exact_at(&mut b, base + COMMAND)?;
    let old = u16::from_le_bytes(b);
    let new = old | CMD_MEMORY_SPACE | CMD_BUS_MASTER;
    if new != old {
        file.write_all_at(&new.to_le_bytes(), base + COMMAND)?;
    }
    Ok((old, new))
}

/// Read the command register (for checks and diagnostics).
pub fn read_command(file: &File, base: u64) -> std::io::Result<u16> {
    let mut b = [0u8; 2];
    file.read_exact_at(&mut b, base + COMMAND)?;
    Ok(u16::from_le_bytes(b))
}

/// Bus mastering of one device, turned off again (command bit 2 cleared, other bits kept) when
/// this guard is dropped or [`BusMaster::disable`] is called: the last step of stopping a card,
/// after its queues are stopped, so that no DMA can reach memory about to be freed. Holds its
/// own handle on the configuration space (sysfs `config`, or the VFIO device's config region).
#[derive(Debug)]
pub struct BusMaster {
    file: File,
    base: u64,
}

impl BusMaster {
    pub(crate) fn new(file: File, base: u64) -> Self {
        BusMaster { file, base }
    }

    /// Clears the bus-master bit now (idempotent).
    pub fn disable(&self) -> std::io::Result<()> {
        let old = read_command(&self.file, self.base)?;
        if old & CMD_BUS_MASTER != 0 {
            let new = old & !CMD_BUS_MASTER;
            self.file
                .write_all_at(&new.to_le_bytes(), self.base + COMMAND)?;
        }
        Ok(())
    }
}

impl Drop for BusMaster {
    fn drop(&mut self) {
        if let Err(e) = self.disable() {
            eprintln!("pci-dma: could not turn bus mastering off: {e}");
        }
    }
}
