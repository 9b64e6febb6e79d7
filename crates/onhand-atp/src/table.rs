//! Available to promise in period buckets: the master-schedule table as textbooks print
//! it (on hand, receipts per period, orders per period → ATP per period), in every named
//! mode.
//!
//! With `on hand` at the start of period 1, supply `S(t)` and committed demand `D(t)`:
//!
//! | mode | ATP(t) |
//! |---|---|
//! | [`TableMode::Cumulative`] (without look-ahead) | `C(t) = C(t−1) + S(t) − D(t)`, `C(0) = on hand` |
//! | [`TableMode::CumulativeLookAhead`] (backward consumption) | `L(t) = min(C(t), L(t+1))`, `L(last) = C(last)` |
//! | [`TableMode::Discrete`] | in supply periods (and period 1): supply of the period (plus on hand in period 1) minus orders up to the next supply period; a negative result borrows backward, shortages settled in date order, each from the nearest earlier surplus first; what none covers shows as a negative ATP in the period short |
//! | [`TableMode::DiscreteForward`] | as discrete, but a negative result is carried *forward* to the next supply period (forward consumption: the shortage moves later) |
//! | [`TableMode::PerPeriod`] (no consumption) | `S(t) − D(t)` (plus on hand in period 1): each period on its own, as cumulative with a window of 0 |
//!
//! Two modifiers apply to every mode:
//!
//! - an **accumulation window** of `w` periods: a period's orders may draw only on supply
//!   (and on hand) from at most `w` periods earlier (discrete modes: borrowing reaches at
//!   most `w` periods back; cumulative modes: `C(t)` counts only the last `w + 1`
//!   periods' supply, plus on hand while period 1 is within reach);
//! - a **checking horizon** of `h` periods: from period `h + 1` on, supply is assumed
//!   unlimited, so ATP is [`TableCell::Unlimited`] there.
//!
//! A period the mode does not show (discrete modes, periods without supply) is
//! [`TableCell::Blank`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{AtpError, PlanInput, first_negative};

/// How ATP is computed per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableMode {
    /// Discrete ATP with look-ahead; shortages borrow backward.
    Discrete,
    /// Discrete ATP with look-ahead; shortages carry forward.
    DiscreteForward,
    /// Cumulative ATP without look-ahead.
    Cumulative,
    /// Cumulative ATP with look-ahead (backward consumption).
    CumulativeLookAhead,
    /// Per-period ATP without consumption: each period's supply (and on hand in period
    /// 1) less its own orders; nothing carries between periods, whatever the window.
    PerPeriod,
}

/// The table's rule: a mode, an optional accumulation window and checking horizon (both
/// in periods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TableRule {
    /// The mode.
    pub mode: TableMode,
    /// How many periods back supply may serve a period's orders (`None`: unlimited).
    #[serde(default)]
    pub window: Option<usize>,
    /// How many periods are checked against real supply (`None`: all).
    #[serde(default)]
    pub horizon: Option<usize>,
}

impl TableRule {
    /// A rule with no window and no horizon.
    ///
    /// ```
    /// use onhand_atp::{TableMode, TableRule};
    /// let rule = TableRule::plain(TableMode::Discrete);
    /// assert_eq!((rule.window, rule.horizon), (None, None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn plain(mode: TableMode) -> Self {
        TableRule { mode, window: None, horizon: None }
    }
}

/// One period's ATP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableCell {
    /// A quantity (cumulative modes may show a negative one: promises exceed supply).
    Qty(#[serde(with = "onhand_master::decimal::serde_str")] Decimal),
    /// Not shown by the mode (discrete modes in periods without supply).
    Blank,
    /// Beyond the checking horizon: supply is assumed unlimited.
    Unlimited,
}

/// One row of the master-schedule table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    /// The period, from 1.
    pub period: usize,
    /// Supply arriving in the period.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub supply: Decimal,
    /// Committed demand in the period.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub demand: Decimal,
    /// Projected on hand at the end of the period (on hand + supply − demand, cumulated).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub projected: Decimal,
    /// ATP.
    pub atp: TableCell,
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, AtpError> {
    onhand_master::add_exact(a, b).map_err(|_| AtpError::Overflow { operation: "ATP table" })
}

