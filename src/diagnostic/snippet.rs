//! `Snippet`: the text a diagnostic's source snippet is drawn from. Usually the file's own text
//! (shared, not copied); but when a line the snippet shows is longer than [`MAX_LINE`]
//! characters — a 200 KB minified line — it is a copy of the file in which such a line is cut to
//! [`BEFORE`] characters before the label's column and [`AFTER`] after it, marked with `…`, and
//! the lines no snippet shows are left empty (so that line numbers stay right and the copy stays
//! small). Label positions are moved to the copy with [`Snippet::place`]; the header still
//! names the original column.

use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Lines up to this many characters are shown whole.
pub const MAX_LINE: usize = 200;
/// Characters kept before the label's column on a longer line.
pub const BEFORE: usize = 60;
/// Characters kept from the label's column on a longer line.
pub const AFTER: usize = 60;

/// How a run of the original text appears in the shown text.
#[derive(Debug, Clone, Copy)]
struct Segment {
    /// The line's first byte in the original text.
    start: usize,
    /// Its end (before its `\n`).
    end: usize,
    /// Where the line starts in the shown text.
    shown: usize,
    /// What of the line is shown.
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// The line is left empty (no snippet shows it).
    Blank,
    /// The original bytes `from..to` of the line, after `prefix` bytes (an ellipsis or none).
    Window {
        from: usize,
        to: usize,
        prefix: usize,
    },
}

/// The source of one diagnostic's snippet.
#[derive(Debug, Clone)]
pub struct Snippet {
    name: String,
    text: Arc<str>,
    /// Empty when `text` is the file's own; else one segment per original line, in order.
    segments: Vec<Segment>,
    /// The primary label's place in the shown text and its original 0-based column.
    primary: Option<(usize, usize)>,
}

impl Snippet {
    /// The snippet source for labels at `spans` (byte offset and length; the first is the
    /// primary one, at 1-based `column`) of the file `name` with `text`.
    pub fn new(name: String, text: Arc<str>, spans: &[(usize, usize)], column: usize) -> Self {
        let mut snippet = Snippet {
            name,
            text: Arc::clone(&text),
            segments: Vec::new(),
            primary: None,
        };
        let kept = kept_lines(&text, spans);
        if kept
            .iter()
            .any(|&(s, e)| longest_line(&text, s, e) > MAX_LINE)
        {
            snippet.crop(&text, spans, &kept);
            snippet.primary = spans
                .first()
                .map(|&(o, _)| (snippet.place(o), column.saturating_sub(1)));
        }
        snippet
    }

    /// Where original byte `offset` is in the shown text.
    pub fn place(&self, offset: usize) -> usize {
        if self.segments.is_empty() {
            return offset;
        }
        let i = self
            .segments
            .partition_point(|s| s.start <= offset)
            .saturating_sub(1);
        let s = self.segments[i];
        if offset > s.end {
            // The line's `\n` (or past the end): just after what is shown of the line.
            return self
                .segments
                .get(i + 1)
                .map_or(self.text.len(), |n| n.shown - 1);
        }
        match s.kind {
            Kind::Blank => s.shown,
            Kind::Window { from, to, prefix } => s.shown + prefix + offset.clamp(from, to) - from,
        }
    }

    /// A label's span in the shown text.
    pub fn span(&self, offset: usize, len: usize) -> SourceSpan {
        let start = self.place(offset);
        let end = self.place(offset + len).max(start);
        SourceSpan::new(start.into(), end - start)
    }

