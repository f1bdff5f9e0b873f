//! `regdsl`: check, format, dump and document register tables.
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "regdsl",
    version,
    about = "Register tables: check, fmt, dump, doc, decode"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Report every error and warning; exit 1 if any file has errors.
    Check {
        /// Register tables (text files).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One line per diagnostic (file:line:col: severity: message), no source excerpt.
        #[arg(long)]
        short: bool,
    },
    /// Print the table in canonical layout (aligned columns).
    Fmt {
        /// Register tables (text files): one to print, any number with --check or --write.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Rewrite the files in place.
        #[arg(long, conflicts_with = "check")]
        write: bool,
        /// Exit 1 if a file is not formatted (naming it); print nothing else.
        #[arg(long)]
        check: bool,
    },
    /// Print the resolved model.
    Dump {
        /// As JSON (the only format).
        #[arg(long, required = true)]
        json: bool,
        /// A register table (a text file).
        file: PathBuf,
    },
    /// Print a Markdown register reference.
    Doc {
        /// A register table (a text file).
        file: PathBuf,
    },
    /// Show a register value field by field (named values, set bits no field defines).
    /// `regdsl decode FILE -` reads lines `REGISTER VALUE` or `REGISTER OFFSET VALUE ...` (what
    /// `ixgbe regs` prints) from standard input and shows each.
    Decode {
        /// The register table the register is in (a text file).
        file: PathBuf,
        /// The register: NAME, NAME[INDEX] for an array element, or an address (0x0EE00); `-`:
        /// read lines from standard input.
        register: String,
        /// The value, in the table's number syntax (0x1F, 1Fh, 31, 11111b).
        value: Option<String>,
    },
}

/// The file's text; a file that is not UTF-8 is reported with its byte offset, line and column
/// (exit 1, like any error in a table); a file that cannot be read exits 2.
fn read(path: &Path) -> Result<String, ExitCode> {
    let bytes = std::fs::read(path).map_err(|e| {
        eprintln!("regdsl: {}: {e}", path.display());
        ExitCode::from(2)
    })?;
    match regdsl::decode(&path.display().to_string(), &bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(d) => {
            eprintln!("{d}");
            Err(ExitCode::from(1))
        }
    }
}

fn report(diags: &[regdsl::Diagnostic], src: &str, short: bool) {
    if diags.is_empty() {
        return;
    }
    if short {
        for d in diags {
            eprintln!("{d}");
        }
    } else {
        eprint!(
            "{}",
            regdsl::diag::render(diags, src, std::io::stderr().is_terminal())
        );
    }
}

/// A table without errors (warnings are shown), or the exit code after showing the errors.
fn table(path: &Path) -> Result<regdsl::model::Table, ExitCode> {
    let src = read(path)?;
    let out = regdsl::compile(&path.display().to_string(), &src);
    report(&out.diagnostics, &src, false);
    out.table.ok_or(ExitCode::from(1))
}

/// `register` = `value` of table `t`, field by field.
fn decode_one(t: &regdsl::model::Table, register: &str, value: &str) -> Result<String, String> {
    let (reg, index) = regdsl::explain::find(t, register)?;
    let v = regdsl::number::parse_number(value).map_err(|e| e.message("a value"))?;
    Ok(regdsl::explain::read(reg, index, v)?.to_string())
}

/// Lines `REGISTER VALUE` or `REGISTER OFFSET VALUE ...` from standard input, each decoded; a
/// line that cannot be is reported with its number and the rest go on (exit 1 at the end).
fn decode_lines(t: &regdsl::model::Table) -> Result<(), ExitCode> {
    use std::io::BufRead;
    let mut bad = 0;
    for (n, line) in std::io::stdin().lock().split(b'\n').enumerate() {
        let line = line.map_err(|e| {
            eprintln!("regdsl decode: standard input: {e}");
            ExitCode::from(2)
        })?;
        // A line that is not text is reported as any bad line, and the rest go on.
        let Ok(line) = String::from_utf8(line) else {
            eprintln!("regdsl decode: line {}: not UTF-8 text", n + 1);
            bad += 1;
            continue;
        };
        let words: Vec<&str> = line.split_whitespace().collect();
        let out = match words.as_slice() {
            [] => continue,
            [reg, a, b, ..] if regdsl::number::is_number(b) => {
                decode_one(t, reg, b).or_else(|e| decode_one(t, reg, a).map_err(|_| e))
            }
            [reg, v, ..] => decode_one(t, reg, v),
            [_] => Err("expected `REGISTER VALUE`".to_string()),
        };
        match out {
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("regdsl decode: line {}: {e}", n + 1);
                bad += 1;
            }
        }
    }
    if bad > 0 {
        return Err(ExitCode::from(1));
    }
    Ok(())
}

