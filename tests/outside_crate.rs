//! A crate outside the workspace uses the project as a new user would: one path dependency on
//! `regdsl-rt`, its own table, `registers!`, typed registers on its own bus. Then a mistake in the
//! table fails its build with `file:line:column: reason`, and fixing the table (a changed .txt,
//! nothing else) rebuilds it.
//!
//! Builds in its own target directory (`target/outside-crate`), offline: the dependencies are
//! the ones the workspace already fetched.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TABLE_GOOD: &str = "\
# A made-up device.
CTRL    0x0000  -             RW  Control
  .RST    0     RW  Reset
  .MODE   3:1   RW  Mode
    =FAST   101b  Fast
STATUS  0x0004  -             RO  Status
QTAIL   0x0100  +0x10*0..7    RW  Queue tail
";

const MAIN: &str = r#"
regdsl_rt::registers!("regs.txt");

use regdsl_rt::{Bus, Site};
use std::cell::RefCell;

/// A software device: a register file that logs every write.
struct Dev {
    mem: RefCell<Vec<u32>>,
    log: RefCell<Vec<(usize, u32)>>,
}

impl Bus for Dev {
    // The table has no 8- or 16-bit registers: generated code never makes these accesses.
    fn read8(&self, offset: usize, _site: Site) -> u8 {
        unreachable!("8-bit read at {offset:#x}")
    }
    fn write8(&self, offset: usize, _value: u8, _site: Site) {
        unreachable!("8-bit write at {offset:#x}")
    }
    fn read16(&self, offset: usize, _site: Site) -> u16 {
        unreachable!("16-bit read at {offset:#x}")
    }
    fn write16(&self, offset: usize, _value: u16, _site: Site) {
        unreachable!("16-bit write at {offset:#x}")
    }
    fn read32(&self, offset: usize, _site: Site) -> u32 {
        self.mem.borrow()[offset / 4]
    }
    fn write32(&self, offset: usize, value: u32, _site: Site) {
        self.mem.borrow_mut()[offset / 4] = value;
        self.log.borrow_mut().push((offset, value));
    }
}

fn main() {
    let regs = Regs::new(Dev { mem: RefCell::new(vec![0; 0x200 / 4]), log: RefCell::default() });
    regs.CTRL().set(CTRL::RST);
    regs.CTRL().modify(|v| v.with(CTRL::MODE::FAST));
    regs.QTAIL().at(5).write(42u32);
    let status = regs.STATUS().read().bits();
    let log = regs.bus().log.borrow().clone();
    println!("log={log:?} status={status}");
}
"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cargo(dir: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Command::new(cargo)
        .args(args)
        .args(["--offline", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", workspace().join("target/outside-crate"))
        // The outer `cargo test` sets these for its own crates; the user's build must not see them.
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

#[test]
fn a_crate_outside_the_workspace_uses_its_own_table() {
    let dir = std::env::temp_dir().join(format!("regdsl-outside-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let rt = workspace().join("regdsl-rt").canonicalize().unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"mydevice\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
             [workspace]\n\n[dependencies]\nregdsl-rt = {{ path = {:?} }}\n",
            rt.display().to_string()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), MAIN).unwrap();
    // Share the workspace's lock file so that offline resolution picks fetched versions.
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    // 1. It builds and runs: the accesses land where the table says.
    std::fs::write(dir.join("regs.txt"), TABLE_GOOD).unwrap();
    let out = cargo(&dir, &["run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // CTRL.RST set (read 0, write 1), MODE=101b at bits 3:1 (0xB), QTAIL[5] at 0x100 + 5*0x10.
    assert_eq!(
        stdout.trim(),
        "log=[(0, 1), (0, 11), (336, 42)] status=0",
        "unexpected accesses"
    );

    // 2. A mistake in the table fails the build, naming file, line and column.
    let bad = TABLE_GOOD.replace("QTAIL   0x0100", "QTAIL   0x0102");
    std::fs::write(dir.join("regs.txt"), bad).unwrap();
    let out = cargo(&dir, &["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a bad table must fail the build");
    assert!(
        stderr.contains("regs.txt:7:9: error:") && stderr.contains("aligned"),
        "the error must name regs.txt:7:9 and say why:\n{stderr}"
    );

    // 3. Fixing the table alone rebuilds the crate (cargo tracks the .txt).
    let moved = TABLE_GOOD.replace("QTAIL   0x0100", "QTAIL   0x0180");
    std::fs::write(dir.join("regs.txt"), moved).unwrap();
    let out = cargo(&dir, &["run"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "log=[(0, 1), (0, 11), (464, 42)] status=0",
        "the moved register must be used after the table changed"
    );

    // 4. Table warnings reach `cargo build` with file:line:col (issue 13.5): a typo'd offset
    // that lands on another register builds, with the overlap warning in the build output.
    let typo = TABLE_GOOD.replace("STATUS  0x0004", "STATUS  0x0000");
    std::fs::write(dir.join("regs.txt"), &typo).unwrap();
    let out = cargo(&dir, &["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("regs.txt:6:1: warning: `STATUS` (0x00000..=0x00003) overlaps `CTRL`"),
        "the table warning must show in the build output:\n{stderr}"
    );

    // 5. `@deny warnings` makes them errors: the build fails, naming the same place.
    std::fs::write(dir.join("regs.txt"), format!("@deny warnings\n{typo}")).unwrap();
    let out = cargo(&dir, &["build"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a denied warning must fail the build"
    );
    assert!(
        stderr.contains("regs.txt:7:1: error: `STATUS` (0x00000..=0x00003) overlaps `CTRL`"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
