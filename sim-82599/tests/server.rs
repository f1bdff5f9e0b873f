//! The card process's socket (`sim_82599::server`) with its client (`sim_client`): registers
//! and DMA memory reach the same card as in-process, and bad requests get a status, not a
//! crash. The whole driver over a card process is tested in `ixgbe/tests/card.rs`.

use regdsl_rt::{Bus, Site};
use sim_82599::Sim;
use sim_client::proto::{self, cmd, status, Reply, Request};
use sim_client::{Card, CardError};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::Arc;

fn socket(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sim-server-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("card.sock");
    let _ = std::fs::remove_file(&p);
    p
}

/// A threaded card with `ports` ports, served on a fresh socket.
fn card(name: &str, ports: usize) -> (Arc<Sim>, PathBuf) {
    let sim = Arc::new(
        Sim::builder()
            .ports(ports)
            .threaded(true)
            .dma_size(16 << 20)
            .build(),
    );
    let path = socket(name);
    let l = UnixListener::bind(&path).unwrap();
    let s = sim.clone();
    std::thread::spawn(move || sim_82599::server::serve(s, l));
    (sim, path)
}

fn call(s: &mut UnixStream, r: Request) -> Reply {
    s.write_all(&r.encode()).unwrap();
    let mut b = [0u8; proto::REPLY_LEN];
    s.read_exact(&mut b).unwrap();
    Reply::decode(&b)
}

#[test]
fn registers_over_the_socket_are_the_cards() {
    let (sim, path) = card("regs", 2);
    let c = Card::connect(&path).unwrap();
    assert_eq!(c.ports(), 2);
    // RAL[1] (0x0A208): written by the client, read in-process, and back.
    c.port(1)
        .unwrap()
        .write32(0x0A208, 0xDEAD_BEEF, Site::UNNAMED);
    // Writes are posted (PCIe): a read on the connection returns after they took effect.
    assert_eq!(
        c.port(1).unwrap().read32(0x0A208, Site::UNNAMED),
        0xDEAD_BEEF
    );
    assert_eq!(sim.port(1).read32(0x0A208, Site::UNNAMED), 0xDEAD_BEEF);
    assert_eq!(
        sim.port(0).read32(0x0A208, Site::UNNAMED),
        0,
        "port 0 untouched"
    );
    sim.port(0).write32(0x0A208, 0x1234_5678, Site::UNNAMED);
    assert_eq!(
        c.port(0).unwrap().read32(0x0A208, Site::UNNAMED),
        0x1234_5678
    );
    // 64-bit accesses: low half first.
    c.port(0)
        .unwrap()
        .write64(0x0A200, 0x0000_0002_0000_0001, Site::UNNAMED);
    assert_eq!(c.port(0).unwrap().read64(0x0A200, Site::UNNAMED) >> 32, 2);
    assert_eq!(sim.port(0).read32(0x0A204, Site::UNNAMED), 2);
    assert!(matches!(
        c.port(2),
        Err(CardError::BadPort { port: 2, ports: 2 })
    ));
    assert_eq!(c.status().unwrap(), (0, 0));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    // 8/16-bit accesses reach the card, which answers them as in-process: all ones and a
    // strict-mode violation each (its registers are 32 bits wide).
    let p = c.port(0).unwrap();
    assert_eq!(
        p.read8(0x0A208, Site::UNNAMED),
        sim.port(0).read8(0x0A208, Site::UNNAMED)
    );
    p.write16(0x0A208, 0xBEEF, Site::UNNAMED);
    assert_eq!(p.read16(0x0A208, Site::UNNAMED), 0xFFFF);
    assert_eq!(
        p.read32(0x0A208, Site::UNNAMED),
        0x1234_5678,
        "narrow write dropped"
    );
    assert_eq!(c.status().unwrap().0, sim.violations().len() as u64);
    assert_eq!(sim.violations().len(), 4, "{:?}", sim.violations());
}

