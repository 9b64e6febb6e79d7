//! Times in the engine's own records: text (RFC 3339, as chrono writes it) for formats
//! people read, such as JSON, and seconds since the Unix epoch with nanoseconds for the
//! rest, such as the canonical form a snapshot's digest is taken over, where formatting
//! every time as text was most of the cost. Used with `#[serde(with = ...)]`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `at` as text, or as seconds and nanoseconds.
pub(crate) fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        at.serialize(s)
    } else {
        (at.timestamp(), at.timestamp_subsec_nanos()).serialize(s)
    }
}

/// A time written by [`serialize`].
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    if d.is_human_readable() {
        DateTime::deserialize(d)
    } else {
        let (secs, nanos) = <(i64, u32)>::deserialize(d)?;
        DateTime::from_timestamp(secs, nanos)
            .ok_or_else(|| serde::de::Error::custom("a time out of range"))
    }
}

/// The same for an optional time.
pub(crate) mod option {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// `at` as text, or as seconds and nanoseconds, when there is one.
    #[allow(clippy::ref_option, reason = "serde's `with` passes the field by reference")]
    pub(crate) fn serialize<S: Serializer>(
        at: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            at.serialize(s)
        } else {
            at.map(|t| (t.timestamp(), t.timestamp_subsec_nanos())).serialize(s)
        }
    }

    /// An optional time written by [`serialize`].
    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        if d.is_human_readable() {
            Option::deserialize(d)
        } else {
            match <Option<(i64, u32)>>::deserialize(d)? {
                None => Ok(None),
                Some((secs, nanos)) => DateTime::from_timestamp(secs, nanos)
                    .map(Some)
                    .ok_or_else(|| serde::de::Error::custom("a time out of range")),
            }
        }
    }
}
