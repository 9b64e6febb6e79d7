//! Replenishment inputs from arbitrary bytes: fair-share claims, DRP networks and planner
//! states on the demo network, with figures that may be huge, fractional, zero or
//! negative. Nothing may panic; what is accepted must hold its invariants:
//!
//! - fair share: every share within its request and at least zero, the total within the
//!   supply;
//! - DRP: projected on hand follows `previous + scheduled + receipt - gross` in every
//!   period of every record, and a source's gross requirements include its children's
//!   planned releases;
//! - the planner: every recommended transfer leaves its source at or above its
//!   protected level, and evaluating twice gives the same result.
//!
//! Input layout: a selector byte, then that part's bytes (missing bytes read as zero).
#![no_main]

mod reader;

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use onhand_master::{Catalog, Decimal, add_exact, seed, sub_exact};
use onhand_replenish::{
    Action, DemandStats, DrpNode, FairClaim, LotSizing, Planner, Position, SiteState, drp,
    fair_share,
};
use reader::Reader;

impl Reader<'_> {
    fn f64(&mut self) -> f64 {
        let v = f64::from(self.byte()) + f64::from(self.byte()) / 256.0;
        match self.byte() % 16 {
            0 => f64::NAN,
            1 => -v,
            2 => v * 1e12,
            _ => v,
        }
    }
}

fn check_fair(r: &mut Reader<'_>) {
    let supply = r.figure();
    let step = if r.byte() % 4 == 0 { r.figure() } else { Decimal::ONE };
    let n = usize::from(r.byte() % 8);
    let claims: Vec<FairClaim> = (0..n)
        .map(|_| {
            // A cap, or none (take what levels the days of supply).
            let requested = if r.byte() % 3 == 0 { None } else { Some(r.figure()) };
            FairClaim { on_hand: r.figure(), daily_demand: r.figure(), requested }
        })
        .collect();
    if let Ok(fair) = fair_share(supply, &claims, step) {
        assert_eq!(fair.shares.len(), claims.len());
        let mut total = Some(Decimal::ZERO);
        for (s, c) in fair.shares.iter().zip(&claims) {
            assert!(*s >= Decimal::ZERO, "{s} for {c:?}");
            if let Some(cap) = c.requested {
                assert!(*s <= cap, "{s} beyond the cap {cap} of {c:?}");
            }
            // Shares at 28 places can sum beyond what a decimal holds: compare when exact.
            total = total.and_then(|t| add_exact(t, *s).ok());
        }
        if let Some(total) = total {
            assert!(total <= supply, "{total} > {supply}");
        }
    }
}

fn check_drp(r: &mut Reader<'_>) {
    let sites = ["ORD", "ATL", "BOS-BR", "DFW"];
    let periods = usize::from(r.byte() % 12);
    let n = 1 + usize::from(r.byte() % 4);
    let mut nodes = Vec::new();
    for k in 0..n {
        let source = match r.byte() % 3 {
            0 if k > 0 => sites.get(usize::from(r.byte()) % k).map(|s| s.parse().expect("code")),
            _ => None,
        };
        let lot = match r.byte() % 3 {
            0 => LotSizing::LotForLot,
            1 => LotSizing::FixedLot(r.figure()),
            _ => LotSizing::MinMultiple { min: r.figure(), multiple: r.figure() },
        };
        let node = DrpNode {
            site: sites.get(k).copied().unwrap_or("ORD").parse().expect("code"),
            source,
            on_hand: r.figure(),
            safety_stock: r.figure(),
            lead_periods: u32::from(r.byte() % 5),
            lot,
            gross: (0..periods).map(|_| r.figure()).collect(),
            scheduled: (0..periods)
                .map(|_| if r.byte() % 3 == 0 { r.figure() } else { Decimal::ZERO })
                .collect(),
            period_days: u32::from(r.byte() % 8),
            constrained: r.byte() % 4 == 0,
        };
        nodes.push(node);
    }
    let Ok(recs) = drp(periods, &nodes) else { return };
    for (node, rec) in nodes.iter().zip(&recs) {
        // A constrained source, and the children it cuts, are adjusted after planning:
        // their figures are exact, but in another order of sums.
        let cut = node
            .source
            .as_ref()
            .is_some_and(|src| nodes.iter().any(|n| &n.site == src && n.constrained));
        if node.constrained || cut {
            continue;
        }
        let mut p = node.on_hand;
        for t in 0..periods {
            // Accepted figures were summed exactly (in this order), so the same sums are
            // exact here.
            let next = add_exact(p, rec.scheduled[t])
                .and_then(|x| sub_exact(x, rec.gross[t]))
                .and_then(|x| add_exact(x, rec.planned_receipts[t]))
                .expect("an accepted plan sums exactly");
            assert_eq!(next, rec.projected[t], "{} period {t}", node.site);
            p = next;
        }
    }
}

fn check_planner(r: &mut Reader<'_>) {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    let catalog =
        CATALOG.get_or_init(|| Arc::new(Catalog::new(seed::demo_network()).expect("demo network")));
    let items = ["BOLT-M8", "NUT-M8", "GLOVE-NIT"];
    let sites = ["ATL", "ORD", "DFW", "YYZ", "YVR", "LAX"];
    let n = usize::from(r.byte() % 10);
    let mut states = Vec::new();
    for _ in 0..n {
        let mean = r.f64();
        states.push(SiteState {
            item: items[usize::from(r.byte()) % items.len()].parse().expect("code"),
            site: sites[usize::from(r.byte()) % sites.len()].parse().expect("code"),
            stats: DemandStats::daily(mean, r.f64()),
            position: Position {
                on_hand: r.figure(),
                on_order: r.figure(),
                in_transit: r.figure(),
                backorders: if r.byte() % 3 == 0 { r.figure() } else { Decimal::ZERO },
                allocated: if r.byte() % 3 == 0 { r.figure() } else { Decimal::ZERO },
            },
            priority_demand: if r.byte() % 2 == 0 { r.figure() } else { Decimal::ZERO },
            costs: None,
        });
    }
    let Ok(planner) = Planner::new(catalog.clone(), states.clone()) else { return };
    let Ok(recs) = planner.evaluate() else { return };
    assert_eq!(Ok(recs.clone()), planner.evaluate());
    // What recommended transfers take from each source stays within its excess.
    for r in &recs {
        let Action::Transfer { from } = &r.best.action else { continue };
        let source =
            states.iter().find(|s| &s.site == from && s.item == r.item).expect("source state");
        let p = planner.parameters(&r.item, from).expect("source parameters");
        let taken = recs
            .iter()
            .filter(|x| {
                x.item == r.item
                    && matches!(&x.best.action, Action::Transfer { from: f } if f == from)
            })
            .try_fold(Decimal::ZERO, |a, x| add_exact(a, x.best.qty).ok())
            .expect("transfers sum exactly");
        let free = source.position.free().expect("free");
        let left = sub_exact(free, taken).expect("what is left is exact");
        assert!(left >= p.safety_stock, "{from} left below its safety stock: {recs:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = Reader::new(data);
    match r.byte() % 3 {
        0 => check_fair(&mut r),
        1 => check_drp(&mut r),
        _ => check_planner(&mut r),
    }
});
