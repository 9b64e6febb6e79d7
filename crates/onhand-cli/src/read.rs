//! The loader's I/O, kept apart from the parsing: reading a file or standard input, at
//! most [`MAX_INPUT_BYTES`] of it, then handing the bytes to [`load_bytes`].

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::input::InputError;
use crate::input::{Format, Loaded, NetworkDoc, load_bytes, parse_bytes};

/// The most bytes `onhand` reads from one input (256 MiB).
///
/// A network is validated whole, in memory: each item takes about 160 bytes while it is
/// checked (the item record itself, 136 bytes, and its place and code in the checks). A
/// 50 MB item master of typical rows (620,000 items) peaks at about 340 MB, one of the
/// shortest rows (`code,base_uom`, 4.4 million items) at about 700 MB, so a run stays
/// within about 14 times its input. The limit keeps one input under about 3.5 GB; a
/// larger input is refused with [`InputError::TooLarge`] before it is parsed (a file at
/// once, by its size; standard input as soon as the reading passes the limit).
pub const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;

/// Where an input comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-` on the command line).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Input {
    /// The name messages give the input: the path as written, or `<stdin>`.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "<stdin>".to_owned(),
            Input::File(path) => path.display().to_string(),
        }
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Reads and parses one file into a document.
///
/// `name` is how errors name the file (usually the path as the user wrote it).
///
/// # Errors
/// [`InputError::Read`] when the file cannot be read, [`InputError::TooLarge`] beyond
/// [`MAX_INPUT_BYTES`], else as [`parse_bytes`].
pub fn read_file(path: &Path, name: &str, format: Format) -> Result<NetworkDoc, InputError> {
    let bytes = read_limited(open(path), name, MAX_INPUT_BYTES)?;
    parse_bytes(name, &bytes, format)
}

/// Every byte of the file at `path`, at most [`MAX_INPUT_BYTES`].
///
/// # Errors
/// [`InputError::Read`], [`InputError::TooLarge`].
pub(crate) fn read_bytes(path: &Path, name: &str) -> Result<Vec<u8>, InputError> {
    read_limited(open(path), name, MAX_INPUT_BYTES)
}

/// The file at `path`, refusing at once a regular file larger than [`MAX_INPUT_BYTES`]
/// (pipes and devices are measured as they are read).
fn open(path: &Path) -> std::io::Result<OpenFile> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata().ok().filter(std::fs::Metadata::is_file).map(|m| m.len());
    Ok(OpenFile { file, len })
}

/// An open file with its length, when the file system knows it.
struct OpenFile {
    file: std::fs::File,
    len: Option<u64>,
}

impl Read for OpenFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.file.read(buf)
    }
}

/// Reads and loads one input, `stdin` when the input is [`Input::Stdin`].
///
/// # Errors
/// As [`read_file`], with the document's sources as [`load_bytes`] finds them.
pub fn read_input(
    input: &Input,
    format: Format,
    stdin: &mut dyn Read,
) -> Result<Loaded, InputError> {
    let name = input.name();
    let bytes = match input {
        Input::Stdin => read_limited(Ok(Stream(stdin)), &name, MAX_INPUT_BYTES)?,
        Input::File(path) => read_limited(open(path), &name, MAX_INPUT_BYTES)?,
    };
    load_bytes(&name, &bytes, format)
}

/// A reader whose length is not known before it is read.
struct Stream<R>(R);

impl<R: Read> Read for Stream<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

/// A reader that may know its length in advance.
trait Source: Read {
    fn len(&self) -> Option<u64>;
}

impl Source for OpenFile {
    fn len(&self) -> Option<u64> {
        self.len
    }
}

impl<R: Read> Source for Stream<R> {
    fn len(&self) -> Option<u64> {
        None
    }
}

/// Every byte of `source`, refusing more than `limit` (at once when its length is
/// known, else as soon as the reading passes it).
fn read_limited(
    source: std::io::Result<impl Source>,
    name: &str,
    limit: u64,
) -> Result<Vec<u8>, InputError> {
    let read_error =
        |e: &std::io::Error| InputError::Read { file: name.to_owned(), reason: io_reason(e) };
    let source = source.map_err(|e| read_error(&e))?;
    let too_large = || InputError::TooLarge { file: name.to_owned(), limit };
    let known = source.len();
    if known.is_some_and(|len| len > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(known.and_then(|l| usize::try_from(l).ok()).unwrap_or(0));
    source.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| read_error(&e))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_owned(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_beyond_the_limit_is_refused_before_parsing() {
        let ok = read_limited(Ok(Stream(&b"code,base_uom\n"[..])), "i.csv", 14);
        assert_eq!(ok.map(|b| b.len()), Ok(14));
        let err = read_limited(Ok(Stream(&b"code,base_uom\nA"[..])), "i.csv", 14).unwrap_err();
        assert_eq!(err, InputError::TooLarge { file: "i.csv".into(), limit: 14 });
    }

    #[test]
    fn stdin_is_read_through_the_reader_given() {
        let mut stdin = &b"code,base_uom\nA,EA\n"[..];
        let loaded = read_input(&Input::Stdin, Format::Csv, &mut stdin).unwrap();
        assert_eq!(loaded.doc.master.items.len(), 1);
        assert_eq!(loaded.sources.files(), ["<stdin>"]);
        let err = read_input(&Input::Stdin, Format::Csv, &mut &b""[..]).unwrap_err();
        assert_eq!(err, InputError::Empty { file: "<stdin>".into() });
    }
}
