//! The formatter's output: lines with an indent, an optional trailing
//! comment and the block they belong to; trailing comments are aligned at the end.

/// Longest line the layout aims for (enums, sets, lists, records).
pub(crate) const MAX_WIDTH: usize = 100;
/// Arrows, `sla` and trailing comments are aligned only up to this column,
/// so that one long line does not push the others far right.
pub(crate) const ALIGN_MAX: usize = 60;

/// One output line.
#[derive(Debug, Clone)]
pub(crate) enum Line {
    /// An empty line.
    Blank,
    /// Code, perhaps with a trailing comment.
    Code {
        /// Spaces before the text.
        indent: usize,
        /// The text (continuation lines carry their own alignment spaces).
        text: String,
        /// A trailing `// ...` comment.
        comment: Option<String>,
        /// The block the line belongs to: trailing comments align within one block.
        block: u32,
    },
    /// A comment on a line of its own.
    Comment { indent: usize, text: String },
}

/// Width of a text in characters.
pub(crate) fn width(s: &str) -> usize {
    s.chars().count()
}

/// Collects lines, never two blank lines in a row and none at the start.
#[derive(Debug, Default)]
pub(crate) struct Out {
    pub lines: Vec<Line>,
}

impl Out {
    pub fn blank(&mut self) {
        if !matches!(self.lines.last(), None | Some(Line::Blank)) {
            self.lines.push(Line::Blank);
        }
    }

    pub fn code(&mut self, indent: usize, text: String, block: u32) {
        self.lines.push(Line::Code { indent, text, comment: None, block });
    }

    pub fn comment(&mut self, indent: usize, text: &str) {
        self.lines.push(Line::Comment { indent, text: text.to_string() });
    }

    /// Puts `comments` after the last line: the first as its trailing
    /// comment, the others on lines of their own below it.
    pub fn trail(&mut self, indent: usize, comments: &[&str]) {
        let Some((first, rest)) = comments.split_first() else { return };
        match self.lines.last_mut() {
            Some(Line::Code { comment: c @ None, .. }) => *c = Some(first.to_string()),
            _ => self.comment(indent, first),
        }
        for c in rest {
            self.comment(indent, c);
        }
    }

    /// The text, trailing comments aligned, ending in exactly one newline
    /// (empty when there is nothing).
    pub fn render(mut self) -> String {
        while matches!(self.lines.last(), Some(Line::Blank)) {
            self.lines.pop();
        }
        let columns = comment_columns(&self.lines);
        let mut s = String::new();
        for (line, column) in self.lines.iter().zip(columns) {
            match line {
                Line::Blank => {}
                Line::Comment { indent, text } => {
                    push_indent(&mut s, *indent);
                    s.push_str(text);
                }
                Line::Code { indent, text, comment, .. } => {
                    push_indent(&mut s, *indent);
                    s.push_str(text);
                    if let Some(c) = comment {
                        let w = indent + width(text);
                        if w < column {
                            push_indent(&mut s, column - w);
                        }
                        s.push(' ');
                        s.push_str(c);
                    }
                }
            }
            s.push('\n');
        }
        s
    }
}

fn push_indent(s: &mut String, n: usize) {
    s.extend(std::iter::repeat_n(' ', n));
}

/// For each line, the column its trailing comment is padded to: the widest
/// commented line (up to [`ALIGN_MAX`]) of its run, a run being consecutive
/// code lines of one block with no blank or comment line between.
fn comment_columns(lines: &[Line]) -> Vec<usize> {
    let mut columns = vec![0; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let Line::Code { block, .. } = &lines[i] else {
            i += 1;
            continue;
        };
        let mut j = i;
        let mut column = 0;
        while let Some(Line::Code { indent, text, comment, block: b }) = lines.get(j) {
            if b != block {
                break;
            }
            let w = indent + width(text);
            if comment.is_some() && w <= ALIGN_MAX {
                column = column.max(w);
            }
            j += 1;
        }
        for c in &mut columns[i..j] {
            *c = column;
        }
        i = j;
    }
    columns
}

/// Lays out `prefix item, item, ... suffix`, wrapping before an item that
/// would pass [`MAX_WIDTH`]; continuation lines line up under the first item.
/// `may_start_line` says whether an item may begin a continuation line.
pub(crate) fn fill(indent: usize, prefix: &str, items: &[String], suffix: &str, may_start_line: &dyn Fn(&str) -> bool) -> Vec<String> {
    let continuation = " ".repeat(width(prefix));
    let mut lines = Vec::new();
    let mut current = prefix.to_string();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 == items.len() { format!("{item}{suffix}") } else { format!("{item},") };
        if i == 0 {
            current.push_str(&piece);
        } else if indent + width(&current) + 1 + width(&piece) > MAX_WIDTH && may_start_line(item) {
            lines.push(std::mem::replace(&mut current, format!("{continuation}{piece}")));
        } else {
            current.push(' ');
            current.push_str(&piece);
        }
    }
    if items.is_empty() {
        current.push_str(suffix);
    }
    lines.push(current);
    lines
}
