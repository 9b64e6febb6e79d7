//! Cross-entity transfers and the intercompany profit held in stock: the profit in
//! stock that comes back by a reversal or a customer return (whole or in parts, and
//! through a snapshot), and in a shipment a back-dated receipt re-costs (or the refusal
//! once part of it arrived).
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use onhand::files::{TextFormat, parse_text};
use onhand::scenario::{self, Played, Scenario};

/// The demo network with NA01 (USD, FIFO) selling to CA01 (CAD, moving average) at cost
/// plus 10 % in USD, title at shipment; USD/CAD 1.25; and the actors.
const HEAD: &str = r#"
format = 1
name = "intercompany profit"
start = "2026-01-05T08:00:00Z"
check_invariants = true

[network]
builtin = "demo"

[[config.valuation.agreements]]
seller = "NA01"
buyer = "CA01"
price = { cost_plus = { markup = "0.10" } }
currency = "USD"
title = "shipment"

[[config.rates]]
from = "USD"
to = "CAD"
rate = "1.25"

[[config.rates]]
from = "CAD"
to = "USD"
rate = "0.80"

[actors]
planner = { roles = ["planning"] }
manager = { roles = ["planning"] }
dock = { roles = ["warehouse"] }
ic = { roles = ["inventory_control"] }

"#;

/// Chicago's transfer TO-9 of 500 nuts to Toronto: requested, approved and shipped at
/// 10:00 (the steps after a receipt of the nuts at Chicago).
const SHIP: &str = r#"
[[steps]]
by = "planner"
transfer_request = { transfer = "TO-9", from = "ORD", to = "YYZ", item = "NUT-M8", qty = "500 EA" }

[[steps]]
by = "manager"
transfer_approve = "TO-9"

[[steps]]
at = "2026-01-05T10:00:00Z"
by = "dock"
transfer_ship = { site = "ORD", item = "NUT-M8", qty = "500 EA", bin = "PF-A01", doc = "TO-9" }
"#;

/// After [`RECEIPT`] and [`SHIP`]: Toronto receives the 500 nuts (27.50 CAD, 2.50 CAD
/// of Chicago's profit in them) and sells 200.
const BASE: &str = r#"

[[steps]]
at = "2026-01-07T10:00:00Z"
by = "dock"
transfer_receipt = { site = "YYZ", item = "NUT-M8", qty = "500 EA", bin = "PF-A01", to = "available", doc = "TO-9" }

[steps.expect]
books = [ { entity = "CA01", inventory = "27.50 CAD", unrealized_profit = "2.50 CAD" } ]

[[steps]]
at = "2026-01-08T09:00:00Z"
by = "dock"
pick = { site = "YYZ", item = "NUT-M8", qty = "200 EA", bin = "PF-A01", to_bin = "STG-01", doc = "SO-77" }

[[steps]]
name = "sale"
by = "dock"
ship = { site = "YYZ", item = "NUT-M8", qty = "200 EA", bin = "STG-01", doc = "SO-77" }

[steps.expect]
books = [ { entity = "CA01", inventory = "16.50 CAD", unrealized_profit = "1.50 CAD" } ]
"#;

/// Chicago's receipt of 1,000 nuts at 0.04 USD, at the scenario's start.
const RECEIPT: &str = r#"
[[steps]]
receipt = { site = "ORD", item = "NUT-M8", qty = "1000 EA", bin = "PF-A01", to = "available", unit_cost = "0.04 USD" }
"#;

fn play(extra: &str) -> Played {
    let text = format!("{HEAD}\n{RECEIPT}\n{SHIP}\n{BASE}\n{extra}");
    let s: Scenario = parse_text("intercompany.toml", &text, TextFormat::Toml).unwrap();
    scenario::play(&s, false).unwrap()
}

/// Toronto's sale of 200 nuts is reversed (shipped by mistake): the 200 come back into
/// its stock at the 11.00 CAD they left with, 1.00 CAD of which is Chicago's profit.
/// The stock is 27.50 CAD again and holds all 500 x 0.005 CAD = 2.50 CAD of
/// intercompany profit; the books bring the value back but not the profit, so
/// consolidation eliminates 1.50 CAD (1.20 USD) where 2.50 CAD (2.00 USD) is still in
/// stock, overstating group inventory by 0.80 USD.
#[test]
fn reversing_a_sale_of_intercompany_stock_brings_its_unrealized_profit_back() {
    let played = play(
        r#"
[[steps]]
by = "ic"
reason = "CORRECTION"
reverse = "sale"
"#,
    );
    let mut played = played;
    assert!(played.report.passed(), "{}", played.report.failures_text());
    let books = played.network.books(&"CA01".parse().unwrap()).unwrap();
    assert_eq!(books.inventory.to_string(), "27.50 CAD");
    // Consolidating in USD must take all 2.50 CAD = 2.00 USD of profit out of inventory.
    let c =
        played.network.consolidate(1, &"NA01".parse().unwrap(), "USD".parse().unwrap()).unwrap();
    let inv: onhand::rust_decimal::Decimal = c
        .postings
        .iter()
        .filter(|p| p.key == onhand::valuation::PostingKey::Inventory)
        .map(|p| p.amount)
        .sum();
    assert_eq!(inv.to_string(), "-2.00", "the elimination of the profit still in Toronto's stock");
    assert_eq!(
        books.unrealized_profit.to_string(),
        "2.50 CAD",
        "500 nuts held at 0.055 CAD that cost the group 0.05 CAD"
    );
}