#[test]
fn dma_memory_is_shared_and_physical_addresses_are_the_cards() {
    let (sim, path) = card("dma", 1);
    let c = Card::connect(&path).unwrap();
    let dma = c.dma();
    let a = dma.alloc(4096, 4096).unwrap();
    let b = dma.alloc(100, 128).unwrap();
    assert_eq!(a.phys() % 4096, 0);
    assert_eq!(b.phys() % 128, 0);
    assert!(b.phys() >= a.phys() + 4096, "never handed out twice");
    assert!(a.phys() >= sim_82599::PHYS_BASE);
    assert_ne!(a.phys(), a.virt() as u64, "physical is not virtual");
    // The client writes through its mapping; the card reads at the physical address.
    // SAFETY: `a` is 4096 bytes of memory nobody else writes.
    unsafe { core::ptr::write_volatile(a.virt().add(8) as *mut u64, 0x0123_4567_89AB_CDEF) };
    let p = sim.memory().translate(a.phys() + 8, 8).unwrap();
    // SAFETY: `translate` checked the 8 bytes are inside the card's memory.
    assert_eq!(
        unsafe { core::ptr::read_volatile(p as *const u64) },
        0x0123_4567_89AB_CDEF
    );
    // Fresh memory is zero.
    // SAFETY: `b` is 100 bytes nobody wrote.
    assert!((0..100).all(|i| unsafe { *b.virt().add(i) } == 0));
    // Too large: an error naming the limit, not a crash.
    assert!(matches!(
        dma.alloc(64 << 20, 64),
        Err(dma::DmaError::TooLarge { .. })
    ));
    assert!(matches!(dma.alloc(64, 3), Err(dma::DmaError::BadAlign(3))));
}

#[test]
fn bad_requests_get_a_status() {
    let (sim, path) = card("bad", 1);
    let mut s = UnixStream::connect(&path).unwrap();
    let r = |cmd, port, a, b| Request { cmd, port, a, b };
    assert_eq!(
        call(&mut s, r(cmd::READ32, 0, 0, 0)).status,
        status::NOT_HELLO
    );
    // The hello's reply carries the memory file.
    s.write_all(&r(cmd::HELLO, 0, proto::VERSION, 0).encode())
        .unwrap();
    let mut b = [0u8; proto::REPLY_LEN];
    let fd = proto::recv_with_fd(s.as_fd(), &mut b).unwrap();
    assert!(fd.is_some());
    assert_eq!(Reply::decode(&b).a, 1);
    assert_eq!(call(&mut s, r(99, 0, 0, 0)).status, status::BAD_COMMAND);
    assert_eq!(
        call(&mut s, r(cmd::READ32, 7, 0, 0)).status,
        status::BAD_PORT
    );
    // An offset outside BAR0 reads as the register file answers it (strict mode records it).
    assert_eq!(
        call(&mut s, r(cmd::READ32, 0, u64::MAX, 0)).status,
        status::OK
    );
    assert!(!sim.violations().is_empty());
    // A wrong version is refused.
    let mut t = UnixStream::connect(&path).unwrap();
    assert_eq!(
        call(&mut t, r(cmd::HELLO, 0, proto::VERSION + 1, 0)).status,
        status::BAD_VERSION
    );
}

#[test]
fn a_card_that_goes_away_reads_all_ones() {
    let sim = Sim::builder().build();
    let path = socket("gone");
    let l = UnixListener::bind(&path).unwrap();
    let t = std::thread::spawn(move || {
        // Answer the hello, then vanish.
        let (mut s, _) = l.accept().unwrap();
        let mut b = [0u8; proto::REQUEST_LEN];
        s.read_exact(&mut b).unwrap();
        let rep = Reply {
            status: status::OK,
            a: 1,
            b: sim.memory().size() as u64,
            c: sim_82599::PHYS_BASE,
        };
        proto::send_with_fd(s.as_fd(), &rep.encode(), sim.memory().file().as_fd()).unwrap();
    });
    let c = Card::connect(&path).unwrap();
    t.join().unwrap();
    assert_eq!(c.port(0).unwrap().read32(0, Site::UNNAMED), u32::MAX);
    assert!(c.lost());
    assert!(c.dma().alloc(64, 64).is_err());
    assert!(c.status().is_err());
}

