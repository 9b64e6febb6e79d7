//! Anomaly detectors: deterministic tests on the state's exact counts, each finding
//! with its evidence (which figure, against which baseline, by how much, the test and
//! its p-value or band, the sample and the minimum it needed).
//!
//! | detector | subject | figure | baseline | test | minimum sample |
//! |---|---|---|---|---|---|
//! | recurring count variances | item-site (all its counts), counter, shift | share of counts out of tolerance | the rate of all other item-sites, all other counters, the other shifts of the same site | exact binomial upper tail `P(X >= x)`, `X ~ Bin(n, p0)`; Benjamini–Hochberg over the family at [`DetectConfig::fdr`]; and the rate at least [`DetectConfig::min_ratio`] × the baseline, and at least 2 counts out | [`DetectConfig::min_counts`] counts; peers [`DetectConfig::min_peer_counts`] |
//! | adjustments after receipts | supplier | share of its receipts followed, within [`crate::Config::follow_days`], by a negative adjustment, damage or hold at the receiving item-site | the rate of all other suppliers' receipts | as above | [`DetectConfig::min_receipts`] receipts old enough to have had their whole window |
//! | unusual transfers | lane and week | transfer lines requested; their value (per currency) | the lane's own previous weeks (up to [`DetectConfig::history_weeks`]) | robust band `median ± k · 1.4826 · MAD` ([`DetectConfig::band_k`]); a MAD of 0 falls back to 1.2533 × the mean absolute deviation; the scale is at least 10 % of the median and at least the Poisson scale (line counts: `√median`, and 1; value: `median value / √(median lines)`), because the MAD of small counts understates their spread | [`DetectConfig::min_weeks`] weeks of history |
//! | item new to a lane | lane and item | the first request of an item on the lane | the lane's requests before that day | the lane had at least [`DetectConfig::min_lane_transfers`] requests and never this item | as the test |
//!
//! **False positives.** Under the complete null (no planted anomaly) the
//! Benjamini–Hochberg procedure flags anything with probability at most `fdr` per
//! family; the binomial test is exact (conservative for discrete counts). The band's
//! rate on clean histories is measured in the tests: under 0.5 % of lane-week figures
//! for Poisson(10) weekly requests at `k = 3.5`.
//!
//! Item-site rates use every count held; counter, shift and supplier rates and transfer
//! weeks use the days up to the `as_of` date asked.

#![allow(
    clippy::float_arithmetic,
    clippy::cast_precision_loss,
    reason = "statistics are floating point; the counts they start from are exact"
)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use onhand_ledger::ActorId;
use onhand_master::{CurrencyCode, ItemCode, SiteCode, SupplierCode};
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use crate::engine::Insight;
use crate::error::InsightError;
use crate::period::{Grain, Period, date_of, day_number};
use crate::record::TransferRef;
use crate::stats::{benjamini_hochberg, binomial_upper_tail, mad, mean_abs_dev, median};

/// The detectors' thresholds (none of them changes the state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// False discovery rate of each family of binomial tests (0.01).
    pub fdr: f64,
    /// A flagged rate must be at least this multiple of its baseline (1.5).
    pub min_ratio: f64,
    /// Counts a subject needs to be tested (8).
    pub min_counts: u64,
    /// Counts its peers need (50).
    pub min_peer_counts: u64,
    /// Matured receipts a supplier needs to be tested (20).
    pub min_receipts: u64,
    /// Band half-width in robust deviations (3.5, Iglewicz and Hoaglin's cut-off).
    pub band_k: f64,
    /// Weeks of a lane's history a week needs to be tested (8).
    pub min_weeks: usize,
    /// Weeks of history the band looks back at most (26).
    pub history_weeks: usize,
    /// Requests a lane needs before an item new to it is flagged (20).
    pub min_lane_transfers: u64,
    /// Report transfer findings only from this date on (`None`: all weeks).
    #[serde(default)]
    pub report_from: Option<NaiveDate>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            fdr: 0.01,
            min_ratio: 1.5,
            min_counts: 8,
            min_peer_counts: 50,
            min_receipts: 20,
            band_k: 3.5,
            min_weeks: 8,
            history_weeks: 26,
            min_lane_transfers: 20,
            report_from: None,
        }
    }
}

