//! Property tests whose case count the environment cannot raise.
//!
//! The `proptest!` macro re-reads `PROPTEST_CASES` for every test, over the test's own
//! `with_cases`, so CI's larger count (meant for cheap properties) would multiply the
//! cost of properties whose every case is expensive, such as whole simulated days on a
//! network: one such test took 270 s at 1,024 cases where its own 6 take about 2 s.
//! [`check`] runs a property over exactly the cases it is given.

use std::fmt::Debug;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// Runs `test` over `cases` inputs drawn from `strategy`, whatever `PROPTEST_CASES` says,
/// and panics with the (shrunk) failing input and its error when one fails, as a
/// `proptest!` test does.
///
/// ```
/// use proptest::prelude::*;
/// onhand_testkit::pinned::check(4, any::<u8>(), |n| {
///     prop_assert!(u16::from(n) < 256);
///     Ok(())
/// });
/// ```
///
/// # Panics
/// When a case fails: that is how a test reports it.
pub fn check<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    if let Err(e) = runner.run(&strategy, test) {
        panic!("{e}");
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    #[test]
    #[should_panic(expected = "minimal failing input")]
    fn a_failing_case_panics_with_its_input() {
        super::check(64, 0u32..1000, |n| {
            prop_assert!(n < 10);
            Ok(())
        });
    }

    #[test]
    fn the_count_is_the_one_given() {
        let seen = std::cell::Cell::new(0u32);
        super::check(5, any::<u8>(), |_| {
            seen.set(seen.get() + 1);
            Ok(())
        });
        assert_eq!(seen.get(), 5);
    }
}
