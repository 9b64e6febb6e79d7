//! Network files as text: the [`NetworkDoc`] a `.toml` or `.json` network file holds
//! (master data and site status maps), parsed from text with errors that name the file,
//! line, column and field ([`InputError`]), and where each record was read
//! ([`Sources`]), so a finding about a record can name its file and line.
//!
//! Parsing is pure: text and the file's name in, a typed document out. Reading files is
//! the host's (the `onhand` command line reads files and standard input and hands the
//! text here), so a service loads the same files the command line does:
//!
//! ```
//! use onhand::files::{TextFormat, parse_network};
//! let text = "[[entities]]\ncode = \"NA01\"\ncurrency = \"USD\"\ncosting = \"fifo\"\n";
//! let (master, status_maps) = parse_network("net.toml", text, TextFormat::Toml)?.into_parts();
//! assert_eq!(master.entities.len(), 1);
//! assert!(status_maps.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod source;

use std::path::Path;

use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::value::RawValue;

use onhand_master::MasterData;
use onhand_status::SiteStatusMap;
use serde::{Deserialize, Serialize};

pub use error::InputError;
pub use source::{Location, Pos, Sources};

/// A network document as written in a `.toml` or `.json` file: the master-data lists of
/// [`MasterData`] at top level, plus the sites' status maps.
///
/// Every list may be left out. Unknown fields are refused, so a misspelt list name is an
/// error rather than silently empty. The master data's lists are [`MasterData`]'s own
/// ([`MasterData::LISTS`], read with [`MasterData::read_list`]), never declared again
/// here.
///
/// ```
/// use onhand::files::{TextFormat, parse_network};
/// let doc = parse_network("n.toml", "[[regions]]\ncode = \"US-SE\"\n", TextFormat::Toml)?;
/// assert_eq!(doc.master.regions.len(), 1);
/// assert!(parse_network("n.toml", "[[regionz]]\ncode = \"US-SE\"\n", TextFormat::Toml).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkDoc {
    /// The master data, its lists at the document's top level.
    pub master: MasterData,
    /// Site status maps (`status_maps`).
    pub status_maps: Vec<SiteStatusMap>,
}

/// The document's own list beside the master data's.
const STATUS_MAPS: &str = "status_maps";

impl Serialize for NetworkDoc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The master data's lists flattened to the top level, then the status maps
        /// (flattening serializes exactly; only reading needs the hand-written visitor).
        #[derive(Serialize)]
        struct Out<'a> {
            #[serde(flatten)]
            master: &'a MasterData,
            status_maps: &'a [SiteStatusMap],
        }
        Out { master: &self.master, status_maps: &self.status_maps }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for NetworkDoc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = NetworkDoc;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a network document (master-data lists and status_maps)")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<NetworkDoc, A::Error> {
                let mut doc = NetworkDoc::default();
                let mut seen = Vec::new();
                // An unknown key is refused while it is read (`Field`), so TOML's error
                // points at the key rather than at the document.
                while let Some(key) = map.next_key_seed(Field)? {
                    if doc.master.read_list(key, &mut map, &mut seen)? {
                        continue;
                    }
                    if seen.contains(&STATUS_MAPS) {
                        return Err(serde::de::Error::duplicate_field(STATUS_MAPS));
                    }
                    seen.push(STATUS_MAPS);
                    doc.status_maps = map.next_value()?;
                }
                Ok(doc)
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// A network document's key, read as the field it names: an unknown one is refused as it
/// is read, so the error carries the key's place (TOML's span points at the key, where
/// an error after it was read points at the whole document, its first line).
struct Field;

impl<'de> serde::de::DeserializeSeed<'de> for Field {
    type Value = &'static str;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for Field {
    type Value = &'static str;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the name of a master-data list or status_maps")
    }

    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<&'static str, E> {
        FIELDS.iter().copied().find(|f| *f == key).ok_or_else(|| E::unknown_field(key, FIELDS))
    }
}

/// Every field a network document may hold, for the unknown-field error: the master
/// data's lists, then the status maps.
const FIELDS: &[&str] = &FIELD_ARRAY;