/// Which detector found something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Detector {
    /// Count variances out of tolerance more often than peers.
    RecurringCountVariance,
    /// A supplier's receipts followed by adjustments or damage more often than others'.
    SupplierFollowUps,
    /// A lane's weekly transfer lines outside its band.
    TransferFrequency,
    /// A lane's weekly transfer value outside its band.
    TransferValue,
    /// An item a lane never carried.
    ItemNewToLane,
}

/// What a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// An item at a site.
    ItemSite {
        /// The item.
        item: ItemCode,
        /// The site.
        site: SiteCode,
    },
    /// A counter.
    Counter(ActorId),
    /// A shift at a site.
    Shift {
        /// The site.
        site: SiteCode,
        /// The shift.
        shift: u8,
    },
    /// A supplier.
    Supplier(SupplierCode),
    /// A lane.
    Lane {
        /// Shipping site.
        from: SiteCode,
        /// Receiving site.
        to: SiteCode,
    },
    /// An item on a lane, first requested by a transfer line.
    LaneItem {
        /// Shipping site.
        from: SiteCode,
        /// Receiving site.
        to: SiteCode,
        /// The item.
        item: ItemCode,
        /// The first transfer line carrying it.
        transfer: TransferRef,
    },
}

/// The test behind a finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Exact binomial upper tail with Benjamini–Hochberg.
    Binomial {
        /// Events seen (counts out of tolerance, receipts followed).
        k: u64,
        /// Trials (counts, receipts).
        n: u64,
        /// The baseline rate.
        p0: f64,
        /// `P(X >= k)`.
        p_value: f64,
        /// The false discovery rate.
        fdr: f64,
        /// The largest p-value the procedure rejected in this family.
        threshold: f64,
        /// Subjects tested in the family.
        family: usize,
    },
    /// A robust band around the median.
    RobustBand {
        /// Median of the history.
        median: f64,
        /// Median absolute deviation.
        mad: f64,
        /// The scale used (1.4826 MAD, or its fallback and floors).
        scale: f64,
        /// Half-width in scales.
        k: f64,
        /// Lower edge.
        low: f64,
        /// Upper edge.
        high: f64,
        /// Weeks of history.
        weeks: usize,
    },
    /// An item never carried on an established lane.
    FirstOnLane {
        /// Requests on the lane before.
        prior_transfers: u64,
        /// Distinct items the lane carried before.
        items_before: u64,
    },
}

/// One anomaly, with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// The detector.
    pub detector: Detector,
    /// What it is about.
    pub subject: Subject,
    /// The week it concerns (transfer detectors).
    pub period: Option<Period>,
    /// The figure, in words.
    pub figure: String,
    /// Its value.
    pub observed: f64,
    /// The baseline it was held against.
    pub baseline: f64,
    /// `observed − baseline`.
    pub excess: f64,
    /// The test.
    pub test: Test,
    /// The subject's sample.
    pub sample: u64,
    /// The minimum sample the test needs.
    pub min_sample: u64,
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let subject = match &self.subject {
            Subject::ItemSite { item, site } => format!("{item} at {site}"),
            Subject::Counter(a) => format!("counter {a}"),
            Subject::Shift { site, shift } => format!("shift {shift} at {site}"),
            Subject::Supplier(s) => format!("supplier {s}"),
            Subject::Lane { from, to } => format!("lane {from}>{to}"),
            Subject::LaneItem { from, to, item, transfer } => {
                format!("{item} on lane {from}>{to} ({}/{})", transfer.transfer, transfer.line)
            }
        };
        let when = self.period.map(|p| format!(" in {p}")).unwrap_or_default();
        let test = match &self.test {
            Test::Binomial { k, n, p0, p_value, .. } => {
                format!("{k} of {n}, binomial p = {p_value:.2e} against {p0:.4}")
            }
            Test::RobustBand { low, high, weeks, .. } => {
                format!("band [{low:.1}, {high:.1}] from {weeks} weeks")
            }
            Test::FirstOnLane { prior_transfers, items_before } => {
                format!("first in {prior_transfers} requests of {items_before} items")
            }
        };
        write!(
            f,
            "{subject}{when}: {} {:.4} vs {:.4} ({test})",
            self.figure, self.observed, self.baseline
        )
    }
}

/// Subjects a detector could not test for want of data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thin {
    /// The detector.
    pub detector: Detector,
    /// The kind of subject (`item_site`, `counter`, `shift`, `supplier`, `lane`).
    pub subjects: String,
    /// How many were below the minimum.
    pub count: u64,
    /// The minimum.
    pub min_sample: u64,
}

