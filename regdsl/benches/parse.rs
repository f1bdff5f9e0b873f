//! Parse + resolve + check throughput (`regdsl::compile`) on the Snabb corpus and on a
//! generated 10,000-register table. Run: `cargo bench -p regdsl --bench parse`.
//!
//! `REGDSL_BENCH_TABLE=PATH cargo bench -p regdsl --bench parse` writes the generated table to
//! `PATH` and exits (for `valgrind --tool=callgrind regdsl check PATH`).
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

/// 10,000 registers: singles, arrays, split arrays, 64-bit counters, fields and named values.
fn generated(n: usize) -> String {
    let mut s = String::from("# generated benchmark table\n@section Generated\n");
    let mut addr: u64 = 0;
    for i in 0..n {
        match i % 8 {
            0..=3 => {
                s.push_str(&format!(
                    "REG{i:05}  0x{addr:06X}  -  RW  reset=0x0  Register number {i}\n"
                ));
                s.push_str("  .ENABLE   0      RW  reset=0  Enable\n");
                s.push_str("  .MODE     3:1    RW           Mode\n");
                s.push_str("    =OFF      000b  Off\n    =ON       001b  On\n");
                s.push_str("  .RSV      31:4   RSV write=0  Reserved\n");
                addr += 4;
            }
            4 => {
                addr = addr.next_multiple_of(8);
                s.push_str(&format!(
                    "CNT{i:05}  0x{addr:06X}  -  RC64  Counter {i} (64-bit)\n"
                ));
                addr += 8;
            }
            5 => {
                s.push_str(&format!(
                    "ARR{i:05}  0x{addr:06X}  +0x4*0..31  RW  Array {i}\n"
                ));
                addr += 0x80;
            }
            6 => {
                s.push_str(&format!(
                    "SPL{i:05}  0x{addr:06X}  +0x4*0..15  RW  Split array {i}\n"
                ));
                s.push_str(&format!(
                    "SPL{i:05}  0x{:06X}  +0x4*16..31  RW  Split array {i}\n",
                    addr + 0x40
                ));
                addr += 0x80;
            }
            _ => {
                s.push_str(&format!(
                    "ST{i:05}  0x{addr:06X}  -  RO  Status {i}  -- comment\n\n"
                ));
                addr += 4;
            }
        }
    }
    s
}

fn corpus() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data/snabb-tables");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| {
                    let p = e.path();
                    (
                        p.display().to_string(),
                        std::fs::read_to_string(&p).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// CPU time of this thread, in seconds: on a shared machine it says what one core does.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes into it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Compiles `files` repeatedly for about two CPU-seconds; prints MB/s and registers/s per
/// CPU-second.
fn cpu_rate(label: &str, files: &[(String, String)]) {
    let bytes: usize = files.iter().map(|f| f.1.len()).sum();
    let regs: usize = files
        .iter()
        .map(|(n, s)| regdsl::compile(n, s).table.map_or(0, |t| t.registers.len()))
        .sum();
    let start = cpu_seconds();
    let mut rounds = 0u64;
    while cpu_seconds() - start < 2.0 {
        for (n, s) in files {
            black_box(regdsl::compile(n, s));
        }
        rounds += 1;
    }
    let t = cpu_seconds() - start;
    println!(
        "cpu-time {label}: {:.1} MB/s, {:.0} registers/s ({bytes} bytes, {regs} registers, {rounds} rounds in {t:.2} CPU-s)",
        (bytes as f64 * rounds as f64) / t / 1e6,
        (regs as f64 * rounds as f64) / t,
    );
}

fn bench(c: &mut Criterion) {
    if let Some(path) = std::env::var_os("REGDSL_BENCH_TABLE") {
        std::fs::write(&path, generated(10_000)).expect("write the generated table");
        eprintln!("wrote the generated table to {}", path.to_string_lossy());
        std::process::exit(0);
    }
    let files = corpus();
    if files.is_empty() {
        eprintln!("SKIP Snabb corpus: tables not found");
    } else {
        let bytes: usize = files.iter().map(|f| f.1.len()).sum();
        let regs: usize = files
            .iter()
            .map(|(n, s)| {
                regdsl::compile(n, s)
                    .table
                    .expect("Snabb table loads")
                    .registers
                    .len()
            })
            .sum();
        let mut g = c.benchmark_group("snabb_corpus");
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("bytes", |b| {
            b.iter(|| {
                for (n, s) in &files {
                    black_box(regdsl::compile(n, s));
                }
            })
        });
        g.throughput(Throughput::Elements(regs as u64));
        g.bench_function("registers", |b| {
            b.iter(|| {
                for (n, s) in &files {
                    black_box(regdsl::compile(n, s));
                }
            })
        });
        g.finish();
    }

    if !files.is_empty() {
        cpu_rate("snabb corpus", &files);
    }
    let src = generated(10_000);
    cpu_rate("generated 10k", &[("gen.txt".to_string(), src.clone())]);
    let out = regdsl::compile("gen.txt", &src);
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics.first());
    let regs = out.table.unwrap().registers.len();
    assert_eq!(regs, 10_000);
    let mut g = c.benchmark_group("generated_10k");
    g.sample_size(20);
    g.throughput(Throughput::Bytes(src.len() as u64));
    g.bench_function("bytes", |b| {
        b.iter(|| black_box(regdsl::compile("gen.txt", &src)))
    });
    g.throughput(Throughput::Elements(regs as u64));
    g.bench_function("registers", |b| {
        b.iter(|| black_box(regdsl::compile("gen.txt", &src)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
