//! Periods: every figure is kept per UTC day and rolled up to weeks (ISO, Monday first)
//! and calendar months when asked, so a week is exactly the merge of its seven days.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// How long a reporting period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    /// One UTC day.
    Day,
    /// An ISO week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

/// A reporting period: a grain and the date it starts on.
///
/// ```
/// use chrono::NaiveDate;
/// use onhand_insight::{Grain, Period};
/// let d = NaiveDate::from_ymd_opt(2026, 3, 12).ok_or("date")?; // a Thursday
/// let w = Period::containing(Grain::Week, d);
/// assert_eq!(w.start(), NaiveDate::from_ymd_opt(2026, 3, 9).ok_or("date")?);
/// assert_eq!(w.days(), 7);
/// assert_eq!(Period::containing(Grain::Month, d).days(), 31);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Period {
    grain: Grain,
    start: NaiveDate,
}

impl Period {
    /// The period of `grain` that contains `date`.
    #[must_use]
    pub fn containing(grain: Grain, date: NaiveDate) -> Period {
        let start = match grain {
            Grain::Day => date,
            Grain::Week => date
                .checked_sub_days(Days::new(u64::from(date.weekday().num_days_from_monday())))
                .unwrap_or(date),
            Grain::Month => date.with_day(1).unwrap_or(date),
        };
        Period { grain, start }
    }

    /// The grain.
    #[must_use]
    pub fn grain(self) -> Grain {
        self.grain
    }

    /// The first day.
    #[must_use]
    pub fn start(self) -> NaiveDate {
        self.start
    }

    /// The day after the last day.
    #[must_use]
    pub fn end(self) -> NaiveDate {
        let next = match self.grain {
            Grain::Day => self.start.checked_add_days(Days::new(1)),
            Grain::Week => self.start.checked_add_days(Days::new(7)),
            Grain::Month => self.start.checked_add_months(Months::new(1)),
        };
        next.unwrap_or(NaiveDate::MAX)
    }

    /// The next period of the same grain.
    #[must_use]
    pub fn next(self) -> Period {
        Period { grain: self.grain, start: self.end() }
    }

    /// Days in the period.
    #[must_use]
    pub fn days(self) -> u32 {
        u32::try_from((self.end() - self.start).num_days()).unwrap_or(0)
    }

    /// The period as a range of day numbers `[first, end)` (see [`day_number`]).
    #[must_use]
    pub(crate) fn day_range(self) -> (i32, i32) {
        (day_number(self.start), day_number(self.end()))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.grain {
            Grain::Day => write!(f, "{}", self.start),
            Grain::Week => {
                let w = self.start.iso_week();
                write!(f, "{}-W{:02}", w.year(), w.week())
            }
            Grain::Month => write!(f, "{}-{:02}", self.start.year(), self.start.month()),
        }
    }
}

/// Days since 0001-01-01 (day 1): the key every figure is kept by.
#[must_use]
pub(crate) fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// The UTC day number of a time.
#[must_use]
pub(crate) fn day_of(at: DateTime<Utc>) -> i32 {
    // The UTC date read directly (`date_naive` goes through a zero offset).
    day_number(at.naive_utc().date())
}

/// The UTC day number of a Unix time in seconds (0 outside the dates `chrono` can
/// hold), without building the date: 1970-01-01 is day 719,163.
#[must_use]
pub(crate) fn day_of_timestamp(secs: i64) -> i32 {
    const FIRST: i64 = DateTime::<Utc>::MIN_UTC.timestamp();
    const LAST: i64 = DateTime::<Utc>::MAX_UTC.timestamp();
    if !(FIRST..=LAST).contains(&secs) {
        return 0;
    }
    i32::try_from(secs.div_euclid(86_400) + 719_163).unwrap_or(0)
}

/// The date of a day number.
#[must_use]
pub(crate) fn date_of(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(NaiveDate::MIN)
}

/// The month of year (0 = January) of a day number.
#[must_use]
pub(crate) fn month_index(day: i32) -> usize {
    date_of(day).month0() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_start_end_and_print() {
        let p = Period::containing(Grain::Week, d(2026, 1, 1)); // a Thursday
        assert_eq!(p.start(), d(2025, 12, 29));
        assert_eq!(p.to_string(), "2026-W01");
        assert_eq!(p.next().start(), d(2026, 1, 5));
        let m = Period::containing(Grain::Month, d(2024, 2, 29));
        assert_eq!((m.start(), m.days(), m.to_string()), (d(2024, 2, 1), 29, "2024-02".into()));
        let day = Period::containing(Grain::Day, d(2026, 3, 1));
        assert_eq!((day.days(), day.to_string()), (1, "2026-03-01".into()));
        let (a, b) = m.day_range();
        assert_eq!(b - a, 29);
        assert_eq!(date_of(a), d(2024, 2, 1));
        assert_eq!(month_index(a), 1);
        for secs in [0, -1, 86_399, 86_400, 1_767_571_200, -62_135_596_800, 253_402_300_799] {
            let at = DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(day_of_timestamp(secs), day_of(at), "{secs}");
            assert_eq!(day_of(at), day_number(at.date_naive()), "{secs}");
        }
        assert_eq!(day_of_timestamp(i64::MAX), 0);
    }
}
