//! Changing a live pool's costing method. What the pool holds keeps its quantity and
//! embedded profit; its value carries over except into standard cost:
//!
//! - **to moving average**: the FIFO layers (or the standard value) merge into one
//!   quantity and value; no posting.
//! - **to FIFO**: what is held becomes one layer, dated at the change, at the value it
//!   had (a new receipt record that names the change event); no posting. FIFO layers
//!   from before the change are not rebuilt from the receipts (an average has already
//!   blended them).
//! - **to standard**: what is held is revalued at the new standard; the difference
//!   (standard value less the value held) is the revaluation the engine posts.
//!
//! A pool with an open shortfall or a negative standard quantity is refused
//! ([`PoolError::Short`]): its stock is owed, not held, and the true-up of the
//! shortfall belongs to the old method. Changing to the method in force changes
//! nothing (a replay may meet such a change after an earlier one was back-dated).

use rust_decimal::Decimal;

use super::{Int, Method, Out, Plan, PoolError, R, Rcpt, Scales, State, sub};

impl State {
    /// Plans the change to `method` (standard: at `cost` per base unit) made by cost
    /// event `event`. `out.value` is the revaluation (standard value less value held).
    ///
    /// # Errors
    /// [`PoolError::Short`] for a pool with an open shortfall or negative quantity;
    /// [`PoolError::Overflow`] beyond the pool's range.
    pub(crate) fn plan_change_method(
        &self,
        sc: Scales,
        event: u64,
        method: Method,
        cost: Decimal,
    ) -> R<Plan> {
        let mut st = *self;
        let nothing = |state| Plan {
            state,
            rcpt: None,
            short: None,
            landed: None,
            wdr: None,
            out: Out::default(),
        };
        if method == self.method {
            return Ok(nothing(st));
        }
        if self.short != (0, 0) || self.qty < 0 {
            return Err(PoolError::Short);
        }
        st.method = method;
        st.used = (0, 0, 0);
        st.head = st.rlen;
        st.cost = Decimal::ZERO;
        let mut rcpt = None;
        let mut out = Out::default();
        match method {
            Method::Standard => {
                st.cost = cost;
                st.value = st.at_standard(sc, self.qty)?;
                out.value = sub(st.value, self.value)?;
            }
            Method::MovingAverage => {}
            Method::Fifo => {
                if self.qty > 0 {
                    st.rlen = self.rlen.checked_add(1).ok_or(PoolError::Overflow)?;
                    rcpt = Some(Rcpt {
                        event,
                        qty: self.qty,
                        value: self.value,
                        profit: self.profit,
                        landed: 0 as Int,
                    });
                }
            }
        }
        Ok(Plan { state: st, rcpt, short: None, landed: None, wdr: None, out })
    }
}

#[cfg(test)]
mod tests {
    use super::super::Pool;
    use super::*;

    fn receive(p: &mut Pool, event: u64, qty: Int, value: Int) {
        let plan = p.state.plan_receive(p, p.scales, event, qty, value, 0).unwrap();
        p.commit(&plan);
    }

    fn change(p: &mut Pool, method: Method, cost: &str) -> R<Int> {
        let plan = p.state.plan_change_method(p.scales, 99, method, cost.parse().unwrap())?;
        p.commit(&plan);
        assert!(p.state.is_consistent(p, p.scales), "{:?}", p.state);
        Ok(plan.out.value)
    }

    fn pool(method: Method) -> Pool {
        Pool::new(method, Scales::new(0, 2).unwrap(), Decimal::new(400, 2))
    }

    // FIFO 10 @ 1.00 + 10 @ 1.50 (25.00) to moving average: 20 worth 25.00 (1.25 each);
    // then to standard 1.40: 28.00, a revaluation of 3.00; then back to FIFO: one
    // layer of 20 at 28.00.
    #[test]
    fn fifo_to_average_to_standard_to_fifo_by_hand() {
        let mut p = pool(Method::Fifo);
        receive(&mut p, 1, 10, 1000);
        receive(&mut p, 2, 10, 1500);
        assert_eq!(change(&mut p, Method::MovingAverage, "0"), Ok(0));
        assert_eq!((p.state.qty, p.state.value), (20, 2500));
        let issue = p.state.plan_issue(&p, p.scales, 4, false, 0, 0).unwrap();
        assert_eq!(issue.out.value, 500);
        assert_eq!(change(&mut p, Method::Standard, "1.40"), Ok(300));
        assert_eq!((p.state.qty, p.state.value), (20, 2800));
        assert_eq!(change(&mut p, Method::Fifo, "0"), Ok(0));
        let layers: Vec<_> = p.state.layers(&p, p.scales).collect();
        assert_eq!(layers.len(), 1);
        assert_eq!(
            (layers[0].origin, layers[0].qty, layers[0].value),
            (99, 20.into(), "28.00".parse().unwrap())
        );
    }

    #[test]
    fn a_short_pool_is_refused_and_the_same_method_changes_nothing() {
        let mut p = pool(Method::Fifo);
        receive(&mut p, 1, 5, 500);
        let before = p.clone();
        assert_eq!(change(&mut p, Method::Fifo, "0"), Ok(0));
        assert_eq!(p, before);
        let plan = p.state.plan_issue(&p, p.scales, 8, true, 0, 0).unwrap();
        p.commit(&plan);
        assert_eq!(change(&mut p, Method::MovingAverage, "0"), Err(PoolError::Short));
        // An empty pool changes freely.
        let mut q = pool(Method::MovingAverage);
        assert_eq!(change(&mut q, Method::Fifo, "0"), Ok(0));
        assert_eq!(q.state.rlen, 0);
    }
}
