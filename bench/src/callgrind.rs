//! Instructions of the driver's receive and send calls, counted by callgrind: the forward
//! loop (`fwd-loop`) runs under `valgrind --tool=callgrind --collect-atstart=no` with
//! `--toggle-collect` on the out-of-line function holding the driver's receive and send
//! calls, so only instructions executed inside them (and everything they call: the driver, its mempool, the generated register
//! code) are counted; the card's step and the harness are not.

use crate::fwd::TOGGLE_FNS;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One measured run.
#[derive(Clone, Debug)]
pub struct Run {
    pub batch: usize,
    /// Packets forwarded in the run (from the program's report).
    pub forwarded: u64,
    /// Receive/send call pairs.
    pub batches: u64,
    /// Instructions collected (callgrind's `Ir` total).
    pub instructions: u64,
    /// The callgrind output file, for `callgrind_annotate`.
    pub out_file: PathBuf,
}

impl Run {
    pub fn per_packet(&self) -> f64 {
        self.instructions as f64 / self.forwarded.max(1) as f64
    }
}

/// `valgrind --version`, or why valgrind cannot be used.
pub fn valgrind_version() -> Result<String, String> {
    match Command::new("valgrind").arg("--version").output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => Err(format!("valgrind --version failed: {}", o.status)),
        Err(e) => Err(format!(
            "valgrind not found ({e}); install it with `apt-get install valgrind`"
        )),
    }
}

/// Runs `fwd_loop` (the `fwd-loop` program) at `batch` for `packets` packets under callgrind,
/// writing its output file into `dir`.
pub fn measure(fwd_loop: &Path, batch: usize, packets: u64, dir: &Path) -> Result<Run, String> {
    measure_with(fwd_loop, batch, packets, dir, &[])
}

/// [`measure`] with more arguments for `fwd-loop` (e.g. `--rx-path sse2`).
pub fn measure_with(
    fwd_loop: &Path,
    batch: usize,
    packets: u64,
    dir: &Path,
    extra: &[String],
) -> Result<Run, String> {
    let out_file = dir.join(format!("callgrind.fwd.batch{batch}.out"));
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg("--collect-atstart=no")
        .arg(format!("--callgrind-out-file={}", out_file.display()));
    for f in TOGGLE_FNS {
        cmd.arg(format!("--toggle-collect=*{f}*"));
    }
    cmd.arg(fwd_loop).args([
        "--batch",
        &batch.to_string(),
        "--packets",
        &packets.to_string(),
    ]);
    cmd.args(extra);
    let o = cmd
        .output()
        .map_err(|e| format!("cannot run valgrind: {e}"))?;
    let stdout = String::from_utf8_lossy(&o.stdout);
    if !o.status.success() {
        return Err(format!(
            "fwd-loop under callgrind failed ({}):\n{stdout}\n{}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    let report = parse_report(&stdout)
        .ok_or_else(|| format!("no report line in fwd-loop's output:\n{stdout}"))?;
    let text = std::fs::read_to_string(&out_file)
        .map_err(|e| format!("cannot read {}: {e}", out_file.display()))?;
    let instructions = total_ir(&text)
        .ok_or_else(|| format!("no totals/summary line in {}", out_file.display()))?;
    check_toggled(&text).map_err(|e| format!("{}: {e}", out_file.display()))?;
    Ok(Run {
        batch,
        forwarded: report.0,
        batches: report.1,
        instructions,
        out_file,
    })
}

/// The collected functions named like the toggled ones must be exactly those: a missing one
/// (inlined away) would drop its work from the count, and another matching function called
/// inside them would switch collection off while it runs.
pub fn check_toggled(text: &str) -> Result<(), String> {
    let mut names: Vec<&str> = text
        .lines()
        // A name is given once, where its id first appears: in a `fn=` or a `cfn=` line.
        .filter_map(|l| l.strip_prefix("fn=").or_else(|| l.strip_prefix("cfn=")))
        .map(|l| l.split_once(") ").map_or(l, |(_, name)| name))
        .filter(|n| TOGGLE_FNS.iter().any(|f| n.contains(f)))
        .collect();
    names.sort_unstable();
    names.dedup();
    let want: Vec<String> = TOGGLE_FNS
        .iter()
        .map(|f| format!("bench::fwd::{f}"))
        .collect();
    if names != want {
        return Err(format!(
            "collected functions matching the toggles are {names:?}, expected {want:?}"
        ));
    }
    Ok(())
}

/// `forwarded` and `batches` from `fwd-loop`'s `key=value` report line.
pub fn parse_report(stdout: &str) -> Option<(u64, u64)> {
    let line = stdout.lines().find(|l| l.starts_with("fwd-loop "))?;
    let get = |k: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    Some((get("forwarded")?, get("batches")?))
}

/// The first event's total from a callgrind output file (`totals:` or `summary:` line).
pub fn total_ir(text: &str) -> Option<u64> {
    text.lines()
        .rev()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_report_and_totals() {
        let out = "noise\nfwd-loop batch=32 forwarded=6400 batches=200 driver_tsc=1\n";
        assert_eq!(parse_report(out), Some((6400, 200)));
        assert_eq!(parse_report("fwd-loop batch=1"), None);
        let cg = "events: Ir\nfn=(1) x\n3 10\nsummary: 12345\ntotals: 12345\n";
        assert_eq!(total_ir(cg), Some(12345));
        assert_eq!(total_ir("events: Ir\n"), None);
    }

    #[test]
    fn checks_the_toggled_functions() {
        let ok = "fn=(1) bench::fwd::fwd_driver_calls\ncfn=(2) other\nfn=(1)\n";
        assert_eq!(check_toggled(ok), Ok(()));
        assert!(check_toggled("fn=(1) bench::fwd::other\n").is_err());
        let extra = format!("{ok}fn=(3) bench::fwd::fwd_driver_calls::{{{{closure}}}}\n");
        assert!(check_toggled(&extra).is_err());
    }
}
