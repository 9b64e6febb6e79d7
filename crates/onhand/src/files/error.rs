//! [`InputError`]: why an input file could not be read or parsed, with the file, line,
//! column and field it is about. The parsers here raise the parse variants; a host that
//! reads files raises [`InputError::Read`] and [`InputError::TooLarge`] itself.

use std::fmt;

/// Why an input file could not be turned into a network document.
///
/// Every variant names the file as the user gave it. Parse errors also carry the 1-based
/// line, the 1-based column (in characters) where the format tells it, and the field path
/// (`items[3].base_uom`, or for a CSV file the column name):
///
/// ```text
/// network.toml:12:5: items[3].base_uom: invalid unit of measure "ea": use 1 to 8 of A-Z, 0-9 and _
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// The file could not be read (missing, a directory, no permission).
    #[error("{file}: cannot read the file: {reason}")]
    Read {
        /// The file.
        file: String,
        /// Why, in words.
        reason: String,
    },
    /// The input is larger than the limit (`MAX_INPUT_BYTES`); nothing of it was parsed.
    #[error("{file}: the input is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        file: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// The file holds nothing but white space.
    #[error("{file}: the file is empty")]
    Empty {
        /// The file.
        file: String,
    },
    /// The file is not valid UTF-8; the position is that of the first bad byte.
    #[error("{file}:{line}:{column}: the file is not valid UTF-8")]
    NotUtf8 {
        /// The file.
        file: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based column (in characters) of the first invalid byte.
        column: usize,
    },
    /// The content breaks the format's syntax or the document's shape.
    #[error("{}", Located { file, line: *line, column: *column, field: field.as_deref(), message })]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line, where known.
        line: Option<usize>,
        /// 1-based column in characters, where known.
        column: Option<usize>,
        /// The field path (`items[3].base_uom`) or CSV column, where known.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
}

impl InputError {
    /// The file the error is about.
    #[must_use]
    pub fn file(&self) -> &str {
        match self {
            InputError::Read { file, .. }
            | InputError::TooLarge { file, .. }
            | InputError::Empty { file }
            | InputError::NotUtf8 { file, .. }
            | InputError::Invalid { file, .. } => file,
        }
    }

    /// The 1-based line, where known.
    #[must_use]
    pub fn line(&self) -> Option<usize> {
        match self {
            InputError::Read { .. } | InputError::TooLarge { .. } | InputError::Empty { .. } => {
                None
            }
            InputError::NotUtf8 { line, .. } => Some(*line),
            InputError::Invalid { line, .. } => *line,
        }
    }

    /// The 1-based column in characters, where known.
    #[must_use]
    pub fn column(&self) -> Option<usize> {
        match self {
            InputError::Read { .. } | InputError::TooLarge { .. } | InputError::Empty { .. } => {
                None
            }
            InputError::NotUtf8 { column, .. } => Some(*column),
            InputError::Invalid { column, .. } => *column,
        }
    }

    /// The field path or CSV column, where known.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            InputError::Invalid { field, .. } => field.as_deref(),
            InputError::Read { .. }
            | InputError::TooLarge { .. }
            | InputError::Empty { .. }
            | InputError::NotUtf8 { .. } => None,
        }
    }

    /// Every stable code an input error can carry, sorted.
    pub const CODES: [&'static str; 5] = ["empty", "invalid", "not_utf8", "read", "too_large"];

    /// The stable code of the error's kind (for tools: the JSON report's `errors[].code`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            InputError::Read { .. } => "read",
            InputError::TooLarge { .. } => "too_large",
            InputError::Empty { .. } => "empty",
            InputError::NotUtf8 { .. } => "not_utf8",
            InputError::Invalid { .. } => "invalid",
        }
    }

    /// What is wrong, without the file, line, column and field the error also names.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            InputError::Read { reason, .. } => format!("cannot read the file: {reason}"),
            InputError::TooLarge { limit, .. } => {
                format!("the input is larger than the limit of {limit} bytes")
            }
            InputError::Empty { .. } => "the file is empty".to_owned(),
            InputError::NotUtf8 { .. } => "the file is not valid UTF-8".to_owned(),
            InputError::Invalid { message, .. } => message.clone(),
        }
    }
}

/// Formats `file:line:column: field: message`, leaving out what is unknown.
struct Located<'a> {
    file: &'a str,
    line: Option<usize>,
    column: Option<usize>,
    field: Option<&'a str>,
    message: &'a str,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(field) = self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(line: Option<usize>, column: Option<usize>, field: Option<&str>) -> InputError {
        InputError::Invalid {
            file: "network.toml".into(),
            line,
            column,
            field: field.map(str::to_owned),
            message: "bad".into(),
        }
    }

    #[test]
    fn display_leaves_out_what_is_unknown() {
        assert_eq!(
            invalid(Some(12), Some(5), Some("items[3].base_uom")).to_string(),
            "network.toml:12:5: items[3].base_uom: bad"
        );
        assert_eq!(invalid(Some(12), None, Some("code")).to_string(), "network.toml:12: code: bad");
        assert_eq!(invalid(None, Some(5), None).to_string(), "network.toml: bad");
        let e = InputError::NotUtf8 { file: "x.csv".into(), line: 3, column: 7 };
        assert_eq!(e.to_string(), "x.csv:3:7: the file is not valid UTF-8");
        assert_eq!((e.file(), e.line(), e.column(), e.field()), ("x.csv", Some(3), Some(7), None));
        assert_eq!((e.code(), e.message()), ("not_utf8", "the file is not valid UTF-8".into()));
    }

    #[test]
    fn every_code_is_listed_and_every_message_ends_the_display() {
        let errors = [
            InputError::Read { file: "f".into(), reason: "no such file".into() },
            InputError::TooLarge { file: "f".into(), limit: 10 },
            InputError::Empty { file: "f".into() },
            InputError::NotUtf8 { file: "f".into(), line: 1, column: 1 },
            invalid(Some(1), None, Some("code")),
        ];
        let mut codes: Vec<&str> = errors.iter().map(InputError::code).collect();
        codes.sort_unstable();
        assert_eq!(codes, InputError::CODES);
        for e in &errors {
            assert!(e.to_string().ends_with(&e.message()), "{e}");
        }
    }
}
