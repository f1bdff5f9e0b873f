//! Virtual to physical translation through /proc/self/pagemap
//! (Linux Documentation/admin-guide/mm/pagemap.rst: one u64 per virtual page,
//! bit 63 present, bits 0-54 page frame number; the PFN reads 0 without CAP_SYS_ADMIN).

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::error::{is_root, PciError};

const PAGEMAP: &str = "/proc/self/pagemap";
const PRESENT: u64 = 1 << 63;
const PFN_MASK: u64 = (1 << 55) - 1;

/// The system page size (the unit of pagemap entries).
pub fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if v > 0 {
        v as usize
    } else {
        4096
    }
}

/// Decode one pagemap entry into a physical address for `virt`.
pub(crate) fn decode(entry: u64, virt: usize, page: usize) -> Result<u64, PciError> {
    if entry & PRESENT == 0 {
        return Err(PciError::Pagemap {
            virt,
            reason: "page not present (not touched yet, or swapped out)".to_string(),
        });
    }
    let pfn = entry & PFN_MASK;
    if pfn == 0 {
        return Err(if is_root() {
            PciError::Pagemap {
                virt,
                reason: "page frame number reads 0".to_string(),
            }
        } else {
            PciError::NotRoot {
                what: "reading physical addresses from /proc/self/pagemap (the PFN reads 0 \
                       otherwise)"
                    .to_string(),
            }
        });
    }
    Ok(pfn * page as u64 + (virt % page) as u64)
}

/// Physical address of the byte at `virt` in this process. The page must be present (touched
/// and locked, or it may move): hugepages from [`crate::HugepageAllocator`] are.
pub fn virt_to_phys(virt: *const u8) -> Result<u64, PciError> {
    let virt = virt as usize;
    let page = page_size();
    let file = File::open(PAGEMAP).map_err(|e| PciError::io(PAGEMAP, e))?;
    let mut b = [0u8; 8];
    file.read_exact_at(&mut b, (virt / page * 8) as u64)
        .map_err(|e| PciError::io(PAGEMAP, e))?;
    decode(u64::from_le_bytes(b), virt, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_entries() {
        assert_eq!(
            decode(PRESENT | 0x1234, 0x7000_0abc, 4096).unwrap(),
            0x1234abc
        );
        // Bits 55-62 are flags, not part of the PFN.
        assert_eq!(
            decode(PRESENT | (0xff << 55) | 2, 0x10, 4096).unwrap(),
            0x2010
        );
        let e = decode(0x1234, 0, 4096).unwrap_err();
        assert!(e.to_string().contains("not present"), "{e}");
        let e = decode(PRESENT, 0, 4096).unwrap_err();
        assert!(matches!(
            e,
            PciError::NotRoot { .. } | PciError::Pagemap { .. }
        ));
    }
}
