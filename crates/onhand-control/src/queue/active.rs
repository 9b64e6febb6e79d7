//! [`Active`]: the active exceptions by dedup key, found through the key's 64-bit
//! fingerprint.
//!
//! The dedup key (a kind and a subject) is large; a table of a million of them is slow
//! to probe and slower to grow. This index keys a small table by the fingerprint the
//! rank already carries, and checks the exception it finds against the key itself. Two
//! different active keys with the same fingerprint are kept apart: the second goes into
//! a table keyed by the full key, which is empty unless such a collision happened.

use std::collections::hash_map::Entry;

use onhand_master::hash::{Map, map};

use super::{Exception, Key};
use crate::store::Store;

/// Active exceptions by dedup key (see the module documentation).
#[derive(Debug, Clone)]
pub(crate) struct Active {
    /// Fingerprint -> index of the active exception with a key of that fingerprint.
    by_print: Map<u64, usize>,
    /// Active keys whose fingerprint another active key holds in `by_print`.
    collided: Map<Key, usize>,
}

impl Default for Active {
    fn default() -> Self {
        Active { by_print: map(), collided: map() }
    }
}

impl PartialEq for Active {
    fn eq(&self, other: &Self) -> bool {
        self.by_print == other.by_print && self.collided == other.collided
    }
}

impl Eq for Active {}

/// Whether exception `i` has dedup key `key`.
fn holds(items: &Store<Exception>, i: usize, key: &Key) -> bool {
    items.get(i).is_some_and(|e| e.kind == key.0 && e.subject == key.1)
}

impl Active {
    /// How many keys are active.
    pub(crate) fn len(&self) -> usize {
        self.by_print.len() + self.collided.len()
    }

    /// The index of the active exception with `key` (of fingerprint `print`).
    pub(crate) fn get(&self, key: &Key, print: u64, items: &Store<Exception>) -> Option<usize> {
        match self.by_print.get(&print) {
            Some(&i) if holds(items, i, key) => Some(i),
            None if self.collided.is_empty() => None,
            // Another key holds the fingerprint, or held it: a collided key stays in
            // `collided` after the key it collided with has gone.
            Some(_) | None => self.collided.get(key).copied(),
        }
    }

    /// Records exception `i` as the active one with `key`; `false` (and nothing
    /// changed) when an active exception already has that key.
    pub(crate) fn insert(
        &mut self,
        key: Key,
        print: u64,
        i: usize,
        items: &Store<Exception>,
    ) -> bool {
        if self.get(&key, print, items).is_some() {
            return false;
        }
        match self.by_print.entry(print) {
            Entry::Vacant(slot) => {
                slot.insert(i);
            }
            Entry::Occupied(_) => {
                self.collided.insert(key, i);
            }
        }
        true
    }

    /// Forgets the active exception with `key`.
    pub(crate) fn remove(&mut self, key: &Key, print: u64, items: &Store<Exception>) {
        match self.by_print.get(&print) {
            Some(&i) if holds(items, i, key) => {
                self.by_print.remove(&print);
            }
            _ => {
                self.collided.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly on a broken fixture")]
    use chrono::{TimeZone, Utc};
    use onhand_master::{CurrencyCode, ItemCode, SiteCode};
    use rust_decimal::Decimal;

    use super::*;
    use crate::queue::Control;
    use crate::{ExceptionKind, Impact, Rules, Signal, Subject};

    /// Two keys forced onto one fingerprint are found, refused twice and forgotten
    /// apart, whichever goes first.
    #[test]
    fn keys_sharing_a_fingerprint_stay_apart() {
        let usd = CurrencyCode::new("USD").unwrap();
        let mut c = Control::new(Rules::standard(usd)).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let mut keys = Vec::new();
        for item in ["A", "B", "C"] {
            let subject = Subject::ItemSite {
                item: ItemCode::new(item).unwrap(),
                site: SiteCode::new("S1").unwrap(),
                lot: None,
            };
            let s = Signal::new(
                ExceptionKind::StockoutRisk,
                subject.clone(),
                at,
                Impact::value(Decimal::from(900), usd),
            );
            c.apply(&s).unwrap();
            keys.push((ExceptionKind::StockoutRisk, subject));
        }
        for first in 0..2 {
            let mut a = Active::default();
            for (i, key) in keys.iter().enumerate() {
                assert!(a.insert(key.clone(), 7, i, &c.items));
                assert!(!a.insert(key.clone(), 7, i, &c.items), "a second active one");
            }
            assert_eq!(a.len(), 3);
            for (i, key) in keys.iter().enumerate() {
                assert_eq!(a.get(key, 7, &c.items), Some(i));
            }
            a.remove(&keys[first], 7, &c.items);
            assert_eq!(a.len(), 2);
            assert_eq!(a.get(&keys[first], 7, &c.items), None);
            for (i, key) in keys.iter().enumerate().filter(|(i, _)| *i != first) {
                assert_eq!(a.get(key, 7, &c.items), Some(i));
            }
            assert!(a.insert(keys[first].clone(), 7, first, &c.items));
            assert_eq!(a.get(&keys[first], 7, &c.items), Some(first));
            assert_eq!(a.len(), 3);
        }
    }
}
