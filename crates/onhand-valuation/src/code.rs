//! The valuation's own business code: a transfer's document number ([`TransferNo`]),
//! checked by master's one business-code rule at 1 to 64 bytes, the length of the
//! ledger's document numbers it is taken from.

use onhand_master::business_code;

use crate::error::{ConfigProblem, ValuationError};

business_code!(
    /// A transfer's document number, such as `TO-1001`: the key every shipment, receipt
    /// and close of one transfer carries, and what its errors name.
    ///
    /// Checked by master's business-code rule (1 to 64 bytes of ASCII letters, digits and
    /// `- _ . / # +`, starting with a letter or digit) when it is built or read, so a
    /// number inside the engine is always valid; it serializes as a plain string.
    ///
    /// ```
    /// use onhand_valuation::{ConfigProblem, TransferNo, ValuationError};
    ///
    /// let t: TransferNo = "TO-1001".parse()?;
    /// assert_eq!(t.as_str(), "TO-1001");
    /// assert_eq!(serde_json::to_string(&t)?, "\"TO-1001\"");
    ///
    /// let bad = TransferNo::new("TO 1001").unwrap_err();
    /// assert!(matches!(
    ///     bad,
    ///     ValuationError::Config(ConfigProblem::TransferNumber { ref number, .. }) if number == "TO 1001"
    /// ));
    /// assert!(serde_json::from_str::<TransferNo>("\"\"").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    TransferNo, "transfer number", 64, ValuationError,
    |_kind, number, rule| ValuationError::Config(ConfigProblem::TransferNumber { number, rule })
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code: a failed unwrap is a failed test")]

    use onhand_master::BusinessCode;
    use proptest::prelude::*;

    use super::TransferNo;

    proptest! {
        // A transfer number is exactly what master's rule accepts at 64 bytes, built or
        // read from JSON alike, and it writes back the text it was given.
        #[test]
        fn transfer_numbers_follow_the_business_code_rule(text in "[ -~]{0,70}|[A-Z0-9][A-Z0-9/#-]{0,66}") {
            let built = TransferNo::new(text.as_str());
            prop_assert_eq!(built.is_ok(), BusinessCode::<64>::new(&text).is_ok());
            let json = serde_json::to_string(&text).unwrap();
            let read = serde_json::from_str::<TransferNo>(&json);
            prop_assert_eq!(read.is_ok(), built.is_ok());
            if let Ok(t) = built {
                prop_assert_eq!(t.as_str(), text.as_str());
                prop_assert_eq!(serde_json::to_string(&t).unwrap(), json);
                prop_assert_eq!(read.unwrap(), t);
            }
        }
    }
}
