//! The nearest of a few known names to a misspelt one, for the hints of load errors (`did you
//! mean ...?`): a field, a requirement id, a secret reference or a key id.

/// The choice nearest to `word`, if it is near enough to be a likely typo.
pub(crate) fn closest<'a>(word: &str, choices: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let best = choices
        .iter()
        .map(|choice| (edit_distance(&lower, &choice.to_lowercase()), *choice))
        .min_by_key(|(distance, _)| *distance)?;
    let limit = (word.chars().count() / 3).max(2);
    // A prefix of a choice (`key:k` for `key:k-web`) is a likely typo too.
    let prefix = choices
        .iter()
        .find(|c| c.len() > 2 && (c.starts_with(&lower) || lower.starts_with(*c)));
    if best.0 <= limit {
        Some(best.1)
    } else {
        prefix.copied()
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names() {
        assert_eq!(
            closest("expected", &["id", "expect", "steps"]),
            Some("expect")
        );
        assert_eq!(closest("k-wbe", &["k-web", "k-ios"]), Some("k-web"));
        assert_eq!(
            closest("JWT-ALGO", &["JWT-ALG", "IDV-HASH"]),
            Some("JWT-ALG")
        );
        assert_eq!(closest("zzzzzz", &["id", "expect"]), None);
    }
}
