//! The CSV item master: one item per row, with packaging units and substitutes packed
//! into one cell each.
//!
//! | column | required | example | empty means |
//! |---|---|---|---|
//! | `code` | yes | `BOLT-M8` | — |
//! | `description` | no | `Hex bolt M8x40` | no description |
//! | `base_uom` | yes | `EA` | — |
//! | `tracking` | no | `none`, `lot`, `serial` | `none` |
//! | `shelf_life_days` | no | `365` | no expiry |
//! | `velocity` | no | `A`, `B`, `C`, `D`, `unclassified` | `unclassified` |
//! | `units` | no | `CS=12 EA;PL=40 CS` (each `UNIT=FACTOR PER`) | no packaging units |
//! | `substitutes` | no | `BOLT-M8-SS:1;OTHER:2` (ratio optional, default 1) | none |
//!
//! The header row names the columns, in any order; an unknown or repeated column is an
//! error. Cells are trimmed.

use onhand_master::decimal::serde_str;
use onhand_master::{
    Decimal, Item, ItemCode, ItemUnit, Substitute, Tracking, UomCode, VelocityClass,
};
use serde::Deserialize;
use serde::de::value::{Error as ValueError, StrDeserializer};

use crate::input::InputError;
use onhand::files::Pos;

/// The columns of the item master, in the documented order.
pub const COLUMNS: [&str; 8] = [
    "code",
    "description",
    "base_uom",
    "tracking",
    "shelf_life_days",
    "velocity",
    "units",
    "substitutes",
];

pub(crate) const REQUIRED: [&str; 2] = ["code", "base_uom"];

/// Parses a CSV item master.
///
/// # Errors
/// [`InputError::Empty`] for an empty text; [`InputError::Invalid`] naming the line and
/// column (the CSV column's name) for an unknown, repeated or missing column, a row with
/// the wrong number of cells, or a cell its field refuses.
///
/// ```
/// use onhand_cli::parse_items_csv;
/// let csv = "code,base_uom,units,substitutes\nBOLT-M8,EA,CS=120 EA;PL=40 CS,BOLT-M8-SS\n";
/// let items = parse_items_csv("items.csv", csv)?;
/// assert_eq!(items[0].units.len(), 2);
/// assert_eq!(items[0].substitutes[0].item.as_str(), "BOLT-M8-SS");
/// let err = parse_items_csv("items.csv", "code,base_uom\nBOLT-M8,ea\n").unwrap_err();
/// assert_eq!(err.to_string(),
///     "items.csv:2: base_uom: invalid unit of measure \"ea\": use 1 to 8 of A-Z, 0-9 and _");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_items_csv(name: &str, text: &str) -> Result<Vec<Item>, InputError> {
    parse(name, text, None)
}

/// Parses a CSV item master like [`parse_items_csv`], with the line each item's row
/// starts on.
pub(crate) fn parse_items_csv_lines(
    name: &str,
    text: &str,
) -> Result<(Vec<Item>, Vec<Pos>), InputError> {
    let mut lines = Vec::new();
    let items = parse(name, text, Some(&mut lines))?;
    Ok((items, lines))
}

fn parse(
    name: &str,
    text: &str,
    mut lines: Option<&mut Vec<Pos>>,
) -> Result<Vec<Item>, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Empty { file: name.to_owned() });
    }
    let at = |line: Option<u64>, field: Option<&str>, message: String| InputError::Invalid {
        file: name.to_owned(),
        line: line.and_then(|l| usize::try_from(l).ok()),
        column: None,
        field: field.map(str::to_owned),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| csv_error(name, &e))?.clone();
    let header_line = Some(1);
    let mut columns: Vec<&'static str> = Vec::with_capacity(headers.len());
    for header in &headers {
        let Some(known) = COLUMNS.iter().find(|c| **c == header) else {
            let message =
                format!("unknown column {header:?}: the columns are {}", COLUMNS.join(", "));
            return Err(at(header_line, Some(header), message));
        };
        if columns.contains(known) {
            return Err(at(header_line, Some(header), "the column appears twice".to_owned()));
        }
        columns.push(known);
    }
    if let Some(missing) = REQUIRED.iter().find(|r| !columns.contains(r)) {
        return Err(at(header_line, Some(missing), "the required column is missing".to_owned()));
    }

    // One row per line but for quoted line breaks: room for every item at once, so the
    // list never doubles past what it needs.
    let rows = text.bytes().filter(|b| *b == b'\n').count();
    let mut items = Vec::with_capacity(rows);
    if let Some(lines) = lines.as_deref_mut() {
        lines.reserve_exact(rows);
    }
    let mut record = csv::StringRecord::new();
    loop {
        if !reader.read_record(&mut record).map_err(|e| csv_error(name, &e))? {
            break;
        }
        let line = record.position().map(csv::Position::line);
        let cell = |column: &str| {
            columns.iter().position(|c| *c == column).and_then(|i| record.get(i)).unwrap_or("")
        };
        let fail = |column: &str, message: String| at(line, Some(column), message);
        let code = ItemCode::new(cell("code")).map_err(|e| fail("code", e.to_string()))?;
        let base = UomCode::new(cell("base_uom")).map_err(|e| fail("base_uom", e.to_string()))?;
        let mut item = Item::new(code, cell("description"), base);
        item.tracking = parse_tracking(cell("tracking")).map_err(|m| fail("tracking", m))?;
        item.shelf_life_days =
            parse_shelf_life(cell("shelf_life_days")).map_err(|m| fail("shelf_life_days", m))?;
        item.velocity = parse_velocity(cell("velocity")).map_err(|m| fail("velocity", m))?;
        item.units = parse_units(cell("units")).map_err(|m| fail("units", m))?;
        item.substitutes =
            parse_substitutes(cell("substitutes")).map_err(|m| fail("substitutes", m))?;
        items.push(item);
        if let Some(lines) = lines.as_deref_mut() {
            lines.push(Pos::line(line.and_then(|l| usize::try_from(l).ok()).unwrap_or(0)));
        }
    }
    Ok(items)
}

