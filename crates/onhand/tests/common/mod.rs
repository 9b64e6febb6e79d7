//! The demo network as a `Network`, for the facade's tests.
#![allow(dead_code, clippy::unwrap_used)] // shared by several test binaries

use chrono::{DateTime, Duration, Utc};
use onhand::ledger::testing::{actor, doc, event, line};
use onhand::ledger::{Body, DocKind, Event, ReferenceCost, Rules, SiteLines, testing};
use onhand::master::{BinCode, Role};
use onhand::master::{CurrencyCode, Decimal, seed};
use onhand::status::StockStatus;
use onhand::valuation::{Agreement, PriceRule, Rate, TitlePoint, ValuationConfig};
use onhand::{Network, NetworkConfig};

pub(crate) fn usd() -> CurrencyCode {
    CurrencyCode::new("USD").unwrap()
}

pub(crate) fn cad() -> CurrencyCode {
    CurrencyCode::new("CAD").unwrap()
}

/// The standard rules with the demo's purchase prices as reference costs.
pub(crate) fn rules() -> Rules {
    let mut rules = Rules::standard(usd()).trusting_event_actors();
    for (item, price) in seed::purchase_prices() {
        rules.reference_costs.insert(item, ReferenceCost(price.amount()));
    }
    rules
}

/// NA01 sells to CA01 at cost plus 10%, title at shipment, in USD; USD/CAD at 1.36.
pub(crate) fn config() -> NetworkConfig {
    NetworkConfig {
        valuation: ValuationConfig {
            agreements: vec![Agreement {
                seller: "NA01".parse().unwrap(),
                buyer: "CA01".parse().unwrap(),
                price: PriceRule::CostPlus { markup: "0.10".parse().unwrap() },
                currency: usd(),
                title: TitlePoint::Shipment,
            }],
            ..ValuationConfig::default()
        },
        rates: vec![
            Rate { from: usd(), to: cad(), rate: "1.36".parse().unwrap() },
            Rate {
                from: cad(),
                to: usd(),
                rate: Decimal::ONE / "1.36".parse::<Decimal>().unwrap(),
            },
        ],
        ..NetworkConfig::default()
    }
}

/// The network's start: two hours before the ledger builders' epoch.
pub(crate) fn start() -> DateTime<Utc> {
    testing::at(0) - Duration::hours(2)
}

pub(crate) fn network() -> Network {
    Network::new(seed::demo_network(), rules(), config(), start()).unwrap()
}

/// `qty` of bolts lost from the Atlanta pick face at `minutes`, by inventory control
/// (adjustment `ADJ-<id>`, reason `LOST`).
pub(crate) fn loss(id: u128, minutes: i64, qty: &str) -> Event {
    let lost = line("BOLT-M8", qty)
        .unwrap()
        .at(BinCode::new("PF-A01").unwrap())
        .statuses(Some(StockStatus::Available), None);
    let who = actor("ic1", &[Role::InventoryControl]).unwrap();
    let body = Body::Adjustment(SiteLines { site: "ATL".parse().unwrap(), lines: vec![lost] });
    event(id, minutes, who, "LOST", doc(DocKind::Internal, &format!("ADJ-{id}")).unwrap(), body)
        .unwrap()
}

/// Bolts planned at `site`: 100 a day, deviation 30.
pub(crate) fn bolts_planned_at(site: &str) -> onhand::ItemSitePlan {
    onhand::ItemSitePlan {
        item: "BOLT-M8".parse().unwrap(),
        site: site.parse().unwrap(),
        demand: onhand::replenish::DemandStats::daily(100.0, 30.0),
        priority_demand: Decimal::ZERO,
        costs: None,
    }
}

/// Replaying `n`'s journal from empty (the demo network, [`rules`], `config`,
/// [`start`]) gives `n`'s state, digest for digest.
pub(crate) fn assert_replays(n: &Network, config: NetworkConfig) {
    let replayed =
        Network::replay(seed::demo_network(), rules(), config, start(), n.journal().entries())
            .unwrap();
    assert_eq!(replayed.digest().unwrap(), n.digest().unwrap());
}

/// Line `line` of sales order SO-1: `qty` bolts for the customer `HOMEPRO`, requested on 9 January.
pub(crate) fn bolt_order(line: u32, qty: &str) -> onhand::OrderRequest {
    onhand::OrderRequest::new(
        "SO-1".parse().unwrap(),
        line,
        "HOMEPRO".parse().unwrap(),
        "BOLT-M8".parse().unwrap(),
        qty.parse().unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 1, 9).unwrap(),
    )
}

/// Restores a network snapshot's JSON edited by a test, its digest made to match (what
/// someone editing a stored snapshot can always do), on the demo catalog with
/// [`rules`] and [`config`].
pub(crate) fn restore_edited(json: serde_json::Value) -> Result<Network, onhand::Error> {
    let mut s: onhand::NetworkSnapshot = serde_json::from_value(json).unwrap();
    s.digest = s.content_digest().unwrap();
    let catalog = std::sync::Arc::new(onhand::master::Catalog::new(seed::demo_network()).unwrap());
    Network::restore(catalog, rules(), config(), &s)
}
