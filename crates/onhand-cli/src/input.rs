//! Reading network documents in the command line: the format by file extension, network
//! files (TOML, JSON) parsed by the library ([`onhand::files`], which a service uses to
//! load the same files), and CSV item masters parsed here, all with errors that name the
//! file, line and field ([`InputError`]).

use std::path::Path;

pub use onhand::files::{InputError, Loaded, NetworkDoc, decode, line_col};
use onhand::files::{Sources, TextFormat};
use onhand_master::MasterData;

/// An input file format, chosen by the file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A network document in JSON (`.json`).
    Json,
    /// A network document in TOML (`.toml`).
    Toml,
    /// An item master in CSV (`.csv`): items only.
    Csv,
}

impl Format {
    /// The format for a file name's extension (case-insensitive), if it has a known one.
    ///
    /// ```
    /// use onhand_cli::Format;
    /// assert_eq!(Format::from_path("net/items.CSV".as_ref()), Some(Format::Csv));
    /// assert_eq!(Format::from_path("items.xlsx".as_ref()), None);
    /// ```
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Format> {
        match TextFormat::from_path(path) {
            Some(TextFormat::Json) => Some(Format::Json),
            Some(TextFormat::Toml) => Some(Format::Toml),
            None => {
                let ext = path.extension()?.to_str()?;
                ext.eq_ignore_ascii_case("csv").then_some(Format::Csv)
            }
        }
    }

    /// The library's text format, for a network document (`None` for CSV).
    #[must_use]
    pub fn text(self) -> Option<TextFormat> {
        match self {
            Format::Json => Some(TextFormat::Json),
            Format::Toml => Some(TextFormat::Toml),
            Format::Csv => None,
        }
    }
}

/// Decodes `bytes` as UTF-8 (dropping a leading byte-order mark) and parses them.
///
/// # Errors
/// [`InputError::NotUtf8`] at the first invalid byte, else as [`parse_network`].
pub fn parse_bytes(name: &str, bytes: &[u8], format: Format) -> Result<NetworkDoc, InputError> {
    let text = decode(name, bytes)?;
    parse_network(name, text, format)
}

/// Parses a network document (JSON or TOML, by [`onhand::files::parse_network`]), or an
/// item master (CSV) as a document that holds only items.
///
/// # Errors
/// [`InputError::Empty`] for text that is only white space; [`InputError::Invalid`] for
/// a syntax error, a value of the wrong type, an unknown field, or a value its type
/// refuses (a bad code, a float where a decimal string belongs), naming the line, column
/// and field path.
///
/// ```
/// use onhand_cli::{Format, parse_network};
/// let doc = parse_network("n.toml", "[[regions]]\ncode = \"US-SE\"\n", Format::Toml)?;
/// assert_eq!(doc.master.regions.len(), 1);
/// assert!(parse_network("n.toml", "[[regionz]]\ncode = \"US-SE\"\n", Format::Toml).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_network(name: &str, text: &str, format: Format) -> Result<NetworkDoc, InputError> {
    if let Some(f) = format.text() {
        return onhand::files::parse_network(name, text, f);
    }
    if text.trim().is_empty() {
        return Err(InputError::Empty { file: name.to_owned() });
    }
    let items = crate::csv_items::parse_items_csv(name, text)?;
    Ok(NetworkDoc::from_parts(MasterData { items, ..MasterData::default() }, Vec::new()))
}

/// Parses like [`parse_network`], and also finds the line each record starts on.
///
/// A TOML record starts at its `[[list]]` header (or its `{` in an inline array), a JSON
/// record at its `{`, a CSV item at its row.
///
/// # Errors
/// As [`parse_network`].
///
/// ```
/// use onhand_cli::{Format, LocatedReport, load};
/// let text = "[[regions]]\ncode = \"US-SE\"\n\n[[regions]]\ncode = \"US-SE\"\n";
/// let loaded = load("net.toml", text, Format::Toml)?;
/// assert_eq!(loaded.doc.master.regions.len(), 2);
/// let (master, maps) = loaded.doc.into_parts();
/// let report = LocatedReport::new(&master, &maps, &loaded.sources);
/// let at: Vec<String> = report.locations(0).iter().map(|l| l.to_string()).collect();
/// assert_eq!(at, ["net.toml:4", "net.toml:1"]); // the duplicate, then the first
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(name: &str, text: &str, format: Format) -> Result<Loaded, InputError> {
    if let Some(f) = format.text() {
        return onhand::files::load(name, text, f);
    }
    if text.trim().is_empty() {
        return Err(InputError::Empty { file: name.to_owned() });
    }
    let (items, lines) = crate::csv_items::parse_items_csv_lines(name, text)?;
    let sources = Sources { files: vec![name.to_owned()], items: lines, ..Sources::default() };
    Ok(Loaded {
        doc: NetworkDoc::from_parts(MasterData { items, ..MasterData::default() }, Vec::new()),
        sources,
    })
}

/// [`decode`]s `bytes` and [`load`]s the text.
///
/// # Errors
/// As [`parse_bytes`].
pub fn load_bytes(name: &str, bytes: &[u8], format: Format) -> Result<Loaded, InputError> {
    load(name, decode(name, bytes)?, format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(Format::from_path(Path::new("a.json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("a.Toml")), Some(Format::Toml));
        assert_eq!(Format::from_path(Path::new("a.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("a")), None);
        assert_eq!(Format::from_path(Path::new("a.yaml")), None);
    }

    #[test]
    fn csv_items_start_at_their_row() {
        let text = "code,description,base_uom\nA,\"two\nlines\",EA\nB,,EA\n";
        let loaded = load("i.csv", text, Format::Csv).unwrap();
        let lines: Vec<u32> = loaded.sources.items.iter().map(|p| p.line_number()).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(
            load("i.csv", " \n", Format::Csv),
            Err(InputError::Empty { file: "i.csv".into() })
        );
    }
}