const FIELD_ARRAY: [&str; MasterData::LISTS.len() + 1] = {
    let mut all = [STATUS_MAPS; MasterData::LISTS.len() + 1];
    let mut i = 0;
    while i < MasterData::LISTS.len() {
        #[allow(clippy::indexing_slicing, reason = "evaluated at compile time, in bounds")]
        {
            all[i] = MasterData::LISTS[i];
        }
        i += 1;
    }
    all
};

impl NetworkDoc {
    /// A document holding `master` and `maps`.
    #[must_use]
    pub fn from_parts(master: MasterData, status_maps: Vec<SiteStatusMap>) -> Self {
        NetworkDoc { master, status_maps }
    }

    /// The master data and the status maps.
    #[must_use]
    pub fn into_parts(self) -> (MasterData, Vec<SiteStatusMap>) {
        (self.master, self.status_maps)
    }

    /// Appends every list of `other` to this document's (several files make one network).
    pub fn merge(&mut self, other: NetworkDoc) {
        self.master.append(other.master);
        self.status_maps.extend(other.status_maps);
    }
}

/// The text format of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextFormat {
    /// JSON (`.json`).
    Json,
    /// TOML (`.toml`).
    Toml,
}

impl TextFormat {
    /// The format for a file name's extension (case-insensitive), if it is `json` or
    /// `toml`.
    ///
    /// ```
    /// use onhand::files::TextFormat;
    /// assert_eq!(TextFormat::from_path("net/network.TOML".as_ref()), Some(TextFormat::Toml));
    /// assert_eq!(TextFormat::from_path("items.csv".as_ref()), None);
    /// ```
    #[must_use]
    pub fn from_path(path: &Path) -> Option<TextFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(TextFormat::Json),
            "toml" => Some(TextFormat::Toml),
            _ => None,
        }
    }
}

/// Decodes `bytes` as UTF-8 (dropping a leading byte-order mark) and parses them.
///
/// # Errors
/// [`InputError::NotUtf8`] at the first invalid byte, else as [`parse_network`].
pub fn parse_bytes(name: &str, bytes: &[u8], format: TextFormat) -> Result<NetworkDoc, InputError> {
    let text = decode(name, bytes)?;
    parse_network(name, text, format)
}

/// `bytes` as text, without a leading UTF-8 byte-order mark.
///
/// # Errors
/// [`InputError::NotUtf8`] with the line and column of the first invalid byte.
pub fn decode<'a>(name: &str, bytes: &'a [u8]) -> Result<&'a str, InputError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = bytes.get(..e.valid_up_to()).and_then(|b| std::str::from_utf8(b).ok());
        let valid = valid.unwrap_or_default();
        let (line, column) = line_col(valid, valid.len());
        InputError::NotUtf8 { file: name.to_owned(), line, column }
    })
}

/// Parses a network document (JSON or TOML).
///
/// # Errors
/// [`InputError::Empty`] for text that is only white space; [`InputError::Invalid`] for
/// a syntax error, a value of the wrong type, an unknown field, or a value its type
/// refuses (a bad code, a float where a decimal string belongs), naming the line, column
/// and field path.
///
/// ```
/// use onhand::files::{TextFormat, parse_network};
/// let doc = parse_network("n.toml", "[[regions]]\ncode = \"US-SE\"\n", TextFormat::Toml)?;
/// assert_eq!(doc.master.regions.len(), 1);
/// // A bad value is reported with its file, line, column and field.
/// let err = parse_network("net.toml", "[[items]]\ncode = \"X\"\nbase_uom = \"ea\"\n",
///                         TextFormat::Toml).unwrap_err();
/// assert_eq!(err.to_string(), "net.toml:3:12: items[0].base_uom: \
///     invalid unit of measure \"ea\": use 1 to 8 of A-Z, 0-9 and _");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_network(name: &str, text: &str, format: TextFormat) -> Result<NetworkDoc, InputError> {
    parse_text(name, text, format)
}