/// `regdsl fmt` on one file: print it formatted, check it, or rewrite it.
fn fmt_one(file: &Path, write: bool, check: bool) -> Result<(), ExitCode> {
    let src = read(file)?;
    let formatted = regdsl::fmt::format(&file.display().to_string(), &src).map_err(|d| {
        report(&d, &src, false);
        ExitCode::from(1)
    })?;
    if check {
        if formatted != src {
            eprintln!(
                "{}: not formatted (run `regdsl fmt --write`)",
                file.display()
            );
            return Err(ExitCode::from(1));
        }
    } else if write {
        if formatted != src {
            std::fs::write(file, formatted).map_err(|e| {
                eprintln!("regdsl: {}: {e}", file.display());
                ExitCode::from(2)
            })?;
        }
    } else {
        print!("{formatted}");
    }
    Ok(())
}

fn run(cli: Cli) -> Result<(), ExitCode> {
    match cli.cmd {
        Cmd::Check { files, short } => {
            let (mut errors, mut warnings, mut failed) = (0, 0, false);
            let mut unreadable = 0;
            for f in &files {
                let src = match read(f) {
                    Ok(src) => src,
                    Err(code) => {
                        if code == ExitCode::from(1) {
                            errors += 1;
                            failed = true;
                        } else {
                            unreadable += 1;
                        }
                        continue;
                    }
                };
                let out = regdsl::compile(&f.display().to_string(), &src);
                report(&out.diagnostics, &src, short);
                let e = out.errors().count();
                errors += e;
                warnings += out.warnings().count();
                failed |= e > 0;
                if e == 0 {
                    let t = out.table.as_ref().map_or(0, |t| t.registers.len());
                    eprintln!("{}: ok, {t} registers", f.display());
                }
            }
            if unreadable > 0 {
                // Not "0 error(s)" alone: the files not read were not checked.
                eprintln!(
                    "{errors} error(s), {warnings} warning(s); {unreadable} file(s) not read"
                );
                return Err(ExitCode::from(2));
            }
            eprintln!("{errors} error(s), {warnings} warning(s)");
            if failed {
                return Err(ExitCode::from(1));
            }
        }
        Cmd::Fmt {
            files,
            write,
            check,
        } => {
            if files.len() > 1 && !write && !check {
                eprintln!(
                    "regdsl fmt: {} files: give one to print, or --check or --write for several",
                    files.len()
                );
                return Err(ExitCode::from(2));
            }
            // Each file on its own; the worst outcome is the exit code (2: a file not read or
            // not written, 1: errors or not formatted).
            let mut worst: Option<ExitCode> = None;
            for file in &files {
                if let Err(code) = fmt_one(file, write, check) {
                    if worst.is_none() || code == ExitCode::from(2) {
                        worst = Some(code);
                    }
                }
            }
            if let Some(code) = worst {
                return Err(code);
            }
        }
        Cmd::Dump { json: _, file } => {
            let t = table(&file)?;
            println!("{:#}", regdsl::dump::to_json(&t));
        }
        Cmd::Doc { file } => {
            let t = table(&file)?;
            print!("{}", regdsl::doc::to_markdown(&t));
        }
        Cmd::Decode {
            file,
            register,
            value,
        } => {
            let t = table(&file)?;
            // Bad arguments exit 2, as clap's own errors do.
            let usage = |e: String| {
                eprintln!("regdsl decode: {e}");
                ExitCode::from(2)
            };
            match (register.as_str(), value) {
                ("-", None) => decode_lines(&t)?,
                ("-", Some(_)) => {
                    return Err(usage(
                        "`-` reads `REGISTER VALUE` lines from standard input: give no VALUE"
                            .into(),
                    ))
                }
                (_, Some(value)) => print!("{}", decode_one(&t, &register, &value).map_err(usage)?),
                (_, None) => return Err(usage("give a VALUE, or `-` to read lines".into())),
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
