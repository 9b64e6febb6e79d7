//! [`InsightSnapshot`]: the whole KPI and anomaly state in one serde value, so a host
//! that restarts keeps its figures without replaying its records.
//!
//! A snapshot holds the configuration, the newest record's time, the record count, and
//! every order line, order, transfer line, item-site and day cell as it stands. Maps are
//! written in the order of their keys' canonical form
//! ([`onhand_master::canonical`]), and the stores whose positions other parts refer to
//! (order lines and orders, item-sites) in their own order, so equal states give equal
//! snapshots byte for byte. The look-up tables (fingerprints, the order index, the site,
//! entity and region indexes) are not in it: [`Insight::restore`] builds them again.
//!
//! Restore checks what it can check without replaying: the format, the configuration
//! ([`Config::validate`]), that no key appears twice, that every index (a line's order,
//! a cell's site or entity) points at something, that snapshot series are in time
//! order, and that every duration sketch is one [`Sketch::add`](crate::Sketch::add)
//! could have built. The order figures it recomputes: every order's counters and the
//! order day cells must be exactly what the lines give, since a later record retracts
//! a line's contribution from them. It refuses the rest with
//! [`InsightError::InvalidSnapshot`]. The other figures (transfers, counts,
//! adjustments, finance) it does not recompute: a host that needs a tamper check
//! seals the snapshot (the `onhand` facade's network snapshot carries a SHA-256 over
//! it).

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::engine::Insight;
use crate::error::InsightError;
use crate::finance::Finance;
use crate::orders::Orders;
use crate::stock::Stock;
use crate::transfers::Transfers;

/// The snapshot format this version writes and reads.
pub const INSIGHT_SNAPSHOT_FORMAT: u32 = 1;

/// The whole state of an [`Insight`] (see the [module docs](crate::snapshot)).
///
/// Two snapshots are equal when their canonical forms are.
///
/// ```
/// use onhand_insight::{Config, Insight, InsightSnapshot};
///
/// let insight = Insight::new(Config::from_master(&onhand_master::seed::demo_network())?)?;
/// let json = serde_json::to_string(&insight.snapshot())?;
/// let snapshot: InsightSnapshot = serde_json::from_str(&json)?;
/// let restored = Insight::restore(&snapshot)?;
/// assert_eq!(restored.snapshot(), insight.snapshot());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InsightSnapshot {
    /// The format version ([`INSIGHT_SNAPSHOT_FORMAT`]).
    pub format: u32,
    config: Config,
    newest: Option<i64>,
    records: u64,
    orders: Orders,
    transfers: Transfers,
    stock: Stock,
    finance: Finance,
}

/// The state borrowed in the snapshot's form (the same fields in the same order, so the
/// same canonical bytes).
#[derive(Serialize)]
struct View<'a> {
    format: u32,
    config: &'a Config,
    newest: Option<i64>,
    records: u64,
    orders: &'a Orders,
    transfers: &'a Transfers,
    stock: &'a Stock,
    finance: &'a Finance,
}

impl InsightSnapshot {
    /// The configuration the state was kept under.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn bytes(&self) -> Option<Vec<u8>> {
        onhand_master::canonical::to_bytes(self).ok()
    }
}

