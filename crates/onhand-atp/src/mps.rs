//! The master-schedule record as a master scheduler keeps it: forecast and customer
//! orders per period, projected available balance, the master production schedule
//! (MPS) with its lot sizing and time fences, and available to promise over it.
//!
//! For period `t` (from 1), with on hand `OH`, forecast `F(t)`, customer orders `O(t)`,
//! firm MPS receipts `M_f(t)` and safety stock `SS`:
//!
//! | row | rule |
//! |---|---|
//! | gross requirement `G(t)` | `O(t)` inside the demand time fence (`t ≤ demand fence`); `max(F(t), O(t))` beyond it |
//! | MPS `M(t)` | `M_f(t)`, plus beyond the planning time fence (`t > planning fence`) a planned lot when `PAB(t−1) + M_f(t) − G(t) < SS` (see [`MpsLot`]); inside the fence nothing is planned, so a shortage shows as a projected balance below `SS` |
//! | projected available balance | `PAB(t) = PAB(t−1) + M(t) − G(t)`, `PAB(0) = OH` |
//! | ATP | [`atp_table`] over on hand, the MPS row as supply and the customer orders as demand, by the record's [`TableRule`] (discrete ATP with look-ahead, as textbooks print it, by default) |
//!
//! Source: Jacobs & Chase, *Operations and Supply Chain Management*, the master
//! production scheduling example for industrial pumps (the record's rows, the
//! "schedule production when projected on-hand inventory would be negative (or below a
//! level) without it" rule, and the look-ahead ATP); APICS dictionary for the demand and
//! planning time fences.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{AtpError, PlanInput, first_negative};
use crate::table::{TableCell, TableMode, TableRule, atp_table};

/// How the master schedule sizes a planned lot for a net requirement `N` (what brings
/// the projected balance back to safety stock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MpsLot {
    /// Exactly `N`.
    LotForLot,
    /// A fixed quantity `q`, raised to `N` when `N` is larger: `max(q, N)`.
    Fixed(#[serde(with = "onhand_master::decimal::serde_str")] Decimal),
    /// `N` rounded up to a multiple of `m`.
    Multiple(#[serde(with = "onhand_master::decimal::serde_str")] Decimal),
}

/// The inputs of a master-schedule record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MpsInput {
    /// On hand at the start of period 1.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub on_hand: Decimal,
    /// Forecast per period; its length is the record's number of periods.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub forecast: Vec<Decimal>,
    /// Customer orders (committed) per period; missing periods are 0.
    #[serde(deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub orders: Vec<Decimal>,
    /// Firm MPS receipts per period (already released or frozen); missing periods are 0.
    #[serde(default, deserialize_with = "onhand_master::decimal::serde_str::vec")]
    pub firm: Vec<Decimal>,
    /// Safety stock the projected balance should not fall below (0: plan when it would
    /// go negative).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub safety_stock: Decimal,
    /// Lot sizing of planned MPS quantities.
    pub lot: MpsLot,
    /// The demand time fence in periods: up to it, only customer orders count (0: none).
    #[serde(default)]
    pub demand_fence: usize,
    /// The planning time fence in periods: up to it, no MPS quantity is planned, only
    /// firm ones are kept (0: none).
    #[serde(default)]
    pub planning_fence: usize,
    /// How ATP is computed over the record.
    pub atp: TableRule,
}

impl MpsInput {
    /// A record with no firm receipts, no safety stock, no fences and discrete ATP.
    ///
    /// ```
    /// use onhand_atp::{MpsInput, MpsLot, mps};
    /// use rust_decimal::Decimal;
    /// let d = |v: i64| Decimal::from(v);
    /// let input = MpsInput::new(d(20), vec![d(30), d(30)], vec![d(25), d(10)], MpsLot::Fixed(d(50)));
    /// let rows = mps(&input)?;
    /// // Period 1: 20 on hand cannot cover 30; one lot of 50 leaves 40.
    /// assert_eq!((rows[0].mps, rows[0].projected), (d(50), d(40)));
    /// assert_eq!(input.safety_stock, Decimal::ZERO);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(
        on_hand: Decimal,
        forecast: Vec<Decimal>,
        orders: Vec<Decimal>,
        lot: MpsLot,
    ) -> Self {
        MpsInput {
            on_hand,
            forecast,
            orders,
            firm: Vec::new(),
            safety_stock: Decimal::ZERO,
            lot,
            demand_fence: 0,
            planning_fence: 0,
            atp: TableRule::plain(TableMode::Discrete),
        }
    }
}

