//! Did-you-mean: the closest known name to a misspelt one.

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(&lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
        .map(|(_, c)| c)
}

/// The candidates that look like `name` (Jaro-Winkler, case-insensitive) with
/// a score of at least `min_score`, best first; ties by name, so a help text
/// never depends on the candidates' order.
pub fn nearest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>, min_score: f64) -> Vec<(f64, &'a str)> {
    let lower = name.to_lowercase();
    let mut near: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= min_score)
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    near
}

/// `did you mean `x`?` help text, or a list of what exists when nothing is close.
pub fn help_for<'a>(name: &str, what: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> String {
    if let Some(best) = closest(name, candidates.clone()) {
        return format!("did you mean `{best}`?");
    }
    let mut all: Vec<&str> = candidates.into_iter().collect();
    all.sort_unstable();
    all.dedup();
    match all.len() {
        0 => format!("no {what} is declared; declare one first"),
        n if n <= 8 => format!("known {}: {}", plural(what), all.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")),
        n => {
            // Too many to list: the five that look most alike, best first.
            let shown: Vec<String> = nearest(name, all.iter().copied(), 0.0).iter().take(5).map(|(_, c)| format!("`{c}`")).collect();
            format!("{n} {} are declared; the nearest are {}", plural(what), shown.join(", "))
        }
    }
}

fn plural(word: &str) -> String {
    match word.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{word}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_a_near_miss_and_nothing_for_a_far_one() {
        let names = ["ae_west", "ae_east", "sdr_pool"];
        assert_eq!(closest("ae_wset", names), Some("ae_west"));
        assert_eq!(closest("AE_EAST", names), Some("ae_east"));
        assert_eq!(closest("marketing", names), None);
    }

    #[test]
    fn help_lists_known_names_when_none_is_close() {
        assert_eq!(help_for("zzz", "queue", ["b", "a"]), "known queues: `a`, `b`");
        assert_eq!(help_for("zzz", "queue", []), "no queue is declared; declare one first");
    }

    #[test]
    fn help_names_the_nearest_five_when_there_are_too_many_to_list() {
        let names = ["apple", "banana", "cherry", "campaign", "camp", "country", "company", "state", "score"];
        let help = help_for("campaign_region_code", "field", names);
        assert!(help.starts_with("9 fields are declared; the nearest are `campaign`, "), "{help}");
        assert_eq!(help.matches('`').count(), 10, "five names: {help}");
    }
}
