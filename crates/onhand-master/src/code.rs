//! Business codes: the validated identifiers users know (`ItemCode`, `SiteCode`, ...).
//!
//! Every code is a newtype over a string that has passed one rule, so a code that
//! exists is a code that is valid. The rule, shared by all business codes:
//!
//! | rule | example that fails |
//! |---|---|
//! | 1 to [`MAX_CODE_LEN`] bytes (serial numbers: 64) | `""` |
//! | ASCII letters, digits and `- _ . / # +` only | `"BOLT M8"` (space), `"É1"` |
//! | first character is a letter or a digit | `"-X"` |
//!
//! Codes are case-sensitive, compare by their bytes, and serialize as plain
//! strings (through the checked constructor). They are stored inline ([`BusinessCode`]):
//! no heap allocation, so cloning one is a copy and a hash-table look-up never follows a
//! pointer. Every code type, here and in other onhand crates, is defined by one macro,
//! [`business_code!`](crate::business_code), over that one representation and rule.

use std::fmt;

use crate::error::CodeRule;

/// Longest business code accepted, in bytes (serial numbers allow 64).
pub const MAX_CODE_LEN: usize = 40;

/// Checks `value` against the business-code rule with the given maximum length.
fn check_rule(value: &str, max: usize) -> Result<(), CodeRule> {
    if value.is_empty() {
        return Err(CodeRule::Empty);
    }
    if value.len() > max {
        return Err(CodeRule::TooLong { max });
    }
    if let Some(first) = value.chars().next()
        && !first.is_ascii_alphanumeric()
    {
        return Err(CodeRule::BadFirstChar { found: first });
    }
    if let Some(bad) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || "-_./#+".contains(*c)))
    {
        return Err(CodeRule::BadChar { found: bad });
    }
    Ok(())
}

/// ASCII text of at most `N` bytes (`N` ≤ 255) stored inline, without a heap
/// allocation. Ordering is by bytes, which for ASCII is the order of the text; hashing
/// covers only the text, like `str`'s. Equality compares the lengths, then the bytes
/// eight at a time (the same answer as comparing every byte and the length, without a
/// call to `memcmp`).
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub(crate) struct InlineStr<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> InlineStr<N> {
    /// `text` inline, if it is ASCII, holds no NUL and fits `N` bytes.
    #[must_use]
    pub(crate) fn new(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() > N || !b.iter().all(|c| c.is_ascii() && *c != 0) {
            return None;
        }
        let len = u8::try_from(b.len()).ok()?;
        let mut bytes = [0u8; N];
        for (d, s) in bytes.iter_mut().zip(b) {
            *d = *s;
        }
        Some(InlineStr { bytes, len })
    }

    /// The text's bytes (ASCII), without the UTF-8 check [`as_str`](Self::as_str) makes.
    #[must_use]
    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The text.
    #[must_use]
    pub(crate) fn as_str(&self) -> &str {
        let used = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        // Only ASCII is ever stored.
        std::str::from_utf8(used).unwrap_or_default()
    }
}

impl<const N: usize> PartialEq for InlineStr<N> {
    // Inline, so a code compare is a few loads and xors at its caller.
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        if self.len != other.len {
            return false;
        }
        // Every byte, the unused (zero) ones too: what a derived `==` compares.
        let (words, rest) = self.bytes.as_chunks::<8>();
        let (theirs, their_rest) = other.bytes.as_chunks::<8>();
        let diff = words
            .iter()
            .zip(theirs)
            .fold(0, |d, (a, b)| d | (u64::from_ne_bytes(*a) ^ u64::from_ne_bytes(*b)));
        diff == 0 && rest == their_rest
    }
}

impl<const N: usize> std::hash::Hash for InlineStr<N> {
    // Inline, so the hasher's state stays in registers at each look-up.
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The used bytes and a terminator, as `str` hashes (without re-checking UTF-8).
        state.write(self.bytes.get(..usize::from(self.len)).unwrap_or_default());
        state.write_u8(0xff);
    }
}

