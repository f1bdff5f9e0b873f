//! The crate graph's "never"s (ARCHITECTURE.md, "Crates and what they may depend on"), checked
//! on `cargo metadata`'s resolved graph: a dependency, direct or through another crate, that
//! breaks one fails this test with the path that brings it in. Only what a crate's library or
//! programs link counts (normal and build dependencies); dev-dependencies (tests, examples,
//! doc tests) may use anything.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::process::Command;

/// The device crates: drivers, platforms, the simulated card, the programs on them.
const DEVICE: &[&str] = &[
    "dma",
    "pci-dma",
    "nic-queue",
    "sim-82599",
    "sim-client",
    "driver-82599",
    "driver-82576",
    "ixgbe",
    "bench",
    "igb-vmtest",
    "guest-probe",
    "testkit",
];

/// (crate, what it must never depend on, why).
fn rules() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    let mut r = vec![
        (
            "nic-queue",
            vec![
                "driver-82599",
                "driver-82576",
                "pci-dma",
                "sim-82599",
                "testkit",
            ],
            "the shared ring engine knows no driver and no platform",
        ),
        (
            "dma",
            vec!["libc", "memmap2", "pci-dma", "regdsl-rt"],
            "the DMA contract reaches no operating system",
        ),
        (
            "pci-dma",
            vec!["driver-82599", "driver-82576", "sim-82599", "nic-queue"],
            "the platform serves every driver and knows none",
        ),
        (
            "testkit",
            vec!["driver-82599", "driver-82576"],
            "every crate's tests use the kit, so it uses no driver",
        ),
        (
            "sim-82599",
            vec!["driver-82599", "driver-82576", "pci-dma", "nic-queue"],
            "the simulated card is the hardware side: independent of the drivers",
        ),
        (
            "sim-client",
            vec![
                "sim-82599",
                "driver-82599",
                "driver-82576",
                "pci-dma",
                "nic-queue",
                "testkit",
            ],
            "the card socket's client is a Bus and DMA memory: no simulator, no driver",
        ),
        (
            "driver-82599",
            vec!["sim-82599", "sim-client", "ixgbe", "testkit"],
            "the driver library is the driver only (the simulator is a dev-dependency)",
        ),
        (
            "driver-82576",
            vec!["sim-82599", "igb-vmtest", "testkit"],
            "the driver library is the driver only",
        ),
    ];
    for lang in ["regdsl", "regdsl-macros", "regdsl-rt"] {
        r.push((lang, DEVICE.to_vec(), "the language knows no device crate"));
    }
    r
}

/// (crate, what it must not name among its own normal dependencies). Checked on direct edges
/// only: `cargo metadata` resolves features for the whole workspace at once, so regdsl's
/// command-line dependencies (its default `cli` feature, which `regdsl-macros` turns off) show
/// up under every crate that uses the macro, though a user's build of the driver has none.
const DIRECT: &[(&str, &[&str])] = &[("driver-82599", &["clap"]), ("driver-82576", &["clap"])];

/// Package name -> the names it depends on through normal or build dependencies.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn metadata() -> Value {
    let host = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    let host = String::from_utf8_lossy(&host.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .expect("rustc -vV names the host");
    let run = |offline: bool| {
        let mut c = Command::new(env!("CARGO"));
        c.args([
            "metadata",
            "--format-version",
            "1",
            "--filter-platform",
            &host,
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        if offline {
            c.arg("--offline");
        }
        c.output().expect("run cargo metadata")
    };
    // Offline first (every package of the host is in the cache once the workspace built).
    let mut out = run(true);
    if !out.status.success() {
        out = run(false);
    }
    assert!(
        out.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON")
}

/// The resolved graph's normal and build edges, by package name.
fn graph(meta: &Value) -> Graph {
    let names: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let mut g = Graph::new();
    for node in meta["resolve"]["nodes"].as_array().expect("resolve.nodes") {
        let from = names[node["id"].as_str().unwrap()].to_owned();
        let deps = g.entry(from).or_default();
        for d in node["deps"].as_array().unwrap() {
            let linked = d["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if linked {
                deps.insert(names[d["pkg"].as_str().unwrap()].to_owned());
            }
        }
    }
    g
}

/// The path from `from` to `to` through `g`, if there is one.
fn path(g: &Graph, from: &str, to: &str) -> Option<Vec<String>> {
    let mut prev: BTreeMap<&str, &str> = BTreeMap::new();
    let mut todo = VecDeque::from([from]);
    while let Some(n) = todo.pop_front() {
        for d in g.get(n).into_iter().flatten() {
            if d.as_str() == from || prev.contains_key(d.as_str()) {
                continue;
            }
            prev.insert(d, n);
            if d == to {
                let mut p = vec![to.to_owned()];
                let mut at = to;
                while at != from {
                    at = prev[at];
                    p.push(at.to_owned());
                }
                p.reverse();
                return Some(p);
            }
            todo.push_back(d);
        }
    }
    None
}

/// Every broken rule, one line each.
fn violations(g: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    for (krate, never, why) in rules() {
        assert!(
            g.contains_key(krate),
            "{krate} is not in the workspace graph"
        );
        for bad in never {
            if let Some(p) = path(g, krate, bad) {
                out.push(format!(
                    "{krate} depends on {bad} ({}): {why}",
                    p.join(" -> ")
                ));
            }
        }
    }
    for (krate, never) in DIRECT {
        for bad in *never {
            if g[*krate].contains(*bad) {
                out.push(format!(
                    "{krate} depends on {bad} directly: a program's dependency"
                ));
            }
        }
    }
    out
}

#[test]
fn no_crate_depends_on_what_it_must_never() {
    let v = violations(&graph(&metadata()));
    assert!(v.is_empty(), "dependency rules broken:\n{}", v.join("\n"));
}

#[test]
fn the_check_sees_direct_and_indirect_violations() {
    // The workspace's own graph, then a driver dependency slipped into nic-queue through a
    // crate in between, and libc into the DMA contract directly.
    let mut g = graph(&metadata());
    g.entry("nic-queue".into())
        .or_default()
        .insert("middle".into());
    g.entry("middle".into())
        .or_default()
        .insert("driver-82576".into());
    g.entry("dma".into()).or_default().insert("libc".into());
    g.entry("driver-82599".into())
        .or_default()
        .insert("clap".into());
    g.entry("regdsl-rt".into())
        .or_default()
        .insert("sim-82599".into());
    let v = violations(&g);
    let has = |s: &str| v.iter().any(|l| l.contains(s));
    assert!(
        has("nic-queue depends on driver-82576 (nic-queue -> middle -> driver-82576)"),
        "{v:#?}"
    );
    assert!(has("dma depends on libc (dma -> libc)"), "{v:#?}");
    assert!(has("driver-82599 depends on clap directly"), "{v:#?}");
    // regdsl-rt -> sim-82599 also brings in the DMA contract: both named.
    assert!(has("regdsl-rt depends on sim-82599"), "{v:#?}");
    assert!(
        has("regdsl-rt depends on dma (regdsl-rt -> sim-82599 -> dma)"),
        "{v:#?}"
    );
}
