mod common;
use common::*;
use dma::DmaError;
use sim_82599::regs::R;

#[test]
fn physical_addresses_differ_from_virtual_and_are_aligned() {
    let sim = sim_82599::Sim::builder().dma_size(1 << 20).build();
    let dma = sim.dma();
    let a = dma.alloc(100, 64).unwrap();
    let b = dma.alloc(4096, 4096).unwrap();
    assert_ne!(a.phys(), a.virt() as u64);
    assert!(a.phys() >= sim_82599::PHYS_BASE);
    assert_eq!(b.phys() % 4096, 0);
    // SAFETY: fresh region of 4096 bytes owned by this test.
    assert!(
        (0..4096).all(|i| unsafe { b.virt().add(i).read_volatile() } == 0),
        "zeroed"
    );
    assert!(matches!(dma.alloc(100, 3), Err(DmaError::BadAlign(3))));
    assert!(matches!(
        dma.alloc(2 << 20, 64),
        Err(DmaError::TooLarge { .. })
    ));
    assert!(matches!(
        dma.alloc(1 << 20, 64),
        Err(DmaError::Exhausted { .. })
    ));
}

#[test]
fn virtual_address_in_a_descriptor_is_a_dma_fault() {
    let sim = common::sim(1);
    let p = sim.port(0);
    w(&p, R::HLREG0, 0, rd(&p, R::HLREG0, 0) | (1 << 15));
    rx_enable(&p, BAM);
    let dma = sim.dma();
    let mut rx = Rx::setup(&p, &*dma, 0, 32, 2, 0);
    let mut tx = Tx::setup(&p, &*dma, 0, 32);
    // The driver bug: the RX buffer's virtual address in descriptor 0.
    let d = rx.desc(0);
    // SAFETY: descriptor 0 of this test's ring.
    unsafe { core::ptr::write_volatile(d as *mut u64, rx.bufs.virt() as u64) };
    tx.send(&p, &counting(MAC0, 60, 0));
    sim.step();
    let f = sim.dma_faults();
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(f[0].virtual_address && !f[0].injected);
    assert_eq!(f[0].what, "RX buffer");
    assert!(f[0].to_string().contains("virtual address"), "{}", f[0]);
    assert!(rx.poll(&p).is_empty());
    assert_eq!(rd(&p, R::RXDCTL, 0) & ENABLE, 0, "queue stopped");
    // TX side: a wild buffer address.
    let t = tx.desc(1);
    tx.send(&p, &counting(MAC0, 60, 1));
    // SAFETY: descriptor 1 of this test's TX ring (not yet processed: no step since).
    unsafe { core::ptr::write_volatile(t as *mut u64, 0x1234_0000) };
    sim.step();
    let f = sim.dma_faults();
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].what, "TX buffer");
    assert!(!f[1].virtual_address);
    assert_eq!(rd(&p, R::TXDCTL, 0) & ENABLE, 0, "TX queue stopped");
}