/// One period of the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MpsRow {
    /// The period, from 1.
    pub period: usize,
    /// Forecast.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub forecast: Decimal,
    /// Customer orders.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub orders: Decimal,
    /// The gross requirement the balance is projected with.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub gross: Decimal,
    /// Projected available balance at the end of the period.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub projected: Decimal,
    /// MPS quantity received in the period (firm plus planned).
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub mps: Decimal,
    /// The planned part of `mps`.
    #[serde(with = "onhand_master::decimal::serde_str")]
    pub planned: Decimal,
    /// Available to promise.
    pub atp: TableCell,
}

fn overflow() -> AtpError {
    AtpError::Overflow { operation: "master schedule" }
}

fn at(v: &[Decimal], t: usize) -> Decimal {
    v.get(t).copied().unwrap_or_default()
}

/// The planned lot for a net requirement `need > 0`.
fn lot_for(lot: MpsLot, need: Decimal) -> Result<Decimal, AtpError> {
    match lot {
        MpsLot::LotForLot => Ok(need),
        MpsLot::Fixed(q) => Ok(q.max(need)),
        MpsLot::Multiple(m) => {
            let k = need.checked_div(m).ok_or_else(overflow)?.ceil();
            onhand_master::mul_exact(k, m).map_err(|_| overflow())
        }
    }
}