impl PartialEq for InsightSnapshot {
    fn eq(&self, other: &Self) -> bool {
        match (self.bytes(), other.bytes()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for InsightSnapshot {}

impl Insight {
    /// The whole state, to keep across a restart ([`Insight::restore`] reads it back).
    #[must_use]
    pub fn snapshot(&self) -> InsightSnapshot {
        InsightSnapshot {
            format: INSIGHT_SNAPSHOT_FORMAT,
            config: self.config.clone(),
            newest: self.newest,
            records: self.records,
            orders: self.orders.clone(),
            transfers: self.transfers.clone(),
            stock: self.stock.clone(),
            finance: self.finance.clone(),
        }
    }

    /// The state in the snapshot's form without copying it: serializing it gives what
    /// serializing [`Insight::snapshot`] gives (hash it to seal or compare states).
    #[must_use]
    pub fn state(&self) -> impl Serialize + '_ {
        View {
            format: INSIGHT_SNAPSHOT_FORMAT,
            config: &self.config,
            newest: self.newest,
            records: self.records,
            orders: &self.orders,
            transfers: &self.transfers,
            stock: &self.stock,
            finance: &self.finance,
        }
    }

    /// The state `snapshot` holds: every figure, anomaly and score answers as the state
    /// it was taken from did, and feeding both the same records keeps them equal.
    ///
    /// # Errors
    /// [`InsightError::SnapshotFormat`] for another format version;
    /// [`InsightError::InvalidConfig`] for a configuration [`Config::validate`] refuses;
    /// [`InsightError::InvalidSnapshot`] for content no state could have held (see the
    /// [module docs](crate::snapshot)).
    pub fn restore(snapshot: &InsightSnapshot) -> Result<Insight, InsightError> {
        if snapshot.format != INSIGHT_SNAPSHOT_FORMAT {
            return Err(InsightError::SnapshotFormat {
                found: snapshot.format,
                reads: INSIGHT_SNAPSHOT_FORMAT,
            });
        }
        let mut s = Insight::new(snapshot.config.clone())?;
        let bounds = Bounds { sites: s.config.sites.len(), entities: s.entity_count() };
        let mut orders = snapshot.orders.clone();
        orders.reindex(&bounds)?;
        orders.verify(s.config.basis)?;
        snapshot.transfers.check(&bounds)?;
        snapshot.stock.check(&bounds)?;
        snapshot.finance.check(&bounds)?;
        s.newest = snapshot.newest;
        s.records = snapshot.records;
        s.orders = orders;
        s.transfers = snapshot.transfers.clone();
        s.stock = snapshot.stock.clone();
        s.finance = snapshot.finance.clone();
        Ok(s)
    }
}

/// How many sites and entities the configuration has: what indexes must stay under.
pub(crate) struct Bounds {
    pub(crate) sites: usize,
    pub(crate) entities: usize,
}

impl Bounds {
    /// A site index (`none` also allowed: [`crate::orders::NO_SITE`] where a cell has
    /// no site).
    pub(crate) fn site(&self, ix: u16, none: bool, what: &str) -> Result<(), InsightError> {
        if usize::from(ix) < self.sites || (none && ix == u16::MAX) {
            Ok(())
        } else {
            Err(invalid(format!("{what}: site index {ix} of {}", self.sites)))
        }
    }

    /// An entity index.
    pub(crate) fn entity(&self, ix: u16, what: &str) -> Result<(), InsightError> {
        if usize::from(ix) < self.entities {
            Ok(())
        } else {
            Err(invalid(format!("{what}: entity index {ix} of {}", self.entities)))
        }
    }
}

/// An [`InsightError::InvalidSnapshot`].
pub(crate) fn invalid(what: impl Into<String>) -> InsightError {
    InsightError::InvalidSnapshot { what: what.into() }
}

/// Whether a series' times rise strictly.
pub(crate) fn in_time_order<T>(series: &[(i64, T)]) -> bool {
    series.windows(2).all(|w| matches!(w, [(a, _), (b, _)] if a < b))
}

/// Serde for the hash maps of the state: a sequence of (key, value) pairs in the order
/// of the keys' canonical form (so equal maps serialize equally whatever their history),
/// read back refusing a key twice.
pub(crate) mod sorted {
    use std::hash::Hash;

    use onhand_master::hash::Map;
    use serde::de::Error as _;
    use serde::ser::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S, K, V>(map: &Map<K, V>, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        K: Serialize,
        V: Serialize,
    {
        let mut entries = Vec::with_capacity(map.len());
        for (k, v) in map {
            let key = onhand_master::canonical::to_bytes(k).map_err(S::Error::custom)?;
            entries.push((key, k, v));
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        s.collect_seq(entries.iter().map(|(_, k, v)| (k, v)))
    }

    pub(crate) fn deserialize<'de, D, K, V>(d: D) -> Result<Map<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Hash + Eq,
        V: Deserialize<'de>,
    {
        let pairs: Vec<(K, V)> = Vec::deserialize(d)?;
        let mut map = onhand_master::hash::map();
        map.reserve(pairs.len());
        for (k, v) in pairs {
            if map.insert(k, v).is_some() {
                return Err(D::Error::custom("a key twice"));
            }
        }
        Ok(map)
    }
}
