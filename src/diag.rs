//! Diagnostics: problems found in a user's files, each pointing at a file, line and column with
//! the offending line and a hint. Loading collects all of them before reporting, so one run shows
//! every mistake.
//!
//! Also [`printable`], which every printed name, value and quoted line goes through: text read
//! from a file or from Railway never reaches a terminal with a control character or a
//! bidirectional override in it.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex};

use annotate_snippets::{Level, Renderer, Snippet};

/// One source file as read, kept so diagnostics can quote it.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user would type it (relative where possible).
    pub path: String,
    pub text: String,
    /// Byte ranges of sensitive values, masked whenever the file is quoted.
    redacted: Mutex<Vec<Range<usize>>>,
    /// True for the text a service template rendered (not a file the user wrote).
    template: bool,
}

impl SourceFile {
    pub fn new(path: &Path, text: String) -> Arc<Self> {
        Arc::new(SourceFile {
            path: path.display().to_string(),
            text,
            redacted: Mutex::new(Vec::new()),
            template: false,
        })
    }

    /// The text a service template rendered, named `path` in messages.
    pub fn rendered_template(path: &Path, text: String) -> Arc<Self> {
        Arc::new(SourceFile {
            path: path.display().to_string(),
            text,
            redacted: Mutex::new(Vec::new()),
            template: true,
        })
    }

    /// True when this is what a service template rendered, not a file the user wrote.
    pub fn is_template(&self) -> bool {
        self.template
    }

    /// Marks `range` as a sensitive value: snippets of this file show it as `*`s.
    pub fn redact(&self, range: Range<usize>) {
        if let Ok(mut redacted) = self.redacted.lock() {
            redacted.push(range);
        }
    }

    /// `range` of the text as diagnostics may quote it: sensitive values replaced byte for byte
    /// by `*`, so every offset inside it stays valid.
    pub fn quotable(&self, range: Range<usize>) -> String {
        let start = clamp_to_char_boundary(&self.text, range.start);
        let end = clamp_to_char_boundary(&self.text, range.end.max(start));
        let mut bytes = self.text.as_bytes()[start..end].to_vec();
        let redacted = self.redacted.lock().map(|r| r.clone()).unwrap_or_default();
        for masked in redacted.iter().filter(|masked| masked.start < end && masked.end > start) {
            let from = masked.start.max(start) - start;
            let to = masked.end.min(end) - start;
            for byte in &mut bytes[from..to] {
                if *byte != b'\n' && *byte != b'\r' {
                    *byte = b'*';
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(&self.text, offset);
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = before[line_start..].chars().count() + 1;
        (line, col)
    }
}

/// A place in a source file.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Range<usize>,
}

impl Location {
    pub fn new(file: &Arc<SourceFile>, span: Range<usize>) -> Self {
        Location { file: Arc::clone(file), span }
    }

    /// 1-based line and column where the location starts.
    pub fn line_col(&self) -> (usize, usize) {
        self.file.line_col(self.span.start)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, col) = self.line_col();
        write!(f, "{}:{line}:{col}", printable(&self.file.path))
    }
}

/// One problem, with where it is and what to do about it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    pub location: Option<Location>,
    /// A short label under the caret.
    pub label: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// Other places that take part (the other side of a conflict), each with its label.
    pub notes: Vec<(Location, String)>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { message: message.into(), location: None, label: String::new(), hint: None, notes: Vec::new() }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn at_opt(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Another place the problem involves, quoted under the first.
    pub fn note_at(mut self, location: Location, label: impl Into<String>) -> Self {
        self.notes.push((location, label.into()));
        self
    }

    /// `file:line:col: message`, the one-line form (also used by tests).
    pub fn short(&self) -> String {
        let message = printable_lines(&self.message);
        match &self.location {
            Some(location) => format!("{location}: {message}"),
            None => message.into_owned(),
        }
    }

    /// The full form: message, `--> file:line:col`, the offending line with a caret, the hint.
    /// Only the lines pointed at are quoted, sensitive values masked and control characters
    /// escaped.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let message_text = printable_lines(&self.message);
        let places: Vec<(&Location, &str, Level)> = self
            .location
            .iter()
            .map(|location| (location, self.label.as_str(), Level::Error))
            .chain(self.notes.iter().map(|(location, label)| (location, label.as_str(), Level::Note)))
            .collect();
        let quoted: Vec<Quote> = places.iter().map(|(location, label, _)| Quote::new(location, label)).collect();
        let mut message = Level::Error.title(&message_text);
        for (quote, (_, _, level)) in quoted.iter().zip(&places) {
            message = message.snippet(
                Snippet::source(&quote.line)
                    .origin(&quote.origin)
                    .line_start(quote.line_number)
                    .annotation(level.span(quote.span.clone()).label(&quote.label)),
            );
        }
        let hint = self.hint.as_deref().map(printable_lines);
        if let Some(hint) = &hint {
            message = message.footer(Level::Help.title(hint));
        }
        let rendered = renderer.render(message).to_string();
        rendered
    }
}