fn sub(a: Decimal, b: Decimal) -> Result<Decimal, AtpError> {
    onhand_master::sub_exact(a, b).map_err(|_| AtpError::Overflow { operation: "ATP table" })
}

/// Computes the table.
///
/// ```
/// use onhand_atp::{atp_table, TableCell, TableMode, TableRule};
/// use rust_decimal::Decimal;
/// let d = |v: i64| Decimal::from(v);
/// // The pump example of Jacobs & Chase: 64 on hand, orders 33, 20, 10, 4, 2, and a
/// // lot of 70 in weeks 3, 5, 7 and 8.
/// let supply = [0, 0, 70, 0, 70, 0, 70, 70].map(d);
/// let orders = [33, 20, 10, 4, 2, 0, 0, 0].map(d);
/// let rows = atp_table(d(64), &supply, &orders, TableRule::plain(TableMode::Discrete))?;
/// let atp: Vec<TableCell> = rows.iter().map(|r| r.atp).collect();
/// use TableCell::{Blank, Qty};
/// assert_eq!(atp, [Qty(d(11)), Blank, Qty(d(56)), Blank, Qty(d(68)), Blank, Qty(d(70)), Qty(d(70))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`AtpError::Periods`] when `supply` and `demand` differ in length;
/// [`AtpError::Negative`] for a negative quantity in either; [`AtpError::Overflow`].
pub fn atp_table(
    on_hand: Decimal,
    supply: &[Decimal],
    demand: &[Decimal],
    rule: TableRule,
) -> Result<Vec<TableRow>, AtpError> {
    if supply.len() != demand.len() {
        return Err(AtpError::Periods {
            field: PlanInput::Demand,
            periods: demand.len(),
            expected: supply.len(),
        });
    }
    first_negative(PlanInput::Supply, supply)?;
    first_negative(PlanInput::Demand, demand)?;
    let n = supply.len();
    let mut projected = Vec::with_capacity(n);
    let mut running = on_hand;
    for (s, d) in supply.iter().zip(demand) {
        running = sub(add(running, *s)?, *d)?;
        projected.push(running);
    }
    // Within the horizon, orders are checked against real supply; beyond it, supply is
    // unlimited, so later orders neither show ATP nor reduce it earlier.
    let checked = rule.horizon.map_or(n, |h| h.min(n));
    let (s_in, d_in) =
        (supply.get(..checked).unwrap_or(supply), demand.get(..checked).unwrap_or(demand));
    let mut atp = match rule.mode {
        TableMode::Cumulative | TableMode::CumulativeLookAhead => cumulative(
            on_hand,
            s_in,
            d_in,
            rule.window,
            rule.mode == TableMode::CumulativeLookAhead,
        )?,
        TableMode::PerPeriod => cumulative(on_hand, s_in, d_in, Some(0), false)?,
        TableMode::Discrete | TableMode::DiscreteForward => {
            discrete(on_hand, s_in, d_in, rule.window, rule.mode == TableMode::DiscreteForward)?
        }
    };
    atp.resize(n, TableCell::Unlimited);
    Ok((0..n)
        .map(|i| TableRow {
            period: i + 1,
            supply: supply.get(i).copied().unwrap_or_default(),
            demand: demand.get(i).copied().unwrap_or_default(),
            projected: projected.get(i).copied().unwrap_or_default(),
            atp: atp.get(i).copied().unwrap_or(TableCell::Blank),
        })
        .collect())
}

