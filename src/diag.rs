//! Diagnostics: problems found in a user's files, each pointing at a file, line and column with
//! the offending line and a hint. Loading collects all of them before reporting, so one run shows
//! every mistake.

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
}

impl SourceFile {
    pub fn new(path: &Path, text: String) -> Arc<Self> {
        Arc::new(SourceFile { path: path.display().to_string(), text, redacted: Mutex::new(Vec::new()) })
    }

    /// Marks `range` as a sensitive value: snippets of this file show it as `*`s.
    pub fn redact(&self, range: Range<usize>) {
        if let Ok(mut redacted) = self.redacted.lock() {
            redacted.push(range);
        }
    }

    /// The text as diagnostics may quote it: sensitive values replaced byte for byte by `*`,
    /// so every offset stays valid.
    pub fn quotable_text(&self) -> String {
        let redacted = self.redacted.lock().map(|r| r.clone()).unwrap_or_default();
        if redacted.is_empty() {
            return self.text.clone();
        }
        let mut bytes = self.text.clone().into_bytes();
        for range in redacted {
            let end = range.end.min(bytes.len());
            for byte in &mut bytes[range.start.min(end)..end] {
                if *byte != b'\n' {
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
        write!(f, "{}:{line}:{col}", self.file.path)
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
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { message: message.into(), location: None, label: String::new(), hint: None }
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

    /// `file:line:col: message`, the one-line form (also used by tests).
    pub fn short(&self) -> String {
        match &self.location {
            Some(location) => format!("{location}: {}", self.message),
            None => self.message.clone(),
        }
    }

    /// The full form: message, `--> file:line:col`, the offending line with a caret, the hint.
    pub fn render(&self, color: bool) -> String {
        let renderer = if color { Renderer::styled() } else { Renderer::plain() };
        let quoted = self.location.as_ref().map(|location| location.file.quotable_text()).unwrap_or_default();
        let mut message = Level::Error.title(&self.message);
        if let Some(location) = &self.location {
            let text = &quoted;
            let start = clamp_to_char_boundary(text, location.span.start);
            let end = clamp_to_char_boundary(text, location.span.end.max(start));
            // Quote at most the first line of a long span so the snippet stays readable.
            let end = text[start..end].find('\n').map_or(end, |nl| start + nl);
            message = message.snippet(
                Snippet::source(text)
                    .origin(&location.file.path)
                    .line_start(1)
                    .fold(true)
                    .annotation(Level::Error.span(start..end).label(&self.label)),
            );
        }
        if let Some(hint) = &self.hint {
            message = message.footer(Level::Help.title(hint));
        }
        let rendered = renderer.render(message).to_string();
        rendered
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
