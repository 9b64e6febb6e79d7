//! A plain-text table: columns padded to their widest cell, measured in characters.

use std::io::{self, Write};

/// How a column's cells line up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Right,
}

/// Rows of cells under a header, written with two spaces between columns.
#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles; a title starting with `>` is right-aligned.
    pub(crate) fn new(columns: &[&str]) -> Self {
        let mut header = Vec::with_capacity(columns.len());
        let mut align = Vec::with_capacity(columns.len());
        for c in columns {
            if let Some(title) = c.strip_prefix('>') {
                header.push(title.to_owned());
                align.push(Align::Right);
            } else {
                header.push((*c).to_owned());
                align.push(Align::Left);
            }
        }
        Table { header, align, rows: Vec::new() }
    }

    /// Adds a row; missing cells are blank, extra cells are dropped.
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Writes the table, each line indented by `indent` spaces, without trailing spaces.
    pub(crate) fn write(&self, out: &mut dyn Write, indent: usize) -> io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        for cells in std::iter::once(&self.header).chain(std::iter::once(&rule)).chain(&self.rows) {
            let mut line = " ".repeat(indent);
            for (i, (width, align)) in widths.iter().zip(&self.align).enumerate() {
                let cell = cells.get(i).map_or("", String::as_str);
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = width.saturating_sub(cell.chars().count());
                match align {
                    Align::Left => {
                        line.push_str(cell);
                        line.push_str(&" ".repeat(pad));
                    }
                    Align::Right => {
                        line.push_str(&" ".repeat(pad));
                        line.push_str(cell);
                    }
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_pad_to_the_widest_cell() {
        let mut t = Table::new(&["code", ">qty", "note"]);
        t.row(vec!["A".into(), "1".into(), "é".into()]);
        t.row(vec!["LONGER".into(), "1200".into()]);
        let mut out = Vec::new();
        t.write(&mut out, 2).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  code     qty  note\n  ------  ----  ----\n  A          1  é\n  LONGER  1200\n"
        );
    }
}