impl<const N: usize> fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Text that passed the business-code rule, at most `N` bytes, stored inline: the one
/// representation behind every code type ([`ItemCode`], [`SiteCode`], ..., and the codes
/// other onhand crates define with [`business_code!`](crate::business_code)).
///
/// Ordering is by bytes (for ASCII, the order of the text); hashing covers only the text.
///
/// ```
/// use onhand_master::{BusinessCode, CodeRule};
/// let code = BusinessCode::<8>::new("PO-1001")?;
/// assert_eq!(code.as_str(), "PO-1001");
/// assert_eq!(BusinessCode::<4>::new("PO-1001"), Err(CodeRule::TooLong { max: 4 }));
/// assert_eq!(BusinessCode::<8>::new("PO 1"), Err(CodeRule::BadChar { found: ' ' }));
/// # Ok::<(), CodeRule>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BusinessCode<const N: usize>(InlineStr<N>);

impl<const N: usize> BusinessCode<N> {
    /// Checks `value` against the business-code rule with at most `N` bytes.
    ///
    /// # Errors
    /// The [`CodeRule`] the value breaks.
    pub fn new(value: &str) -> Result<Self, CodeRule> {
        check_rule(value, N)?;
        // The rule admits only ASCII without NUL, of at most N bytes; N beyond 255 is the
        // one way left to fail.
        InlineStr::new(value).map(BusinessCode).ok_or(CodeRule::TooLong { max: N.min(255) })
    }

