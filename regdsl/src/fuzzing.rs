//! The fuzz driver's parts (not an API for users): [`exercise`] runs everything a user can run
//! on a table (compile, render, fmt, dump, doc, codegen) and checks the invariants the tools
//! rely on; [`Mutator`] makes deterministic mutated tables from seeds. Used by the stable
//! driver (`cargo run --release -p regdsl --example fuzz`), its quick mode in `cargo test`
//! (`tests/fuzz_quick.rs`) and the cargo-fuzz target (`fuzz/`). See BENCHMARKS.md, "Fuzzing".

/// Runs every tool on `bytes` as a table file. Panics are the caller's to catch; a broken
/// invariant (a span outside the text, `fmt` not idempotent or changing the model, a table
/// returned with errors) is an `Err`.
pub fn exercise(bytes: &[u8]) -> Result<(), String> {
    exercise_timed(bytes, &mut |_| {})
}

/// The stages [`exercise_timed`] reports, in order.
pub const STAGES: [&str; 7] = [
    "compile", "render", "dump", "doc", "codegen", "fmt", "refmt",
];

/// Time spent per stage of one input (indices of [`STAGES`]).
pub type StageTimes = [std::time::Duration; 7];

/// [`exercise`], calling `stage(i)` as stage `i` of [`STAGES`] ends (the caller times the
/// stages between calls).
pub fn exercise_timed(bytes: &[u8], stage: &mut dyn FnMut(usize)) -> Result<(), String> {
    let src = match crate::decode("f.txt", bytes) {
        Ok(s) => s,
        Err(d) => {
            let _ = d.to_string();
            return (d.span.offset <= bytes.len() && d.span.line >= 1)
                .then_some(())
                .ok_or_else(|| format!("bad span for non-UTF-8 input: {d}"));
        }
    };
    let out = crate::compile("f.txt", src);
    stage(0);
    let _ = crate::diag::render(&out.diagnostics, src, false);
    for d in &out.diagnostics {
        let end = d.span.offset + d.span.len;
        if end > src.len() || !src.is_char_boundary(d.span.offset) || !src.is_char_boundary(end) {
            return Err(format!("span outside the text or inside a character: {d}"));
        }
        if d.span.line == 0 || d.span.col == 0 {
            return Err(format!("line or column 0: {d}"));
        }
        let _ = d.to_string();
    }
    stage(1);
    if out.table.is_some() == out.has_errors() {
        return Err("a table was returned with errors, or none without".into());
    }
    if let Some(t) = &out.table {
        let _ = crate::dump::to_json(t).to_string();
        stage(2);
        let _ = crate::doc::to_markdown(t);
        stage(3);
        let _ = crate::codegen::expand(t).to_string();
        stage(4);
    }
    let formatted = crate::fmt::format("f.txt", src);
    stage(5);
    if let Ok(f) = formatted {
        let again = crate::fmt::format("f.txt", &f)
            .map_err(|d| format!("formatted text does not parse: {}", d[0]))?;
        if again != f {
            return Err("fmt is not idempotent".into());
        }
        let b = crate::compile("f.txt", &f);
        if b.errors().count() != out.errors().count()
            || b.warnings().count() != out.warnings().count()
        {
            return Err("fmt changed the number of errors or warnings".into());
        }
        if let (Some(x), Some(y)) = (&out.table, &b.table) {
            let (x, y) = (crate::dump::to_json(x), crate::dump::to_json(y));
            if strip_lines(x) != strip_lines(y) {
                return Err("fmt changed the model".into());
            }
        }
    }
    Ok(())
}

fn strip_lines(mut v: serde_json::Value) -> serde_json::Value {
    fn go(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("line");
                m.values_mut().for_each(go);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(go),
            _ => {}
        }
    }
    go(&mut v);
    v
}