/// Parses any serde document from JSON or TOML text with the same errors as
/// [`parse_network`]: file, line, column and field path. Scenario files and network
/// configurations read this way.
///
/// # Errors
/// As [`parse_network`].
///
/// ```
/// use onhand::NetworkConfig;
/// use onhand::files::{TextFormat, parse_text};
/// let config: NetworkConfig = parse_text("c.json", "{}", TextFormat::Json)?;
/// assert!(config.partition.is_none());
/// let err = parse_text::<NetworkConfig>("c.json", "{\n  \"partitions\": 1\n}", TextFormat::Json)
///     .unwrap_err();
/// assert_eq!(err.line(), Some(2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_text<T: DeserializeOwned>(
    name: &str,
    text: &str,
    format: TextFormat,
) -> Result<T, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Empty { file: name.to_owned() });
    }
    match format {
        TextFormat::Json => parse_json(name, text),
        TextFormat::Toml => parse_toml(name, text),
    }
}

/// A network document with where each of its records was read ([`Sources`]).
///
/// Documents read from several files merge into one, their sources with them, so a
/// finding about any record can name its file and line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Loaded {
    /// The document.
    pub doc: NetworkDoc,
    /// Where each record of `doc` was read.
    pub sources: Sources,
}

impl Loaded {
    /// Appends `other` (its document and its sources) to this one.
    pub fn merge(&mut self, other: Loaded) {
        self.doc.merge(other.doc);
        self.sources.merge(other.sources);
    }
}

/// Parses like [`parse_network`], and also finds the line each record starts on.
///
/// A TOML record starts at its `[[list]]` header (or its `{` in an inline array), a JSON
/// record at its `{`.
///
/// # Errors
/// As [`parse_network`].
///
/// ```
/// use onhand::files::{TextFormat, load};
/// let text = "[[regions]]\ncode = \"US-SE\"\n\n[[regions]]\ncode = \"US-NE\"\n";
/// let loaded = load("net.toml", text, TextFormat::Toml)?;
/// assert_eq!(loaded.doc.master.regions.len(), 2);
/// let at: Vec<String> = loaded.sources.regions.iter()
///     .filter_map(|p| loaded.sources.location(*p))
///     .map(|l| l.to_string())
///     .collect();
/// assert_eq!(at, ["net.toml:1", "net.toml:4"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load(name: &str, text: &str, format: TextFormat) -> Result<Loaded, InputError> {
    let (master, maps) = parse_network(name, text, format)?.into_parts();
    let located = match format {
        TextFormat::Toml => toml_sources(text),
        TextFormat::Json => json_sources(text),
    };
    let fits = located.as_ref().is_some_and(|s| s.fits(&master, &maps));
    let doc = NetworkDoc::from_parts(master, maps);
    let sources = match located {
        Some(mut sources) if fits => {
            sources.files = vec![name.to_owned()];
            sources
        }
        other => {
            // The text parsed as a document, so its outline parses too, record for record.
            debug_assert!(false, "{name}: records found {other:?} do not match the document");
            Sources::unknown_lines(name, &doc)
        }
    };
    Ok(Loaded { doc, sources })
}

/// [`decode`]s `bytes` and [`load`]s the text.
///
/// # Errors
/// As [`parse_bytes`].
pub fn load_bytes(name: &str, bytes: &[u8], format: TextFormat) -> Result<Loaded, InputError> {
    load(name, decode(name, bytes)?, format)
}

/// The outline of a network document: its lists, each element standing for a record
/// (`E`), sites with their zones and bins (`S`). Unknown fields are ignored: the typed
/// parse refused them already.
#[derive(serde::Deserialize)]
struct Outline<E, S> {
    #[serde(default = "Vec::new")]
    units: Vec<E>,
    #[serde(default = "Vec::new")]
    entities: Vec<E>,
    #[serde(default = "Vec::new")]
    regions: Vec<E>,
    #[serde(default = "Vec::new")]
    sites: Vec<S>,
    #[serde(default = "Vec::new")]
    suppliers: Vec<E>,
    #[serde(default = "Vec::new")]
    customers: Vec<E>,
    #[serde(default = "Vec::new")]
    items: Vec<E>,
    #[serde(default = "Vec::new")]
    policies: Vec<E>,
    #[serde(default = "Vec::new")]
    lanes: Vec<E>,
    #[serde(default = "Vec::new")]
    delivery_lanes: Vec<E>,
    #[serde(default = "Vec::new")]
    status_maps: Vec<E>,
}

/// A site's outline: its zones and bins.
#[derive(serde::Deserialize)]
struct SiteOutline<E> {
    #[serde(default = "Vec::new")]
    zones: Vec<E>,
    #[serde(default = "Vec::new")]
    bins: Vec<E>,
}

