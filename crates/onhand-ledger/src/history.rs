//! A position's open-period history: its changes in effective-time order (ties in
//! arrival order), answering "the balance as of a time" and "the lowest balance from a
//! time on" for back-dated events.
//!
//! Most positions see one or two changes per period, kept as a short sorted list
//! inline in the slot. A history past [`FLAT_MAX`] changes becomes a treap keyed by
//! effective time, each node carrying its subtree's sum of changes and lowest running
//! sum, so a back-dated change, [`History::suffix`] and through it the ledger's
//! back-dated negativity check cost O(log n) in the changes, not the number of changes
//! after the time (which made 20,000 back-dated events on one position quadratic).
//!
//! Treap priorities are drawn from the standard library's randomly keyed hasher: an
//! input cannot choose times that line its nodes up into a list. The shape differs from
//! run to run; every answer does not.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::position::Hist;
use crate::snapshot::DocumentEntry;

/// Changes kept as a sorted list; one more makes the history a tree. A back-dated
/// change on a list shifts at most this many entries and a read scans at most this
/// many.
pub(crate) const FLAT_MAX: usize = 32;

/// A saturating sum: past the decimal range a running balance reads as the range's end
/// (the ledger refuses any real balance out of range before it is recorded, so only
/// intermediate figures of contrived histories can reach it).
fn sat_add(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(if b.is_sign_negative() { Decimal::MIN } else { Decimal::MAX })
}

/// What a run of consecutive changes amounts to: their sum, and the lowest running sum
/// over its non-empty prefixes with the time of the earliest change reaching it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    /// The sum of the changes.
    pub(crate) sum: Decimal,
    /// The lowest running sum and when it is first reached (`None` for no changes).
    pub(crate) low: Option<(Decimal, i64)>,
}

impl Run {
    const EMPTY: Run = Run { sum: Decimal::ZERO, low: None };

    fn one(h: Hist) -> Run {
        Run { sum: h.change, low: Some((h.change, h.at)) }
    }

    /// `self` followed by `next`.
    fn then(self, next: Run) -> Run {
        let shifted = next.low.map(|(v, at)| (sat_add(self.sum, v), at));
        let low = match (self.low, shifted) {
            // On a tie the earlier change is the one reported.
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        Run { sum: sat_add(self.sum, next.sum), low }
    }
}

/// No node.
const NIL: u32 = u32::MAX;

#[derive(Debug, Clone)]
struct Node {
    h: Hist,
    prio: u64,
    left: u32,
    right: u32,
    /// The run of this node's subtree, in order.
    run: Run,
}

/// A treap of changes keyed by effective time (ties in arrival order).
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    nodes: Vec<Node>,
    root: u32,
    keys: RandomState,
}

impl Tree {
    fn new() -> Self {
        Tree { nodes: Vec::new(), root: NIL, keys: RandomState::new() }
    }

    fn node(&self, i: u32) -> Option<&Node> {
        self.nodes.get(i as usize)
    }

    fn run(&self, i: u32) -> Run {
        self.node(i).map_or(Run::EMPTY, |n| n.run)
    }

    /// Recomputes a node's run from its children.
    fn pull(&mut self, id: u32) {
        let Some(node) = self.node(id) else { return };
        let (left, change, right) = (node.left, node.h, node.right);
        let run = self.run(left).then(Run::one(change)).then(self.run(right));
        if let Some(node) = self.nodes.get_mut(id as usize) {
            node.run = run;
        }
    }

    fn set_left(&mut self, i: u32, to: u32) {
        if let Some(n) = self.nodes.get_mut(i as usize) {
            n.left = to;
        }
        self.pull(i);
    }

    fn set_right(&mut self, i: u32, to: u32) {
        if let Some(n) = self.nodes.get_mut(i as usize) {
            n.right = to;
        }
        self.pull(i);
    }

    /// Splits `t` into changes at or before `at` and changes after it.
    fn split(&mut self, t: u32, at: i64) -> (u32, u32) {
        let Some(n) = self.node(t) else { return (NIL, NIL) };
        let (left, right) = (n.left, n.right);
        if n.h.at <= at {
            let (a, b) = self.split(right, at);
            self.set_right(t, a);
            (t, b)
        } else {
            let (a, b) = self.split(left, at);
            self.set_left(t, b);
            (a, t)
        }
    }