/// What the detectors found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    /// The date the detectors looked up to.
    pub as_of: NaiveDate,
    /// The anomalies, by detector, then subject, then period.
    pub anomalies: Vec<Anomaly>,
    /// Subjects not tested for want of data.
    pub thin: Vec<Thin>,
}

/// A lane's week: lines requested and value per currency.
type Week = (u64, Vec<(CurrencyCode, f64)>);

/// One subject of a binomial family.
struct Trial<S> {
    subject: S,
    k: u64,
    n: u64,
    /// Peer events and trials (the baseline).
    peer_k: u64,
    peer_n: u64,
}

fn binomial_family<S: Clone>(
    trials: Vec<Trial<S>>,
    cfg: &DetectConfig,
    min_sample: u64,
    mut emit: impl FnMut(S, Test, f64, f64, u64),
) -> u64 {
    let mut thin = 0;
    let mut tested = Vec::new();
    for t in trials {
        if t.n < min_sample || t.peer_n < cfg.min_peer_counts {
            thin += 1;
            continue;
        }
        let p0 = t.peer_k as f64 / t.peer_n as f64;
        let p = binomial_upper_tail(t.k, t.n, p0).unwrap_or(1.0);
        tested.push((t, p0, p));
    }
    let ps: Vec<f64> = tested.iter().map(|(_, _, p)| *p).collect();
    let (flags, _) = benjamini_hochberg(&ps, cfg.fdr);
    // The evidence's threshold: the largest p-value the procedure rejected (not the
    // step-up bound `i q / m` it was held against, which can be far above it).
    let threshold =
        ps.iter().zip(&flags).filter(|(_, f)| **f).map(|(p, _)| *p).max_by(f64::total_cmp);
    let family = tested.len();
    for ((t, p0, p), flag) in tested.into_iter().zip(flags) {
        let rate = t.k as f64 / t.n as f64;
        if flag && t.k >= 2 && rate >= cfg.min_ratio * p0 {
            let test = Test::Binomial {
                k: t.k,
                n: t.n,
                p0,
                p_value: p,
                fdr: cfg.fdr,
                threshold: threshold.unwrap_or(0.0),
                family,
            };
            emit(t.subject, test, rate, p0, t.n);
        }
    }
    thin
}

/// The robust band of `history`: (median, MAD, scale, low, high). The scale is
/// 1.4826 MAD (1.2533 × the mean absolute deviation when the MAD is 0), at least
/// `floor` and at least 10 % of the median.
pub(crate) fn band(history: &[f64], k: f64, floor: f64) -> Option<(f64, f64, f64, f64, f64)> {
    let m = median(history)?;
    let d = mad(history, m)?;
    let mut scale = 1.4826 * d;
    if scale == 0.0 {
        scale = 1.2533 * mean_abs_dev(history, m)?;
    }
    scale = scale.max(0.1 * m.abs()).max(floor);
    if scale <= 0.0 {
        return None;
    }
    Some((m, d, scale, m - k * scale, m + k * scale))
}