/// Builds the master-schedule record (see the module docs).
///
/// ```
/// use onhand_atp::{mps, MpsInput, MpsLot, TableCell};
/// use rust_decimal::Decimal;
/// let d = |v: i64| Decimal::from(v);
/// // Jacobs & Chase's pumps: 64 on hand, forecast 30 a week in June and 40 in July,
/// // orders 33, 20, 10, 4, 2, lots of 70 when the balance would go negative.
/// let input = MpsInput::new(
///     d(64),
///     [30, 30, 30, 30, 40, 40, 40, 40].map(d).to_vec(),
///     [33, 20, 10, 4, 2].map(d).to_vec(),
///     MpsLot::Fixed(d(70)),
/// );
/// let rows = mps(&input)?;
/// let row = |f: fn(&onhand_atp::MpsRow) -> Decimal| rows.iter().map(f).collect::<Vec<_>>();
/// assert_eq!(row(|r| r.projected), [31, 1, 41, 11, 41, 1, 31, 61].map(d));
/// assert_eq!(row(|r| r.mps), [0, 0, 70, 0, 70, 0, 70, 70].map(d));
/// use TableCell::{Blank, Qty};
/// let atp: Vec<TableCell> = rows.iter().map(|r| r.atp).collect();
/// assert_eq!(atp, [Qty(d(11)), Blank, Qty(d(56)), Blank, Qty(d(68)), Blank, Qty(d(70)), Qty(d(70))]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`AtpError::Negative`] for a negative on hand, forecast, order, firm receipt or
/// safety stock; [`AtpError::Periods`] for orders or firm receipts beyond the forecast's
/// periods; [`AtpError::NotPositive`] for a lot that is not positive;
/// [`AtpError::Overflow`].
pub fn mps(input: &MpsInput) -> Result<Vec<MpsRow>, AtpError> {
    let n = input.forecast.len();
    for (field, per_period) in
        [(PlanInput::Orders, &input.orders), (PlanInput::FirmReceipts, &input.firm)]
    {
        if per_period.len() > n {
            return Err(AtpError::Periods { field, periods: per_period.len(), expected: n });
        }
    }
    for (field, v) in
        [(PlanInput::OnHand, input.on_hand), (PlanInput::SafetyStock, input.safety_stock)]
    {
        if v < Decimal::ZERO {
            return Err(AtpError::Negative { field, period: None, value: v });
        }
    }
    first_negative(PlanInput::Forecast, &input.forecast)?;
    first_negative(PlanInput::Orders, &input.orders)?;
    first_negative(PlanInput::FirmReceipts, &input.firm)?;
    if let MpsLot::Fixed(q) | MpsLot::Multiple(q) = input.lot
        && q <= Decimal::ZERO
    {
        return Err(AtpError::NotPositive { field: PlanInput::Lot, value: q });
    }
    let add = |a: Decimal, b: Decimal| onhand_master::add_exact(a, b).map_err(|_| overflow());
    let sub = |a: Decimal, b: Decimal| onhand_master::sub_exact(a, b).map_err(|_| overflow());
    let mut rows = Vec::with_capacity(n);
    let mut balance = input.on_hand;
    for t in 0..n {
        let period = t + 1;
        let (forecast, orders, firm) =
            (at(&input.forecast, t), at(&input.orders, t), at(&input.firm, t));
        let gross = if period <= input.demand_fence { orders } else { forecast.max(orders) };
        let before = sub(add(balance, firm)?, gross)?;
        let planned = if period > input.planning_fence && before < input.safety_stock {
            lot_for(input.lot, sub(input.safety_stock, before)?)?
        } else {
            Decimal::ZERO
        };
        balance = add(before, planned)?;
        rows.push(MpsRow {
            period,
            forecast,
            orders,
            gross,
            projected: balance,
            mps: add(firm, planned)?,
            planned,
            atp: TableCell::Blank,
        });
    }
    let supply: Vec<Decimal> = rows.iter().map(|r| r.mps).collect();
    let orders: Vec<Decimal> = rows.iter().map(|r| r.orders).collect();
    let table = atp_table(input.on_hand, &supply, &orders, input.atp)?;
    for (r, a) in rows.iter_mut().zip(table) {
        r.atp = a.atp;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TableCell::Qty;

    fn d(v: i64) -> Decimal {
        Decimal::from(v)
    }

    fn ds(v: &[i64]) -> Vec<Decimal> {
        v.iter().map(|x| d(*x)).collect()
    }

    #[test]
    fn lots() {
        assert_eq!(lot_for(MpsLot::LotForLot, d(29)).unwrap(), d(29));
        assert_eq!(lot_for(MpsLot::Fixed(d(70)), d(29)).unwrap(), d(70));
        assert_eq!(lot_for(MpsLot::Fixed(d(70)), d(90)).unwrap(), d(90));
        assert_eq!(lot_for(MpsLot::Multiple(d(25)), d(29)).unwrap(), d(50));
        assert_eq!(lot_for(MpsLot::Multiple(d(25)), d(50)).unwrap(), d(50));
    }

    #[test]
    fn bad_input_is_refused() {
        let ok = MpsInput::new(d(1), ds(&[1, 1]), ds(&[1]), MpsLot::LotForLot);
        assert!(mps(&ok).is_ok());
        assert_eq!(
            mps(&MpsInput { orders: ds(&[1, 1, 1]), ..ok.clone() }).unwrap_err(),
            AtpError::Periods { field: PlanInput::Orders, periods: 3, expected: 2 }
        );
        let e = mps(&MpsInput { forecast: ds(&[1, -1]), ..ok.clone() }).unwrap_err();
        assert_eq!(
            e,
            AtpError::Negative { field: PlanInput::Forecast, period: Some(2), value: d(-1) }
        );
        assert_eq!(e.to_string(), "forecast in period 2 is negative: -1");
        assert_eq!(
            mps(&MpsInput { lot: MpsLot::Fixed(d(0)), ..ok.clone() }).unwrap_err(),
            AtpError::NotPositive { field: PlanInput::Lot, value: d(0) }
        );
        assert_eq!(
            mps(&MpsInput { safety_stock: d(-1), ..ok }).unwrap_err(),
            AtpError::Negative { field: PlanInput::SafetyStock, period: None, value: d(-1) }
        );
    }

    #[test]
    fn per_period_atp_over_the_record() {
        // Lot-for-lot, nothing on hand: forecast 10 a period, orders 4, 12, 0.
        // Gross 10, 12, 10; MPS 10, 12, 10 (each period's net requirement); projected 0.
        // Per-period ATP: 10 − 4 = 6, 12 − 12 = 0, 10 − 0 = 10.
        let mut input = MpsInput::new(d(0), ds(&[10, 10, 10]), ds(&[4, 12, 0]), MpsLot::LotForLot);
        input.atp = TableRule::plain(TableMode::PerPeriod);
        let rows = mps(&input).unwrap();
        let got: Vec<(Decimal, Decimal, TableCell)> =
            rows.iter().map(|r| (r.mps, r.projected, r.atp)).collect();
        assert_eq!(
            got,
            [(d(10), d(0), Qty(d(6))), (d(12), d(0), Qty(d(0))), (d(10), d(0), Qty(d(10)))]
        );
    }
}
