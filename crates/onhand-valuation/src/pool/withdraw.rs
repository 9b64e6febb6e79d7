//! The withdrawal: units of one receipt leaving a pool at that receipt's cost, for a
//! return to the supplier or a receipt's reversal. Unlike an issue, which takes what
//! the method says (the oldest layer, the average), a withdrawal names what leaves:
//!
//! - **FIFO**: the units come out of the receipt's own layer, at its cost (its share of
//!   what the layer is still worth, landed cost included; the last unit takes the last
//!   cent). Records are append-only and only the oldest layer is ever taken from, so
//!   the receipt's layer must be the oldest held ([`PoolError::NotOldest`] otherwise:
//!   the stock received before it goes first, by FIFO's own rule).
//! - **Moving average**: the quantity leaves with the value given (the receipt's cost
//!   of it), so the average of what stays is what it would be without those units. When
//!   the withdrawal takes the last unit it takes all the value left, and it never takes
//!   more value than the pool holds; the engine posts any difference to price variance.
//! - **Standard**: the units leave at standard, like an issue.

use super::{Book, Int, Method, Out, Plan, PoolError, R, Scales, State, add, sub};

impl State {
    /// Plans the withdrawal of `qty` units of receipt record `rcpt` worth `value` (the
    /// receipt's cost of them), without stock below zero. `out.value` is what leaves
    /// inventory.
    ///
    /// # Errors
    /// [`PoolError::Insufficient`] when the layer (FIFO) or the pool holds less;
    /// [`PoolError::NotOldest`] for a FIFO layer behind older stock (or no record).
    pub(crate) fn plan_withdraw(
        &self,
        book: &impl Book,
        sc: Scales,
        rcpt: Option<u32>,
        qty: Int,
        value: Int,
    ) -> R<Plan> {
        if qty <= 0 || value < 0 {
            return Err(PoolError::Overflow);
        }
        match self.method {
            Method::Standard => self.plan_issue(book, sc, qty, false, 0),
            Method::MovingAverage => {
                let held = self.qty.max(0);
                if qty > held {
                    return Err(PoolError::Insufficient { available: sc.qty_out(held) });
                }
                let mut st = *self;
                let (taken, profit) = if qty == self.qty {
                    (self.value, self.profit)
                } else {
                    let p = if self.profit == 0 { 0 } else { sc.share(self.profit, qty, held)? };
                    (value.min(self.value.max(0)), p)
                };
                st.qty = self.qty - qty;
                st.value = sub(self.value, taken)?;
                st.profit = sub(self.profit, profit)?;
                let out = Out { value: taken, profit, ..Out::default() };
                Ok(Plan { state: st, rcpt: None, short: None, landed: None, out })
            }
            Method::Fifo => {
                let k = rcpt.ok_or(PoolError::NotOldest)?;
                if k < self.head {
                    // The layer is gone: nothing of it is held.
                    return Err(PoolError::Insufficient { available: sc.qty_out(0) });
                }
                if k != self.head {
                    return Err(PoolError::NotOldest);
                }
                let (_, lq, lv, lp) = self.layer(book, k).ok_or(PoolError::NotOldest)?;
                if qty > lq {
                    return Err(PoolError::Insufficient { available: sc.qty_out(lq) });
                }
                let mut st = *self;
                let (v, p) = if qty == lq {
                    st.head = k + 1;
                    st.used = (0, 0, 0);
                    (lv, lp)
                } else {
                    let v = sc.share(lv, qty, lq)?;
                    let p = if lp == 0 { 0 } else { sc.share(lp, qty, lq)? };
                    st.used = (add(self.used.0, qty)?, add(self.used.1, v)?, add(self.used.2, p)?);
                    (v, p)
                };
                st.qty = self.qty - qty;
                st.value = sub(self.value, v)?;
                st.profit = sub(self.profit, p)?;
                let out = Out { value: v, profit: p, ..Out::default() };
                Ok(Plan { state: st, rcpt: None, short: None, landed: None, out })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::super::{Pool, Scales};
    use super::*;

    fn pool(method: Method) -> Pool {
        Pool::new(method, Scales::new(0, 2).unwrap(), Decimal::new(500, 2))
    }

    fn receive(p: &mut Pool, event: u64, qty: Int, value: Int) {
        let plan = p.state.plan_receive(p, p.scales, event, qty, value, 0).unwrap();
        p.commit(&plan);
    }

    fn withdraw(p: &mut Pool, k: u32, qty: Int, value: Int) -> R<Int> {
        let plan = p.state.plan_withdraw(p, p.scales, Some(k), qty, value)?;
        p.commit(&plan);
        assert!(p.state.is_consistent(p, p.scales));
        Ok(plan.out.value)
    }

    // FIFO: 10 @ 1.00 then 10 @ 1.30. The second layer is behind the first; once the
    // first is sold, 4 of the second go back at 1.30 = 5.20.
    #[test]
    fn fifo_takes_from_the_receipts_own_layer_once_it_is_the_oldest() {
        let mut p = pool(Method::Fifo);
        receive(&mut p, 1, 10, 1000);
        receive(&mut p, 2, 10, 1300);
        assert_eq!(withdraw(&mut p, 1, 4, 520), Err(PoolError::NotOldest));
        let plan = p.state.plan_issue(&p, p.scales, 10, false, 0).unwrap();
        p.commit(&plan);
        assert_eq!(withdraw(&mut p, 1, 4, 520), Ok(520));
        assert_eq!((p.state.qty, p.state.value), (6, 780));
        assert_eq!(
            withdraw(&mut p, 1, 7, 910),
            Err(PoolError::Insufficient { available: 6.into() })
        );
        assert_eq!(
            withdraw(&mut p, 0, 1, 100),
            Err(PoolError::Insufficient { available: 0.into() })
        );
        assert_eq!(withdraw(&mut p, 1, 6, 780), Ok(780));
        assert_eq!((p.state.qty, p.state.value, p.state.head), (0, 0, 2));
    }

    // Moving average: 100 @ 10.00 and 100 @ 12.00 average 11.00; returning 50 of the
    // second at 12.00 leaves 150 worth 1,600.00 (10.6667 each).
    #[test]
    fn moving_average_withdraws_at_the_receipts_cost() {
        let mut p = pool(Method::MovingAverage);
        receive(&mut p, 1, 100, 100_000);
        receive(&mut p, 2, 100, 120_000);
        assert_eq!(withdraw(&mut p, 1, 50, 60_000), Ok(60_000));
        assert_eq!((p.state.qty, p.state.value), (150, 160_000));
        // The last units take what is left, whatever the receipt's cost.
        assert_eq!(withdraw(&mut p, 1, 150, 180_000), Ok(160_000));
        assert_eq!((p.state.qty, p.state.value), (0, 0));
    }

    #[test]
    fn standard_withdraws_at_standard() {
        let mut p = pool(Method::Standard);
        receive(&mut p, 1, 10, 5_200);
        assert_eq!(withdraw(&mut p, 0, 4, 2_080), Ok(2_000));
        assert_eq!((p.state.qty, p.state.value), (6, 3_000));
    }
}