fn cumulative(
    on_hand: Decimal,
    supply: &[Decimal],
    demand: &[Decimal],
    window: Option<usize>,
    look_ahead: bool,
) -> Result<Vec<TableCell>, AtpError> {
    let n = supply.len();
    let mut c = Vec::with_capacity(n);
    match window {
        None => {
            let mut running = on_hand;
            for (s, d) in supply.iter().zip(demand) {
                running = sub(add(running, *s)?, *d)?;
                c.push(running);
            }
        }
        Some(w) => {
            // Supply older than the window no longer counts for later periods; demand
            // already served by it stays served.
            for t in 0..n {
                let first = t.saturating_sub(w);
                let mut total = if first == 0 { on_hand } else { Decimal::ZERO };
                for s in supply.iter().take(t + 1).skip(first) {
                    total = add(total, *s)?;
                }
                for d in demand.iter().take(t + 1).skip(first) {
                    total = sub(total, *d)?;
                }
                c.push(total);
            }
        }
    }
    if look_ahead {
        let mut min = None::<Decimal>;
        for v in c.iter_mut().rev() {
            let m = min.map_or(*v, |m| m.min(*v));
            *v = m;
            min = Some(m);
        }
    }
    Ok(c.into_iter().map(TableCell::Qty).collect())
}

