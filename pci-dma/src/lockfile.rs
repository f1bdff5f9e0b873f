//! Advisory file locks (`flock`) that the kernel drops however their holder dies (SIGKILL
//! included): what processes sharing one card coordinate with (`driver_82599::share`).

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// A held `flock` on a file; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

/// Shared (many holders) or exclusive (one holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    Shared,
    Exclusive,
}

impl FileLock {
    /// Takes the lock on `path` (created if missing) without waiting: `Ok(None)` when another
    /// holder's lock conflicts.
    pub fn try_lock(path: &Path, mode: LockMode) -> io::Result<Option<FileLock>> {
        Self::lock(path, mode, false)
    }

    /// Takes the lock, waiting for conflicting holders to let go (use only where they hold it
    /// briefly).
    pub fn lock_wait(path: &Path, mode: LockMode) -> io::Result<FileLock> {
        Ok(Self::lock(path, mode, true)?.expect("a blocking flock returns only when held"))
    }

    fn lock(path: &Path, mode: LockMode, wait: bool) -> io::Result<Option<FileLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut op = match mode {
            LockMode::Shared => libc::LOCK_SH,
            LockMode::Exclusive => libc::LOCK_EX,
        };
        if !wait {
            op |= libc::LOCK_NB;
        }
        loop {
            // SAFETY: flock on a descriptor we own; no memory is involved.
            if unsafe { libc::flock(file.as_raw_fd(), op) } == 0 {
                return Ok(Some(FileLock {
                    file,
                    path: path.to_path_buf(),
                }));
            }
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EWOULDBLOCK) if !wait => return Ok(None),
                _ => return Err(err),
            }
        }
    }

    /// Writes this process's id into the file (for the message that names the holder).
    pub fn write_pid(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.file.rewind()?;
        write!(self.file, "{}", std::process::id())
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The process id written in a lock file by its last holder ([`FileLock::write_pid`]), or
/// `"unknown"`.
pub fn holder(path: &Path) -> String {
    let mut s = String::new();
    let _ = File::open(path).and_then(|mut f| f.read_to_string(&mut s));
    match s.trim() {
        "" => "unknown".to_string(),
        t => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_conflicts_shared_does_not_and_drop_releases() {
        let dir = std::env::temp_dir().join(format!("pci-dma-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("a.lock");
        let mut a = FileLock::try_lock(&p, LockMode::Exclusive)
            .unwrap()
            .unwrap();
        a.write_pid().unwrap();
        assert_eq!(holder(&p), std::process::id().to_string());
        // flock locks belong to open file descriptions: a second open conflicts.
        assert!(FileLock::try_lock(&p, LockMode::Exclusive)
            .unwrap()
            .is_none());
        assert!(FileLock::try_lock(&p, LockMode::Shared).unwrap().is_none());
        drop(a);
        let s1 = FileLock::try_lock(&p, LockMode::Shared).unwrap().unwrap();
        let s2 = FileLock::try_lock(&p, LockMode::Shared).unwrap().unwrap();
        assert!(FileLock::try_lock(&p, LockMode::Exclusive)
            .unwrap()
            .is_none());
        drop((s1, s2));
        assert!(FileLock::lock_wait(&p, LockMode::Exclusive).is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
