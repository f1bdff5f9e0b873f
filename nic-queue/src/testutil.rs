//! Test helpers: queue registers that record what the engines do. (The heap "DMA" memory is
//! the contract's own test double, `dma::testing::HeapDma`.)

use crate::{QueueError, QueueRegs};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

/// Queue registers that record tail writes, stops and the start-up calls.
pub struct FakeRegs {
    pub id: u32,
    /// Tail writes, and the last value written.
    pub tails: Rc<Cell<u32>>,
    pub last_tail: Rc<Cell<u32>>,
    pub stops: Rc<Cell<u32>>,
    /// Every call but the counted ones above, in order: `ring PHYS BYTES`, `enable`, `wait`,
    /// `tail N`.
    pub log: Rc<RefCell<Vec<String>>>,
    /// Whether the queue reports itself enabled once `enable` was called.
    pub enables: bool,
    /// The head the card reports; `None`: the card has fetched everything (head = last tail).
    pub head: Rc<Cell<Option<u32>>>,
    enabled: Cell<bool>,
}

impl FakeRegs {
    pub fn new(id: u32, stops: Rc<Cell<u32>>) -> Self {
        FakeRegs {
            id,
            tails: Rc::default(),
            last_tail: Rc::default(),
            stops,
            log: Rc::default(),
            enables: true,
            head: Rc::default(),
            enabled: Cell::new(false),
        }
    }
}

impl QueueRegs for FakeRegs {
    fn id(&self) -> u32 {
        self.id
    }
    fn write_tail(&self, tail: u32) {
        self.tails.set(self.tails.get() + 1);
        self.last_tail.set(tail);
        if self.enabled.get() {
            self.log.borrow_mut().push(format!("tail {tail}"));
        }
    }
    fn set_ring(&self, phys: u64, bytes: usize) -> Result<(), QueueError> {
        self.log
            .borrow_mut()
            .push(format!("ring {phys:#x} {bytes}"));
        Ok(())
    }
    fn enable(&self) {
        self.log.borrow_mut().push("enable".into());
        self.enabled.set(self.enables);
    }
    fn wait_enabled(&self, _timeout: Duration) -> bool {
        self.log.borrow_mut().push("wait".into());
        self.enabled.get()
    }
    fn stop(&self) -> bool {
        self.stops.set(self.stops.get() + 1);
        self.log.borrow_mut().push("stop".into());
        true
    }
    fn head(&self) -> u32 {
        self.log.borrow_mut().push("head".into());
        self.head.get().unwrap_or(self.last_tail.get())
    }
}
