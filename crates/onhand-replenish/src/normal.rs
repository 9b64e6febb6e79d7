//! The standard normal distribution, to documented accuracy: density, cumulative
//! distribution, its inverse, and the standard normal loss function with its inverse
//! and its integral (the second-order loss function).
//!
//! | function | method | accuracy (absolute) |
//! |---|---|---|
//! | [`cdf`], [`sf`] | Hart (1968) double-precision rational approximation, as given by West (2005), "Better approximations to cumulative normal functions" | about 1e-14 (relative 1e-8 in the tail beyond 7.07) |
//! | [`inverse_cdf`] | Acklam's rational approximation (relative error 1.15e-9) refined by one Halley step on [`cdf`] | about 1e-13 for p in [1e-12, 1 - 1e-12] |
//! | [`loss`] | `pdf(z) - z (1 - cdf(z))` with the upper tail computed directly | about 1e-14 |
//! | [`loss2`] | `((z² + 1)(1 - cdf(z)) - z pdf(z)) / 2` | about (z² + 1) × 1e-14 |
//! | [`inverse_loss`] | bisection to a 1e-13 bracket, then Newton steps | about 1e-12 in z |
//!
//! Statistics may use floating point; quantities leave this crate as exact decimals.

// This module is numerical code: floating point is its subject.
#![allow(clippy::float_arithmetic, clippy::unreadable_literal, clippy::excessive_precision)]

const SQRT_2PI: f64 = 2.506_628_274_631_000_5;

/// The standard normal density.
#[must_use]
pub fn pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / SQRT_2PI
}

/// The upper tail `1 - cdf(|x|)` for `x >= 0`, without cancellation.
fn upper_tail(x: f64) -> f64 {
    let x = x.abs();
    if x > 37.0 {
        return 0.0;
    }
    let e = (-0.5 * x * x).exp();
    if x < 7.071_067_811_865_47 {
        let mut n = 3.526_249_659_989_11e-2 * x + 0.700_383_064_443_688;
        n = n * x + 6.373_962_203_531_65;
        n = n * x + 33.912_866_078_383;
        n = n * x + 112.079_291_497_871;
        n = n * x + 221.213_596_169_931;
        n = n * x + 220.206_867_912_376;
        let mut d = 8.838_834_764_831_84e-2 * x + 1.755_667_163_182_64;
        d = d * x + 16.064_177_579_207;
        d = d * x + 86.780_732_202_946_1;
        d = d * x + 296.564_248_779_674;
        d = d * x + 637.333_633_378_831;
        d = d * x + 793.826_512_519_948;
        d = d * x + 440.413_735_824_752;
        e * n / d
    } else {
        let mut b = x + 0.65;
        b = x + 4.0 / b;
        b = x + 3.0 / b;
        b = x + 2.0 / b;
        b = x + 1.0 / b;
        e / b / SQRT_2PI
    }
}

/// The standard normal cumulative distribution `P(Z <= z)`.
///
/// ```
/// let p = onhand_replenish::normal::cdf(1.96);
/// assert!((p - 0.975_002_104_851_780).abs() < 1e-13);
/// ```
#[must_use]
pub fn cdf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let tail = upper_tail(z);
    if z > 0.0 { 1.0 - tail } else { tail }
}

/// `P(Z > z)`.
#[must_use]
pub fn sf(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    let tail = upper_tail(z);
    if z > 0.0 { tail } else { 1.0 - tail }
}

/// The `z` with `cdf(z) = p`, for `p` in (0, 1); `None` outside.
///
/// ```
/// let z = onhand_replenish::normal::inverse_cdf(0.95).unwrap();
/// assert!((z - 1.644_853_626_951_472).abs() < 1e-12);
/// ```
#[must_use]
pub fn inverse_cdf(p: f64) -> Option<f64> {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_690e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const LOW: f64 = 0.024_25;
    if !(p > 0.0 && p < 1.0) {
        return None;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    let x = if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p <= 1.0 - LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    };
    // One Halley step on the accurate cdf.
    let e = cdf(x) - p;
    let u = e * SQRT_2PI * (0.5 * x * x).exp();
    let x = x - u / (1.0 + 0.5 * x * u);
    x.is_finite().then_some(x)
}

/// The standard normal loss function `G(z) = E[(Z - z)+] = pdf(z) - z (1 - cdf(z))`:
/// the expected shortage, in standard deviations, when stocking `z` deviations above
/// the mean.
///
/// ```
/// let g = onhand_replenish::normal::loss(0.0);
/// assert!((g - 0.398_942_280_401_433).abs() < 1e-13);
/// ```
#[must_use]
pub fn loss(z: f64) -> f64 {
    (pdf(z) - z * sf(z)).max(0.0)
}

