//! Random edits of a text, for the tests that compare what is worked out
//! again after an edit (a split, a cut) with what a fresh pass gives.

/// A seeded stream of edits: each inserts one of `snippets` at a random
/// place or deletes up to `most_deleted` bytes (texts are ASCII).
pub(crate) struct RandomEdits<'s> {
    seed: u64,
    snippets: &'s [&'s str],
    most_deleted: usize,
}

impl<'s> RandomEdits<'s> {
    pub(crate) fn new(seed: u64, snippets: &'s [&'s str], most_deleted: usize) -> Self {
        RandomEdits { seed, snippets, most_deleted }
    }

    /// A number below `n` (xorshift).
    fn below(&mut self, n: usize) -> usize {
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        (self.seed % n as u64) as usize
    }

    /// `text` edited once, and where.
    pub(crate) fn edit(&mut self, text: &str) -> (String, usize) {
        let at = self.below(text.len() + 1);
        let new = if self.below(3) == 0 && at < text.len() {
            let end = (at + 1 + self.below(self.most_deleted)).min(text.len());
            format!("{}{}", &text[..at], &text[end..])
        } else {
            let snippet = self.snippets[self.below(self.snippets.len())];
            format!("{}{snippet}{}", &text[..at], &text[at..])
        };
        (new, at)
    }
}
