//! "Did you mean …?": the closest known name to a misspelt one, by edit distance, for hints on
//! unknown fields, scopes, clients and tags.

/// The known name closest to `input`, if it is close enough to be a plausible typo: the same
/// word with different case or separators (`auth_keys` for `authKeys`), or within an edit
/// distance of about a third of its length (at least 1, at most 3).
pub fn did_you_mean<'a, I>(input: &str, known: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let folded = fold(input);
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in known {
        if candidate == input {
            continue;
        }
        let distance = if fold(candidate) == folded {
            0
        } else {
            edit_distance(input, candidate)
        };
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let limit = (input.chars().count() / 3).clamp(1, 3);
    best.filter(|&(d, _)| d <= limit).map(|(_, c)| c)
}

/// Lower-case with `_`, `-` and spaces removed: `auth_keys`, `authKeys` and `Auth-Keys` fold alike.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The edit distance between two strings, in characters: insertions, deletions, substitutions
/// and swaps of two neighbours (`dsn` → `dns` is 1) each cost 1 (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between a[..i] and b[..j]; three rolling rows.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("dsn", "dns"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
    }

    #[test]
    fn suggestions() {
        let fields = ["authKeys", "oauthClients", "policy", "displayName"];
        assert_eq!(did_you_mean("auth_keys", fields), Some("authKeys"));
        assert_eq!(did_you_mean("authkey", fields), Some("authKeys"));
        assert_eq!(did_you_mean("polcy", fields), Some("policy"));
        assert_eq!(did_you_mean("zzz", fields), None);
        let scopes = ["auth_keys", "devices:core", "dns"];
        assert_eq!(did_you_mean("auth_key", scopes), Some("auth_keys"));
        assert_eq!(did_you_mean("authkeys", scopes), Some("auth_keys"));
        assert_eq!(did_you_mean("dsn", scopes), Some("dns"));
    }
}