    /// Joins `a` and `b`, every change of `a` coming before every change of `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        let (Some(na), Some(nb)) = (self.node(a), self.node(b)) else {
            return if a == NIL { b } else { a };
        };
        if na.prio >= nb.prio {
            let right = na.right;
            let m = self.merge(right, b);
            self.set_right(a, m);
            a
        } else {
            let left = nb.left;
            let m = self.merge(a, left);
            self.set_left(b, m);
            b
        }
    }

    /// Adds a change after every change at or before its time. `false` only when the
    /// tree holds `u32::MAX` changes already.
    fn insert(&mut self, h: Hist) -> bool {
        let Ok(id) = u32::try_from(self.nodes.len()) else { return false };
        if id == NIL {
            return false;
        }
        let mut hasher = self.keys.build_hasher();
        hasher.write_u32(id);
        self.nodes.push(Node { h, prio: hasher.finish(), left: NIL, right: NIL, run: Run::one(h) });
        let (l, r) = self.split(self.root, h.at);
        let l = self.merge(l, id);
        self.root = self.merge(l, r);
        true
    }

    /// The run of the changes after `at`.
    fn suffix(&self, at: i64) -> Run {
        // Walking down, every change found after `at` comes after those still below.
        let mut acc = Run::EMPTY;
        let mut t = self.root;
        while let Some(n) = self.node(t) {
            if n.h.at <= at {
                t = n.right;
            } else {
                acc = Run::one(n.h).then(self.run(n.right)).then(acc);
                t = n.left;
            }
        }
        acc
    }

    /// The sum of the changes effective after `lo` and before `hi` (see
    /// [`History::between`]): O(log n), down the two paths the bounds take.
    fn between(&self, lo: i64, hi: i64) -> Decimal {
        // Down to the first change inside the range: below it the bounds' paths part.
        let mut t = self.root;
        let top = loop {
            let Some(n) = self.node(t) else { return Decimal::ZERO };
            if n.h.at <= lo {
                t = n.right;
            } else if n.h.at >= hi {
                t = n.left;
            } else {
                break n;
            }
        };
        let mut sum = top.h.change;
        // Left of it every change is before `hi`: take each after `lo`, with its right.
        let mut t = top.left;
        while let Some(n) = self.node(t) {
            if n.h.at <= lo {
                t = n.right;
            } else {
                sum = sat_add(sum, sat_add(n.h.change, self.run(n.right).sum));
                t = n.left;
            }
        }
        // Right of it every change is after `lo`: take each before `hi`, with its left.
        let mut t = top.right;
        while let Some(n) = self.node(t) {
            if n.h.at >= hi {
                t = n.left;
            } else {
                sum = sat_add(sum, sat_add(n.h.change, self.run(n.left).sum));
                t = n.right;
            }
        }
        sum
    }

    fn len(&self) -> usize {
        self.nodes.len()
    }

    fn iter(&self) -> TreeIter<'_> {
        let mut it = TreeIter { tree: self, stack: Vec::new() };
        it.descend(self.root);
        it
    }

    fn last(&self) -> Option<Hist> {
        let mut t = self.node(self.root)?;
        while let Some(n) = self.node(t.right) {
            t = n;
        }
        Some(t.h)
    }
}

/// In-order walk of a [`Tree`].
pub(crate) struct TreeIter<'a> {
    tree: &'a Tree,
    stack: Vec<u32>,
}

impl TreeIter<'_> {
    fn descend(&mut self, mut t: u32) {
        while let Some(n) = self.tree.node(t) {
            self.stack.push(t);
            t = n.left;
        }
    }
}

impl Iterator for TreeIter<'_> {
    type Item = Hist;

    fn next(&mut self) -> Option<Hist> {
        let n = self.tree.node(self.stack.pop()?)?;
        self.descend(n.right);
        Some(n.h)
    }
}

/// The changes of a position's open period, in effective-time order (ties in arrival
/// order): a short sorted list, or past [`FLAT_MAX`] changes a [`Tree`].
#[derive(Debug, Clone)]
pub(crate) enum History {
    /// Up to [`FLAT_MAX`] changes.
    Flat(SmallVec<[Hist; 2]>),
    /// A long history.
    Tree(Box<Tree>),
}

impl Default for History {
    fn default() -> Self {
        History::Flat(SmallVec::new())
    }
}

impl PartialEq for History {
    /// The same changes in the same order, however each history holds them.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (History::Flat(a), History::Flat(b)) => a == b,
            _ => self.len() == other.len() && self.iter().eq(other.iter()),
        }
    }
}

impl Eq for History {}

impl FromIterator<Hist> for History {
    /// A history of changes given in effective-time order (an out-of-order change is
    /// placed after every change at or before its time).
    fn from_iter<I: IntoIterator<Item = Hist>>(iter: I) -> Self {
        let mut h = History::default();
        for x in iter {
            h.push(x);
        }
        h
    }
}