/// Tokens the mutator inserts: every form of the grammar, pasted forms, and near misses.
pub const DICTIONARY: &[&str] = &[
    "GORCL",
    "+8*0..4294967295",
    "RW64",
    ".DESCTYPE",
    ":3",
    "1000b",
    "reset[70000]=0",
    "reset[]=1",
    "reset[0=1",
    "reset[0..]=1",
    "write[0]=1",
    "over=,",
    "Control",
    "CTRL",
    "RDBAL",
    "SRRCTL",
    "GORC64",
    "X",
    "type",
    "a[0]",
    "_",
    "0x0",
    "0x1000",
    "0X0D000",
    "4096",
    "0x1002",
    "0xFFFFFFFFFFFFFFFF",
    "99999999999999999999",
    "-",
    "+0x40*0..63",
    "+0x40*64..127",
    "+4*0..7",
    "+0*0..65535",
    "+4*5..3",
    "+0x40*0..",
    "RW",
    "RO",
    "RC64",
    "W1C",
    "RX",
    "ALIAS",
    "RSV",
    ".RST",
    ".",
    "26",
    "15:13",
    "13:15",
    "63:0",
    "3:",
    "=LEGACY",
    "=",
    "001b",
    "10b",
    "0b",
    "1b",
    "0x2",
    "reset=0",
    "reset=0x1ff",
    "reset[0]=1",
    "reset[1..3]=0x2",
    "reset[3..1]=0",
    "write=0",
    "over=GORCL,GORCH",
    "over=",
    "bogus=1",
    "#",
    "--",
    "@section",
    "@x",
    "Device",
    "–",
    "é",
    "\t",
    "  ",
    "\r",
    "\r\n",
    "\n",
    "\u{feff}",
    "\u{a0}",
    "@columns",
    "@fields",
    "@columns native",
    "name",
    "offset",
    "mode",
    "description",
    "reset",
    "ignore",
    "bits",
    "@columns ignore offset name description mode",
    "@columns offset name description ignore mode ignore ignore",
    "@fields name bits reset mode description",
    "@fields name bits reset description",
    "R/W",
    "R",
    "W",
    "RC/W",
    "RC/WC",
    "RW1C",
    "R/W1C",
    "RWS",
    "rw",
    "00008h",
    "1Fh",
    "0x0_001F",
    "0000h",
    "FFh",
    "Reserved",
    "reserved",
    "/",
    "and",
    "0x01000 + 0x40*n, n=0...63",
    "and 0x0D000 + 0x40*(n-64), n=64...127",
    "0x00000 / 0x00004",
    "+",
    "*",
    "n",
    "(n-64)",
    ",",
    "n=0...63",
    "...",
    "(",
    ")",
    ";",
    "; RW)",
    "—",
    "Device Control Register — CTRL (",
    "RDBAL[n] (0x01000 + 0x40*n, n=0...63; RW)",
    "0x01000 + 0x40*(n-70000), n=0...3",
    "0xFFFFFFFFFFFFFFF0 + 0x40*n, n=0...65535",
    "05200h-053FCh",
    "05200h-053FEh",
    "0h-FFFFFFFFFFFFFFFFh",
    "05400h-05478h step 8",
    "step 0",
    "MTA[127:0]",
    "RAH[0:15]",
    "X[4294967295:0]",
    "RC/W1C",
    "RTCW",
];

/// A deterministic source of mutated tables (splitmix64).
pub struct Mutator {
    state: u64,
}

