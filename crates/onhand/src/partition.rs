//! Partitions: how a network's items are split across processes.
//!
//! A [`Partition`] is one of `count` parts. An item belongs to the part chosen by a
//! stable hash (64-bit FNV-1a) of the smallest item code in its substitution group, so
//! items that may substitute for each other always share a partition (a promise may
//! draw on all of them). The assignment depends only on the codes, never on the order
//! of the master data or on the platform, so every process of a deployment agrees on it.
//!
//! A partitioned [`Network`](crate::Network) is built from the full master data but
//! holds state only for its items; an event naming another partition's item is refused
//! with [`Error::NotInPartition`]. Split multi-item events
//! with [`split_event`] before routing them.

use std::collections::BTreeMap;

use onhand_ledger::{Body, Event};
use onhand_master::{Catalog, ItemCode, ItemIx};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One part of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partition {
    /// This part, from 0.
    pub index: u16,
    /// How many parts there are (at least 1).
    pub count: u16,
}

impl Partition {
    /// Part `index` of `count`.
    ///
    /// # Errors
    /// [`Error::Config`] when `count` is 0 or `index` is not below it.
    pub fn new(index: u16, count: u16) -> Result<Self, Error> {
        if count == 0 || index >= count {
            return Err(Error::Config {
                what: format!("partition {index} of {count}: need 0 <= index < count"),
            });
        }
        Ok(Partition { index, count })
    }
}

/// 64-bit FNV-1a: stable, platform-independent, and good enough to spread codes.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The part of `count` that holds an item whose substitution group's smallest code is
/// `root`.
#[must_use]
pub fn part_of_root(root: &ItemCode, count: u16) -> u16 {
    let n = u64::from(count.max(1));
    // The remainder is below `count`, which is a u16.
    u16::try_from(fnv1a(root.as_str().as_bytes()) % n).unwrap_or(0)
}

/// For every item of the catalog (by handle), the smallest item code in its
/// substitution group (substitution links taken both ways).
#[must_use]
pub fn group_roots(catalog: &Catalog) -> Vec<ItemCode> {
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while let Some(&p) = parent.get(x) {
            if p == x {
                break;
            }
            let gp = parent.get(p).copied().unwrap_or(p);
            if let Some(slot) = parent.get_mut(x) {
                *slot = gp;
            }
            x = gp;
        }
        x
    }
    let n = catalog.item_count();
    let mut parent: Vec<usize> = (0..n).collect();
    for (ix, item) in catalog.items() {
        for s in &item.substitutes {
            if let Some((six, _)) = catalog.lookup_item(&s.item) {
                let (a, b) = (find(&mut parent, ix.index()), find(&mut parent, six.index()));
                if a != b {
                    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                    if let Some(slot) = parent.get_mut(hi) {
                        *slot = lo;
                    }
                }
            }
        }
    }
    // The smallest code per group root.
    let mut smallest: BTreeMap<usize, ItemCode> = BTreeMap::new();
    let codes: Vec<(usize, ItemCode)> = catalog
        .items()
        .map(|(ix, item)| (find(&mut parent, ix.index()), item.code.clone()))
        .collect();
    for (root, code) in &codes {
        smallest
            .entry(*root)
            .and_modify(|c| {
                if code < c {
                    *c = code.clone();
                }
            })
            .or_insert_with(|| code.clone());
    }
    codes.into_iter().map(|(root, code)| smallest.get(&root).cloned().unwrap_or(code)).collect()
}

/// The part of `count` every item of the catalog belongs to, by handle.
#[must_use]
pub fn assignment(catalog: &Catalog, count: u16) -> Vec<u16> {
    group_roots(catalog).iter().map(|root| part_of_root(root, count)).collect()
}

/// The items an event names (movement and count lines, transfer request lines).
pub(crate) fn event_items(event: &Event) -> impl Iterator<Item = &ItemCode> {
    let moves = event.body.movement();
    let (counts, transfer) = match &event.body {
        Body::CycleCount(c) => (Some(c), None),
        Body::TransferRequest(t) => (None, Some(t)),
        _ => (None, None),
    };
    moves
        .into_iter()
        .flat_map(|m| m.lines.iter().map(|l| &l.item))
        .chain(counts.into_iter().flat_map(|c| c.lines.iter().map(|l| &l.item)))
        .chain(transfer.into_iter().flat_map(|t| t.lines.iter().map(|l| &l.item)))
}

/// Splits an event into one event per partition holding its items, each with only the
/// lines of that partition's items and the same id, time, actor, reason and reference.
/// Events naming no item (approvals, transfer approvals and closes, period closes) go
/// to every partition, since only the host knows which one holds what they name.
///
/// Lines of an item the catalog does not know stay with partition 0, whose ledger
/// refuses them with its usual error.
#[must_use]
pub fn split_event(catalog: &Catalog, event: &Event, count: u16) -> Vec<(u16, Event)> {
    let roots = group_roots(catalog);
    let part = |code: &ItemCode| {
        catalog
            .item_ix(code)
            .and_then(|ix: ItemIx| roots.get(ix.index()))
            .map_or(0, |root| part_of_root(root, count))
    };
    let parts: std::collections::BTreeSet<u16> = event_items(event).map(part).collect();
    if parts.is_empty() {
        return (0..count.max(1)).map(|p| (p, event.clone())).collect();
    }
    parts
        .into_iter()
        .map(|p| {
            let mut e = event.clone();
            match &mut e.body {
                Body::Receipt(m)
                | Body::Putaway(m)
                | Body::Pick(m)
                | Body::Ship(m)
                | Body::TransferShip(m)
                | Body::TransferReceipt(m)
                | Body::CustomerReturn(m)
                | Body::Disposition(m)
                | Body::Adjustment(m)
                | Body::StatusChange(m)
                | Body::Scrap(m)
                | Body::SupplierReturn(m) => m.lines.retain(|l| part(&l.item) == p),
                Body::CycleCount(c) => c.lines.retain(|l| part(&l.item) == p),
                Body::TransferRequest(t) => t.lines.retain(|l| part(&l.item) == p),
                _ => {}
            }
            (p, e)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use onhand_master::seed;

    #[test]
    fn substitutes_share_a_partition_whatever_the_count() -> Result<(), Box<dyn std::error::Error>>
    {
        let catalog = Catalog::new(seed::demo_network())?;
        let bolt = catalog.item_ix(&"BOLT-M8".parse()?).ok_or("item")?;
        let ss = catalog.item_ix(&"BOLT-M8-SS".parse()?).ok_or("item")?;
        for count in 1..9 {
            let a = assignment(&catalog, count);
            assert_eq!(a.get(bolt.index()), a.get(ss.index()));
            assert!(a.iter().all(|p| *p < count));
        }
        Ok(())
    }

    #[test]
    fn the_assignment_is_pinned() {
        // A deployment's processes must agree for ever: pin the hash.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"BOLT-M8"), 0x1f71_6c88_ed0c_be04);
    }
}
