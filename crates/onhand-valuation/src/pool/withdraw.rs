//! The withdrawal: units of one receipt leaving a pool at that receipt's cost, for a
//! return to the supplier or a receipt's reversal. Unlike an issue, which takes what
//! the method says (the oldest layer, the average), a withdrawal names what leaves:
//!
//! - **FIFO**: the units come out of the receipt's own layer, wherever it is in the
//!   queue, at its cost (its share of what the layer is still worth, landed cost
//!   included; the last unit takes the last cent). From the oldest layer they are
//!   counted with what issues took from it (the head's `used`); from a later one a
//!   withdrawal record ([`Wdr`]) keeps the running total taken from that layer, so
//!   the issues that later reach it take only what is left, and the head passes over
//!   a layer withdrawn whole. A layer already gone (issued, withdrawn, or before the
//!   head) holds nothing: [`PoolError::Insufficient`].
//! - **Moving average**: the quantity leaves with the value given (the receipt's cost
//!   of it), so the average of what stays is what it would be without those units. When
//!   the withdrawal takes the last unit it takes all the value left, and it never takes
//!   more value than the pool holds; the engine posts any difference to price variance.
//! - **Standard**: the units leave at standard, like an issue.

use super::{Book, Int, Method, Out, Plan, PoolError, R, Scales, State, Wdr, add, sub};

