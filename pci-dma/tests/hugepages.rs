//! Hugepage DMA memory and pagemap translation on this machine (skips with a reason when the
//! machine does not allow it).

use pci_dma::{virt_to_phys, DmaError, DmaMemory, HugepageAllocator, PciError, HUGE_PAGE_SIZE};

fn hugepages_free() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("HugePages_Free:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn pagemap_translates_a_normal_page() {
    let mut buf = vec![0u8; 8192];
    // Touch it so the page is present.
    for b in buf.iter_mut() {
        *b = 1;
    }
    let p = buf.as_ptr();
    match virt_to_phys(p) {
        Ok(phys) => {
            assert!(pci_dma::is_root(), "non-root got a PFN");
            assert_ne!(phys, 0);
            // The offset inside the page is kept.
            let page = 4096u64;
            assert_eq!(phys % page, p as u64 % page);
            let phys2 = virt_to_phys(p.wrapping_add(100)).unwrap();
            assert_eq!(phys2 / page, phys / page);
            assert_eq!(phys2 % page, (p as u64 + 100) % page);
        }
        Err(PciError::NotRoot { what }) => {
            assert!(!pci_dma::is_root());
            println!("SKIP: not root, pagemap PFNs read 0 ({what})");
        }
        Err(e) => panic!("pagemap: {e}"),
    }
}

#[test]
fn unmapped_address_is_an_error_not_a_panic() {
    // Page 0 is never mapped.
    let err = virt_to_phys(16 as *const u8).unwrap_err();
    assert!(
        matches!(err, PciError::Pagemap { .. }) || matches!(err, PciError::NotRoot { .. }),
        "{err}"
    );
}

#[test]
fn hugepage_allocator_hands_out_translated_pieces() {
    if !pci_dma::is_root() {
        println!("SKIP: not root (pagemap gives no PFN)");
        return;
    }
    if hugepages_free() == 0 {
        // Without free hugepages the allocator must say so clearly.
        match HugepageAllocator::new() {
            Err(PciError::NoHugepages { detail }) => {
                assert!(detail.contains("nr_hugepages"), "{detail}");
                println!(
                    "SKIP: HugePages_Free is 0 (reserve with `echo 8 > /proc/sys/vm/nr_hugepages`); \
                     checked the NoHugepages error only: {detail}"
                );
            }
            Err(e) => panic!("expected NoHugepages, got {e}"),
            Ok(_) => panic!("allocator opened with HugePages_Free 0"),
        }
        return;
    }
    let dma = HugepageAllocator::with_max_pages(2).unwrap();
    let a = dma.alloc(4096, 128).unwrap();
    let b = dma.alloc(100, 64).unwrap();
    assert_eq!(a.phys() % 128, 0);
    assert_eq!(b.phys() % 64, 0);
    assert_eq!(virt_to_phys(a.virt()).unwrap(), a.phys());
    assert_eq!(virt_to_phys(b.virt()).unwrap(), b.phys());
    // Contiguous inside the page: the last byte translates to phys + len - 1.
    assert_eq!(
        virt_to_phys(a.virt().wrapping_add(4095)).unwrap(),
        a.phys() + 4095
    );
    let whole = dma.alloc(HUGE_PAGE_SIZE, 4096).unwrap();
    assert_eq!(whole.phys() % HUGE_PAGE_SIZE as u64, 0);
    assert!(matches!(
        dma.alloc(HUGE_PAGE_SIZE + 1, 64),
        Err(DmaError::TooLarge { .. })
    ));
    assert!(matches!(dma.alloc(64, 64), Err(DmaError::Exhausted { .. })));
}
