//! Days and instants.

use super::{DateTime, Days, NaiveDate, TimeDelta, TimeZone, Utc};

/// The engine's first "today": 2026-01-05. Model days are offsets from it.
pub(crate) fn base_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 5).expect("base date")
}

/// The date `off` days from the base date.
#[must_use]
pub fn date(off: i64) -> NaiveDate {
    let base = base_date();
    let days = Days::new(off.unsigned_abs());
    if off >= 0 { base.checked_add_days(days) } else { base.checked_sub_days(days) }
        .expect("date in range")
}

/// A date's offset from the base date.
pub(crate) fn offset(d: NaiveDate) -> i64 {
    d.signed_duration_since(base_date()).num_days()
}

/// `hours` after midnight of the base date.
pub(crate) fn instant(hours: i64) -> DateTime<Utc> {
    let midnight = base_date().and_hms_opt(0, 0, 0).expect("midnight");
    Utc.from_utc_datetime(&midnight) + TimeDelta::hours(hours)
}

pub(crate) const FAR: i64 = i64::MAX / 4;