/// Longest underline, and longest text quoted after it, in bytes.
const MAX_UNDERLINE: usize = 160;

/// One quoted line of a diagnostic, ready for the snippet renderer.
struct Quote {
    origin: String,
    line: String,
    line_number: usize,
    /// The span inside `line`.
    span: Range<usize>,
    label: String,
}

impl Quote {
    /// The first line of `location`'s span, masked and escaped, with the span moved along.
    fn new(location: &Location, label: &str) -> Quote {
        let text = &location.file.text;
        let mut start = clamp_to_char_boundary(text, location.span.start);
        let mut end = clamp_to_char_boundary(text, location.span.end.max(start));
        if start == text.len() && text.ends_with('\n') {
            // The end of a file that ends with a newline: quote its last line instead.
            start = text.len() - 1;
            end = start;
        }
        let line_start = text[..start].rfind('\n').map_or(0, |newline| newline + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |newline| start + newline);
        // A span of megabytes (a huge key or value) is underlined for a screen's width at most.
        let end = clamp_to_char_boundary(text, end.min(start + MAX_UNDERLINE));
        let line_end = clamp_to_char_boundary(text, line_end.min(end + MAX_UNDERLINE));
        let line = location.file.quotable(line_start..line_end);
        let (line, span) = escape_keeping_span(&line, start - line_start..end.min(line_end) - line_start);
        Quote {
            origin: printable(&location.file.path).into_owned(),
            line,
            line_number: location.file.line_col(start).0,
            span,
            label: printable(label).into_owned(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

/// Errors found while reading files: the whole list, so every mistake is reported in one run.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Drops every diagnostic that repeats an earlier one (same place, same message): a mistake
    /// in a base file is found once per environment that extends it, and reported once.
    pub fn dedup(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.0.retain(|diagnostic| {
            let place = diagnostic.location.as_ref().map(|at| (at.file.path.clone(), at.span.start, at.span.end));
            seen.insert((place, diagnostic.message.clone()))
        });
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for diagnostic in &self.0 {
            writeln!(f, "{diagnostic}")?;
        }
        write!(f, "{}", summary(self.0.len(), false))
    }
}

impl std::error::Error for Diagnostics {}

/// The closing line under a list of diagnostics.
pub fn summary(errors: usize, color: bool) -> String {
    let noun = if errors == 1 { "error" } else { "errors" };
    let line = format!("{errors} {noun} found; nothing was sent to Railway");
    if color {
        format!("\x1b[1;31m{line}\x1b[0m")
    } else {
        line
    }
}

/// The closest of `candidates` to `name`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(&name.to_lowercase(), &candidate.to_lowercase()), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// `text` with every control character (newlines and tabs included) and every invisible
/// formatting character (bidirectional overrides, zero-width characters) written as an escape
/// such as `\u{1b}`: what is printed can never move the cursor, set the terminal's title or
/// reorder the text around it. Borrowed when there is nothing to escape.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

/// Like [`printable`], but keeping line breaks (for multi-line messages).
fn printable_lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n')
}

/// True for a character that must never reach a terminal as is: a control character, or an
/// invisible character that changes how the text around it is shown.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unprintable(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if is_unprintable(c) && !keep(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// One line of source escaped for a snippet (tabs kept: the renderer expands them), with `span`
/// moved to where its text now stands.
fn escape_keeping_span(line: &str, span: Range<usize>) -> (String, Range<usize>) {
    let mut out = String::with_capacity(line.len());
    let (mut start, mut end) = (None, None);
    for (offset, c) in line.char_indices() {
        if offset == span.start {
            start = Some(out.len());
        }
        if offset == span.end {
            end = Some(out.len());
        }
        if is_unprintable(c) && c != '\t' {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    let start = start.unwrap_or(out.len());
    let end = end.unwrap_or(out.len()).max(start);
    (out, start..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_control_and_bidi_characters_and_borrows_clean_text() {
        assert!(matches!(printable("platform-api"), Cow::Borrowed("platform-api")));
        assert_eq!(printable("app\u{1b}[2K\r\u{1b}[1ANo changes."), "app\\u{1b}[2K\\r\\u{1b}[1ANo changes.");
        assert_eq!(printable("a\u{202e}b\u{0}c\nd\u{200b}"), "a\\u{202e}b\\u{0}c\\nd\\u{200b}");
        assert_eq!(printable_lines("one\ntwo\u{7}"), "one\ntwo\\u{7}");
    }

    #[test]
    fn a_snippet_quotes_one_line_masked_and_escaped_with_the_caret_in_place() {
        let file =
            SourceFile::new(Path::new("t.toml"), "a = 1\nX = \"\u{1b}[2J\" # \u{202e}\nS = \"hunter2\"\n".into());
        let secret = file.text.find("hunter2").unwrap();
        file.redact(secret..secret + 7);
        let esc = file.text.find('#').unwrap();
        let rendered = Diagnostic::error("bad\u{1b}]0;title\u{7}")
            .at(Location::new(&file, esc..esc + 1))
            .label("here")
            .note_at(Location::new(&file, secret..secret + 7), "secret")
            .render(false);
        assert!(!rendered.chars().any(|c| c.is_control() && c != '\n'), "{rendered:?}");
        assert!(rendered.contains("X = \"\\u{1b}[2J\" # \\u{202e}"), "{rendered}");
        assert!(rendered.contains("bad\\u{1b}]0;title\\u{7}"), "{rendered}");
        assert!(!rendered.contains("hunter2") && rendered.contains("*******"), "{rendered}");
        assert!(!rendered.contains("a = 1"), "only the lines pointed at are quoted:\n{rendered}");
        let caret_line = rendered.lines().find(|line| line.contains("^ here")).unwrap();
        let quoted_line = rendered.lines().find(|line| line.contains("X = ")).unwrap();
        assert_eq!(caret_line.find('^'), quoted_line.find('#'), "{rendered}");
    }

    #[test]
    fn dedup_keeps_the_first_of_each_place_and_message() {
        let file = SourceFile::new(Path::new("base.toml"), "a = 1\n".into());
        let at = || Location::new(&file, 0..1);
        let mut diagnostics = Diagnostics(vec![
            Diagnostic::error("one").at(at()),
            Diagnostic::error("one").at(at()),
            Diagnostic::error("two").at(at()),
            Diagnostic::error("one"),
        ]);
        diagnostics.dedup();
        let messages: Vec<String> = diagnostics.0.iter().map(Diagnostic::short).collect();
        assert_eq!(messages, ["base.toml:1:1: one", "base.toml:1:1: two", "one"]);
    }
}