#[test]
fn released_regions_are_the_cards_business_too() {
    let (sim, path) = card("free", 1);
    let c = Card::connect(&path).unwrap();
    let r = c.dma().alloc(4096, 128).unwrap();
    let phys = r.phys();
    assert_eq!(sim.memory().released_overlap(phys, 16), None);
    drop(r);
    // The release reached the card (its strict mode checks DMA against it).
    assert!(sim.memory().released_overlap(phys, 16).is_some());
    // Freeing what this connection does not hold: a status.
    let mut s = UnixStream::connect(&path).unwrap();
    s.write_all(
        &Request {
            cmd: cmd::HELLO,
            a: proto::VERSION,
            ..Request::default()
        }
        .encode(),
    )
    .unwrap();
    let mut b = [0u8; proto::REPLY_LEN];
    proto::recv_with_fd(s.as_fd(), &mut b).unwrap();
    let rep = call(
        &mut s,
        Request {
            cmd: cmd::DMA_FREE,
            a: phys,
            ..Request::default()
        },
    );
    assert_eq!(rep.status, status::BAD_REGION);
}

#[test]
fn msix_vector_40_is_bound_and_raised_over_the_socket() {
    let (sim, path) = card("msix40", 1);
    let c = Card::connect(&path).unwrap();
    let efd = pci_dma::EventFd::new().unwrap();
    c.set_msix(0, 40, Some(efd.as_fd())).unwrap();
    let p = c.port(0).unwrap();
    p.write32(0x00898, 1 << 4, Site::UNNAMED); // GPIE.MSIX_MODE
    p.write32(0x00AA4, 1 << 8, Site::UNNAMED); // EIMS_EX[1]: vector 40 enabled
    p.write32(0x00A94, 1 << 8, Site::UNNAMED); // EICS_EX[1]: its cause
    assert_eq!(p.read32(0x00AA4, Site::UNNAMED), 1 << 8);
    assert_eq!(efd.take().unwrap(), 1);
    assert_eq!(sim.msix_count(0, 40).unwrap(), 1);
}

#[test]
fn msix_vectors_bound_over_the_socket_signal_the_clients_eventfd() {
    let (sim, path) = card("msix", 1);
    let c = Card::connect(&path).unwrap();
    let efd = pci_dma::EventFd::new().unwrap();
    c.set_msix(0, 3, Some(efd.as_fd())).unwrap();
    let p = c.port(0).unwrap();
    p.write32(0x00898, 1 << 4, Site::UNNAMED); // GPIE.MSIX_MODE
    p.write32(0x00880, 1 << 3, Site::UNNAMED); // EIMS: vector 3 unmasked
    p.write32(0x00808, 1 << 3, Site::UNNAMED); // EICS: its cause
                                               // A read returns after the posted writes took effect; no auto-mask without GPIE.EIAME.
    assert_eq!(p.read32(0x00880, Site::UNNAMED), 1 << 3);
    assert_eq!(
        efd.take().unwrap(),
        1,
        "the vector's message reached the client's eventfd"
    );
    assert_eq!(sim.msix_count(0, 3).unwrap(), 1);
    // Bad vectors and ports get a status; unbinding needs no descriptor.
    assert!(matches!(
        c.set_msix(0, 64, Some(efd.as_fd())),
        Err(CardError::Refused {
            status: status::BAD_VECTOR,
            ..
        })
    ));
    c.set_msix(0, 3, None).unwrap();
    // The connection is still in step after the refused bind.
    assert_eq!(p.read32(0x00898, Site::UNNAMED), 1 << 4);
}
