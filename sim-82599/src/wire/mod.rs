//! What is plugged into a port: another port, a pcap file, a TAP device.

pub mod pcap;
pub mod tap;

use crate::card::Shared;
use crate::engine::Engine;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

/// An attachment for [`crate::Sim::connect`]. MAC loopback needs no wire: it is
/// HLREG0.LPBK, set by the driver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wire {
    /// A loopback plug: what the port sends comes back to it.
    Loopback(usize),
    /// Two ports cabled back to back: one link, up only while both ends' PHYs are (a port
    /// in reset or restarting its link takes the other end's link down too). A port without
    /// link holds its transmit ring (the MAC sends nothing), so no frame is lost on the cable.
    Pair(usize, usize),
    /// Frames the port sends are appended to a pcap file (created or truncated).
    PcapOut { port: usize, path: PathBuf },
    /// The frames of a pcap file arrive at the port, as fast as it takes them.
    PcapIn { port: usize, path: PathBuf },
    /// A Linux TAP device (created if absent): the kernel's stack on the other end.
    Tap { port: usize, name: String },
}

impl Wire {
    pub(crate) fn ports(&self) -> Vec<usize> {
        match self {
            Wire::Loopback(p) => vec![*p],
            Wire::Pair(a, b) => vec![*a, *b],
            Wire::PcapOut { port, .. } | Wire::PcapIn { port, .. } | Wire::Tap { port, .. } => {
                vec![*port]
            }
        }
    }
}

/// Where a port's transmitted frames go.
pub(crate) enum Sink {
    Port(usize),
    Pcap(pcap::Writer),
    Tap(Arc<tap::Tap>),
}

impl Sink {
    pub fn write(&mut self, frame: &[u8]) -> io::Result<()> {
        match self {
            Sink::Port(_) => Ok(()),
            Sink::Pcap(w) => w.write(frame),
            Sink::Tap(t) => t.send(frame),
        }
    }
    pub fn flush(&mut self) {
        if let Sink::Pcap(w) = self {
            // Flushed every step so that readers see frames promptly; errors are counted
            // on the next write.
            let _ = w.flush();
        }
    }
}

/// Where a port's received frames come from, besides other ports.
pub(crate) enum Source {
    Pcap(pcap::Reader),
    Tap(Arc<tap::Tap>),
}

/// Frames taken from sources per port per step.
const SOURCE_BUDGET: usize = 256;
/// The other end's MAC pads frames to the minimum (60 bytes without FCS).
const MIN_FRAME: usize = 60;

/// Deliver frames from the port's pcap/TAP sources.
pub(crate) fn poll_sources(eng: &mut Engine, sh: &Shared, pi: usize) -> usize {
    if eng.sources[pi].is_empty() {
        return 0;
    }
    let Engine {
        ports,
        sources,
        src_frame: frame,
        step_no,
        ..
    } = eng;
    let mut n = 0;
    let mut k = 0;
    while k < sources[pi].len() {
        let mut done = false;
        while n < SOURCE_BUDGET {
            frame.clear();
            let got = match &mut sources[pi][k] {
                Source::Pcap(r) => r.next_into(frame),
                Source::Tap(t) => t.recv_into(frame),
            };
            match got {
                Ok(true) => {
                    if frame.len() < MIN_FRAME {
                        frame.resize(MIN_FRAME, 0);
                    }
                    if sh.ports[pi]
                        .link_up
                        .load(std::sync::atomic::Ordering::Acquire)
                    {
                        crate::rx::deliver(&mut ports[pi], sh, &sh.ports[pi], frame, *step_no);
                    } else {
                        ports[pi].st.m_lost_link += 1;
                        ports[pi].st.dirty = true;
                    }
                    n += 1;
                }
                Ok(false) => break,
                Err(_) => {
                    // A pcap file that ends early or is corrupt: stop reading it.
                    done = matches!(sources[pi][k], Source::Pcap(_));
                    ports[pi].st.m_sink_err += 1;
                    ports[pi].st.dirty = true;
                    break;
                }
            }
        }
        if done {
            sources[pi].remove(k);
        } else {
            k += 1;
        }
    }
    n
}
