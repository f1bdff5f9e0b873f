//! Access trace: every register access the card sees, one `regdsl_rt::TraceLine` per line.

use regdsl_rt::{Dir, Site, TraceLine};
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Where trace lines go; shared by the ports that trace to the same writer.
pub type TraceWriter = Arc<Mutex<Box<dyn Write + Send>>>;

#[derive(Default)]
pub(crate) struct Tracer {
    on: AtomicBool,
    out: RwLock<Option<TraceWriter>>,
}

impl Tracer {
    pub fn set(&self, w: Option<TraceWriter>) {
        let on = w.is_some();
        *self.out.write().unwrap_or_else(|e| e.into_inner()) = w;
        self.on.store(on, Ordering::Release);
    }

    #[inline]
    pub fn log(&self, dir: Dir, offset: usize, value: u32, site: Site) {
        if !self.on.load(Ordering::Relaxed) {
            return;
        }
        self.log_slow(dir, offset, value, site)
    }

    #[cold]
    fn log_slow(&self, dir: Dir, offset: usize, value: u32, site: Site) {
        // The name the access was made through, else the canonical one, else `?`.
        let (name, index) = if site.is_named() {
            (site.name, site.index)
        } else {
            crate::regs::lookup(offset).unwrap_or(("?", None))
        };
        let line = TraceLine {
            dir,
            offset,
            value: u64::from(value),
            bits: 32,
            name,
            index,
        };
        let out = self.out.read().unwrap_or_else(|e| e.into_inner());
        if let Some(w) = out.as_ref() {
            let mut w = w.lock().unwrap_or_else(|e| e.into_inner());
            // A failing trace writer must not break the device model.
            let _ = writeln!(w, "{line}");
        }
    }
}