/// The same for a customer return of the sale at the cost it left with.
#[test]
fn a_customer_return_of_intercompany_stock_brings_its_unrealized_profit_back() {
    let played = play(
        r#"
[[steps]]
at = "2026-01-09T09:00:00Z"
by = "dock"
customer_return = { site = "YYZ", item = "NUT-M8", qty = "200 EA", bin = "PF-A01", original = "sale", doc = "RA-1" }
"#,
    );
    assert!(played.report.passed(), "{}", played.report.failures_text());
    let books = played.network.books(&"CA01".parse().unwrap()).unwrap();
    assert_eq!(books.inventory.to_string(), "27.50 CAD");
    assert_eq!(
        books.unrealized_profit.to_string(),
        "2.50 CAD",
        "500 nuts held at 0.055 CAD that cost the group 0.05 CAD"
    );
}

/// A purchase receipt back-dated before an intercompany shipment (title at shipment)
/// changes, under FIFO, which layer the shipment took: the books correct Chicago's cost
/// of sales (the 500 nuts now left at 0.06 USD, 30.00 USD, not 20.00), but the profit
/// embedded in Toronto's stock stays what it was at shipment. Toronto carries the 500
/// at 27.50 CAD; they cost the group 30.00 USD = 37.50 CAD; so the intercompany profit
/// they hold is 27.50 - 37.50 = -10.00 CAD (whatever the price: carrying value less
/// group cost). The books say 2.50 CAD, and consolidation eliminates 2.00 USD of
/// profit where the stock holds a loss of 8.00 USD: group inventory off by 10.00 USD.
#[test]
fn a_back_dated_receipt_that_recosts_an_intercompany_shipment_recosts_its_embedded_profit() {
    let receipt = r#"
[[steps]]
at = "2026-01-05T09:00:00Z"
receipt = { site = "ORD", item = "NUT-M8", qty = "1000 EA", bin = "PF-A01", to = "available", unit_cost = "0.04 USD" }
"#;
    // The expectation is the shipment's, the last step of `SHIP`.
    let steps = r#"
[steps.expect]
books = [ { entity = "CA01", in_transit = "27.50 CAD", unrealized_profit = "2.50 CAD" } ]

[[steps]]
at = "2026-01-05T12:00:00Z"
effective = "2026-01-05T08:30:00Z"
receipt = { site = "ORD", item = "NUT-M8", qty = "500 EA", bin = "PF-A01", to = "available", unit_cost = "0.06 USD" }

[steps.expect]
# Chicago's shipment now took the 0.06 layer: 10.00 USD more cost of sales.
postings = [ { entity = "NA01", key = "cost_of_sales", amount = "10.00 USD" } ]
"#;
    let text = format!("{HEAD}\n{receipt}\n{SHIP}\n{steps}");
    let s: Scenario = parse_text("recosted.toml", &text, TextFormat::Toml).unwrap();
    let mut played = scenario::play(&s, false).unwrap();
    assert!(played.report.passed(), "{}", played.report.failures_text());
    let books = played.network.books(&"CA01".parse().unwrap()).unwrap();
    assert_eq!(books.in_transit.to_string(), "27.50 CAD");
    // Carrying value less the group's cost (500 x 0.06 USD x 1.25 = 37.50 CAD).
    let group_cost: onhand::rust_decimal::Decimal = "37.50".parse().unwrap();
    assert_eq!(
        books.unrealized_profit.amount(),
        books.in_transit.amount() - group_cost,
        "profit held = carrying value {} less group cost 37.50 CAD",
        books.in_transit
    );
    let c =
        played.network.consolidate(1, &"NA01".parse().unwrap(), "USD".parse().unwrap()).unwrap();
    let inv: onhand::rust_decimal::Decimal = c
        .postings
        .iter()
        .filter(|p| p.key == onhand::valuation::PostingKey::Inventory)
        .map(|p| p.amount)
        .sum();
    assert_eq!(inv.to_string(), "8.00", "group inventory brought to group cost 30.00 USD");
}