fn csv_error(name: &str, e: &csv::Error) -> InputError {
    let line = e.position().and_then(|p| usize::try_from(p.line()).ok());
    let message = match e.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("the row has {len} cell(s), the header {expected_len}")
        }
        _ => e.to_string(),
    };
    InputError::Invalid { file: name.to_owned(), line, column: None, field: None, message }
}

/// Reads `text` the way files spell a value of `T` (a snake-case enum name, say).
fn by_serde<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, String> {
    T::deserialize(StrDeserializer::<ValueError>::new(text)).map_err(|e| e.to_string())
}

/// A decimal in plain notation, by the same rule as decimal fields in TOML and JSON.
fn parse_decimal(text: &str) -> Result<Decimal, String> {
    serde_str::deserialize(StrDeserializer::<ValueError>::new(text)).map_err(|e| e.to_string())
}

/// `none`, `lot` or `serial`; empty is `none`.
fn parse_tracking(cell: &str) -> Result<Tracking, String> {
    if cell.is_empty() { Ok(Tracking::None) } else { by_serde(cell) }
}

/// `A` to `D` or `unclassified`; empty is unclassified.
fn parse_velocity(cell: &str) -> Result<VelocityClass, String> {
    if cell.is_empty() { Ok(VelocityClass::Unclassified) } else { by_serde(cell) }
}

/// A whole number of days; empty is none.
fn parse_shelf_life(cell: &str) -> Result<Option<u32>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    cell.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("{cell:?} is not a whole number of days (0 to {})", u32::MAX))
}

/// Entries separated by `;`, skipping empty ones (a trailing `;` is fine).
fn entries(cell: &str) -> impl Iterator<Item = (usize, &str)> {
    cell.split(';').map(str::trim).filter(|e| !e.is_empty()).enumerate().map(|(i, e)| (i + 1, e))
}

/// `CS=12 EA;PL=40 CS`: each entry `UNIT=FACTOR PER`.
fn parse_units(cell: &str) -> Result<Vec<ItemUnit>, String> {
    let mut out = Vec::new();
    for (n, entry) in entries(cell) {
        let wrong = || format!("entry {n} {entry:?}: write UNIT=FACTOR PER, such as CS=12 EA");
        let (unit, rest) = entry.split_once('=').ok_or_else(wrong)?;
        let mut words = rest.split_whitespace();
        let (Some(factor), Some(per), None) = (words.next(), words.next(), words.next()) else {
            return Err(wrong());
        };
        let in_entry = |e: String| format!("entry {n} {entry:?}: {e}");
        out.push(ItemUnit {
            unit: UomCode::new(unit.trim()).map_err(|e| in_entry(e.to_string()))?,
            factor: parse_decimal(factor).map_err(in_entry)?,
            per: UomCode::new(per).map_err(|e| in_entry(e.to_string()))?,
            rounding: None,
        });
    }
    Ok(out)
}

