//! Every command the README shows runs: each `ixgbe` command line of its `sh` blocks is run on
//! the simulated card (`cargo run ... -p ixgbe -- ARGS`, `target/release/ixgbe ARGS` or
//! `ixgbe ARGS`) and must exit 0 without a strict-mode violation (`--seconds N` is cut
//! to 1 s and `--trace` files go to a temporary directory, to keep the test quick); the
//! real-card ones (`--pci`, `sudo`) are run against a fake sysfs tree whose devices are not
//! 82599s, and must parse and be refused for that reason. Every `cargo run -p P --bin/--example
//! X` must name a package that has that program.

use std::path::{Path, PathBuf};
mod common;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The command lines of the README's `sh` blocks, comments cut, and its inline `cargo run`s.
fn sh_lines() -> Vec<String> {
    let text = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let mut out: Vec<String> = text
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| !span.contains('\n') && span.contains("cargo run"))
        .map(String::from)
        .collect();
    let mut in_sh = false;
    for line in text.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        let cmd = line.split(" #").next().unwrap().trim();
        if in_sh && !cmd.is_empty() && !cmd.starts_with('#') {
            out.push(cmd.to_string());
        }
    }
    out
}

/// A `cargo run` line: package, target (kind, name), the program's arguments.
type CargoRun = (String, Option<(String, String)>, Vec<String>);

/// For `cargo run ... -p P [--bin B | --example E] [-- args]`: (P, target, args).
fn cargo_run(line: &str) -> Option<CargoRun> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.windows(2).position(|w| w == ["cargo", "run"])?;
    let (opts, args) = match words[at..].iter().position(|w| *w == "--") {
        Some(i) => (&words[at..at + i], words[at + i + 1..].to_vec()),
        None => (&words[at..], vec![]),
    };
    let after = |flag: &str| {
        opts.windows(2)
            .find(|w| w[0] == flag)
            .map(|w| w[1].to_string())
    };
    let target = after("--bin")
        .map(|b| ("bin".to_string(), b))
        .or_else(|| after("--example").map(|e| ("example".to_string(), e)));
    Some((
        after("-p")?,
        target,
        args.into_iter().map(String::from).collect(),
    ))
}

fn run(args: &[String], extra: &[&str]) -> (Option<i32>, String) {
    let out = common::command(&[])
        .args(args)
        .args(extra)
        .output()
        .expect("run ixgbe");
    (out.status.code(), common::text(&out))
}

/// A command line's words as `sh` splits them: at spaces, except inside single quotes
/// (`--fdir 'udp dst-port 4789 drop'` is two words).
fn words(line: &str) -> Vec<String> {
    let (mut out, mut word, mut quoted, mut any) = (Vec::new(), String::new(), false, false);
    for c in line.chars() {
        match c {
            '\'' => (quoted, any) = (!quoted, true),
            c if c.is_whitespace() && !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => {
                word.push(c);
                any = true;
            }
        }
    }
    assert!(!quoted, "unbalanced quote in {line:?}");
    if any {
        out.push(word);
    }
    out
}

/// Quick versions: `--seconds N` becomes 1, `--trace F` goes to a temporary file.
fn quick(args: Vec<String>, tmp: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => {
                it.next();
                out.extend(["--seconds".to_string(), "1".to_string()]);
            }
            "--trace" => {
                let f = it.next().unwrap();
                out.push(a);
                out.push(tmp.join(f).to_str().unwrap().to_string());
            }
            _ => out.push(a),
        }
    }
    out
}

#[test]
fn every_ixgbe_command_of_the_readme_runs() {
    let tmp = std::env::temp_dir().join(format!("ixgbe-readme-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    // A fake tree where every address the README uses is an Intel device that is not an 82599.
    let tree = pci_dma::FakeTree::new("readme").unwrap();
    let (mut sim_runs, mut pci_runs) = (0, 0);
    for line in sh_lines() {
        let args: Vec<String> = if let Some((pkg, target, args)) = cargo_run(&line) {
            // The package must hold the program the line runs.
            let dir = workspace().join(&pkg);
            assert!(dir.join("Cargo.toml").exists(), "{line}: no package {pkg}");
            match &target {
                Some((kind, name)) if kind == "example" => assert!(
                    dir.join("examples").join(format!("{name}.rs")).exists(),
                    "{line}: {pkg} has no example {name}"
                ),
                Some((_, name)) => {
                    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
                    assert!(
                        manifest.contains(&format!("name = \"{name}\"")),
                        "{line}: {pkg} has no binary {name}"
                    );
                }
                None => assert!(
                    dir.join("src/main.rs").exists(),
                    "{line}: {pkg} has no binary"
                ),
            }
            if pkg != "ixgbe" || target.as_ref().is_some_and(|(k, _)| k == "example") {
                continue;
            }
            args
        } else if let Some(rest) = line.split("target/release/ixgbe ").nth(1) {
            words(rest)
        } else if let Some(rest) = line.strip_prefix("ixgbe ") {
            // The program as installed (`cargo install --path ixgbe`).
            words(rest)
        } else {
            continue;
        };
        let pci: Vec<&String> = args
            .iter()
            .zip(args.iter().skip(1))
            .filter(|(a, _)| *a == "--pci")
            .map(|(_, v)| v)
            .collect();
        if pci.is_empty() {
            let (code, text) = run(&quick(args.clone(), &tmp), &[]);
            assert_eq!(code, Some(0), "README: {line}\n{text}");
            assert!(!text.contains("strict mode"), "README: {line}\n{text}");
            sim_runs += 1;
        } else {
            for a in &pci {
                if !tree.root().join("bus/pci/devices").join(a).exists() {
                    tree.device(a, pci_dma::PciId::new(0x8086, 0x10c9), 0x20000)
                        .unwrap();
                }
            }
            let root = tree.root().to_str().unwrap();
            let (code, text) = run(&quick(args.clone(), &tmp), &["--sysfs-root", root]);
            // Parsed (clap's usage errors exit 2), then refused: not an 82599.
            assert_eq!(code, Some(1), "README: {line}\n{text}");
            assert!(text.contains("8086:10c9"), "README: {line}\n{text}");
            pci_runs += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(sim_runs >= 5 && pci_runs >= 2, "{sim_runs} {pci_runs}");
}
