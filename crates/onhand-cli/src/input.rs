//! Reading network documents: the [`NetworkDoc`] shape, formats by file extension, and
//! parsers that turn every failure into an [`InputError`] naming file, line and field.

use std::path::Path;

use onhand_master::{
    Customer, DeliveryLane, Item, ItemSitePolicy, LegalEntity, MasterData, Region, Site,
    SourcingLane, Supplier, UnitDef,
};
use onhand_status::SiteStatusMap;
use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// A network document as written in a `.toml` or `.json` file: the master-data lists of
/// [`MasterData`] at top level, plus the sites' status maps.
///
/// Every list may be left out. Unknown fields are refused, so a misspelt list name is an
/// error rather than silently empty.
///
/// ```
/// use onhand_cli::{Format, parse_network};
/// let doc = parse_network("n.toml", "[[regions]]\ncode = \"US-SE\"\n", Format::Toml)?;
/// assert_eq!(doc.regions.len(), 1);
/// assert!(parse_network("n.toml", "[[regionz]]\ncode = \"US-SE\"\n", Format::Toml).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkDoc {
    /// Global units beyond the standard set.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<UnitDef>,
    /// Legal entities.
    #[serde(default)]
    pub entities: Vec<LegalEntity>,
    /// Regions.
    #[serde(default)]
    pub regions: Vec<Region>,
    /// Sites with their zones and bins.
    #[serde(default)]
    pub sites: Vec<Site>,
    /// Suppliers.
    #[serde(default)]
    pub suppliers: Vec<Supplier>,
    /// Customers.
    #[serde(default)]
    pub customers: Vec<Customer>,
    /// Items.
    #[serde(default)]
    pub items: Vec<Item>,
    /// Item-site policies.
    #[serde(default)]
    pub policies: Vec<ItemSitePolicy>,
    /// Sourcing lanes.
    #[serde(default)]
    pub lanes: Vec<SourcingLane>,
    /// Delivery lanes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delivery_lanes: Vec<DeliveryLane>,
    /// Site status maps.
    #[serde(default)]
    pub status_maps: Vec<SiteStatusMap>,
}

impl NetworkDoc {
    /// A document holding `master` and `maps`.
    #[must_use]
    pub fn from_parts(master: MasterData, status_maps: Vec<SiteStatusMap>) -> Self {
        let MasterData {
            units,
            entities,
            regions,
            sites,
            suppliers,
            customers,
            items,
            policies,
            lanes,
            delivery_lanes,
        } = master;
        NetworkDoc {
            units,
            entities,
            regions,
            sites,
            suppliers,
            customers,
            items,
            policies,
            lanes,
            delivery_lanes,
            status_maps,
        }
    }

    /// The master data and the status maps.
    #[must_use]
    pub fn into_parts(self) -> (MasterData, Vec<SiteStatusMap>) {
        let NetworkDoc {
            units,
            entities,
            regions,
            sites,
            suppliers,
            customers,
            items,
            policies,
            lanes,
            delivery_lanes,
            status_maps,
        } = self;
        let master = MasterData {
            units,
            entities,
            regions,
            sites,
            suppliers,
            customers,
            items,
            policies,
            lanes,
            delivery_lanes,
        };
        (master, status_maps)
    }

    /// Appends every list of `other` to this document's (several files make one network).
    pub fn merge(&mut self, other: NetworkDoc) {
        let NetworkDoc {
            units,
            entities,
            regions,
            sites,
            suppliers,
            customers,
            items,
            policies,
            lanes,
            delivery_lanes,
            status_maps,
        } = other;
        self.units.extend(units);
        self.entities.extend(entities);
        self.regions.extend(regions);
        self.sites.extend(sites);
        self.suppliers.extend(suppliers);
        self.customers.extend(customers);
        self.items.extend(items);
        self.policies.extend(policies);
        self.lanes.extend(lanes);
        self.delivery_lanes.extend(delivery_lanes);
        self.status_maps.extend(status_maps);
    }
}

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
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Reads and parses one file.
///
/// `name` is how errors name the file (usually the path as the user wrote it).
///
/// # Errors
/// [`InputError::Read`] when the file cannot be read, else as [`parse_bytes`].
pub fn read_file(path: &Path, name: &str, format: Format) -> Result<NetworkDoc, InputError> {
    let bytes = std::fs::read(path)
        .map_err(|e| InputError::Read { file: name.to_owned(), reason: io_reason(&e) })?;
    parse_bytes(name, &bytes, format)
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "it is a directory".to_owned(),
        _ => e.to_string(),
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

/// Parses a network document (JSON or TOML), or an item master (CSV) as a document that
/// holds only items.
///
/// # Errors
/// [`InputError::Empty`] for text that is only white space; [`InputError::Invalid`] for
/// a syntax error, a value of the wrong type, an unknown field, or a value its type
/// refuses (a bad code, a float where a decimal string belongs), naming the line, column
/// and field path.
pub fn parse_network(name: &str, text: &str, format: Format) -> Result<NetworkDoc, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Empty { file: name.to_owned() });
    }
    match format {
        Format::Json => parse_json(name, text),
        Format::Toml => parse_toml(name, text),
        Format::Csv => {
            let items = crate::csv_items::parse_items_csv(name, text)?;
            Ok(NetworkDoc { items, ..NetworkDoc::default() })
        }
    }
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

fn parse_json(name: &str, text: &str) -> Result<NetworkDoc, InputError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let doc: NetworkDoc = serde_path_to_error::deserialize(&mut de).map_err(|e| {
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

fn parse_toml(name: &str, text: &str) -> Result<NetworkDoc, InputError> {
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
/// use onhand_cli::line_col;
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
        assert_eq!(Format::from_path(Path::new("a.json")), Some(Format::Json));
        assert_eq!(Format::from_path(Path::new("a.Toml")), Some(Format::Toml));
        assert_eq!(Format::from_path(Path::new("a.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("a")), None);
        assert_eq!(Format::from_path(Path::new("a.yaml")), None);
    }

    #[test]
    fn parts_round_trip() {
        let master = onhand_master::seed::demo_network();
        let maps = onhand_status::demo_status_maps();
        let doc = NetworkDoc::from_parts(master.clone(), maps.clone());
        assert_eq!(doc.into_parts(), (master, maps));
    }
}