/// `BOLT-M8-SS:1;OTHER:2`: each entry `ITEM[:RATIO]`, the ratio 1 when left out.
fn parse_substitutes(cell: &str) -> Result<Vec<Substitute>, String> {
    let mut out = Vec::new();
    for (n, entry) in entries(cell) {
        let in_entry = |e: String| format!("entry {n} {entry:?}: {e}");
        let (code, ratio) = match entry.split_once(':') {
            Some((code, ratio)) => (code.trim(), parse_decimal(ratio.trim()).map_err(in_entry)?),
            None => (entry, Decimal::ONE),
        };
        let item = ItemCode::new(code).map_err(|e| in_entry(e.to_string()))?;
        out.push(Substitute { item, ratio });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    fn unit(u: &str, f: &str, p: &str) -> ItemUnit {
        ItemUnit {
            unit: UomCode::new(u).unwrap(),
            factor: d(f),
            per: UomCode::new(p).unwrap(),
            rounding: None,
        }
    }

    #[test]
    fn units_cell() {
        let check = |cell: &str, expected: Result<Vec<ItemUnit>, &str>| {
            let got = parse_units(cell);
            match expected {
                Ok(units) => assert_eq!(got, Ok(units), "{cell:?}"),
                Err(needle) => {
                    let msg = got.unwrap_err();
                    assert!(msg.contains(needle), "{cell:?}: {msg}");
                }
            }
        };
        check("", Ok(vec![]));
        check("CS=12 EA", Ok(vec![unit("CS", "12", "EA")]));
        check(
            " CS = 12  EA ; PL=40 CS; ",
            Ok(vec![unit("CS", "12", "EA"), unit("PL", "40", "CS")]),
        );
        check("EA=0.25 KG", Ok(vec![unit("EA", "0.25", "KG")]));
        check("CS 12 EA", Err("entry 1 \"CS 12 EA\": write UNIT=FACTOR PER"));
        check("CS=12", Err("write UNIT=FACTOR PER"));
        check("CS=12 EA X", Err("write UNIT=FACTOR PER"));
        check("CS=12 EA;PL=forty CS", Err("entry 2 \"PL=forty CS\": \"forty\" is not a decimal"));
        check("CS=1e3 EA", Err("is not a decimal"));
        check("cs=12 EA", Err("invalid unit of measure \"cs\""));
        check("CS=12 ea", Err("invalid unit of measure \"ea\""));
    }

    #[test]
    fn substitutes_cell() {
        let sub = |c: &str, r: &str| Substitute { item: ItemCode::new(c).unwrap(), ratio: d(r) };
        assert_eq!(parse_substitutes(""), Ok(vec![]));
        assert_eq!(parse_substitutes("BOLT-M8-SS"), Ok(vec![sub("BOLT-M8-SS", "1")]));
        assert_eq!(
            parse_substitutes("BOLT-M8-SS:1; OTHER : 2.5"),
            Ok(vec![sub("BOLT-M8-SS", "1"), sub("OTHER", "2.5")])
        );
        let err = parse_substitutes("A:x").unwrap_err();
        assert!(err.contains("entry 1 \"A:x\": \"x\" is not a decimal"), "{err}");
        let err = parse_substitutes("A;B C").unwrap_err();
        assert!(err.starts_with("entry 2 \"B C\": invalid item code"), "{err}");
    }

    #[test]
    fn enum_and_number_cells() {
        assert_eq!(parse_tracking(""), Ok(Tracking::None));
        assert_eq!(parse_tracking("lot"), Ok(Tracking::Lot));
        let err = parse_tracking("Lot").unwrap_err();
        assert!(err.contains("unknown variant `Lot`"), "{err}");
        assert_eq!(parse_velocity(""), Ok(VelocityClass::Unclassified));
        assert_eq!(parse_velocity("A"), Ok(VelocityClass::A));
        assert_eq!(parse_velocity("unclassified"), Ok(VelocityClass::Unclassified));
        assert!(parse_velocity("E").is_err());
        assert_eq!(parse_shelf_life(""), Ok(None));
        assert_eq!(parse_shelf_life("365"), Ok(Some(365)));
        for bad in ["-1", "1.5", "99999999999", "ten"] {
            let err = parse_shelf_life(bad).unwrap_err();
            assert!(err.contains("not a whole number of days"), "{bad}: {err}");
        }
        assert_eq!(parse_decimal("12.50"), Ok(d("12.50")));
        assert!(parse_decimal("1,5").is_err());
    }

    #[test]
    fn header_problems_name_the_column() {
        let err = parse_items_csv("i.csv", "code,base_uom,colour\nA,EA,red\n").unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(1), Some("colour")));
        let err = parse_items_csv("i.csv", "code,code,base_uom\n").unwrap_err();
        assert_eq!(err.field(), Some("code"));
        let err = parse_items_csv("i.csv", "code,description\nA,x\n").unwrap_err();
        assert_eq!(err.field(), Some("base_uom"));
        assert!(err.to_string().contains("required column is missing"), "{err}");
    }

    #[test]
    fn rows_are_checked_cell_by_cell() {
        let text = "code,base_uom,tracking\nA,EA,lot\nB,EA,batch\n";
        let err = parse_items_csv("i.csv", text).unwrap_err();
        assert_eq!((err.line(), err.field()), (Some(3), Some("tracking")));
        let err = parse_items_csv("i.csv", "code,base_uom\nA,EA,extra\n").unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().contains("the row has 3 cell(s), the header 2"), "{err}");
        let items = parse_items_csv("i.csv", "code,base_uom\n\"A\",\"EA\"\n").unwrap();
        assert_eq!(items[0].code.as_str(), "A");
    }
}
