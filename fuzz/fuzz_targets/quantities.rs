//! Quantities, money, rounding increments, conversions and price conversions from
//! arbitrary text: parsing never panics, and whatever parses obeys the arithmetic
//! invariants. Bare decimals are read as every decimal field of the library reads them
//! (`serde_str::parse_decimal`): rust_decimal's own parser recurses once per `_`, so a
//! long enough run of them overflows the stack (the library never hands it input).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onhand_master::{
    CurrencyCode, Item, ItemCode, ItemUnit, ItemUnits, Money, Qty, QtyDelta, Rounding,
    RoundingMode, UnitPrice, UnitRegistry, UomCode, add_exact, div_round, mul_exact, sub_exact,
};
use onhand_master::decimal::serde_str::parse_decimal;
use rust_decimal::Decimal;

const MODES: [RoundingMode; 5] = [
    RoundingMode::Exact,
    RoundingMode::Up,
    RoundingMode::Down,
    RoundingMode::HalfUp,
    RoundingMode::HalfEven,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut parts = text.split('|');
    let a = parts.next().unwrap_or_default();
    let b = parts.next().unwrap_or_default();
    let c = parts.next().unwrap_or_default();

    // Parsing never panics; what parses prints back to itself.
    if let Ok(q) = a.parse::<Qty>() {
        assert!(q.value() >= Decimal::ZERO);
        assert_eq!(q.to_string().parse::<Qty>().ok(), Some(q));
        if let Ok(r) = b.parse::<Qty>() {
            match q.checked_add(r) {
                Ok(sum) => {
                    assert_eq!(q.uom(), r.uom());
                    assert_eq!(sum.checked_sub(r).ok(), Some(q));
                }
                Err(_) => assert!(q.uom() != r.uom() || add_exact(q.value(), r.value()).is_err()),
            }
            if let Ok(diff) = q.checked_sub(r) {
                assert!(diff.value() >= Decimal::ZERO);
            }
        }
    }
    if let Ok(d) = a.parse::<QtyDelta>() {
        assert_eq!(d.to_string().parse::<QtyDelta>().ok(), Some(d));
        assert_eq!(d.negate().negate(), d);
    }
    if let Ok(m) = a.parse::<Money>() {
        assert_eq!(m.to_string().parse::<Money>().ok(), Some(m));
        for mode in MODES {
            if let Ok(r) = m.round(mode) {
                assert!(r.is_rounded());
                assert_eq!(r.round(mode).ok(), Some(r), "rounding is idempotent");
            }
        }
    }
    let _ = CurrencyCode::new(c);
    let _ = UomCode::new(c);

    // Division rounding: the result is within one ulp of the true quotient.
    if let (Some(n), Some(d)) = (parse_decimal(a), parse_decimal(b)) {
        for scale in [0u32, 2, 6] {
            for mode in MODES {
                let rule = Rounding::new(scale, mode).unwrap_or(Rounding::WHOLE);
                if let Ok(r) = div_round(n, d, rule) {
                    assert!(r.normalize().scale() <= scale, "{n}/{d} -> {r} at scale {scale}");
                    // r·d is within one ulp·|d| of n, and equals n when the rule is exact.
                    let ulp = Decimal::new(1, scale);
                    if let (Ok(p), Ok(bound)) = (mul_exact(r, d), mul_exact(ulp, d.abs())) {
                        if let Ok(diff) = sub_exact(p, n) {
                            assert!(
                                diff.abs() <= bound,
                                "{n}/{d} -> {r} ({mode:?}, scale {scale})"
                            );
                            if mode == RoundingMode::Exact {
                                assert!(diff.is_zero(), "exact {n}/{d} -> {r}");
                            }
                        }
                    }
                }
            }
        }
    }

    // Rounding to a fuzzed increment: what comes back fits the rule (a multiple of the
    // increment), lies within one increment of the value, and rounds to itself again.
    if let (Some(x), Some(inc)) = (parse_decimal(a), parse_decimal(c)) {
        for mode in MODES {
            let Ok(rule) = Rounding::multiple_of(inc, mode) else {
                assert!(inc <= Decimal::ZERO || inc.normalize().mantissa() > i128::from(u32::MAX));
                continue;
            };
            if let Ok(r) = rule.apply(x) {
                assert!(rule.fits(r), "{x} to {inc} by {mode:?} -> {r}");
                assert_eq!(rule.apply(r).ok(), Some(r), "idempotent");
                if let Ok(off) = sub_exact(r, x) {
                    assert!(off.abs() < rule.increment(), "{x} -> {r} moved more than {inc}");
                }
                if mode == RoundingMode::Exact {
                    assert_eq!(r, x);
                }
            }
        }
    }

    // A price per each as a price per a fuzzed case, and back: the way back of an exact
    // conversion is the price again.
    if let (Ok(m), Some(factor)) = (a.parse::<Money>(), parse_decimal(c)) {
        let (Ok(ea), Ok(cs), Ok(code)) =
            (UomCode::new("EA"), UomCode::new("CS"), ItemCode::new("P"))
        else {
            return;
        };
        let mut item = Item::new(code, "fuzz", ea);
        item.units.push(ItemUnit { unit: cs, factor, per: ea, rounding: None });
        if let Ok(units) = ItemUnits::resolve(&item, &UnitRegistry::standard()) {
            let each = UnitPrice::new(m, ea);
            if let Ok(case) = units.convert_price_exact(each, cs) {
                assert_eq!(case.per(), cs);
                if let Ok(back) = units.convert_price_exact(case, ea) {
                    assert_eq!(back.price().amount(), m.amount(), "{each} -> {case} -> {back}");
                }
            }
            for mode in MODES {
                let rule = Rounding::new(2, mode).unwrap_or(Rounding::WHOLE);
                if let Ok(p) = units.convert_price(each, cs, rule) {
                    assert!(p.price().amount().scale() == 2, "{each} -> {p}");
                }
            }
        }
    }

    // An item with a fuzzed packaging unit: conversions never panic, and whole units
    // never come back with fractions.
    if let (Some(factor), Ok(q)) = (parse_decimal(c), a.parse::<Qty>()) {
        let (Ok(ea), Ok(cs), Ok(code)) =
            (UomCode::new("EA"), UomCode::new("CS"), ItemCode::new("F"))
        else {
            return;
        };
        let mut item = Item::new(code, "fuzz", ea);
        item.units.push(ItemUnit { unit: cs, factor, per: ea, rounding: None });
        if let Ok(units) = ItemUnits::resolve(&item, &UnitRegistry::standard()) {
            for to in [ea, cs] {
                for mode in MODES {
                    let rule = Rounding::new(0, mode).unwrap_or(Rounding::WHOLE);
                    if let Ok(out) = units.convert_with(q, to, rule) {
                        assert!(out.value().normalize().scale() == 0, "{q} -> {out}");
                    }
                }
            }
        }
    }
});