fn discrete(
    on_hand: Decimal,
    supply: &[Decimal],
    demand: &[Decimal],
    window: Option<usize>,
    forward: bool,
) -> Result<Vec<TableCell>, AtpError> {
    let n = supply.len();
    // Supply periods: period 1 always (it holds on hand), then every period with supply.
    let starts: Vec<usize> =
        (0..n).filter(|&t| t == 0 || supply.get(t).is_some_and(|s| !s.is_zero())).collect();
    let mut values: Vec<Decimal> = Vec::with_capacity(starts.len());
    for (k, &t) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        let mut v = supply.get(t).copied().unwrap_or_default();
        if t == 0 {
            v = add(v, on_hand)?;
        }
        for d in demand.iter().take(end).skip(t) {
            v = sub(v, *d)?;
        }
        values.push(v);
    }
    if forward {
        // Forward consumption: a shortage reduces the next supply period's ATP.
        let mut carry = Decimal::ZERO;
        for v in &mut values {
            *v = add(*v, carry)?;
            carry = if *v < Decimal::ZERO { *v } else { Decimal::ZERO };
            if *v < Decimal::ZERO {
                *v = Decimal::ZERO;
            }
        }
    } else {
        // Backward borrowing, in date order: each shortage borrows from the nearest
        // earlier surplus first, as far back as the window allows, so an earlier
        // shortage is settled before a later one can take the surplus it needed. The
        // surpluses not yet lent form a stack (nearest on top); each period is pushed
        // and popped at most once, so the pass is linear.
        let mut lenders: Vec<usize> = Vec::new();
        for k in 0..values.len() {
            let here = values.get(k).copied().unwrap_or_default();
            if here > Decimal::ZERO {
                lenders.push(k);
                continue;
            }
            if here.is_zero() {
                continue;
            }
            let t = starts.get(k).copied().unwrap_or(0);
            let mut need = -here;
            while let Some(&j) = lenders.last() {
                let tj = starts.get(j).copied().unwrap_or(0);
                if window.is_some_and(|w| t - tj > w) {
                    // Lenders below are older still: out of reach for this shortage and,
                    // later periods being further away, for every later one too.
                    lenders.clear();
                    break;
                }
                let Some(v) = values.get_mut(j) else { break };
                let take = need.min(*v);
                *v = sub(*v, take)?;
                need = sub(need, take)?;
                if v.is_zero() {
                    lenders.pop();
                }
                if need.is_zero() {
                    break;
                }
            }
            // What no earlier surplus could cover shows in the period that is short.
            if let Some(v) = values.get_mut(k) {
                *v = -need;
            }
        }
    }
    let mut out = vec![TableCell::Blank; n];
    for (k, &t) in starts.iter().enumerate() {
        if let (Some(slot), Some(v)) = (out.get_mut(t), values.get(k)) {
            *slot = TableCell::Qty(*v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TableCell::{Blank, Qty, Unlimited};

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn check(
        on_hand: i64,
        supply: &[i64],
        demand: &[i64],
        rule: TableRule,
        expected: &[TableCell],
    ) {
        let s: Vec<Decimal> = supply.iter().map(|v| d(*v)).collect();
        let o: Vec<Decimal> = demand.iter().map(|v| d(*v)).collect();
        let rows = atp_table(d(on_hand), &s, &o, rule).unwrap();
        let got: Vec<TableCell> = rows.iter().map(|r| r.atp).collect();
        assert_eq!(got, expected, "{rule:?}");
    }

    // Jacobs & Chase, "Operations and Supply Chain Management", master production
    // scheduling: the industrial pump example (64 on hand; committed orders 33, 20, 10,
    // 4, 2; a production lot of 70 in weeks 3, 5, 7 and 8). The book's discrete ATP row
    // reads 11, 56, 68, 70, 70.
    const PUMP_SUPPLY: [i64; 8] = [0, 0, 70, 0, 70, 0, 70, 70];
    const PUMP_ORDERS: [i64; 8] = [33, 20, 10, 4, 2, 0, 0, 0];

    #[test]
    fn pump_example_every_mode() {
        check(
            64,
            &PUMP_SUPPLY,
            &PUMP_ORDERS,
            TableRule::plain(TableMode::Discrete),
            &[Qty(d(11)), Blank, Qty(d(56)), Blank, Qty(d(68)), Blank, Qty(d(70)), Qty(d(70))],
        );
        // C: 31, 11, 71, 67, 135, 135, 205, 275.
        check(
            64,
            &PUMP_SUPPLY,
            &PUMP_ORDERS,
            TableRule::plain(TableMode::Cumulative),
            &[
                Qty(d(31)),
                Qty(d(11)),
                Qty(d(71)),
                Qty(d(67)),
                Qty(d(135)),
                Qty(d(135)),
                Qty(d(205)),
                Qty(d(275)),
            ],
        );
        check(
            64,
            &PUMP_SUPPLY,
            &PUMP_ORDERS,
            TableRule::plain(TableMode::CumulativeLookAhead),
            &[
                Qty(d(11)),
                Qty(d(11)),
                Qty(d(67)),
                Qty(d(67)),
                Qty(d(135)),
                Qty(d(135)),
                Qty(d(205)),
                Qty(d(275)),
            ],
        );
    }

    // APICS dictionary, "discrete available-to-promise": a negative ATP in a supply period
    // borrows from the previous supply period. Hand-worked: 10 on hand, 20 arrive in
    // period 3; orders 5 in period 1 and 30 in period 3. Period 3 alone is 20 − 30 = −10,
    // borrowed from period 1 (10 + 0 − 5 = 5, of which 5 can go): period 1 → 0, period 3
    // still −5 (nothing left to borrow).
    #[test]
    fn discrete_borrows_backward_and_shows_what_it_cannot_cover() {
        check(
            10,
            &[0, 0, 20],
            &[5, 0, 30],
            TableRule::plain(TableMode::Discrete),
            &[Qty(d(0)), Blank, Qty(d(-5))],
        );
        check(
            10,
            &[0, 0, 20],
            &[5, 0, 22],
            TableRule::plain(TableMode::Discrete),
            &[Qty(d(3)), Blank, Qty(d(0))],
        );
    }

    // The borrowing loop ran from the last supply period back, so period 3's shortage
    // took the surplus of period 1 that period 2's shortage needed: [0, -1, 0].
    #[test]
    fn discrete_backward_borrowing_settles_shortages_in_date_order() {
        check(
            0,
            &[1, 1, 1],
            &[0, 2, 2],
            TableRule::plain(TableMode::Discrete),
            &[Qty(d(0)), Qty(d(0)), Qty(d(-1))],
        );
        // The nearest earlier surplus lends first: period 4 borrows from period 3, not 1.
        check(
            0,
            &[5, 0, 5, 1],
            &[0, 0, 0, 4],
            TableRule::plain(TableMode::Discrete),
            &[Qty(d(5)), Blank, Qty(d(2)), Qty(d(0))],
        );
    }

    #[test]
    fn forward_consumption_moves_the_shortage_later() {
        // Period 1: 10 − 15 = −5, carried to period 3: 20 − 0 − 5 = 15.
        check(
            10,
            &[0, 0, 20],
            &[15, 0, 0],
            TableRule::plain(TableMode::DiscreteForward),
            &[Qty(d(0)), Blank, Qty(d(15))],
        );
    }

    #[test]
    fn accumulation_window_limits_how_far_back_supply_reaches() {
        // Discrete: period 5's shortage may borrow only 2 periods back, so not from
        // period 1.
        let rule = TableRule { mode: TableMode::Discrete, window: Some(2), horizon: None };
        check(
            50,
            &[0, 0, 0, 0, 10],
            &[0, 0, 0, 0, 30],
            rule,
            &[Qty(d(50)), Blank, Blank, Blank, Qty(d(-20))],
        );
        let unlimited = TableRule::plain(TableMode::Discrete);
        check(
            50,
            &[0, 0, 0, 0, 10],
            &[0, 0, 0, 0, 30],
            unlimited,
            &[Qty(d(30)), Blank, Blank, Blank, Qty(d(0))],
        );
        // Cumulative with a 1-period window: period 3 counts only periods 2 and 3.
        let rule = TableRule { mode: TableMode::Cumulative, window: Some(1), horizon: None };
        check(50, &[0, 5, 5], &[0, 0, 1], rule, &[Qty(d(50)), Qty(d(55)), Qty(d(9))]);
    }

    #[test]
    fn per_period_is_its_own_mode_and_the_zero_window() {
        // Each period alone: 10 + 0 − 4 = 6; 5 − 8 = −3; 0 − 0 = 0; 20 − 5 = 15.
        let (supply, orders) = ([0, 5, 0, 20], [4, 8, 0, 5]);
        let want = [Qty(d(6)), Qty(d(-3)), Qty(d(0)), Qty(d(15))];
        check(10, &supply, &orders, TableRule::plain(TableMode::PerPeriod), &want);
        let zero = TableRule { mode: TableMode::Cumulative, window: Some(0), horizon: None };
        check(10, &supply, &orders, zero, &want);
        // A window given with the mode changes nothing.
        let wide = TableRule { mode: TableMode::PerPeriod, window: Some(3), horizon: None };
        check(10, &supply, &orders, wide, &want);
    }

    #[test]
    fn beyond_the_horizon_supply_is_unlimited() {
        let rule =
            TableRule { mode: TableMode::CumulativeLookAhead, window: None, horizon: Some(2) };
        // The 100 ordered in period 3 is beyond the horizon: it does not reduce ATP before.
        check(
            5,
            &[0, 0, 0, 0],
            &[1, 1, 100, 0],
            rule,
            &[Qty(d(3)), Qty(d(3)), Unlimited, Unlimited],
        );
    }

    #[test]
    fn look_ahead_never_exceeds_plain_cumulative_and_is_non_decreasing() {
        let s: Vec<Decimal> = [3, 0, 9, 0, 4, 0].map(d).to_vec();
        let o: Vec<Decimal> = [5, 2, 1, 8, 0, 3].map(d).to_vec();
        let c = atp_table(d(7), &s, &o, TableRule::plain(TableMode::Cumulative)).unwrap();
        let l = atp_table(d(7), &s, &o, TableRule::plain(TableMode::CumulativeLookAhead)).unwrap();
        let mut prev = None;
        for (a, b) in c.iter().zip(&l) {
            let (Qty(ca), Qty(lb)) = (a.atp, b.atp) else { panic!("quantities") };
            assert!(lb <= ca);
            if let Some(p) = prev {
                assert!(lb >= p);
            }
            prev = Some(lb);
        }
    }

    #[test]
    fn bad_input_is_refused() {
        let rule = TableRule::plain(TableMode::Discrete);
        assert_eq!(
            atp_table(d(1), &[d(1)], &[], rule).unwrap_err(),
            AtpError::Periods { field: PlanInput::Demand, periods: 0, expected: 1 }
        );
        assert_eq!(
            atp_table(d(1), &[d(0), d(-1)], &[d(0), d(0)], rule).unwrap_err(),
            AtpError::Negative { field: PlanInput::Supply, period: Some(2), value: d(-1) }
        );
    }
}