    fn crop(&mut self, text: &str, spans: &[(usize, usize)], kept: &[(usize, usize)]) {
        let mut shown = String::new();
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let end = start + body.len();
            let seg_shown = shown.len();
            let kind = if kept.iter().any(|&(s, e)| start <= e && end >= s) {
                let anchor = spans
                    .iter()
                    .map(|&(o, _)| o)
                    .find(|&o| (start..=end).contains(&o))
                    .unwrap_or(start);
                let (from, to) = window(text, start, end, anchor);
                let prefix = if from > start { "…" } else { "" };
                shown.push_str(prefix);
                shown.push_str(&text[from..to]);
                if to < end {
                    shown.push('…');
                }
                Kind::Window {
                    from,
                    to,
                    prefix: prefix.len(),
                }
            } else {
                Kind::Blank
            };
            if line.ends_with('\n') {
                shown.push('\n');
            }
            self.segments.push(Segment {
                start,
                end,
                shown: seg_shown,
                kind,
            });
            start += line.len();
        }
        self.text = shown.into();
    }
}

/// The byte ranges of the lines a snippet may show for `spans`: each label's lines and one line
/// either side (miette's context).
fn kept_lines(text: &str, spans: &[(usize, usize)]) -> Vec<(usize, usize)> {
    spans
        .iter()
        .map(|&(offset, len)| {
            let offset = offset.min(text.len());
            let end = (offset + len).min(text.len());
            let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let before = text[..line_start.saturating_sub(1)]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
            let after = text
                .get(line_end + 1..)
                .and_then(|rest| rest.find('\n'))
                .map_or(text.len(), |i| line_end + 1 + i);
            (before, after)
        })
        .collect()
}

/// The length in characters of the longest line within `start..end`.
fn longest_line(text: &str, start: usize, end: usize) -> usize {
    text.get(start..end)
        .unwrap_or_default()
        .split('\n')
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0)
}

/// The part of the line `start..end` to show: all of it when it is short, else [`BEFORE`]
/// characters before `anchor` to [`AFTER`] after it (on character boundaries).
fn window(text: &str, start: usize, end: usize, anchor: usize) -> (usize, usize) {
    let line = &text[start..end];
    if line.chars().count() <= MAX_LINE {
        return (start, end);
    }
    let anchor = anchor.clamp(start, end);
    let from = text[start..anchor]
        .char_indices()
        .rev()
        .nth(BEFORE - 1)
        .map_or(start, |(i, _)| start + i);
    let to = text[anchor..end]
        .char_indices()
        .nth(AFTER)
        .map_or(end, |(i, _)| anchor + i);
    (from, to)
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_ref()
                .read_span(span, context_lines_before, context_lines_after)?;
        // The header names the primary label's original column, not the cut line's.
        let column = match self.primary {
            Some((place, column)) if span.offset() == place && context_lines_before == 0 => column,
            _ => inner.column(),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            column,
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_file_is_shown_as_it_is() {
        let text: Arc<str> = "a: 1\nb: 2\n".into();
        let s = Snippet::new("f".into(), Arc::clone(&text), &[(8, 1)], 4);
        assert!(Arc::ptr_eq(&s.text, &text));
        assert_eq!(s.place(8), 8);
    }

    #[test]
    fn a_long_line_is_cut_around_the_label_and_far_lines_are_left_empty() {
        let long = format!("k: {}X{}", "a".repeat(100_000), "b".repeat(100_000));
        let text: Arc<str> = format!("one\ntwo\nthree\n{long}\nfive\nsix\n").into();
        let x = text.find('X').unwrap();
        let s = Snippet::new("f".into(), Arc::clone(&text), &[(x, 1)], 100_004);
        let shown: Vec<&str> = s.text.lines().collect();
        assert_eq!(shown[0], "", "two lines above the label: not shown");
        assert_eq!(shown[1], "");
        assert_eq!(shown[2], "three");
        assert_eq!(
            shown[3],
            format!("…{}X{}…", "a".repeat(BEFORE), "b".repeat(AFTER - 1))
        );
        assert_eq!(shown[4], "five");
        assert_eq!(shown[5], "");
        assert_eq!(&s.text[s.place(x)..s.place(x) + 1], "X");
        let contents = s.read_span(&s.span(x, 1), 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (3, 100_003));
    }
}
