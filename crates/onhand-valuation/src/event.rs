//! Cost events: the physical movements valuation turns into postings, with the
//! financial facts the physical ledger does not carry (purchase cost, exchange rates).
//! Ids and times come from the caller; the same events give the same postings.

use std::hash::{Hash, Hasher};

use crate::code::TransferNo;
use chrono::{DateTime, Utc};
use onhand_master::{CurrencyCode, EntityCode, ItemCode, Money, Qty, QtyDelta, SiteCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An exchange rate the caller supplies: one unit of `from` is `rate` units of `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    /// The currency converted from.
    pub from: CurrencyCode,
    /// The currency converted to.
    pub to: CurrencyCode,
    /// Units of `to` per unit of `from` (positive).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub rate: Decimal,
}

/// Where an issue's cost goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueTo {
    /// A sale: cost of goods sold.
    Sale,
    /// Scrap: written off.
    Scrap,
    /// An adjustment or count loss.
    Adjustment,
}

/// What a cost event records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CostBody {
    /// Goods received from a supplier at `unit_cost` (inventory against goods received).
    Receipt {
        /// The receiving site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much (any unit of the item).
        qty: Qty,
        /// Cost per `qty` unit, in the owner's currency.
        unit_cost: Money,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// An opening balance taken over from another system: stock already held at
    /// `unit_cost`, against the opening-balance account
    /// ([`PostingKey::OpeningBalance`](crate::PostingKey::OpeningBalance)) rather than
    /// goods received. One event per cost layer, at the layer's receipt date (the
    /// event's `at`): a FIFO pool then holds the layers in date order and consumes the
    /// oldest first, an average pool averages them, and a standard pool takes them at
    /// standard with any difference to price variance (set the standard first with
    /// [`CostBody::StandardCost`]). Layers dated before movements already applied are
    /// back-dated into the pool's history like any other event.
    OpeningBalance {
        /// The site holding the stock.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much (any unit of the item).
        qty: Qty,
        /// Cost per `qty` unit, in the owner's currency.
        unit_cost: Money,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// Goods leaving stock: sold, scrapped or adjusted away.
    Issue {
        /// The site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much.
        qty: Qty,
        /// Where the cost goes.
        to: IssueTo,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// A stock adjustment or cycle-count variance: a gain is valued at `unit_cost`, or
    /// at the pool's current cost; a loss at the method's cost.
    Adjustment {
        /// The site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// The change (positive: found; negative: lost).
        delta: QtyDelta,
        /// The cost of a gain per `delta` unit.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_cost: Option<Money>,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// A customer return, back into stock at the cost it left with: that of the issue
    /// `original`, or `unit_cost` when the issue is not known here.
    CustomerReturn {
        /// The site.
        site: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much.
        qty: Qty,
        /// The issue (cost event id) the goods left with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        original: Option<u64>,
        /// The cost per `qty` unit, when `original` is not given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit_cost: Option<Money>,
        /// The owner, when not the site's entity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<EntityCode>,
    },
    /// Freight, duty or another cost added to receipt `receipt` after the fact.
    LandedCost {
        /// The receipt's cost event id.
        receipt: u64,
        /// The amount, in the owner's currency.
        amount: Money,
    },
    /// A new standard cost for an entity's item (at one site, for per-site valuation).
    StandardCost {
        /// The entity.
        entity: EntityCode,
        /// The item.
        item: ItemCode,
        /// The site, for an entity valued per site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<SiteCode>,
        /// The new cost per base unit, in the entity's currency.
        cost: Money,
    },
    /// A transfer leaves `from` for `to`. Between two entities, the intercompany
    /// agreement prices it and the rates convert it.
    TransferShip {
        /// The transfer (its document number).
        transfer: TransferNo,
        /// The shipping site.
        from: SiteCode,
        /// The receiving site.
        to: SiteCode,
        /// The item.
        item: ItemCode,
        /// How much.
        qty: Qty,
        /// Exchange rates for a cross-currency transfer.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rates: Vec<Rate>,
    },
    /// Part or all of a transfer arrives.
    TransferReceipt {
        /// The transfer.
        transfer: TransferNo,
        /// How much arrived.
        qty: Qty,
        /// Exchange rates (title passing at receipt across currencies).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        rates: Vec<Rate>,
    },
    /// A transfer is closed: what never arrived is written off by whoever owns it.
    TransferClose {
        /// The transfer.
        transfer: TransferNo,
    },
    /// Reverses cost event `original` (a receipt, an opening balance, an issue or an
    /// adjustment) exactly: the same accounts, the same amounts, the other way. Refused
    /// with [`ValuationError::ReversalRefused`](crate::ValuationError::ReversalRefused)
    /// when later movements make that impossible:
    ///
    /// - an **issue** comes back at the value it left with, against the account it went
    ///   to (FIFO: as a new layer); refused when the pool is short, when a customer
    ///   returned part of the sale, and under standard cost when the standard changed;
    /// - a **receipt** leaves at the value it came in with, against its own offset
    ///   account: under FIFO its layer must be whole and the oldest held; under moving
    ///   average the pool must still hold its quantity and value; under standard the
    ///   units leave at standard and its price variance is reversed. Refused once part
    ///   of it went back to the supplier.
    ///
    /// A reversal, a customer return and a transfer cannot be reversed; a second
    /// reversal of one event is refused
    /// ([`ValuationError::AlreadyReversed`](crate::ValuationError::AlreadyReversed)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{Catalog, seed};
    /// use onhand_valuation::{CostBody, CostEvent, Outcome, PostingKey, Valuation, ValuationConfig};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog, ValuationConfig::default())?;
    /// let at = |h: i64| chrono::DateTime::from_timestamp(1_767_600_000 + h * 3600, 0).unwrap();
    /// let receipt = CostBody::Receipt {
    ///     site: "ATL".parse()?,
    ///     item: "BOLT-M8".parse()?,
    ///     qty: "100 EA".parse()?,
    ///     unit_cost: "1.25 USD".parse()?,
    ///     owner: None,
    /// };
    /// v.apply(&CostEvent { id: 1, at: at(1), body: receipt })?;
    /// // Keyed in by mistake: reversed, exactly.
    /// let out = v.apply(&CostEvent { id: 2, at: at(2), body: CostBody::Reversal { original: 1 } })?;
    /// let Outcome::Posted { postings, .. } = out else { unreachable!() };
    /// let gr: rust_decimal::Decimal =
    ///     postings.iter().filter(|p| p.key == PostingKey::GoodsReceived).map(|p| p.amount).sum();
    /// assert_eq!(gr.to_string(), "125.00");
    /// assert_eq!(v.inventory_value(&"NA01".parse()?), rust_decimal::Decimal::ZERO);
    /// // Twice is refused.
    /// let again = v.apply(&CostEvent { id: 3, at: at(3), body: CostBody::Reversal { original: 1 } });
    /// assert_eq!(again.unwrap_err().code(), "already_reversed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Reversal {
        /// The cost event reversed.
        original: u64,
    },
    /// The costing method of an entity's item (at one site, for an entity valued per
    /// site) changes to `method` from this event on. What the pool holds keeps its
    /// quantity; moving to moving average merges the FIFO layers (or the standard
    /// value) into one average, moving to FIFO makes what is held one layer at its
    /// value, both without a posting; moving to standard (at `standard`, required
    /// then and refused otherwise) revalues what is held at it, the difference to
    /// revaluation. Refused for the method in force and for a pool that owes stock (an
    /// open shortfall). Movements dated before the change are still valued by the old
    /// method when back-dated; later receipts and issues follow the new one. Name the
    /// new method in the configuration too (a
    /// [`MethodOverride`](crate::MethodOverride)) before a period close forgets the
    /// change: a snapshot's pool under a method other than the configuration's is
    /// restored only while its open history holds the change.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{Catalog, seed};
    /// use onhand_valuation::{CostBody, CostEvent, Method, Outcome, PostingKey, Valuation, ValuationConfig};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog, ValuationConfig::default())?;
    /// let at = |h: i64| chrono::DateTime::from_timestamp(1_767_600_000 + h * 3600, 0).unwrap();
    /// // Atlanta (NA01) values by FIFO: 10 @ 1.00 and 10 @ 1.50.
    /// for (id, cost) in [(1, "1.00 USD"), (2, "1.50 USD")] {
    ///     let body = CostBody::Receipt {
    ///         site: "ATL".parse()?,
    ///         item: "BOLT-M8".parse()?,
    ///         qty: "10 EA".parse()?,
    ///         unit_cost: cost.parse()?,
    ///         owner: None,
    ///     };
    ///     v.apply(&CostEvent { id, at: at(id.try_into()?), body })?;
    /// }
    /// // To standard at 1.40: 20 held worth 25.00 become 28.00, a revaluation of 3.00.
    /// let body = CostBody::MethodChange {
    ///     entity: "NA01".parse()?,
    ///     item: "BOLT-M8".parse()?,
    ///     site: None,
    ///     method: Method::Standard,
    ///     standard: Some("1.40 USD".parse()?),
    /// };
    /// let Outcome::Posted { postings, .. } = v.apply(&CostEvent { id: 3, at: at(3), body })?
    /// else { unreachable!() };
    /// let reval: rust_decimal::Decimal =
    ///     postings.iter().filter(|p| p.key == PostingKey::Revaluation).map(|p| p.amount).sum();
    /// assert_eq!(reval.to_string(), "-3.00");
    /// assert_eq!(v.inventory_value(&"NA01".parse()?).to_string(), "28.00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    MethodChange {
        /// The entity.
        entity: EntityCode,
        /// The item.
        item: ItemCode,
        /// The site, for an entity valued per site.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        site: Option<SiteCode>,
        /// The new method.
        method: crate::Method,
        /// The standard cost per base unit, when the new method is standard.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        standard: Option<Money>,
    },
    /// Goods of receipt `receipt` going back to the supplier, at that receipt's cost
    /// (its value shared over what is still returnable, so the last unit back takes
    /// the last cent), against the goods-received clearing account (GR/IR) that the
    /// supplier's credit note clears. FIFO: out of the receipt's own layer, wherever
    /// it is in the queue (what issues and earlier returns left of it; issues that
    /// later reach the layer take only what stays); moving average: at the receipt's cost, so what stays keeps its own cost (the
    /// last unit out takes what value is left; any difference goes to price
    /// variance); standard: at standard, with the receipt's price variance on those
    /// units reversed. More than the receipt brought in, less what went back, is
    /// refused ([`ValuationError::ReturnExceedsReceipt`](crate::ValuationError::ReturnExceedsReceipt)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use onhand_master::{Catalog, seed};
    /// use onhand_valuation::{CostBody, CostEvent, Outcome, PostingKey, Valuation, ValuationConfig};
    ///
    /// let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// let mut v = Valuation::new(catalog, ValuationConfig::default())?;
    /// let at = |h: i64| chrono::DateTime::from_timestamp(1_767_600_000 + h * 3600, 0).unwrap();
    /// // Toronto values by moving average: 100 @ 10.00 and 100 @ 12.00 average 11.00.
    /// for (id, cost) in [(1, "10.00 CAD"), (2, "12.00 CAD")] {
    ///     let body = CostBody::Receipt {
    ///         site: "YYZ".parse()?,
    ///         item: "BOLT-M8".parse()?,
    ///         qty: "100 EA".parse()?,
    ///         unit_cost: cost.parse()?,
    ///         owner: None,
    ///     };
    ///     v.apply(&CostEvent { id, at: at(id.try_into()?), body })?;
    /// }
    /// // 50 of the second receipt go back at 12.00: 600.00 against goods received.
    /// let body = CostBody::SupplierReturn { receipt: 2, qty: "50 EA".parse()? };
    /// let Outcome::Posted { postings, .. } = v.apply(&CostEvent { id: 3, at: at(3), body })?
    /// else { unreachable!() };
    /// let gr: rust_decimal::Decimal =
    ///     postings.iter().filter(|p| p.key == PostingKey::GoodsReceived).map(|p| p.amount).sum();
    /// assert_eq!(gr.to_string(), "600.00");
    /// // 150 stay, worth 1,600.00.
    /// assert_eq!(v.inventory_value(&"CA01".parse()?).to_string(), "1600.00");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    SupplierReturn {
        /// The receipt (its cost event id) the goods came in with.
        receipt: u64,
        /// How much goes back (any unit of the item).
        qty: Qty,
    },
}

/// One cost event: a caller-given id, the time it takes effect, and what it records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostEvent {
    /// The caller's id (unique; re-applying the same event is a no-op).
    pub id: u64,
    /// When it takes effect.
    pub at: DateTime<Utc>,
    /// What happened.
    pub body: CostBody,
}

impl CostBody {
    /// The stable name of the kind.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use onhand_master::{seed, Catalog, Decimal};
    /// # use onhand_valuation::{CostBody, CostEvent, IssueTo, Valuation, ValuationConfig};
    /// # let catalog = Arc::new(Catalog::new(seed::demo_network())?);
    /// # let at = |h: u64| chrono::DateTime::from_timestamp(1_767_600_000 + 3600 * h as i64, 0).ok_or("time");
    /// # let receipt = |id: u64, qty: &str, cost: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Receipt {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         unit_cost: cost.parse()?, owner: None } })
    /// # };
    /// # let sale = |id: u64, qty: &str| -> Result<CostEvent, Box<dyn std::error::Error>> {
    /// #     Ok(CostEvent { id, at: at(id)?, body: CostBody::Issue {
    /// #         site: "ATL".parse()?, item: "BOLT-M8".parse()?, qty: qty.parse()?,
    /// #         to: IssueTo::Sale, owner: None } })
    /// # };
    /// # let mut v = Valuation::new(catalog.clone(), ValuationConfig::default())?;
    /// # let (na01, bolt) = ("NA01".parse::<onhand_master::EntityCode>()?, "BOLT-M8".parse::<onhand_master::ItemCode>()?);
    /// assert_eq!(receipt(1, "5 EA", "0.10 USD")?.body.kind(), "receipt");
    /// assert_eq!(sale(2, "5 EA")?.body.kind(), "issue");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            CostBody::Receipt { .. } => "receipt",
            CostBody::OpeningBalance { .. } => "opening_balance",
            CostBody::Issue { .. } => "issue",
            CostBody::Adjustment { .. } => "adjustment",
            CostBody::CustomerReturn { .. } => "customer_return",
            CostBody::LandedCost { .. } => "landed_cost",
            CostBody::StandardCost { .. } => "standard_cost",
            CostBody::TransferShip { .. } => "transfer_ship",
            CostBody::TransferReceipt { .. } => "transfer_receipt",
            CostBody::TransferClose { .. } => "transfer_close",
            CostBody::Reversal { .. } => "reversal",
            CostBody::MethodChange { .. } => "method_change",
            CostBody::SupplierReturn { .. } => "supplier_return",
        }
    }
}

/// The event's fingerprint, for telling a repeated delivery from a different event
/// under the same id: equal events (`1.5` and `1.50` are the same cost) have the same
/// fingerprint, different ones differ but for a chance of 2^-64.
///
/// Receipts, opening balances and issues, nearly every event, are hashed word by word
/// with a folded multiply ([`Fold`]); the rarer kinds as
/// [`onhand_master::hash::fingerprint`] hashes them ([`legacy_fingerprint`]). Engines
/// before this one fingerprinted every event that way; their snapshots (format 1) are
/// refused on restore, so no seen event carries such a value for the common kinds.
pub(crate) fn fingerprint(ev: &CostEvent) -> u64 {
    let mut h = Fold(0x243F_6A88_85A3_08D3);
    let (kind, site, item, qty, cost, to, owner) = match &ev.body {
        CostBody::Receipt { site, item, qty, unit_cost, owner } => {
            (1, site, item, qty, Some(unit_cost), None, owner)
        }
        CostBody::OpeningBalance { site, item, qty, unit_cost, owner } => {
            (2, site, item, qty, Some(unit_cost), None, owner)
        }
        CostBody::Issue { site, item, qty, to, owner } => {
            (3, site, item, qty, None, Some(*to), owner)
        }
        _ => return legacy_fingerprint(ev),
    };
    let to = match to {
        None => 0,
        Some(IssueTo::Sale) => 1,
        Some(IssueTo::Scrap) => 2,
        Some(IssueTo::Adjustment) => 3,
    };
    h.word(kind | to << 8 | u64::from(owner.is_some()) << 16);
    h.word(ev.id);
    h.word(ev.at.timestamp().cast_unsigned());
    h.word(u64::from(ev.at.timestamp_subsec_nanos()));
    site.hash(&mut h);
    item.hash(&mut h);
    decimal(&mut h, qty.value());
    qty.uom().hash(&mut h);
    if let Some(c) = cost {
        decimal(&mut h, c.amount());
        c.currency().hash(&mut h);
    }
    if let Some(o) = owner {
        o.hash(&mut h);
    }
    h.finish()
}

/// How engines before the word-by-word [`fingerprint`] fingerprinted every event (and
/// still fingerprint the rarer kinds): [`onhand_master::hash::fingerprint`] of it.
pub(crate) fn legacy_fingerprint(ev: &CostEvent) -> u64 {
    onhand_master::hash::fingerprint(ev)
}

/// Two words for `d`'s value: its normal form's mantissa, scale and sign (zero has one
/// form). Normalizing is needed only when the last digit may be a trailing zero.
fn decimal(h: &mut Fold, d: Decimal) {
    // A mantissa has at most 96 bits: the low 64 and the rest.
    let halves = |d: Decimal| {
        let m = d.mantissa().unsigned_abs();
        #[allow(clippy::cast_possible_truncation)] // the two halves, on purpose
        (m as u64, (m >> 64) as u64)
    };
    let (mut lo, mut hi) = halves(d);
    // The last digit, without a 128-bit division (2^64 is 6 modulo 10), and only when
    // there are places to drop: whole numbers (most quantities) are already normal.
    let last = || if hi == 0 { lo % 10 } else { (lo % 10 + 6 * (hi % 10)) % 10 };
    let d = if d.is_zero() {
        Decimal::ZERO
    } else if d.scale() > 0 && last() == 0 {
        let n = d.normalize();
        (lo, hi) = halves(n);
        n
    } else {
        d
    };
    h.word(lo);
    h.word(hi | u64::from(d.scale()) << 32 | u64::from(d.is_sign_negative()) << 40);
}

/// A 64-bit hasher folding one word at a time with a 128-bit multiply (as foldhash's
/// fast variant does), fixed keys: the same on every run and machine. Bytes go in as
/// little-endian words with their count; not for security.
pub(crate) struct Fold(u64);

/// Odd constants from the fractional digits of pi.
const K1: u64 = 0x1319_8A2E_0370_7344;
const K2: u64 = 0xA409_3822_299F_31D1;

impl Fold {
    fn word(&mut self, w: u64) {
        self.0 = folded(self.0 ^ K1, w ^ K2);
    }
}

/// The 128-bit product of `a` and `b`, its halves xored.
fn folded(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    #[allow(clippy::cast_possible_truncation)] // the two halves, on purpose
    let (lo, hi) = (p as u64, (p >> 64) as u64);
    lo ^ hi
}

impl Hasher for Fold {
    fn write(&mut self, bytes: &[u8]) {
        let (words, mut rest) = bytes.as_chunks::<8>();
        for w in words {
            self.word(u64::from_le_bytes(*w));
        }
        // The last 0 to 7 bytes, little-endian, in at most three reads.
        let (mut w, mut shift) = (0u64, 0);
        if let Some((four, tail)) = rest.split_first_chunk::<4>() {
            w = u64::from(u32::from_le_bytes(*four));
            (shift, rest) = (32, tail);
        }
        if let Some((two, tail)) = rest.split_first_chunk::<2>() {
            w |= u64::from(u16::from_le_bytes(*two)) << shift;
            (shift, rest) = (shift + 16, tail);
        }
        if let Some(&b) = rest.first() {
            w |= u64::from(b) << shift;
        }
        self.word(w ^ (bytes.len() as u64) << 56);
    }

    fn write_u8(&mut self, i: u8) {
        self.word(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.word(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.word(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }

    fn write_u128(&mut self, i: u128) {
        #[allow(clippy::cast_possible_truncation)] // the two halves, on purpose
        let (lo, hi) = (i as u64, (i >> 64) as u64);
        self.word(lo);
        self.word(hi);
    }

    // Lengths and enum discriminants: as 64-bit words on every platform (the defaults
    // write native-endian bytes).
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }

    fn finish(&self) -> u64 {
        folded(self.0 ^ K2, K1)
    }
}

#[cfg(test)]
mod tests {
    use onhand_master::{Money, Qty};
    use proptest::prelude::*;

    use super::*;

    /// Decimals of every shape: zero, trailing zeros, up to 96-bit mantissas, every scale.
    fn decimal() -> impl Strategy<Value = Decimal> {
        let mantissa = prop_oneof![
            Just(0i128),
            -1000i128..1000,
            (-1000i128..1000).prop_map(|m| m * 1000),
            any::<i64>().prop_map(i128::from),
            (0i128..(1 << 96)).prop_map(|m| m - (1 << 95)),
        ];
        (mantissa, 0u32..=28)
            .prop_map(|(m, s)| Decimal::try_from_i128_with_scale(m, s).unwrap_or(Decimal::ZERO))
    }

    /// An event of every kind the word-by-word fingerprint covers, and a landed cost.
    fn event() -> impl Strategy<Value = CostEvent> {
        let codes = (0usize..3, 0usize..3, any::<bool>(), 0u8..6);
        (any::<u64>(), 0i64..4_000_000_000, 0u32..1_000_000_000, codes, decimal(), decimal())
            .prop_map(|(id, secs, nanos, (s, i, owned, kind), q, c)| {
                let site: SiteCode = ["ATL", "DFW", "YYZ"][s].parse().unwrap();
                let item: ItemCode = ["BOLT-M8", "GLUE-500", "CABLE-CU-2000"][i].parse().unwrap();
                let qty = Qty::new(q.abs(), "EA".parse().unwrap()).unwrap();
                let unit_cost = Money::new(c, "USD".parse().unwrap());
                let owner = owned.then(|| "NA01".parse().unwrap());
                let to =
                    [IssueTo::Sale, IssueTo::Scrap, IssueTo::Adjustment][usize::from(kind % 3)];
                let body = match kind {
                    0 => CostBody::Receipt { site, item, qty, unit_cost, owner },
                    1 => CostBody::OpeningBalance { site, item, qty, unit_cost, owner },
                    2..=4 => CostBody::Issue { site, item, qty, to, owner },
                    _ => CostBody::LandedCost { receipt: u64::from(owned), amount: unit_cost },
                };
                CostEvent { id, at: DateTime::from_timestamp(secs, nanos).unwrap(), body }
            })
    }

    /// The same event with every decimal written with `zeros` more trailing zeros (where
    /// the scale allows): an equal event.
    fn rewritten(ev: &CostEvent, zeros: u32) -> CostEvent {
        let widen = |d: Decimal| {
            let mut w = d;
            w.rescale((d.scale() + zeros).min(28));
            if w == d { w } else { d }
        };
        let mut ev = ev.clone();
        match &mut ev.body {
            CostBody::Receipt { unit_cost, .. }
            | CostBody::OpeningBalance { unit_cost, .. }
            | CostBody::LandedCost { amount: unit_cost, .. } => {
                *unit_cost = Money::new(widen(unit_cost.amount()), unit_cost.currency());
            }
            _ => {}
        }
        ev
    }

    proptest! {
        /// Equal events have one fingerprint; changing the id, the time, the quantity
        /// or the cost changes it.
        #[test]
        fn equal_events_share_a_fingerprint_and_different_ones_do_not(
            ev in event(),
            zeros in 0u32..5,
            other in event(),
        ) {
            let same = rewritten(&ev, zeros);
            prop_assert_eq!(&same, &ev);
            prop_assert_eq!(fingerprint(&same), fingerprint(&ev));
            if other != ev {
                prop_assert_ne!(fingerprint(&other), fingerprint(&ev));
            }
            let mut later = ev.clone();
            later.at += chrono::Duration::nanoseconds(1);
            prop_assert_ne!(fingerprint(&later), fingerprint(&ev));
            let mut next = ev.clone();
            next.id = ev.id.wrapping_add(1);
            prop_assert_ne!(fingerprint(&next), fingerprint(&ev));
        }
    }

    /// The two words [`decimal`] folds for `d`, as it worked them out before it skipped
    /// the last digit of whole numbers: a fingerprint must never change, since snapshots
    /// keep the fingerprints of the events seen.
    fn decimal_words_before(d: Decimal) -> (u64, u64) {
        let halves = |d: Decimal| {
            let m = d.mantissa().unsigned_abs();
            #[allow(clippy::cast_possible_truncation)] // the two halves, on purpose
            (m as u64, (m >> 64) as u64)
        };
        let (mut lo, mut hi) = halves(d);
        let last = (lo % 10 + 6 * (hi % 10)) % 10;
        let d = if d.is_zero() {
            Decimal::ZERO
        } else if d.scale() > 0 && last == 0 {
            let n = d.normalize();
            (lo, hi) = halves(n);
            n
        } else {
            d
        };
        (lo, hi | u64::from(d.scale()) << 32 | u64::from(d.is_sign_negative()) << 40)
    }

    /// What [`Fold::write`] folded, as it worked it out before it read the last bytes
    /// in pieces: one byte at a time.
    fn write_before(h: &mut Fold, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            h.word(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let mut w = 0u64;
        for (k, b) in chunks.remainder().iter().enumerate() {
            w |= u64::from(*b) << (8 * k);
        }
        h.word(w ^ (bytes.len() as u64) << 56);
    }

    proptest! {
        /// Bytes fold as they always did, whatever their length.
        #[test]
        fn bytes_fold_as_before(bytes in proptest::collection::vec(any::<u8>(), 0..40), seed in any::<u64>()) {
            let (mut got, mut want) = (Fold(seed), Fold(seed));
            got.write(&bytes);
            write_before(&mut want, &bytes);
            prop_assert_eq!(got.0, want.0);
        }

        /// A decimal folds into a fingerprint as it always did (trailing zeros, whole
        /// numbers, zero and mantissas beyond 64 bits alike).
        #[test]
        fn a_decimal_folds_as_before(d in decimal(), zeros in 0u32..5, seed in any::<u64>()) {
            let mut wide = d;
            wide.rescale((d.scale() + zeros).min(28));
            for d in [d, wide, -d, Decimal::ZERO] {
                let mut got = Fold(seed);
                super::decimal(&mut got, d);
                let (lo, hi) = decimal_words_before(d);
                let mut want = Fold(seed);
                want.word(lo);
                want.word(hi);
                prop_assert_eq!(got.0, want.0, "{}", d);
            }
        }
    }

    /// The rarer kinds keep the legacy fingerprint.
    #[test]
    fn a_transfer_close_keeps_the_legacy_fingerprint() {
        let ev = CostEvent {
            id: 9,
            at: DateTime::from_timestamp(0, 0).unwrap(),
            body: CostBody::TransferClose { transfer: "T-1".parse().unwrap() },
        };
        assert_eq!(fingerprint(&ev), legacy_fingerprint(&ev));
    }
}