impl<E, S> Outline<E, S> {
    /// The sources of an outline, given each record's start line (`at`) and each site's
    /// start line, zones and bins (`site`).
    fn sources(
        self,
        at: impl Fn(&E) -> Pos,
        site: impl Fn(&S) -> Option<(Pos, Vec<Pos>, Vec<Pos>)>,
    ) -> Option<Sources> {
        let all = |list: Vec<E>| list.iter().map(&at).collect::<Vec<Pos>>();
        let (mut sites, mut zones, mut bins) = (Vec::new(), Vec::new(), Vec::new());
        for s in &self.sites {
            let (p, z, b) = site(s)?;
            sites.push(p);
            zones.push(z);
            bins.push(b);
        }
        Some(Sources {
            files: Vec::new(),
            units: all(self.units),
            entities: all(self.entities),
            regions: all(self.regions),
            sites,
            zones,
            bins,
            suppliers: all(self.suppliers),
            customers: all(self.customers),
            items: all(self.items),
            policies: all(self.policies),
            lanes: all(self.lanes),
            delivery_lanes: all(self.delivery_lanes),
            status_maps: all(self.status_maps),
        })
    }
}

/// Line numbers of byte offsets in one text.
struct Lines {
    /// The offset of every `\n`.
    breaks: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        let breaks = text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i);
        Lines { breaks: breaks.collect() }
    }

    /// The 1-based line holding byte `offset`.
    fn pos(&self, offset: usize) -> Pos {
        Pos::line(self.breaks.partition_point(|b| *b < offset) + 1)
    }
}

/// The start line of every record of a TOML document.
fn toml_sources(text: &str) -> Option<Sources> {
    type Spanned = toml::Spanned<IgnoredAny>;
    let outline: Outline<Spanned, toml::Spanned<SiteOutline<Spanned>>> =
        toml::from_str(text).ok()?;
    let lines = Lines::new(text);
    let at = |s: &Spanned| lines.pos(s.span().start);
    outline.sources(at, |s| {
        let inner = s.get_ref();
        Some((
            lines.pos(s.span().start),
            inner.zones.iter().map(at).collect(),
            inner.bins.iter().map(at).collect(),
        ))
    })
}

/// The start line of every record of a JSON document.
fn json_sources(text: &str) -> Option<Sources> {
    let outline: Outline<&RawValue, &RawValue> = serde_json::from_str(text).ok()?;
    let lines = Lines::new(text);
    // A raw value is a slice of `text`: its offset is the distance between the two.
    let start = text.as_ptr().addr();
    let at = |raw: &&RawValue| lines.pos(raw.get().as_ptr().addr().saturating_sub(start));
    outline.sources(at, |raw| {
        let site: SiteOutline<&RawValue> = serde_json::from_str(raw.get()).ok()?;
        Some((at(raw), site.zones.iter().map(at).collect(), site.bins.iter().map(at).collect()))
    })
}

/// The path as text (`items[3].base_uom`), without the unknown (`?`) segments a syntax
/// error leaves at its end; `None` at the document root.
fn field_path(path: &serde_path_to_error::Path) -> Option<String> {
    let full = path.to_string();
    let mut text = full.as_str();
    while let Some(shorter) = text.strip_suffix(".?").or_else(|| text.strip_suffix('?')) {
        text = shorter;
    }
    (!text.is_empty() && text != ".").then(|| text.to_owned())
}

fn parse_json<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, InputError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let doc: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = field_path(e.path());
        json_error(name, field, &e.into_inner())
    })?;
    de.end().map_err(|e| json_error(name, None, &e))?;
    Ok(doc)
}

fn json_error(name: &str, field: Option<String>, e: &serde_json::Error) -> InputError {
    let (line, column) = (e.line(), e.column());
    let full = e.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    InputError::Invalid {
        file: name.to_owned(),
        line: (line > 0).then_some(line),
        column: (line > 0 && column > 0).then_some(column),
        field,
        message,
    }
}

fn parse_toml<T: DeserializeOwned>(name: &str, text: &str) -> Result<T, InputError> {
    let de = toml::Deserializer::parse(text).map_err(|e| toml_error(name, text, None, &e))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = field_path(e.path());
        toml_error(name, text, field, e.inner())
    })
}

