//! The project's 82599 table expands, and its names resolve as the driver expects.

regdsl_rt::registers!(mod ixgbe, "../registers/82599.txt");

#[test]
fn the_82599_table_expands_and_resolves_names() {
    use ixgbe::*;
    assert_eq!(lookup(0).map(|s| s.name), Some("CTRL"));
    assert!(REGISTERS.len() > 100, "{}", REGISTERS.len());
    let rx = lookup(0x1028).unwrap();
    assert_eq!((rx.name, rx.index), ("RXDCTL", Some(0)));
    // Every element of every register resolves to itself (or to what it overlays).
    for r in REGISTERS.iter().filter(|r| r.over.is_empty()) {
        let idx: Vec<Option<u32>> = if r.is_array() {
            r.segments
                .iter()
                .flat_map(|s| (s.min..=s.max).map(Some))
                .collect()
        } else {
            vec![None]
        };
        for i in idx {
            let off = r.offset_of(i).unwrap();
            let s = lookup(off).unwrap();
            assert_eq!((s.name, s.index), (r.name, i), "offset {off:#x}");
        }
    }
}

/// Element 0 of each packet-buffer size array holds the whole buffer at reset (datasheet).
#[test]
fn packet_buffer_sizes_reset_per_element() {
    use ixgbe::*;
    assert_eq!(RXPBSIZE::Reg::reset_at(0), Some(0x0008_0000));
    assert_eq!(TXPBSIZE::Reg::reset_at(0), Some(0x0002_8000));
    for i in 1..8 {
        assert_eq!(RXPBSIZE::Reg::reset_at(i), Some(0));
        assert_eq!(TXPBSIZE::Reg::reset_at(i), Some(0));
    }
    assert_eq!(RXPBSIZE::Reg::reset_at(8), None);
    let rx = REGISTERS.iter().find(|r| r.name == "RXPBSIZE").unwrap();
    assert_eq!(rx.reset_of(Some(0)), Some(0x0008_0000));
    assert_eq!(rx.reset_of(Some(3)), Some(0));
}