impl Mutator {
    pub fn new(seed: u64) -> Self {
        Mutator { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One input: usually a window of a few lines of a seed, sometimes a whole seed, with one
    /// to eight mutations.
    pub fn input(&mut self, seeds: &[Vec<u8>]) -> Vec<u8> {
        let seed = &seeds[self.below(seeds.len())];
        // Whole seeds are rare (they are run once each first; a mutated 82599 table costs
        // hundreds of times a window's time): the windows hold every construct.
        let mut v = if self.below(4096) == 0 {
            seed.clone()
        } else {
            let lines: Vec<&[u8]> = seed.split_inclusive(|&b| b == b'\n').collect();
            let at = self.below(lines.len().max(1));
            let n = 1 + self.below(40);
            lines
                .iter()
                .skip(at)
                .take(n)
                .flat_map(|l| l.iter().copied())
                .collect()
        };
        for _ in 0..1 + self.below(8) {
            self.mutate(&mut v, seeds);
        }
        v
    }

    /// A position at a token boundary (after a blank or line end), or anywhere.
    fn boundary(&mut self, v: &[u8]) -> usize {
        if v.is_empty() {
            return 0;
        }
        let at = self.below(v.len() + 1);
        if self.below(4) == 0 {
            return at;
        }
        v[at..]
            .iter()
            .position(|&b| b == b' ' || b == b'\n')
            .map_or(v.len(), |p| at + p + 1)
    }

    fn token_range(&mut self, v: &[u8]) -> (usize, usize) {
        let at = self.boundary(v).min(v.len());
        let len = v[at..]
            .iter()
            .position(|&b| b == b' ' || b == b'\n' || b == b'\t')
            .unwrap_or(v.len() - at);
        (at, at + len)
    }

    fn line_range(&mut self, v: &[u8]) -> (usize, usize) {
        let at = self.below(v.len() + 1);
        let start = v[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        let end = v[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(v.len(), |p| at + p + 1);
        (start, end)
    }

    fn word(&mut self) -> &'static [u8] {
        DICTIONARY[self.below(DICTIONARY.len())].as_bytes()
    }

    fn mutate(&mut self, v: &mut Vec<u8>, seeds: &[Vec<u8>]) {
        match self.below(14) {
            0 | 1 => {
                let at = self.boundary(v);
                let w = self.word();
                let mut ins = w.to_vec();
                ins.push(b' ');
                v.splice(at..at, ins);
            }
            2 | 3 => {
                let (a, b) = self.token_range(v);
                let w = self.word();
                v.splice(a..b, w.iter().copied());
            }
            4 => {
                let (a, b) = self.token_range(v);
                v.drain(a..b);
            }
            5 => {
                let (a, b) = self.line_range(v);
                v.drain(a..b);
            }
            6 => {
                let (a, b) = self.line_range(v);
                let line = v[a..b].to_vec();
                v.splice(a..a, line);
            }
            7 => {
                let (a, b) = self.line_range(v);
                let line: Vec<u8> = v.drain(a..b).collect();
                let at = self.line_range(v).0;
                v.splice(at..at, line);
            }
            8 => {
                let other = &seeds[self.below(seeds.len())];
                let (a, b) = self.line_range(other);
                let at = self.line_range(v).0;
                v.splice(at..at, other[a..b].iter().copied());
            }
            9 => {
                if !v.is_empty() {
                    let at = self.below(v.len());
                    v[at] = self.next_u64() as u8;
                }
            }
            10 => {
                let at = self.below(v.len() + 1);
                const CHARS: &[u8] = b" \t\n.=@#-:+*[]0123456789abxXhRWn/(),;";
                let c = CHARS[self.below(CHARS.len())];
                v.insert(at, c);
            }
            11 => {
                let to: &[u8] = [&b"\r"[..], b"\r\n", b"\n"][self.below(3)];
                let mut out = Vec::with_capacity(v.len());
                for &b in v.iter() {
                    if b == b'\n' {
                        out.extend_from_slice(to);
                    } else {
                        out.push(b);
                    }
                }
                *v = out;
            }
            12 => {
                let at = self.below(v.len() + 1);
                v.truncate(at);
            }
            13 if self.below(8) == 0 => {
                // A long line or many rows: the linear-cost paths.
                let w = self.word();
                let max = if self.below(16) == 0 { 5000 } else { 300 };
                let n = 1 + self.below(max);
                let sep = if self.below(2) == 0 { b' ' } else { b'\n' };
                let at = self.boundary(v);
                let mut ins = Vec::with_capacity(n * (w.len() + 1));
                for _ in 0..n {
                    ins.extend_from_slice(w);
                    ins.push(sep);
                }
                v.splice(at..at, ins);
            }
            _ => {
                let at = self.boundary(v);
                let w = self.word();
                v.splice(at..at, w.iter().copied());
            }
        }
    }
}

/// The seed tables of this repository, as the fuzz driver and its quick test use them: every table of
/// `registers/`, Snabb's tables (`tests/data/snabb-tables/`) and the pasted forms
/// (`regdsl/tests/data/pasted/`). The paths are this crate's source tree at build time, so this serves
/// in-tree runs only.
pub fn repository_seeds() -> std::io::Result<Vec<Vec<u8>>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dirs = [
        root.join("../registers"),
        root.join("../tests/data/snabb-tables"),
        root.join("tests/data/pasted"),
    ];
    Ok(seeds(&dirs)?.into_iter().map(|(_, b)| b).collect())
}

/// The seed tables: every `.txt` file of the given directories, sorted by path.
pub fn seeds(dirs: &[std::path::PathBuf]) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for d in dirs {
        let mut paths: Vec<_> = std::fs::read_dir(d)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        paths.sort();
        for p in paths {
            out.push((p.display().to_string(), std::fs::read(&p)?));
        }
    }
    Ok(out)
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Report {
    pub inputs: u64,
    pub panics: u64,
    pub violations: u64,
    /// The slowest mutated input and its time.
    pub slowest: (std::time::Duration, Vec<u8>),
    /// Where the slowest mutated input spent its time, per stage of [`STAGES`].
    pub slowest_stages: StageTimes,
    /// The longest time any mutated input spent in each stage of [`STAGES`].
    pub stage_max: StageTimes,
    /// The slowest seed table (run unmutated, once) and its time.
    pub slowest_seed: std::time::Duration,
    /// The first panicking or violating input and its message.
    pub first_failure: Option<(String, Vec<u8>)>,
}

/// What [`run`] tells its caller as it goes.
pub enum Event<'a> {
    /// Every 100,000 inputs.
    Progress(&'a Report),
    /// An input that panicked or broke an invariant, with the message.
    Failure(&'a str, &'a [u8]),
    /// A new slowest mutated input, with its time per stage.
    Slowest(std::time::Duration, &'a [u8], &'a StageTimes),
}

/// Runs `n` mutated inputs from `seeds` (and each seed once, first) with the PRNG seed `seed`;
/// `clock` times each input (the driver uses the thread's CPU time, which a loaded machine
/// does not inflate). Panics are caught (the caller should silence the panic hook for speed).
pub fn run(
    seeds: &[Vec<u8>],
    n: u64,
    seed: u64,
    clock: impl Fn() -> std::time::Duration,
    mut event: impl FnMut(Event),
) -> Report {
    let mut m = Mutator::new(seed);
    let mut r = Report::default();
    for s in seeds {
        one(s.clone(), &mut r, true, &clock, &mut event);
    }
    for _ in 0..n {
        let input = m.input(seeds);
        one(input, &mut r, false, &clock, &mut event);
        if r.inputs % 100_000 == 0 {
            event(Event::Progress(&r));
        }
    }
    r
}

fn one(
    input: Vec<u8>,
    r: &mut Report,
    seed: bool,
    clock: &impl Fn() -> std::time::Duration,
    event: &mut impl FnMut(Event),
) {
    let t = clock();
    let mut stages = StageTimes::default();
    let mut last = t;
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        exercise_timed(&input, &mut |i| {
            let now = clock();
            stages[i] = now.saturating_sub(last);
            last = now;
        })
    }));
    let end = clock();
    stages[6] = end.saturating_sub(last);
    let dt = end.saturating_sub(t);
    r.inputs += 1;
    let failure = match res {
        Ok(Ok(())) => None,
        Ok(Err(e)) => {
            r.violations += 1;
            Some(e)
        }
        Err(p) => {
            r.panics += 1;
            Some(
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into()),
            )
        }
    };
    if let Some(e) = failure {
        event(Event::Failure(&e, &input));
        if r.first_failure.is_none() {
            r.first_failure = Some((e, input.clone()));
        }
    }
    if seed {
        r.slowest_seed = r.slowest_seed.max(dt);
        return;
    }
    for (m, s) in r.stage_max.iter_mut().zip(stages) {
        *m = (*m).max(s);
    }
    if dt > r.slowest.0 {
        event(Event::Slowest(dt, &input, &stages));
        r.slowest = (dt, input);
        r.slowest_stages = stages;
    }
}

/// `compile 1.2 ms, render 0.1 ms, ...`: stage times, stages of 0.05 ms or more only (all
/// of them when none is).
pub fn stage_summary(t: &StageTimes) -> String {
    let all: Vec<String> = STAGES
        .iter()
        .zip(t)
        .map(|(n, d)| format!("{n} {:.3} ms", d.as_secs_f64() * 1e3))
        .collect();
    let big: Vec<String> = STAGES
        .iter()
        .zip(t)
        .filter(|(_, d)| d.as_micros() >= 50)
        .map(|(n, d)| format!("{n} {:.3} ms", d.as_secs_f64() * 1e3))
        .collect();
    if big.is_empty() { all } else { big }.join(", ")
}