/// An iterator over a [`History`], in order.
pub(crate) enum Iter<'a> {
    Flat(std::slice::Iter<'a, Hist>),
    Tree(TreeIter<'a>),
}

impl Iterator for Iter<'_> {
    type Item = Hist;

    fn next(&mut self) -> Option<Hist> {
        match self {
            Iter::Flat(it) => it.next().copied(),
            Iter::Tree(it) => it.next(),
        }
    }
}

impl History {
    /// An empty history.
    pub(crate) fn new() -> Self {
        History::default()
    }

    /// The number of changes.
    pub(crate) fn len(&self) -> usize {
        match self {
            History::Flat(v) => v.len(),
            History::Tree(t) => t.len(),
        }
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The changes in order.
    pub(crate) fn iter(&self) -> Iter<'_> {
        match self {
            History::Flat(v) => Iter::Flat(v.iter()),
            History::Tree(t) => Iter::Tree(t.iter()),
        }
    }

    /// The changes in order, copied (the tests compare with a model).
    #[cfg(test)]
    pub(crate) fn to_vec(&self) -> Vec<Hist> {
        match self {
            History::Flat(v) => v.to_vec(),
            History::Tree(_) => self.iter().collect(),
        }
    }

    /// The latest change.
    pub(crate) fn last(&self) -> Option<Hist> {
        match self {
            History::Flat(v) => v.last().copied(),
            History::Tree(t) => t.last(),
        }
    }

    /// Adds a change after every change at or before its time. A list past
    /// [`FLAT_MAX`] becomes a tree.
    pub(crate) fn push(&mut self, h: Hist) {
        match self {
            History::Flat(v) if v.len() < FLAT_MAX => {
                if v.last().is_none_or(|last| last.at <= h.at) {
                    v.push(h);
                } else {
                    let pos = v.partition_point(|x| x.at <= h.at);
                    v.insert(pos, h);
                }
            }
            History::Flat(v) => {
                let mut tree = Tree::new();
                for x in v.iter() {
                    tree.insert(*x);
                }
                tree.insert(h);
                *self = History::Tree(Box::new(tree));
            }
            History::Tree(t) => {
                // A tree of `u32::MAX` changes is past what memory holds: not reached.
                t.insert(h);
            }
        }
    }

    /// The run of the changes effective after `at` (their sum, and their lowest running
    /// sum with when it is first reached). Costs the number of those changes on a list
    /// (at most [`FLAT_MAX`]), O(log n) on a tree.
    pub(crate) fn suffix(&self, at: i64) -> Run {
        match self {
            History::Flat(v) => {
                let from = if v.last().is_none_or(|h| h.at <= at) {
                    v.len()
                } else {
                    v.partition_point(|h| h.at <= at)
                };
                v.get(from..)
                    .unwrap_or_default()
                    .iter()
                    .fold(Run::EMPTY, |acc, h| acc.then(Run::one(*h)))
            }
            History::Tree(t) => t.suffix(at),
        }
    }

    /// The sum of the changes effective after `lo` and before `hi` (saturating, so
    /// exact when the changes are not below zero or no partial sum leaves the decimal
    /// range). Costs the changes in the range on a list (at most [`FLAT_MAX`]),
    /// O(log n) on a tree.
    pub(crate) fn between(&self, lo: i64, hi: i64) -> Decimal {
        match self {
            History::Flat(v) => {
                let from = v.partition_point(|h| h.at <= lo);
                v.get(from..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|h| h.at < hi)
                    .fold(Decimal::ZERO, |acc, h| sat_add(acc, h.change))
            }
            History::Tree(t) => t.between(lo, hi),
        }
    }

    /// The sum of every change.
    pub(crate) fn sum(&self) -> Decimal {
        match self {
            History::Flat(v) => v.iter().fold(Decimal::ZERO, |acc, h| sat_add(acc, h.change)),
            History::Tree(t) => t.run(t.root).sum,
        }
    }

    /// Drops the changes effective before `through`.
    pub(crate) fn drop_before(&mut self, through: i64) {
        match self {
            History::Flat(v) => {
                let cut = v.partition_point(|h| h.at < through);
                v.drain(..cut);
            }
            History::Tree(_) => {
                *self = self.iter().filter(|h| h.at >= through).collect();
            }
        }
    }
}

/// What the applied events of a document-limited kind measured on one document (see
/// [`DocumentLimit`](crate::DocumentLimit)), in effective-time order (ties in arrival
/// order): a quantity and a value history side by side, with the same times. A
/// back-dated entry and a window's totals cost O(log n) in the entries, where a sorted
/// list made many back-dated events on one document quadratic (issue 13).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DocTotals {
    qty: History,
    value: History,
}