fn toml_error(name: &str, text: &str, field: Option<String>, e: &toml::de::Error) -> InputError {
    let position = e.span().map(|span| line_col(text, span.start));
    InputError::Invalid {
        file: name.to_owned(),
        line: position.map(|(line, _)| line),
        column: position.map(|(_, column)| column),
        field,
        message: e.message().trim_end().to_owned(),
    }
}

/// The 1-based line and column (counted in characters) of byte `offset` in `text`.
///
/// An offset past the end is the end; an offset inside a character is that character.
///
/// ```
/// use onhand::files::line_col;
/// assert_eq!(line_col("ab\ncé\nd", 0), (1, 1));
/// assert_eq!(line_col("ab\ncé\nd", 3), (2, 1));
/// assert_eq!(line_col("ab\ncé\nd", 7), (3, 1)); // after the two-byte é
/// ```
#[must_use]
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.char_indices() {
        if i + c.len_utf8() > offset {
            break;
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document reads every list `MasterData` declares (one declaration: a list
    /// added there is read here), refuses a list given twice and an unknown one, and
    /// writes what it reads.
    #[test]
    fn the_document_reads_the_master_datas_own_lists() {
        let mut json = String::from("{");
        for list in MasterData::LISTS {
            json.push('"');
            json.push_str(list);
            json.push_str("\": [], ");
        }
        json.push_str("\"status_maps\": []}");
        assert_eq!(
            parse_network("n.json", &json, TextFormat::Json).unwrap(),
            NetworkDoc::default()
        );
        let twice = "{\"regions\": [], \"regions\": []}";
        let err = parse_network("n.json", twice, TextFormat::Json).unwrap_err().to_string();
        assert!(err.contains("duplicate field `regions`"), "{err}");
        let twice = "{\"status_maps\": [], \"status_maps\": []}";
        let err = parse_network("n.json", twice, TextFormat::Json).unwrap_err().to_string();
        assert!(err.contains("duplicate field `status_maps`"), "{err}");
        let err =
            parse_network("n.json", "{\"regionz\": []}", TextFormat::Json).unwrap_err().to_string();
        assert!(err.contains("unknown field `regionz`, expected one of `units`"), "{err}");
        assert!(err.contains("`delivery_lanes`, `status_maps`"), "{err}");
        let doc = NetworkDoc::from_parts(onhand_master::seed::demo_network(), Vec::new());
        let text = serde_json::to_string(&doc).unwrap();
        assert_eq!(parse_network("n.json", &text, TextFormat::Json).unwrap(), doc);
    }

    #[test]
    fn line_col_counts_lines_and_characters() {
        let text = "ab\ncé\nd";
        let expected = [(0, (1, 1)), (1, (1, 2)), (2, (1, 3)), (3, (2, 1)), (4, (2, 2))];
        for (offset, want) in expected {
            assert_eq!(line_col(text, offset), want, "offset {offset}");
        }
        // Byte 5 is inside the two-byte é: the position of the é itself.
        assert_eq!(line_col(text, 5), (2, 2));
        assert_eq!(line_col(text, 6), (2, 3), "the newline after é");
        assert_eq!(line_col(text, 7), (3, 1));
        assert_eq!(line_col(text, 8), (3, 2), "the end");
        assert_eq!(line_col(text, 1000), (3, 2), "past the end clamps");
        assert_eq!(line_col("", 0), (1, 1));
        assert_eq!(line_col("\r\nx", 2), (2, 1), "CRLF counts one line");
    }

    #[test]
    fn decode_reports_the_first_bad_byte() {
        assert_eq!(decode("f", b"\xEF\xBB\xBFok"), Ok("ok"));
        let err = decode("f", b"a = 1\nb = \"x\xFFy\"\n").unwrap_err();
        assert_eq!(err, InputError::NotUtf8 { file: "f".into(), line: 2, column: 7 });
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(TextFormat::from_path(Path::new("a.json")), Some(TextFormat::Json));
        assert_eq!(TextFormat::from_path(Path::new("a.Toml")), Some(TextFormat::Toml));
        assert_eq!(TextFormat::from_path(Path::new("a.csv")), None);
        assert_eq!(TextFormat::from_path(Path::new("a")), None);
    }

    /// The line of every record of a loaded document, list by list.
    fn lines(loaded: &Loaded) -> Vec<(&'static str, Vec<u32>)> {
        let s = &loaded.sources;
        let l = |list: &[Pos]| list.iter().map(|p| p.line_number()).collect::<Vec<u32>>();
        let mut out = vec![
            ("regions", l(&s.regions)),
            ("sites", l(&s.sites)),
            ("items", l(&s.items)),
            ("status_maps", l(&s.status_maps)),
        ];
        out.push(("zones", s.zones.iter().flat_map(|z| l(z)).collect()));
        out.push(("bins", s.bins.iter().flat_map(|b| l(b)).collect()));
        out.retain(|(_, v)| !v.is_empty());
        out
    }

    const SITE: &str = "code = \"ATL\"\nkind = \"regional_dc\"\nregion = \"US-SE\"\n";

    #[test]
    fn toml_records_start_at_their_header_or_brace() {
        let text = format!(
            "[[regions]]\ncode = \"US-SE\"\n\n[[sites]]\n{SITE}\
             zones = [{{ code = \"Z1\", kind = \"bulk\" }},\n  {{ code = \"Z2\", kind = \"bulk\" }}]\n\
             \n[[sites.bins]]\ncode = \"B1\"\nzone = \"Z1\"\n\
             \n[[regions]]\n# interleaved with the sites\ncode = \"US-NE\"\n\
             \n[[items]]\ncode = \"A\"\nbase_uom = \"EA\"\n"
        );
        let loaded = load("n.toml", &text, TextFormat::Toml).unwrap();
        assert_eq!(
            lines(&loaded),
            [
                ("regions", vec![1, 15]),
                ("sites", vec![4]),
                ("items", vec![19]),
                ("zones", vec![8, 9]),
                ("bins", vec![11])
            ]
        );
        assert_eq!(loaded.sources.files(), ["n.toml"]);
    }

    #[test]
    fn json_records_start_at_their_brace() {
        let text = "{\"regions\": [{\"code\": \"US-SE\"},\n  {\"code\": \"US-NE\"}],\n\
            \"sites\": [\n {\"code\": \"ATL\", \"kind\": \"regional_dc\", \"region\": \"US-SE\",\n\
            \"zones\": [\n{\"code\": \"Z1\", \"kind\": \"bulk\"}],\n\
            \"bins\": [{\"code\": \"B\\u0031\", \"zone\": \"Z1\"},\n{\"code\": \"B2\", \"zone\": \"Z1\"}]}],\n\
            \"items\": []}";
        let loaded = load("n.json", text, TextFormat::Json).unwrap();
        assert_eq!(loaded.doc.master.sites[0].bins[0].code.as_str(), "B1");
        assert_eq!(
            lines(&loaded),
            [("regions", vec![1, 2]), ("sites", vec![4]), ("zones", vec![6]), ("bins", vec![7, 8])]
        );
    }

    #[test]
    fn parts_round_trip() {
        let master = onhand_master::seed::demo_network();
        let maps = onhand_status::demo_status_maps();
        let doc = NetworkDoc::from_parts(master.clone(), maps.clone());
        assert_eq!(doc.into_parts(), (master, maps));
    }

    // Issue 16: a service loads the files the command line exports, status maps
    // included, from either format.
    #[test]
    fn the_exported_demo_network_loads_in_both_formats() {
        let doc = NetworkDoc::from_parts(
            onhand_master::seed::demo_network(),
            onhand_status::demo_status_maps(),
        );
        let toml_text = toml::to_string(&doc).unwrap();
        assert_eq!(parse_network("demo.toml", &toml_text, TextFormat::Toml).unwrap(), doc);
        let json_text = serde_json::to_string_pretty(&doc).unwrap();
        let loaded = load("demo.json", &json_text, TextFormat::Json).unwrap();
        assert_eq!(loaded.doc, doc);
        assert!(loaded.sources.status_maps.iter().all(|p| p.line_number() > 0));
        // The master data alone refuses the status maps; the document takes them.
        assert!(toml::from_str::<MasterData>(&toml_text).is_err());
    }
}
