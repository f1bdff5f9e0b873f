//! Classic pcap files (magic 0xa1b2c3d4, link type 1 = Ethernet), as tcpdump and Wireshark
//! read and write them.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const MAGIC_US: u32 = 0xa1b2_c3d4;
const MAGIC_NS: u32 = 0xa1b2_3c4d;
const LINKTYPE_ETHERNET: u32 = 1;
const SNAPLEN: u32 = 65535;

/// Writes frames to a pcap file.
pub struct Writer {
    out: BufWriter<File>,
}

impl Writer {
    pub fn create(path: &Path) -> io::Result<Writer> {
        let f = File::create(path).map_err(|e| annotate(e, "creating pcap file", path))?;
        let mut out = BufWriter::new(f);
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&MAGIC_US.to_le_bytes());
        h.extend_from_slice(&2u16.to_le_bytes());
        h.extend_from_slice(&4u16.to_le_bytes());
        h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
        h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        h.extend_from_slice(&SNAPLEN.to_le_bytes());
        h.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        out.write_all(&h)?;
        Ok(Writer { out })
    }

    /// Append one frame, stamped with the current time.
    pub fn write(&mut self, frame: &[u8]) -> io::Result<()> {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let incl = frame.len().min(SNAPLEN as usize);
        let mut r = [0u8; 16];
        r[0..4].copy_from_slice(&(t.as_secs() as u32).to_le_bytes());
        r[4..8].copy_from_slice(&t.subsec_micros().to_le_bytes());
        r[8..12].copy_from_slice(&(incl as u32).to_le_bytes());
        r[12..16].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        self.out.write_all(&r)?;
        self.out.write_all(&frame[..incl])
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Reads frames from a pcap file (either byte order, micro- or nanosecond stamps).
pub struct Reader {
    inp: BufReader<File>,
    swap: bool,
}

impl Reader {
    pub fn open(path: &Path) -> io::Result<Reader> {
        let f = File::open(path).map_err(|e| annotate(e, "opening pcap file", path))?;
        let mut inp = BufReader::new(f);
        let mut h = [0u8; 24];
        inp.read_exact(&mut h)
            .map_err(|e| annotate(e, "reading the pcap header of", path))?;
        let magic = u32::from_le_bytes([h[0], h[1], h[2], h[3]]);
        let swap = match magic {
            MAGIC_US | MAGIC_NS => false,
            m if m.swap_bytes() == MAGIC_US || m.swap_bytes() == MAGIC_NS => true,
            m => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: not a pcap file (magic {m:#010x})", path.display()),
                ))
            }
        };
        let r = Reader { inp, swap };
        let link = r.u32(&h[20..24]);
        if link != LINKTYPE_ETHERNET {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{}: link type {link}, only Ethernet (1) is supported",
                    path.display()
                ),
            ));
        }
        Ok(r)
    }

    fn u32(&self, b: &[u8]) -> u32 {
        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if self.swap {
            v.swap_bytes()
        } else {
            v
        }
    }

    /// The next frame into `buf`; `Ok(false)` at the end of the file.
    pub fn next_into(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        let mut r = [0u8; 16];
        match self.inp.read_exact(&mut r[..1]) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(e),
        }
        self.inp.read_exact(&mut r[1..])?;
        let incl = self.u32(&r[8..12]) as usize;
        if incl > 256 * 1024 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("pcap record of {incl} bytes: corrupt file"),
            ));
        }
        buf.clear();
        buf.resize(incl, 0);
        self.inp.read_exact(buf)?;
        Ok(true)
    }
}

fn annotate(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}
