//! A tiny `--name value` argument reader for the bench programs (clear errors, no panics).

use std::collections::HashMap;
use std::str::FromStr;

pub struct Args {
    vals: HashMap<String, String>,
    flags: Vec<String>,
}

impl Args {
    /// `--key value` pairs; names in `flags` take no value.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        keys: &[&str],
        flags: &[&str],
    ) -> Result<Self, String> {
        let mut vals = HashMap::new();
        let mut seen = Vec::new();
        let mut it = args.into_iter();
        while let Some(a) = it.next() {
            let name = a
                .strip_prefix("--")
                .ok_or_else(|| format!("unexpected argument `{a}`"))?;
            if flags.contains(&name) {
                seen.push(name.to_string());
            } else if keys.contains(&name) {
                let v = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
                vals.insert(name.to_string(), v);
            } else {
                let mut all: Vec<_> = keys.iter().chain(flags).map(|k| format!("--{k}")).collect();
                all.sort();
                return Err(format!(
                    "unknown option --{name} (known: {})",
                    all.join(" ")
                ));
            }
        }
        Ok(Args { vals, flags: seen })
    }

    pub fn get<T: FromStr>(&self, key: &str, default: T) -> Result<T, String> {
        match self.vals.get(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{key} {v}: not a valid value")),
        }
    }

    /// A comma-separated list.
    pub fn list<T: FromStr + Clone>(&self, key: &str, default: &[T]) -> Result<Vec<T>, String> {
        match self.vals.get(key) {
            None => Ok(default.to_vec()),
            Some(v) => v
                .split(',')
                .map(|s| {
                    s.trim()
                        .parse()
                        .map_err(|_| format!("--{key}: `{s}` is not a valid value"))
                })
                .collect(),
        }
    }

    /// `--rx-path scalar|sse2|avx2` (`None` when not given: the queue's best path).
    pub fn rx_path(&self) -> Result<Option<nic_queue::RxPath>, String> {
        use nic_queue::RxPath;
        match self.vals.get("rx-path").map(String::as_str) {
            None => Ok(None),
            Some("scalar") => Ok(Some(RxPath::Scalar)),
            Some("sse2") => Ok(Some(RxPath::Sse2)),
            Some("avx2") => Ok(Some(RxPath::Avx2)),
            Some(v) => Err(format!("--rx-path {v}: one of scalar, sse2, avx2")),
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_values_flags_and_errors() {
        let x = Args::parse(a(&["--batch", "8", "--quick"]), &["batch"], &["quick"]).unwrap();
        assert_eq!(x.get("batch", 1usize), Ok(8));
        assert!(x.flag("quick"));
        assert_eq!(x.list("b", &[1usize, 2]), Ok(vec![1, 2]));
        assert!(Args::parse(a(&["--batch"]), &["batch"], &[]).is_err());
        assert!(Args::parse(a(&["--nope", "1"]), &["batch"], &[]).is_err());
        assert!(Args::parse(a(&["x"]), &["batch"], &[]).is_err());
        let x = Args::parse(a(&["--batch", "x"]), &["batch"], &[]).unwrap();
        assert!(x.get("batch", 1usize).is_err());
    }
}
