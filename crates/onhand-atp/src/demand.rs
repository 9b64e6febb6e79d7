//! Order lines: what a customer asks for, and how the engine may satisfy it.

use std::fmt;

use chrono::NaiveDate;
use onhand_master::{ChannelCode, CustomerCode, CustomerGroupCode, ItemCode, Qty, RegionCode};
use serde::{Deserialize, Serialize};

/// A caller-minted order-line id (unique among the engine's booked lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LineId(pub u64);

impl fmt::Display for LineId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "L{}", self.0)
    }
}

/// How candidate sites are ordered for a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourcingRule {
    /// The delivery lanes' rank order.
    #[default]
    Ranked,
    /// Cheapest freight per unit first (then rank). Lanes into one region should share a
    /// currency: amounts are compared as they are.
    LeastCost,
    /// Fewest days from availability to delivery (handling plus transit) first (then
    /// rank).
    ShortestTransit,
}

/// What backorder re-processing may do to a line's confirmation.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Must be confirmed in full on the requested date; served first.
    Win,
    /// Keeps its confirmation and may improve it; never loses.
    Gain,
    /// Re-promised from scratch in priority order: may gain or lose.
    #[default]
    Redistribute,
    /// Keeps what it has if possible, gains nothing, may lose.
    Fill,
    /// Gives up its confirmation, freeing supply for the others.
    Lose,
}

impl Strategy {
    /// The stable name.
    ///
    /// ```
    /// use onhand_atp::Strategy;
    /// assert_eq!(Strategy::default().as_str(), "redistribute");
    /// assert_eq!(serde_json::to_string(&Strategy::Win)?, "\"win\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Win => "win",
            Strategy::Gain => "gain",
            Strategy::Redistribute => "redistribute",
            Strategy::Fill => "fill",
            Strategy::Lose => "lose",
        }
    }
}

/// The characteristics allocation quotas are set on. A quota names some of them; a
/// demand class matches it when it agrees on every one the quota names.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandClass {
    /// The sales channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelCode>,
    /// The customer group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<CustomerGroupCode>,
    /// The region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
}

impl DemandClass {
    /// Whether this (a demand's class) matches `pattern` (a quota's): equal on every
    /// characteristic the pattern names.
    ///
    /// ```
    /// use onhand_atp::DemandClass;
    /// let demand = DemandClass { channel: Some("WEB".parse()?), group: Some("KEY".parse()?), region: None };
    /// let web = DemandClass { channel: Some("WEB".parse()?), ..DemandClass::default() };
    /// let shop = DemandClass { channel: Some("SHOP".parse()?), ..DemandClass::default() };
    /// assert!(demand.matches(&web));
    /// assert!(!demand.matches(&shop));
    /// assert!(demand.matches(&DemandClass::default()), "a pattern naming nothing matches all");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn matches(&self, pattern: &DemandClass) -> bool {
        fn ok<T: PartialEq>(have: Option<&T>, want: Option<&T>) -> bool {
            want.is_none_or(|w| have == Some(w))
        }
        ok(self.channel.as_ref(), pattern.channel.as_ref())
            && ok(self.group.as_ref(), pattern.group.as_ref())
            && ok(self.region.as_ref(), pattern.region.as_ref())
    }

    /// How many characteristics it names (a more specific quota wins).
    ///
    /// ```
    /// use onhand_atp::DemandClass;
    /// let web = DemandClass { channel: Some("WEB".parse()?), ..DemandClass::default() };
    /// let web_key = DemandClass { group: Some("KEY".parse()?), ..web.clone() };
    /// assert_eq!((DemandClass::default().specificity(), web.specificity(), web_key.specificity()), (0, 1, 2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn specificity(&self) -> usize {
        usize::from(self.channel.is_some())
            + usize::from(self.group.is_some())
            + usize::from(self.region.is_some())
    }
}

impl fmt::Display for DemandClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = [
            self.channel.as_ref().map(|c| format!("channel {c}")),
            self.group.as_ref().map(|g| format!("group {g}")),
            self.region.as_ref().map(|r| format!("region {r}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() { f.write_str("any class") } else { f.write_str(&parts.join(", ")) }
    }
}

/// One order line to promise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The line's id.
    pub id: LineId,
    /// The customer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerCode>,
    /// Its demand class (for quotas).
    #[serde(default)]
    pub class: DemandClass,
    /// Priority: 1 is the most urgent; larger numbers come later.
    pub priority: u8,
    /// The item ordered.
    pub item: ItemCode,
    /// How much.
    pub qty: Qty,
    /// The requested delivery date.
    pub requested: NaiveDate,
    /// Where it goes.
    pub ship_to: RegionCode,
    /// Whether it may be confirmed in several schedule lines (sites, dates).
    #[serde(default)]
    pub allow_split: bool,
    /// Whether substitutes may fill it.
    #[serde(default)]
    pub allow_substitutes: bool,
    /// The smallest schedule line when splitting (default: one base unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_split: Option<Qty>,
    /// How candidate sites are ordered.
    #[serde(default)]
    pub rule: SourcingRule,
    /// What backorder re-processing may do to it.
    #[serde(default)]
    pub strategy: Strategy,
    /// Creation order, the last tie-break before the id.
    #[serde(default)]
    pub seq: u64,
}

impl OrderLine {
    /// A line with priority 5, no class, no splits or substitutes, ranked sourcing, the
    /// redistribute strategy and its id as creation order.
    ///
    /// ```
    /// use onhand_atp::{LineId, OrderLine, Strategy};
    /// let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 8).ok_or("date")?;
    /// let line = OrderLine::new(LineId(7), "GLOVE-NIT".parse()?, "60 EA".parse()?, day, "US-SE".parse()?);
    /// assert_eq!((line.priority, line.seq, line.allow_split), (5, 7, false));
    /// assert_eq!(line.strategy, Strategy::Redistribute);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(
        id: LineId,
        item: ItemCode,
        qty: Qty,
        requested: NaiveDate,
        ship_to: RegionCode,
    ) -> Self {
        OrderLine {
            id,
            customer: None,
            class: DemandClass::default(),
            priority: 5,
            item,
            qty,
            requested,
            ship_to,
            allow_split: false,
            allow_substitutes: false,
            min_split: None,
            rule: SourcingRule::Ranked,
            strategy: Strategy::Redistribute,
            seq: id.0,
        }
    }
}

/// The deterministic order demand is served in: priority, requested date, creation
/// order, id.
pub(crate) type ServeKey = (u8, i32, u64, u64);
