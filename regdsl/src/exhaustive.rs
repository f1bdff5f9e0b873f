//! Test support: every string over a small alphabet, for tests that compare a fast path with the
//! code it bypasses on all short inputs.

/// Calls `f` on every string of `min_len..=max_len` characters from `alphabet` (ASCII), shortest
/// first; returns how many strings it made.
pub(crate) fn each_string(
    alphabet: &[u8],
    min_len: u32,
    max_len: u32,
    mut f: impl FnMut(&str),
) -> usize {
    let n = alphabet.len() as u32;
    let mut buf = Vec::new();
    let mut count = 0;
    for len in min_len..=max_len {
        for mut k in 0..n.pow(len) {
            buf.clear();
            for _ in 0..len {
                buf.push(alphabet[(k % n) as usize]);
                k /= n;
            }
            f(std::str::from_utf8(&buf).expect("an ASCII alphabet"));
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_string_once() {
        let mut seen = std::collections::HashSet::new();
        let n = super::each_string(b"ab", 0, 3, |s| assert!(seen.insert(s.to_string()), "{s}"));
        assert_eq!(n, 1 + 2 + 4 + 8);
        assert!(seen.contains("") && seen.contains("bab"));
    }
}