impl Insight {
    /// Runs every detector over the state up to the end of `as_of`.
    ///
    /// # Errors
    /// [`InsightError::InvalidConfig`] for thresholds out of range (`fdr` outside
    /// (0, 1), `band_k` not positive, `min_weeks` of 0).
    pub fn detect(&self, as_of: NaiveDate, cfg: &DetectConfig) -> Result<Findings, InsightError> {
        let fdr_ok = cfg.fdr > 0.0 && cfg.fdr < 1.0;
        if !fdr_ok
            || cfg.band_k.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater)
            || cfg.min_weeks == 0
        {
            return Err(InsightError::InvalidConfig {
                field: "detect",
                reason: "fdr must be in (0, 1), band_k positive, min_weeks at least 1".into(),
            });
        }
        let mut anomalies = Vec::new();
        let mut thin = Vec::new();
        self.detect_counts(as_of, cfg, &mut anomalies, &mut thin);
        self.detect_suppliers(as_of, cfg, &mut anomalies, &mut thin);
        self.detect_transfers(as_of, cfg, &mut anomalies, &mut thin, true);
        anomalies.sort_by(|a, b| {
            (a.detector, &a.subject, a.period).cmp(&(b.detector, &b.subject, b.period))
        });
        Ok(Findings { as_of, anomalies, thin })
    }

    #[allow(clippy::too_many_lines, reason = "three families of one test, side by side")]
    fn detect_counts(
        &self,
        as_of: NaiveDate,
        cfg: &DetectConfig,
        out: &mut Vec<Anomaly>,
        thin: &mut Vec<Thin>,
    ) {
        let push = |out: &mut Vec<Anomaly>, subject, test, rate, p0, n| {
            out.push(Anomaly {
                detector: Detector::RecurringCountVariance,
                subject,
                period: None,
                figure: "share of counts out of tolerance".into(),
                observed: rate,
                baseline: p0,
                excess: rate - p0,
                test,
                sample: n,
                min_sample: cfg.min_counts,
            });
        };
        // Item-sites, against all other item-sites.
        let (mut tk, mut tn) = (0u64, 0u64);
        for (_, s) in self.stock.item_sites.iter() {
            tk = tk.saturating_add(s.out);
            tn = tn.saturating_add(s.counts);
        }
        let mut keys: Vec<_> = self.stock.item_sites.iter().filter(|(_, s)| s.counts > 0).collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        let trials: Vec<Trial<Subject>> = keys
            .into_iter()
            .filter_map(|((item, site), s)| {
                Some(Trial {
                    subject: Subject::ItemSite {
                        item: item.clone(),
                        site: self.site_code(*site)?.clone(),
                    },
                    k: s.out,
                    n: s.counts,
                    peer_k: tk.saturating_sub(s.out),
                    peer_n: tn.saturating_sub(s.counts),
                })
            })
            .collect();
        let t = binomial_family(trials, cfg, cfg.min_counts, |s, test, r, p0, n| {
            push(out, s, test, r, p0, n);
        });
        thin.push(Thin {
            detector: Detector::RecurringCountVariance,
            subjects: "item_site".into(),
            count: t,
            min_sample: cfg.min_counts,
        });
        // Counters and shifts from the day cells up to as_of.
        let last = day_number(as_of);
        let mut counters: BTreeMap<&ActorId, (u64, u64)> = BTreeMap::default();
        let mut shifts: BTreeMap<(u16, u8), (u64, u64)> = BTreeMap::default();
        for ((day, site, _, shift, counter), c) in &self.stock.counts {
            if *day > last {
                continue;
            }
            let o = c.counts.saturating_sub(c.within);
            let e = counters.entry(counter).or_default();
            e.0 = e.0.saturating_add(o);
            e.1 = e.1.saturating_add(c.counts);
            let e = shifts.entry((*site, *shift)).or_default();
            e.0 = e.0.saturating_add(o);
            e.1 = e.1.saturating_add(c.counts);
        }
        let (ck, cn) = counters
            .values()
            .fold((0u64, 0u64), |a, v| (a.0.saturating_add(v.0), a.1.saturating_add(v.1)));
        let trials = counters
            .iter()
            .map(|(a, (k, n))| Trial {
                subject: Subject::Counter((*a).clone()),
                k: *k,
                n: *n,
                peer_k: ck.saturating_sub(*k),
                peer_n: cn.saturating_sub(*n),
            })
            .collect();
        let t = binomial_family(trials, cfg, cfg.min_counts, |s, test, r, p0, n| {
            push(out, s, test, r, p0, n);
        });
        thin.push(Thin {
            detector: Detector::RecurringCountVariance,
            subjects: "counter".into(),
            count: t,
            min_sample: cfg.min_counts,
        });
        let mut per_site: BTreeMap<u16, (u64, u64)> = BTreeMap::default();
        for ((site, _), (k, n)) in &shifts {
            let e = per_site.entry(*site).or_default();
            e.0 = e.0.saturating_add(*k);
            e.1 = e.1.saturating_add(*n);
        }
        let trials = shifts
            .iter()
            .filter_map(|((site, shift), (k, n))| {
                let (sk, sn) = per_site.get(site).copied().unwrap_or_default();
                Some(Trial {
                    subject: Subject::Shift { site: self.site_code(*site)?.clone(), shift: *shift },
                    k: *k,
                    n: *n,
                    peer_k: sk.saturating_sub(*k),
                    peer_n: sn.saturating_sub(*n),
                })
            })
            .collect();
        let t = binomial_family(trials, cfg, cfg.min_counts, |s, test, r, p0, n| {
            push(out, s, test, r, p0, n);
        });
        thin.push(Thin {
            detector: Detector::RecurringCountVariance,
            subjects: "shift".into(),
            count: t,
            min_sample: cfg.min_counts,
        });
    }

    fn detect_suppliers(
        &self,
        as_of: NaiveDate,
        cfg: &DetectConfig,
        out: &mut Vec<Anomaly>,
        thin: &mut Vec<Thin>,
    ) {
        // Only receipts whose whole follow-up window lies before the end of as_of: a
        // receipt's window ends `follow_days` after it, so one of day `as_of −
        // follow_days` (at any time) has had all of its by the end of `as_of`.
        let matured = day_number(as_of)
            .saturating_sub(i32::try_from(self.config().follow_days).unwrap_or(i32::MAX));
        let mut per: BTreeMap<&SupplierCode, (u64, u64)> = BTreeMap::default();
        for ((day, supplier), c) in &self.stock.suppliers {
            if *day <= matured {
                let e = per.entry(supplier).or_default();
                e.0 = e.0.saturating_add(c.followed);
                e.1 = e.1.saturating_add(c.receipts);
            }
        }
        let (tk, tn) = per
            .values()
            .fold((0u64, 0u64), |a, v| (a.0.saturating_add(v.0), a.1.saturating_add(v.1)));
        let trials = per
            .iter()
            .map(|(s, (k, n))| Trial {
                subject: Subject::Supplier((*s).clone()),
                k: *k,
                n: *n,
                peer_k: tk.saturating_sub(*k),
                peer_n: tn.saturating_sub(*n),
            })
            .collect();
        let follow = self.config().follow_days;
        let t = binomial_family(trials, cfg, cfg.min_receipts, |subject, test, rate, p0, n| {
            out.push(Anomaly {
                detector: Detector::SupplierFollowUps,
                subject,
                period: None,
                figure: format!(
                    "share of receipts followed by an adjustment or damage within {follow} days"
                ),
                observed: rate,
                baseline: p0,
                excess: rate - p0,
                test,
                sample: n,
                min_sample: cfg.min_receipts,
            });
        });
        thin.push(Thin {
            detector: Detector::SupplierFollowUps,
            subjects: "supplier".into(),
            count: t,
            min_sample: cfg.min_receipts,
        });
    }

    #[allow(
        clippy::too_many_lines,
        reason = "the weekly series and the first-on-lane check share their lane tables"
    )]
    /// The lane detectors. With `skip_empty` (always, but in the test that compares
    /// the two), a run of weeks without transfers is stepped over once the lane's
    /// window holds nothing but such weeks (see below): a transfer dated decades before
    /// the rest (a wrong date, an edited snapshot) costs one step, not a walk over every
    /// week in between.
    fn detect_transfers(
        &self,
        as_of: NaiveDate,
        cfg: &DetectConfig,
        out: &mut Vec<Anomaly>,
        thin: &mut Vec<Thin>,
        skip_empty: bool,
    ) {
        let last_day = day_number(as_of);
        let report_from = cfg.report_from.map_or(i32::MIN, day_number);
        // Weekly series per lane: lines and value per currency, by ISO week start.
        let mut lanes: BTreeMap<(u16, u16), BTreeMap<i32, Week>> = BTreeMap::default();
        for ((day, from, to), c) in &self.transfers.cells {
            if *day > last_day || c.requested == 0 {
                continue;
            }
            let week = day_number(Period::containing(Grain::Week, date_of(*day)).start());
            let w = lanes.entry((*from, *to)).or_default().entry(week).or_default();
            w.0 = w.0.saturating_add(c.requested);
            for m in c.requested_value.as_slice() {
                let v = m.amount().to_f64().unwrap_or(0.0);
                match w.1.iter_mut().find(|(cur, _)| *cur == m.currency()) {
                    Some(x) => x.1 += v,
                    None => w.1.push((m.currency(), v)),
                }
            }
        }
        // The last complete week.
        let end_week = {
            let p = Period::containing(Grain::Week, as_of);
            if p.end() == as_of.succ_opt().unwrap_or(as_of) {
                p.start()
            } else {
                p.start().checked_sub_days(chrono::Days::new(7)).unwrap_or(p.start())
            }
        };
        let end_week = day_number(end_week);
        let mut thin_lanes = 0u64;
        for ((from, to), weeks) in &lanes {
            let (Some(fc), Some(tc)) = (self.site_code(*from), self.site_code(*to)) else {
                continue;
            };
            let Some(first) = weeks.keys().next().copied() else { continue };
            let mut currencies: Vec<CurrencyCode> =
                weeks.values().flat_map(|w| w.1.iter().map(|(c, _)| *c)).collect();
            currencies.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            currencies.dedup();
            let mut series_n: Vec<f64> = Vec::new();
            let mut series_v: Vec<Vec<f64>> = vec![Vec::new(); currencies.len()];
            let mut tested = false;
            let mut wk = first;
            // Weeks without transfers just before `wk`.
            let mut empty_run = 0usize;
            while wk <= end_week {
                let w = weeks.get(&wk);
                if skip_empty && w.is_none() && empty_run >= cfg.history_weeks {
                    // The window (the last `history_weeks` weeks) holds only empty
                    // weeks, and so does every week up to the lane's next transfer: no
                    // band flags them (no lines against a floor of one line; no value
                    // band without lines), and the window stays as it is. (Whether the
                    // lane was tested is settled too: the window was already full at
                    // the last empty week walked.) Straight to the next transfer.
                    let next = weeks.range(wk..).next().map_or(i32::MAX, |(k, _)| *k);
                    wk = next.min(end_week.saturating_add(7));
                    continue;
                }
                empty_run = if w.is_none() { empty_run.saturating_add(1) } else { 0 };
                let n = w.map_or(0.0, |w| w.0 as f64);
                let vals: Vec<f64> = currencies
                    .iter()
                    .map(|c| w.and_then(|w| w.1.iter().find(|x| x.0 == *c)).map_or(0.0, |x| x.1))
                    .collect();
                let hist_len = series_n.len().min(cfg.history_weeks);
                let start = series_n.len() - hist_len;
                if hist_len >= cfg.min_weeks {
                    tested = true;
                    let period = Period::containing(Grain::Week, date_of(wk));
                    if wk >= report_from || day_number(period.end()) > report_from {
                        let subject = Subject::Lane { from: fc.clone(), to: tc.clone() };
                        let hist = series_n.get(start..).unwrap_or_default();
                        // Weekly line counts are Poisson-like: their scale is at least
                        // the square root of their median (and 1).
                        let lines_median = median(hist).unwrap_or(0.0);
                        if let Some(a) = band_anomaly(
                            Detector::TransferFrequency,
                            &subject,
                            period,
                            "transfer lines requested in the week".into(),
                            n,
                            hist,
                            cfg,
                            lines_median.sqrt().max(1.0),
                        ) {
                            out.push(a);
                        }
                        for ((cur, v), hist) in currencies.iter().zip(&vals).zip(&series_v) {
                            let hist = hist.get(start..).unwrap_or_default();
                            // A compound Poisson volume: at least the median value over
                            // the square root of the median line count.
                            let floor = if lines_median > 0.0 {
                                median(hist).unwrap_or(0.0) / lines_median.sqrt()
                            } else {
                                0.0
                            };
                            if let Some(a) = band_anomaly(
                                Detector::TransferValue,
                                &subject,
                                period,
                                format!("value of transfer lines requested in the week ({cur})"),
                                *v,
                                hist,
                                cfg,
                                floor,
                            ) {
                                out.push(a);
                            }
                        }
                    }
                }
                series_n.push(n);
                for (s, v) in series_v.iter_mut().zip(vals) {
                    s.push(v);
                }
                wk += 7;
            }
            thin_lanes += u64::from(!tested);
        }
        thin.push(Thin {
            detector: Detector::TransferFrequency,
            subjects: "lane".into(),
            count: thin_lanes,
            min_sample: u64::try_from(cfg.min_weeks).unwrap_or(u64::MAX),
        });
        // Items new to an established lane.
        let mut daily: BTreeMap<(u16, u16), Vec<(i32, u64)>> = BTreeMap::default();
        for ((day, from, to), c) in &self.transfers.cells {
            if c.requested > 0 {
                daily.entry((*from, *to)).or_default().push((*day, c.requested));
            }
        }
        for v in daily.values_mut() {
            v.sort_unstable();
            let mut acc = 0u64;
            for e in v.iter_mut() {
                acc = acc.saturating_add(e.1);
                e.1 = acc;
            }
        }
        let mut firsts: BTreeMap<(u16, u16), Vec<(i64, i32)>> = BTreeMap::default();
        for ((from, to, _), (t, _)) in &self.transfers.lane_items {
            let day =
                crate::period::day_of(chrono::DateTime::from_timestamp(*t, 0).unwrap_or_default());
            firsts.entry((*from, *to)).or_default().push((*t, day));
        }
        for v in firsts.values_mut() {
            v.sort_unstable();
        }
        let mut items: Vec<_> = self.transfers.lane_items.iter().collect();
        items.sort_by(|a, b| (a.0, &a.1.1).cmp(&(b.0, &b.1.1)));
        for ((from, to, item), (t, transfer)) in items {
            let day =
                crate::period::day_of(chrono::DateTime::from_timestamp(*t, 0).unwrap_or_default());
            if day > last_day || day < report_from {
                continue;
            }
            let prior = daily.get(&(*from, *to)).map_or(0, |v| {
                let n = v.partition_point(|(d, _)| *d < day);
                n.checked_sub(1).and_then(|i| v.get(i)).map_or(0, |e| e.1)
            });
            if prior < cfg.min_lane_transfers {
                continue;
            }
            let before =
                firsts.get(&(*from, *to)).map_or(0, |v| v.partition_point(|(_, d)| *d < day));
            let (Some(fc), Some(tc)) = (self.site_code(*from), self.site_code(*to)) else {
                continue;
            };
            out.push(Anomaly {
                detector: Detector::ItemNewToLane,
                subject: Subject::LaneItem {
                    from: fc.clone(),
                    to: tc.clone(),
                    item: item.clone(),
                    transfer: transfer.clone(),
                },
                period: Some(Period::containing(Grain::Day, date_of(day))),
                figure: "requests of this item on the lane before".into(),
                observed: 0.0,
                baseline: prior as f64,
                excess: -(prior as f64),
                test: Test::FirstOnLane {
                    prior_transfers: prior,
                    items_before: u64::try_from(before).unwrap_or(u64::MAX),
                },
                sample: prior,
                min_sample: cfg.min_lane_transfers,
            });
        }
    }
}