impl State {
    /// Plans the withdrawal of `qty` units of receipt record `rcpt` worth `value` (the
    /// receipt's cost of them), without stock below zero. `out.value` is what leaves
    /// inventory.
    ///
    /// # Errors
    /// [`PoolError::Insufficient`] when the layer (FIFO: `rcpt`'s, nothing when there
    /// is no such record) or the pool holds less.
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
            Method::Standard => self.plan_issue(book, sc, qty, false, 0, 0),
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
                Ok(Plan { state: st, rcpt: None, short: None, landed: None, wdr: None, out })
            }
            Method::Fifo => {
                let gone = || PoolError::Insufficient { available: sc.qty_out(0) };
                let k = rcpt.ok_or_else(gone)?;
                // Before the head, the layer is gone: nothing of it is held.
                let (_, lq, lv, lp) = self.layer(book, k).ok_or_else(gone)?;
                if qty > lq {
                    return Err(PoolError::Insufficient { available: sc.qty_out(lq) });
                }
                let (v, p) = if qty == lq {
                    (lv, lp)
                } else {
                    let p = if lp == 0 { 0 } else { sc.share(lp, qty, lq)? };
                    (sc.share(lv, qty, lq)?, p)
                };
                let mut st = *self;
                let mut wdr = None;
                if k == self.head {
                    // The oldest layer: counted with what issues took from it.
                    if qty == lq {
                        st.used = (0, 0, 0);
                        st.head = st.next_held(book, k + 1);
                    } else {
                        st.used =
                            (add(self.used.0, qty)?, add(self.used.1, v)?, add(self.used.2, p)?);
                    }
                } else {
                    let (wq, wv, wp) = book.taken(k, self.wlen);
                    wdr = Some(Wdr {
                        rcpt: k,
                        qty: add(wq, qty)?,
                        value: add(wv, v)?,
                        profit: add(wp, p)?,
                    });
                    st.wlen = self.wlen.checked_add(1).ok_or(PoolError::Overflow)?;
                }
                st.qty = self.qty - qty;
                st.value = sub(self.value, v)?;
                st.profit = sub(self.profit, p)?;
                let out = Out { value: v, profit: p, ..Out::default() };
                Ok(Plan { state: st, rcpt: None, short: None, landed: None, wdr, out })
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

    fn issue(p: &mut Pool, qty: Int) -> R<Int> {
        let plan = p.state.plan_issue(p, p.scales, qty, false, 0, 0)?;
        p.commit(&plan);
        assert!(p.state.is_consistent(p, p.scales));
        Ok(plan.out.value)
    }

    /// The layers held, as (quantity, value) in whole units and cents.
    fn layers(p: &Pool) -> Vec<(Decimal, Decimal)> {
        p.state.layers(p, p.scales).map(|l| (l.qty, l.value)).collect()
    }

    fn dq(n: i64) -> Decimal {
        Decimal::new(n, 0)
    }

    fn dv(cents: i64) -> Decimal {
        Decimal::new(cents, 2)
    }

    // FIFO: 10 @ 1.00, 10 @ 1.30, 10 @ 1.50. Returning 4 of the second receipt takes
    // 4/10 of 13.00 = 5.20 out of its own layer, behind the older one: 10 @ 10.00,
    // 6 @ 7.80, 10 @ 15.00. An issue of 12 then takes the first layer (10.00) and 2 of
    // the 6 left of the second (2/6 of 7.80 = 2.60): 12.60. The other 4 of the second
    // receipt (now the oldest) go back at 5.20, and the head moves to the third.
    #[test]
    fn fifo_takes_from_the_receipts_own_layer_wherever_it_is() {
        let mut p = pool(Method::Fifo);
        receive(&mut p, 1, 10, 1000);
        receive(&mut p, 2, 10, 1300);
        receive(&mut p, 3, 10, 1500);
        assert_eq!(withdraw(&mut p, 1, 4, 520), Ok(520));
        assert_eq!(layers(&p), [(dq(10), dv(1000)), (dq(6), dv(780)), (dq(10), dv(1500))]);
        assert_eq!((p.state.qty, p.state.value), (26, 3280));
        assert_eq!(issue(&mut p, 12), Ok(1260));
        assert_eq!(layers(&p), [(dq(4), dv(520)), (dq(10), dv(1500))]);
        assert_eq!(
            withdraw(&mut p, 1, 5, 650),
            Err(PoolError::Insufficient { available: 4.into() })
        );
        assert_eq!(
            withdraw(&mut p, 0, 1, 100),
            Err(PoolError::Insufficient { available: 0.into() })
        );
        assert_eq!(withdraw(&mut p, 1, 4, 520), Ok(520));
        assert_eq!((p.state.qty, p.state.value, p.state.head), (10, 1500, 2));
        assert_eq!(layers(&p), [(dq(10), dv(1500))]);
    }

    // A middle layer of 3 worth 1.00 gives 1 unit back at 0.33; the 2 left are worth
    // 0.67, and the issues that reach them take 0.34 (half of 0.67, rounded up) and the
    // last cent, 0.33. A layer withdrawn whole is passed over: the head skips it.
    #[test]
    fn a_partly_returned_layer_keeps_its_remainder_and_an_emptied_one_is_skipped() {
        let mut p = pool(Method::Fifo);
        receive(&mut p, 1, 1, 200);
        receive(&mut p, 2, 3, 100);
        receive(&mut p, 3, 2, 900);
        receive(&mut p, 4, 5, 500);
        assert_eq!(withdraw(&mut p, 1, 1, 33), Ok(33));
        assert_eq!(withdraw(&mut p, 2, 2, 900), Ok(900));
        assert_eq!(layers(&p), [(dq(1), dv(200)), (dq(2), dv(67)), (dq(5), dv(500))]);
        assert_eq!(issue(&mut p, 2), Ok(234));
        assert_eq!(issue(&mut p, 1), Ok(33));
        // The third receipt's layer is empty: the head is the fourth's.
        assert_eq!(p.state.head, 3);
        assert_eq!(p.state.unit_cost(&p, p.scales), Some(dv(100)));
        assert_eq!(issue(&mut p, 5), Ok(500));
        assert_eq!((p.state.qty, p.state.value, p.state.head), (0, 0, 4));
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

    /// One step of the FIFO property: a receipt, an issue, a withdrawal from receipt
    /// number `k` (modulo those recorded), a landed cost on one, a checkpoint, a
    /// rollback to the last checkpoint.
    #[derive(Debug, Clone)]
    enum Step {
        Receive(Int, Int, Int),
        Issue(Int),
        Withdraw(usize, Int),
        Landed(usize, Int),
        Mark,
        Rollback,
    }

    fn step() -> impl proptest::strategy::Strategy<Value = Step> {
        use proptest::prelude::*;
        prop_oneof![
            3 => (1..20i128, 0..5_000i128, prop_oneof![Just(0i128), 0..300i128])
                .prop_map(|(q, v, p)| Step::Receive(q, v, p.min(v))),
            3 => (1..30i128).prop_map(Step::Issue),
            3 => (any::<usize>(), 1..12i128).prop_map(|(k, q)| Step::Withdraw(k, q)),
            1 => (any::<usize>(), 0..900i128).prop_map(|(k, a)| Step::Landed(k, a)),
            1 => Just(Step::Mark),
            1 => Just(Step::Rollback),
        ]
    }

    /// A step as applied: a receipt (event, quantity, value, profit), an issue, a
    /// withdrawal from a receipt record, a landed cost (record, received, amount, kept).
    #[derive(Debug, Clone, Copy)]
    enum Done {
        Receive(u64, Int, Int, Int),
        Issue(Int),
        Withdraw(u32, Int),
        Landed(u32, Int, Int, Int),
    }

    /// The plain model: every receipt's layer as (received, left, value, profit), the
    /// oldest first; an issue walks them in order, a withdrawal takes from one.
    #[derive(Debug, Clone, Default, PartialEq)]
    struct Model(Vec<(Int, Int, Int, Int)>);

    /// `value x part / whole`, half up (all figures here are not negative).
    fn part(value: Int, part: Int, whole: Int) -> Int {
        if part == whole { value } else { (2 * value * part + whole) / (2 * whole) }
    }

    impl Model {
        fn held(&self) -> Int {
            self.0.iter().map(|l| l.1).sum()
        }
        /// Takes `q` out of layer `k`: the value and profit taken.
        fn take(&mut self, k: usize, qty: Int) -> (Int, Int) {
            let layer = &mut self.0[k];
            let (value, profit) = (part(layer.2, qty, layer.1), part(layer.3, qty, layer.1));
            *layer = (layer.0, layer.1 - qty, layer.2 - value, layer.3 - profit);
            (value, profit)
        }
        fn issue(&mut self, mut q: Int) -> Option<Int> {
            if q > self.held() {
                return None;
            }
            let mut value = 0;
            for k in 0..self.0.len() {
                let t = q.min(self.0[k].1);
                if t > 0 {
                    value += self.take(k, t).0;
                    q -= t;
                }
            }
            Some(value)
        }
        fn layers(&self) -> Vec<(Int, Int, Int)> {
            self.0.iter().filter(|l| l.1 > 0).map(|l| (l.1, l.2, l.3)).collect()
        }
    }

    fn ints(p: &Pool) -> Vec<(Int, Int, Int)> {
        let sc = p.scales;
        p.state
            .layers(p, sc)
            .map(|l| {
                (
                    sc.qty_in(l.qty).unwrap(),
                    sc.value_in(l.value).unwrap(),
                    sc.value_in(l.profit).unwrap(),
                )
            })
            .collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        /// Receipts, issues, withdrawals from any layer, landed costs and rollbacks
        /// agree with the plain model of a list of layers: every figure, every layer,
        /// every refusal; a pool rolled back (a replay from a checkpoint, adopted) is
        /// exactly the pool it was, and replaying the steps since over the checkpoint
        /// reaches exactly the live pool.
        #[test]
        fn fifo_withdrawals_from_any_layer_agree_with_a_list_of_layers(
            steps in proptest::collection::vec(step(), 1..60),
        ) {
            use proptest::prop_assert_eq;
            let mut p = pool(Method::Fifo);
            let mut m = Model::default();
            let mut mark: Option<(Pool, Model, usize)> = None;
            // The steps applied since the start, as they were applied.
            let mut done: Vec<Done> = Vec::new();
            let mut event = 0;
            for s in steps {
                let sc = p.scales;
                let applied = match s {
                    Step::Receive(q, v, pr) => {
                        event += 1;
                        let plan = p.state.plan_receive(&p, sc, event, q, v, pr).unwrap();
                        p.commit(&plan);
                        m.0.push((q, q, v, pr));
                        Some(Done::Receive(event, q, v, pr))
                    }
                    Step::Issue(q) => {
                        let got = p.state.plan_issue(&p, sc, q, false, 0, 0);
                        let held = m.held();
                        match m.issue(q) {
                            None => {
                                let available = Decimal::from(i64::try_from(held).unwrap());
                                prop_assert_eq!(got.map(|_| ()), Err(PoolError::Insufficient { available }));
                                None
                            }
                            Some(v) => {
                                let plan = got.unwrap();
                                prop_assert_eq!(plan.out.value, v);
                                // The in-order path agrees with the plan; it leaves a
                                // pool with withdrawal records to the plan.
                                let quick = p.quick_issue(q);
                                prop_assert_eq!(quick.is_some(), p.wdr_parts().1.is_empty());
                                let mut by_quick = p.clone();
                                p.commit(&plan);
                                if let Some(quick) = quick {
                                    by_quick.commit_quick(&quick);
                                    prop_assert_eq!(&by_quick, &p);
                                }
                                Some(Done::Issue(q))
                            }
                        }
                    }
                    Step::Withdraw(k, q) if !m.0.is_empty() => {
                        let k = k % m.0.len();
                        let ix = u32::try_from(k).unwrap();
                        let got = p.state.plan_withdraw(&p, sc, Some(ix), q, 0);
                        let left = m.0[k].1;
                        if q > left {
                            let available = Decimal::from(i64::try_from(left).unwrap());
                            prop_assert_eq!(got.map(|_| ()), Err(PoolError::Insufficient { available }));
                            None
                        } else {
                            let plan = got.unwrap();
                            let (v, pr) = m.take(k, q);
                            prop_assert_eq!((plan.out.value, plan.out.profit), (v, pr));
                            p.commit(&plan);
                            Some(Done::Withdraw(ix, q))
                        }
                    }
                    Step::Landed(k, a) if !m.0.is_empty() => {
                        let k = k % m.0.len();
                        let ix = u32::try_from(k).unwrap();
                        let l = m.0[k];
                        let plan = p.state.plan_add_cost(&p, sc, Some(ix), l.0, a).unwrap();
                        let kept = part(a, l.1, l.0);
                        prop_assert_eq!(plan.out.value, kept);
                        m.0[k].2 += kept;
                        p.commit(&plan);
                        Some(Done::Landed(ix, l.0, a, kept))
                    }
                    Step::Withdraw(..) | Step::Landed(..) => None,
                    Step::Mark => {
                        mark = Some((p.clone(), m.clone(), done.len()));
                        None
                    }
                    Step::Rollback => {
                        let Some((was, model, at)) = mark.clone() else { continue };
                        let since = &done[at..];
                        // Landed cost kept since the mark is taken off the receipts.
                        let later = || since.iter().filter_map(|d| match *d {
                            Done::Landed(k, _, _, kept) => Some((k, kept)),
                            _ => None,
                        });
                        // Replaying the steps since the mark over it reaches the pool.
                        let mut r = p.replay_from(was.state, later());
                        for d in since {
                            let plan = match *d {
                                Done::Receive(e, q, v, pr) => r.state.plan_receive(&r, sc, e, q, v, pr),
                                Done::Issue(q) => r.state.plan_issue(&r, sc, q, false, 0, 0),
                                Done::Withdraw(k, q) => r.state.plan_withdraw(&r, sc, Some(k), q, 0),
                                Done::Landed(k, received, a, _) => r.state.plan_add_cost(&r, sc, Some(k), received, a),
                            };
                            r.commit(&plan.unwrap());
                        }
                        prop_assert_eq!(r.state, p.state);
                        let replayed: Vec<_> = r.state.layers(&r, sc).collect();
                        let live: Vec<_> = p.state.layers(&p, sc).collect();
                        prop_assert_eq!(replayed, live);
                        let mut again = was.clone();
                        again.adopt(r.into_adopt());
                        prop_assert_eq!(&again, &p);
                        // Rolling back: the replay from the mark, adopted as it is.
                        let back = p.replay_from(was.state, later()).into_adopt();
                        p.adopt(back);
                        prop_assert_eq!(&p, &was);
                        m = model;
                        done.truncate(at);
                        None
                    }
                };
                done.extend(applied);
                proptest::prop_assert!(p.state.is_consistent(&p, p.scales), "{:?}", p.state);
                prop_assert_eq!(ints(&p), m.layers());
                let value: Int = m.0.iter().map(|l| l.2).sum();
                prop_assert_eq!((p.state.qty, p.state.value), (m.held(), value));
            }
        }
    }
}