    /// The code as a string slice.
    #[must_use]
    #[inline]
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The code's bytes: its text, which is ASCII, read without the UTF-8 check
    /// [`as_str`](Self::as_str) makes (for encoders and hashes on hot paths).
    ///
    /// ```
    /// let code = onhand_master::BusinessCode::<8>::new("PO-1001")?;
    /// assert_eq!(code.as_bytes(), b"PO-1001");
    /// # Ok::<(), onhand_master::CodeRule>(())
    /// ```
    #[must_use]
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl<const N: usize> fmt::Debug for BusinessCode<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Defines a business-code type: a newtype over [`BusinessCode`] checked by the one
/// business-code rule, with `new`, `as_str`, `KIND`, `Display`, `Debug`, `FromStr`,
/// `TryFrom<String>`, `TryFrom<&str>`, `AsRef<str>`, `From<_> for String` and serde
/// through the checked constructor.
///
/// `business_code!(Name, "kind", MAX)` makes a code whose errors are
/// [`MasterError::InvalidCode`](crate::MasterError::InvalidCode); another crate passes
/// its own error type (which implements `Display`) and how to build it from the kind, the
/// rejected value and the [`CodeRule`] broken:
///
/// ```
/// use onhand_master::{business_code, CodeRule};
///
/// #[derive(Debug, PartialEq)]
/// pub enum MyError { BadCode { kind: &'static str, value: String } }
///
/// impl std::fmt::Display for MyError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         let MyError::BadCode { kind, value } = self;
///         write!(f, "bad {kind} {value:?}")
///     }
/// }
///
/// business_code!(
///     /// A route code.
///     RouteCode, "route code", 16, MyError,
///     |kind, value, _rule: CodeRule| MyError::BadCode { kind, value }
/// );
///
/// assert_eq!(RouteCode::new("R-12")?.to_string(), "R-12");
/// assert_eq!(RouteCode::new("R 12"),
///            Err(MyError::BadCode { kind: "route code", value: "R 12".into() }));
/// # Ok::<(), MyError>(())
/// ```
#[macro_export]
macro_rules! business_code {
    ($(#[$meta:meta])* $name:ident, $kind:literal, $max:expr) => {
        $crate::business_code!(
            $(#[$meta])* $name, $kind, $max, $crate::MasterError,
            |kind, value, reason| $crate::MasterError::InvalidCode { kind, value, reason }
        );
    };
    ($(#[$meta:meta])* $name:ident, $kind:literal, $max:expr, $err:ty, $invalid:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name($crate::BusinessCode<{ $max }>);

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl $name {
            /// What this code names, as used in error messages.
            pub const KIND: &'static str = $kind;

            /// Checks `value` against the business-code rule and wraps it.
            ///
            /// # Errors
            /// When the value is empty, too long, or holds a character outside the
            /// allowed set.
            pub fn new(value: impl Into<String>) -> Result<Self, $err> {
                let value: String = value.into();
                match $crate::BusinessCode::new(&value) {
                    Ok(code) => Ok(Self(code)),
                    Err(reason) => {
                        let invalid: fn(&'static str, String, $crate::CodeRule) -> $err = $invalid;
                        Err(invalid($kind, value, reason))
                    }
                }
            }

            /// The code as a string slice.
            #[must_use]
            #[inline]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The code's bytes: its text, which is ASCII, read without the UTF-8
            /// check `as_str` makes.
            #[must_use]
            #[inline]
            pub fn as_bytes(&self) -> &[u8] {
                self.0.as_bytes()
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl ::core::convert::TryFrom<String> for $name {
            type Error = $err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl ::core::convert::TryFrom<&str> for $name {
            type Error = $err;
            fn try_from(s: &str) -> Result<Self, Self::Error> {
                Self::new(s)
            }
        }

        impl ::core::convert::From<$name> for String {
            fn from(code: $name) -> String {
                code.as_str().to_owned()
            }
        }

        impl ::core::convert::AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl $crate::__private::serde::Serialize for $name {
            fn serialize<S: $crate::__private::serde::Serializer>(
                &self,
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__private::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__private::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let text = <String as $crate::__private::serde::Deserialize>::deserialize(
                    deserializer,
                )?;
                Self::new(text).map_err(<D::Error as $crate::__private::serde::de::Error>::custom)
            }
        }
    };
}

business_code!(
    /// An item (SKU) code, such as `BOLT-M8-40`.
    ///
    /// ```
    /// use onhand_master::ItemCode;
    /// let code = ItemCode::new("BOLT-M8-40")?;
    /// assert_eq!(code.as_str(), "BOLT-M8-40");
    /// assert!(ItemCode::new("BOLT M8").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ItemCode, "item code", MAX_CODE_LEN
);
business_code!(
    /// A site code: a warehouse, branch, cross-dock, 3PL or virtual transit site.
    SiteCode, "site code", MAX_CODE_LEN
);
business_code!(
    /// A legal entity (company code) that owns sites and books inventory.
    EntityCode, "entity code", MAX_CODE_LEN
);
business_code!(
    /// A zone within a site (receiving, pick face, bulk, quality, staging, ...).
    ZoneCode, "zone code", MAX_CODE_LEN
);
business_code!(
    /// A bin (storage location) within a site; unique per site, not network-wide.
    BinCode, "bin code", MAX_CODE_LEN
);
business_code!(
    /// A lot (batch) number of a lot-tracked item.
    LotCode, "lot code", MAX_CODE_LEN
);
business_code!(
    /// A serial number of a serial-tracked item; unique per item across the network.
    SerialNo, "serial number", 64
);
business_code!(
    /// A supplier (vendor) code; third-party logistics providers are suppliers too.
    SupplierCode, "supplier code", MAX_CODE_LEN
);
business_code!(
    /// A customer (sold-to or ship-to) code.
    CustomerCode, "customer code", MAX_CODE_LEN
);
business_code!(
    /// A sales or planning region; ship-to regions drive transit times.
    RegionCode, "region code", MAX_CODE_LEN
);
business_code!(
    /// A site's own (local) stock-status code, as its warehouse system writes it (`UR`,
    /// `QI`, `BLK`); status maps translate it to the canonical taxonomy.
    LocalStatusCode, "local status code", MAX_CODE_LEN
);
business_code!(
    /// A general-ledger account code, such as `1400` or `IC-RECV-CA01`.
    AccountCode, "account code", MAX_CODE_LEN
);
business_code!(
    /// A customer group (a demand-class characteristic for allocation quotas).
    CustomerGroupCode, "customer group code", MAX_CODE_LEN
);
business_code!(
    /// A sales channel (a demand-class characteristic for allocation quotas).
    ChannelCode, "channel code", MAX_CODE_LEN
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::MasterError;

    fn check(input: &str, expected: &Result<(), CodeRule>) {
        let got = ItemCode::new(input).map(|_| ()).map_err(|e| match e {
            MasterError::InvalidCode { reason, .. } => reason,
            other => panic!("unexpected error {other:?}"),
        });
        assert_eq!(&got, expected, "input {input:?}");
    }

    #[test]
    fn code_rule_table() {
        check("A", &Ok(()));
        check("BOLT-M8_40.x/1#2+3", &Ok(()));
        check("0", &Ok(()));
        check(&"X".repeat(MAX_CODE_LEN), &Ok(()));
        check("", &Err(CodeRule::Empty));
        check(&"X".repeat(MAX_CODE_LEN + 1), &Err(CodeRule::TooLong { max: MAX_CODE_LEN }));
        check("-A", &Err(CodeRule::BadFirstChar { found: '-' }));
        check("A B", &Err(CodeRule::BadChar { found: ' ' }));
        check("AÉ", &Err(CodeRule::BadChar { found: 'É' }));
        check("É", &Err(CodeRule::BadFirstChar { found: 'É' }));
    }

    #[test]
    fn codes_are_stored_inline_and_ordered_as_text() {
        let a = ItemCode::new("AB").unwrap();
        let b = ItemCode::new("ABC").unwrap();
        let c = ItemCode::new("B").unwrap();
        assert!(a < b && b < c);
        assert_eq!(format!("{a:?}"), "ItemCode(\"AB\")");
        assert!(InlineStr::<4>::new("ABCDE").is_none());
        assert!(InlineStr::<4>::new("A\0").is_none());
        assert!(InlineStr::<4>::new("É").is_none());
    }

    proptest::proptest! {
        /// Equality is the text's, whatever the length (below, at and past a word).
        #[test]
        fn equal_codes_are_equal_texts(a in "[A-Z0-9]{1,40}", b in "[A-Z0-9]{1,40}") {
            let (x, y) = (ItemCode::new(a.as_str()).unwrap(), ItemCode::new(b.as_str()).unwrap());
            proptest::prop_assert_eq!(x == y, a == b);
            let (s, t) = (InlineStr::<13>::new(&a[..a.len().min(13)]).unwrap(),
                InlineStr::<13>::new(&b[..b.len().min(13)]).unwrap());
            proptest::prop_assert_eq!(s == t, s.as_str() == t.as_str());
        }

        /// Codes that differ in one byte only, anywhere, are different.
        #[test]
        fn one_byte_apart_is_different(a in "[A-Z0-9]{1,40}", at in 0usize..40) {
            let mut b = a.clone().into_bytes();
            let k = at % b.len();
            b[k] = if b[k] == b'Z' { b'Y' } else { b'Z' };
            let b = String::from_utf8(b).unwrap();
            proptest::prop_assert!(ItemCode::new(a.as_str()).unwrap() != ItemCode::new(b).unwrap());
        }
    }

    #[test]
    fn serial_numbers_allow_64_bytes() {
        assert!(SerialNo::new("S".repeat(64)).is_ok());
        assert!(SerialNo::new("S".repeat(65)).is_err());
    }

    #[test]
    fn serde_goes_through_the_checked_constructor() {
        let ok: SiteCode = serde_json::from_str("\"ATL-DC\"").unwrap();
        assert_eq!(ok.as_str(), "ATL-DC");
        assert_eq!(serde_json::to_string(&ok).unwrap(), "\"ATL-DC\"");
        let bad = serde_json::from_str::<SiteCode>("\"ATL DC\"").unwrap_err();
        assert!(bad.to_string().contains("invalid site code"), "{bad}");
    }

    #[test]
    fn error_names_the_kind_and_value() {
        let err = CustomerCode::new("").unwrap_err();
        assert_eq!(err.to_string(), "invalid customer code \"\": it is empty");
    }
}
