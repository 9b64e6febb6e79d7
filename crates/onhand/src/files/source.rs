//! Where each record of a network was read: [`Sources`] keeps a file and a line per
//! record, parallel to the lists of a [`NetworkDoc`], so a finding about a record can
//! name the file and line that hold it.

use onhand_master::{MasterData, Site};
use onhand_status::SiteStatusMap;
use serde::Serialize;

use super::NetworkDoc;

/// A place in the input: a file as the user named it, and a 1-based line.
///
/// Displays as `file:line`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The file, as the user named it (`<stdin>` for standard input).
    pub file: String,
    /// The 1-based line where the record starts.
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A record's place, compactly: an index into [`Sources::files`] and a 1-based line (0
/// when the line is not known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    file: u32,
    line: u32,
}

impl Pos {
    /// Line `line` of the only file of a one-file [`Sources`]; a line beyond `u32` (a
    /// file beyond the input limit) is unknown.
    #[must_use]
    pub fn line(line: usize) -> Pos {
        Pos { file: 0, line: u32::try_from(line).unwrap_or(0) }
    }

    /// The line (0: unknown).
    #[must_use]
    pub fn line_number(self) -> u32 {
        self.line
    }
}

/// Where every record of a [`NetworkDoc`] was read, list by list and in the same order
/// (zones and bins per site). Built by the parsers, merged with the documents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sources {
    /// The files the records were read from, in merge order.
    pub files: Vec<String>,
    /// Global units.
    pub units: Vec<Pos>,
    /// Legal entities.
    pub entities: Vec<Pos>,
    /// Regions.
    pub regions: Vec<Pos>,
    /// Sites.
    pub sites: Vec<Pos>,
    /// Each site's zones.
    pub zones: Vec<Vec<Pos>>,
    /// Each site's bins.
    pub bins: Vec<Vec<Pos>>,
    /// Suppliers.
    pub suppliers: Vec<Pos>,
    /// Customers.
    pub customers: Vec<Pos>,
    /// Items.
    pub items: Vec<Pos>,
    /// Item-site policies.
    pub policies: Vec<Pos>,
    /// Sourcing lanes.
    pub lanes: Vec<Pos>,
    /// Delivery lanes.
    pub delivery_lanes: Vec<Pos>,
    /// Site status maps.
    pub status_maps: Vec<Pos>,
}

impl Sources {
    /// Sources for a document read from `file` whose lines are not known: every record
    /// is placed in the file without a line, so the lists stay parallel.
    #[must_use]
    pub fn unknown_lines(file: &str, doc: &NetworkDoc) -> Sources {
        let none = |n: usize| vec![Pos::default(); n];
        Sources {
            files: vec![file.to_owned()],
            units: none(doc.master.units.len()),
            entities: none(doc.master.entities.len()),
            regions: none(doc.master.regions.len()),
            sites: none(doc.master.sites.len()),
            zones: doc.master.sites.iter().map(|s| none(s.zones.len())).collect(),
            bins: doc.master.sites.iter().map(|s| none(s.bins.len())).collect(),
            suppliers: none(doc.master.suppliers.len()),
            customers: none(doc.master.customers.len()),
            items: none(doc.master.items.len()),
            policies: none(doc.master.policies.len()),
            lanes: none(doc.master.lanes.len()),
            delivery_lanes: none(doc.master.delivery_lanes.len()),
            status_maps: none(doc.status_maps.len()),
        }
    }

    /// Whether every list is as long as the network's (zones and bins site by site).
    #[must_use]
    pub fn fits(&self, master: &MasterData, maps: &[SiteStatusMap]) -> bool {
        let d = master;
        let per_site = |lists: &[Vec<Pos>], len: fn(&Site) -> usize| {
            lists.len() == d.sites.len()
                && lists.iter().zip(&d.sites).all(|(l, s)| l.len() == len(s))
        };
        self.units.len() == d.units.len()
            && self.entities.len() == d.entities.len()
            && self.regions.len() == d.regions.len()
            && self.sites.len() == d.sites.len()
            && per_site(&self.zones, |s| s.zones.len())
            && per_site(&self.bins, |s| s.bins.len())
            && self.suppliers.len() == d.suppliers.len()
            && self.customers.len() == d.customers.len()
            && self.items.len() == d.items.len()
            && self.policies.len() == d.policies.len()
            && self.lanes.len() == d.lanes.len()
            && self.delivery_lanes.len() == d.delivery_lanes.len()
            && self.status_maps.len() == maps.len()
    }

    /// Appends `other`'s records after this one's, as [`NetworkDoc::merge`] appends the
    /// documents.
    pub fn merge(&mut self, other: Sources) {
        let offset = u32::try_from(self.files.len()).unwrap_or(u32::MAX);
        let shift = |list: Vec<Pos>| {
            list.into_iter().map(move |p| Pos { file: p.file.saturating_add(offset), line: p.line })
        };
        let Sources {
            files,
            units,
            entities,
            regions,
            sites,
            zones,
            bins,
            suppliers,
            customers,
            items,
            policies,
            lanes,
            delivery_lanes,
            status_maps,
        } = other;
        self.files.extend(files);
        self.units.extend(shift(units));
        self.entities.extend(shift(entities));
        self.regions.extend(shift(regions));
        self.sites.extend(shift(sites));
        self.zones.extend(zones.into_iter().map(|z| shift(z).collect()));
        self.bins.extend(bins.into_iter().map(|b| shift(b).collect()));
        self.suppliers.extend(shift(suppliers));
        self.customers.extend(shift(customers));
        if self.items.is_empty() {
            // The common large case, one item master: no copy.
            self.items = shift_in_place(items, offset);
        } else {
            self.items.extend(shift(items));
        }
        self.policies.extend(shift(policies));
        self.lanes.extend(shift(lanes));
        self.delivery_lanes.extend(shift(delivery_lanes));
        self.status_maps.extend(shift(status_maps));
    }

    /// The files, in the order they were merged.
    #[must_use]
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The location of `pos`, when its line is known.
    #[must_use]
    pub fn location(&self, pos: Pos) -> Option<Location> {
        let file = self.files.get(usize::try_from(pos.file).ok()?)?;
        let line = usize::try_from(pos.line).ok().filter(|l| *l > 0)?;
        Some(Location { file: file.clone(), line })
    }
}

fn shift_in_place(mut list: Vec<Pos>, offset: u32) -> Vec<Pos> {
    if offset > 0 {
        for p in &mut list {
            p.file = p.file.saturating_add(offset);
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_renumbers_files_and_appends_lists() {
        let mut a = Sources {
            files: vec!["a.toml".into()],
            items: vec![Pos::line(3)],
            ..Sources::default()
        };
        let b = Sources {
            files: vec!["b.csv".into()],
            items: vec![Pos::line(2), Pos::line(0)],
            ..Sources::default()
        };
        a.merge(b);
        assert_eq!(a.files(), ["a.toml", "b.csv"]);
        let at: Vec<Option<Location>> = a.items.iter().map(|p| a.location(*p)).collect();
        assert_eq!(
            at,
            [
                Some(Location { file: "a.toml".into(), line: 3 }),
                Some(Location { file: "b.csv".into(), line: 2 }),
                None
            ]
        );
        assert_eq!(Location { file: "b.csv".into(), line: 2 }.to_string(), "b.csv:2");
    }
}