impl DocTotals {
    /// Records an entry after every entry at or before its time.
    pub(crate) fn push(&mut self, e: DocumentEntry) {
        self.qty.push(Hist { at: e.at, change: e.qty });
        self.value.push(Hist { at: e.at, change: e.value });
    }

    /// The quantity and value of the entries effective after `lo` and before `hi`
    /// (saturating).
    pub(crate) fn between(&self, lo: i64, hi: i64) -> (Decimal, Decimal) {
        (self.qty.between(lo, hi), self.value.between(lo, hi))
    }

    /// The entries in order.
    pub(crate) fn entries(&self) -> Vec<DocumentEntry> {
        self.qty
            .iter()
            .zip(self.value.iter())
            .map(|(q, v)| DocumentEntry { at: q.at, qty: q.change, value: v.change })
            .collect()
    }

    /// Drops the entries effective at or before `through`.
    pub(crate) fn drop_through(&mut self, through: i64) {
        let Some(after) = through.checked_add(1) else {
            *self = DocTotals::default();
            return;
        };
        self.qty.drop_before(after);
        self.value.drop_before(after);
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.qty.is_empty()
    }
}

impl FromIterator<DocumentEntry> for DocTotals {
    fn from_iter<I: IntoIterator<Item = DocumentEntry>>(iter: I) -> Self {
        let mut totals = DocTotals::default();
        for e in iter {
            totals.push(e);
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference: a plain sorted list scanned end to end, keeping the first lowest
    /// running sum.
    fn model_suffix(list: &[Hist], at: i64) -> Run {
        let mut sum = Decimal::ZERO;
        let mut low: Option<(Decimal, i64)> = None;
        for h in list.iter().filter(|h| h.at > at) {
            sum += h.change;
            if low.is_none_or(|(v, _)| sum < v) {
                low = Some((sum, h.at));
            }
        }
        Run { sum, low }
    }

    fn tree_of(list: &[Hist]) -> History {
        let mut t = Tree::new();
        for h in list {
            t.insert(*h);
        }
        History::Tree(Box::new(t))
    }

    proptest! {
        /// Whatever the order changes arrive in, list and tree hold them in effective-time
        /// order (ties in arrival order) and answer every suffix as a scan does.
        #[test]
        fn a_tree_answers_as_the_list_does(
            changes in proptest::collection::vec((0i64..40, -50i64..50), 0..120),
            probes in proptest::collection::vec(-1i64..42, 1..12),
            cut in 0i64..42,
        ) {
            let mut model: Vec<Hist> = Vec::new();
            let mut hist = History::new();
            let mut tree = tree_of(&[]);
            for (at, c) in changes {
                let h = Hist { at, change: Decimal::from(c) };
                let pos = model.partition_point(|x| x.at <= at);
                model.insert(pos, h);
                hist.push(h);
                tree.push(h);
            }
            prop_assert_eq!(hist.to_vec(), model.clone());
            prop_assert_eq!(tree.to_vec(), model.clone());
            prop_assert_eq!(hist.len(), model.len());
            prop_assert_eq!(hist.last(), model.last().copied());
            prop_assert!(hist == tree);
            for at in probes {
                prop_assert_eq!(hist.suffix(at), model_suffix(&model, at));
                prop_assert_eq!(tree.suffix(at), model_suffix(&model, at));
                // Every window from this probe: the sum strictly inside it.
                for hi in at..at + 8 {
                    let want: Decimal =
                        model.iter().filter(|h| h.at > at && h.at < hi).map(|h| h.change).sum();
                    prop_assert_eq!(hist.between(at, hi), want, "({}, {})", at, hi);
                    prop_assert_eq!(tree.between(at, hi), want, "({}, {})", at, hi);
                }
            }
            hist.drop_before(cut);
            tree.drop_before(cut);
            model.retain(|h| h.at >= cut);
            prop_assert_eq!(hist.to_vec(), model.clone());
            prop_assert_eq!(tree.to_vec(), model);
        }
    }

    #[test]
    fn a_long_history_becomes_a_tree_and_keeps_its_order() {
        let mut h = History::new();
        for i in 0..=FLAT_MAX {
            h.push(Hist { at: 100 - i64::try_from(i).unwrap_or(0), change: Decimal::ONE });
        }
        assert!(matches!(h, History::Tree(_)));
        assert!(h.to_vec().is_sorted_by_key(|x| x.at));
        assert_eq!(h.suffix(i64::MIN).sum, Decimal::from(FLAT_MAX + 1));
    }
}