/// The standard normal second-order loss function
/// `G2(z) = ∫_z^∞ G(t) dt = E[((Z − z)+)²] / 2 = ((z² + 1)(1 − Φ(z)) − z φ(z)) / 2`:
/// averaged over a range of stocking levels, the expected shortage, in squared
/// deviations (see [`crate::plain::evaluate`]'s average backorders). Never negative;
/// `(z² + 1) / 2` far below the mean, 0 far above it.
///
/// ```
/// use onhand_replenish::normal::loss2;
/// // At the mean, E[Z+²] / 2 = 1/4.
/// assert!((loss2(0.0) - 0.25).abs() < 1e-13);
/// // Its derivative is -G(z): the slope at 1 is -G(1) = -0.083316.
/// let slope = (loss2(1.0 + 1e-6) - loss2(1.0 - 1e-6)) / 2e-6;
/// assert!((slope + 0.083_315_470_2).abs() < 1e-6);
/// ```
#[must_use]
pub fn loss2(z: f64) -> f64 {
    (((z * z + 1.0) * sf(z) - z * pdf(z)) / 2.0).max(0.0)
}

/// The `z` with `loss(z) = g`, for `g > 0` (`G` decreases from +inf to 0); `None` for
/// `g <= 0` or not finite.
///
/// ```
/// use onhand_replenish::normal::{inverse_loss, loss};
/// let z = inverse_loss(0.05).unwrap();
/// assert!((loss(z) - 0.05).abs() < 1e-12);
/// ```
#[must_use]
pub fn inverse_loss(g: f64) -> Option<f64> {
    if !(g > 0.0 && g.is_finite()) {
        return None;
    }
    // G(z) > -z for z < 0 and G(z) ~ -z as z -> -inf, so z >= -g - 1 brackets below;
    // G(8.3) < 1e-17, far below any useful target.
    let (mut lo, mut hi) = (-g - 1.0, 8.3);
    if loss(hi) > g {
        return Some(hi);
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if loss(mid) > g {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-13 {
            break;
        }
    }
    let mut z = 0.5 * (lo + hi);
    for _ in 0..3 {
        let slope = -sf(z);
        if slope == 0.0 {
            break;
        }
        let next = z - (loss(z) - g) / slope;
        if !next.is_finite() || next < lo - 1e-9 || next > hi + 1e-9 {
            break;
        }
        z = next;
    }
    Some(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from the standard normal table (to 15 places, as computed by
    // high-precision software).
    const TABLE: [(f64, f64); 8] = [
        (-3.0, 0.001_349_898_031_630_095),
        (-1.0, 0.158_655_253_931_457_05),
        (0.0, 0.5),
        (0.5, 0.691_462_461_274_013_1),
        (1.0, 0.841_344_746_068_542_9),
        (1.644_853_626_951_472, 0.95),
        (2.326_347_874_040_841, 0.99),
        (3.090_232_306_167_813_5, 0.999),
    ];

    #[test]
    fn cdf_matches_the_table() {
        for (z, p) in TABLE {
            assert!((cdf(z) - p).abs() < 1e-13, "cdf({z}) = {} want {p}", cdf(z));
        }
        // The far tail (beyond 7.07) uses a continued fraction: relative error ~1e-8.
        assert!((sf(8.0) / 6.220_960_574_271_819e-16 - 1.0).abs() < 1e-7);
    }

    #[test]
    fn inverse_cdf_inverts() {
        for (z, p) in TABLE {
            let x = inverse_cdf(p).unwrap();
            assert!((x - z).abs() < 1e-11, "inverse_cdf({p}) = {x} want {z}");
        }
        for k in 1..1000 {
            let p = f64::from(k) / 1000.0;
            let x = inverse_cdf(p).unwrap();
            assert!((cdf(x) - p).abs() < 1e-13);
        }
        assert_eq!(inverse_cdf(0.0), None);
        assert_eq!(inverse_cdf(1.0), None);
        assert_eq!(inverse_cdf(f64::NAN), None);
    }

    #[test]
    fn loss_function_matches_the_table() {
        // Silver, Pyke and Thomas, "Inventory and Production Management in Supply
        // Chains", table of G_u(k): G(0) = 0.3989, G(1) = 0.0833, G(2) = 0.008491
        // (here to 15 places).
        assert!((loss(1.0) - 0.083_315_470_587_686_29).abs() < 1e-13);
        assert!((loss(2.0) - 0.008_490_702_616_829_625).abs() < 1e-13);
        for k in -300..300 {
            let z = f64::from(k) / 100.0;
            let g = loss(z);
            let back = inverse_loss(g).unwrap();
            assert!((back - z).abs() < 1e-9, "inverse_loss(loss({z})) = {back}");
        }
        assert_eq!(inverse_loss(0.0), None);
    }
}