#[allow(clippy::too_many_arguments, reason = "one finding's evidence")]
fn band_anomaly(
    detector: Detector,
    subject: &Subject,
    period: Period,
    figure: String,
    x: f64,
    history: &[f64],
    cfg: &DetectConfig,
    floor: f64,
) -> Option<Anomaly> {
    let (m, d, scale, low, high) = band(history, cfg.band_k, floor)?;
    if x >= low && x <= high {
        return None;
    }
    Some(Anomaly {
        detector,
        subject: subject.clone(),
        period: Some(period),
        figure,
        observed: x,
        baseline: m,
        excess: x - m,
        test: Test::RobustBand {
            median: m,
            mad: d,
            scale,
            k: cfg.band_k,
            low,
            high,
            weeks: history.len(),
        },
        sample: u64::try_from(history.len()).unwrap_or(u64::MAX),
        min_sample: u64::try_from(cfg.min_weeks).unwrap_or(u64::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveTime, Utc};
    use proptest::prelude::*;

    use crate::config::{Config, SiteConfig};
    use crate::record::{Record, TransferRequested};

    fn site(code: &str) -> SiteConfig {
        SiteConfig {
            site: code.parse().unwrap(),
            entity: "NA01".parse().unwrap(),
            region: "US-SE".parse().unwrap(),
            utc_offset_minutes: 0,
            shift_starts: vec![NaiveTime::from_hms_opt(6, 0, 0).unwrap()],
        }
    }

    /// Transfers on two lanes: for each `(lane, week, lines, value)`, `lines` transfer
    /// lines requested in that week (counted back from 2026-06-01), each worth `value`.
    fn lanes(weeks: &[(bool, u32, u8, u16)]) -> Insight {
        let end = DateTime::<Utc>::from_timestamp(1_780_272_000, 0).unwrap(); // 2026-06-01
        let mut recs: Vec<Record> = Vec::new();
        for (k, (lane, week, lines, value)) in weeks.iter().enumerate() {
            let at = end - chrono::Duration::weeks(i64::from(*week));
            for n in 0..*lines {
                recs.push(Record::TransferRequested(TransferRequested {
                    at,
                    transfer: TransferRef {
                        transfer: format!("TO-{k}").parse().unwrap(),
                        line: u32::from(n) + 1,
                    },
                    from: "ATL".parse().unwrap(),
                    to: if *lane { "ORD" } else { "DFW" }.parse().unwrap(),
                    item: "BOLT".parse().unwrap(),
                    qty: "5 EA".parse().unwrap(),
                    value: format!("{value} USD").parse().unwrap(),
                    expected_arrival: None,
                    transport_cost: None,
                    purchase_cost: None,
                }));
            }
        }
        recs.sort_by_key(|r| match r {
            Record::TransferRequested(t) => t.at,
            _ => end,
        });
        let config = Config::new(vec![site("ATL"), site("ORD"), site("DFW")]);
        Insight::from_records(config, &recs).unwrap()
    }

    proptest! {
        /// Stepping over runs of empty weeks finds exactly what walking every week
        /// finds: the same anomalies and the same thin lanes, whatever the gaps (some
        /// of them longer than the window, some of them not) and the thresholds.
        #[test]
        fn stepping_over_empty_weeks_finds_what_walking_them_finds(
            weeks in prop::collection::vec((any::<bool>(), 0u32..400, 1u8..6, 1u16..900), 1..60),
            history_weeks in 0usize..30,
            min_weeks in 1usize..12,
            report_weeks in prop::option::of(0u32..300),
        ) {
            let s = lanes(&weeks);
            let as_of = NaiveDate::from_ymd_opt(2026, 6, 3).unwrap();
            let cfg = DetectConfig {
                history_weeks,
                min_weeks,
                report_from: report_weeks
                    .map(|w| as_of - chrono::Duration::weeks(i64::from(w))),
                ..DetectConfig::default()
            };
            let (mut stepped, mut walked) = (Vec::new(), Vec::new());
            let (mut thin_s, mut thin_w) = (Vec::new(), Vec::new());
            s.detect_transfers(as_of, &cfg, &mut stepped, &mut thin_s, true);
            s.detect_transfers(as_of, &cfg, &mut walked, &mut thin_w, false);
            prop_assert_eq!(stepped, walked);
            prop_assert_eq!(thin_s, thin_w);
        }
    }

    /// A lane whose first transfer is dated 100,000 years before the others is
    /// stepped over in one step per gap (walking it would take over five million
    /// weeks), and finds what a gap of a year finds.
    #[test]
    fn a_transfer_dated_ages_back_is_one_step() {
        let as_of = NaiveDate::from_ymd_opt(2026, 6, 3).unwrap();
        let recent: Vec<(bool, u32, u8, u16)> =
            (0..40).map(|w| (true, w, 1 + u8::try_from(w % 3).unwrap(), 100)).collect();
        let with_gap = |weeks_back: u32| {
            let mut w = recent.clone();
            w.push((true, weeks_back, 1, 100));
            let s = lanes(&w);
            let cfg = DetectConfig {
                report_from: Some(as_of - chrono::Duration::weeks(40)),
                ..DetectConfig::default()
            };
            s.detect(as_of, &cfg).unwrap()
        };
        let year = with_gap(92);
        let ages = with_gap(5_200_000);
        assert_eq!(ages.anomalies, year.anomalies);
        assert_eq!(ages.thin, year.thin);
    }

    #[test]
    fn band_with_a_zero_mad_falls_back() {
        // 10 every week: MAD 0, mean absolute deviation 0, floor 10 % of 10 = 1.
        let h = [10.0; 10];
        let (m, _, scale, low, high) = band(&h, 3.5, 1.0).unwrap();
        assert_eq!(
            [m, scale, low, high].map(f64::to_bits),
            [10.0, 1.0, 6.5, 13.5].map(f64::to_bits)
        );
        // All zero and no unit floor: no band.
        assert!(band(&[0.0; 10], 3.5, 0.0).is_none());
        // 1, 2, 3, 4, 100: median 3, MAD 1, scale 1.4826, but at least 0.3.
        let (_, d, scale, ..) = band(&[1.0, 2.0, 3.0, 4.0, 100.0], 3.5, 0.0).unwrap();
        assert_eq!(d.to_bits(), 1.0f64.to_bits());
        assert!((scale - 1.4826).abs() < 1e-12);
    }
}
