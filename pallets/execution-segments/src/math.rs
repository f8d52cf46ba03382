//! Perpetual-futures arithmetic: plain functions, no storage, no panics.
//!
//! A position's `size` is its notional in collateral units at its entry price (as GMX keeps
//! `sizeInUsd`), so margin, size and PnL share one unit. At mark price `p` a position of size `s`
//! entered at `e` is worth `s * p / e`:
//!
//! - long PnL  = `s * p / e - s`
//! - short PnL = `s - s * p / e`
//!
//! Funding runs through one cumulative index per segment: the collateral each unit of notional
//! has paid long-to-short since the segment began. A long owes `s * (I_now - I_entry)`, a short
//! the negative of that, so accruing funding never iterates over positions.
//!
//! Signed amounts are `i128`: a value outside it (over 10^38 units) is refused as an overflow.

use crate::types::Side;
use segment_interface::{Balance, Pnl, Price};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{CheckedAdd, CheckedMul, CheckedSub, Zero},
	FixedI128, FixedPointNumber, Perbill, Permill, Rounding,
};

/// `a * b / c` in 128 bits, rounded as asked; `None` if `c` is zero or it does not fit.
fn mul_div(a: u128, b: u128, c: u128, rounding: Rounding) -> Option<u128> {
	multiply_by_rational_with_rounding(a, b, c, rounding)
}

/// What a position of `size` entered at `entry` is worth at `mark`, rounded down.
pub fn notional_at(size: Balance, entry: Price, mark: Price) -> Option<Balance> {
	mul_div(size, mark.into_inner(), entry.into_inner(), Rounding::Down)
}

/// Price PnL of a position at `mark`, signed: positive is the trader's gain. Rounds against the
/// trader by at most one unit.
pub fn price_pnl(side: Side, size: Balance, entry: Price, mark: Price) -> Option<i128> {
	let worth = match side {
		Side::Long => notional_at(size, entry, mark)?,
		Side::Short => mul_div(size, mark.into_inner(), entry.into_inner(), Rounding::Up)?,
	};
	let (worth, size) = (i128::try_from(worth).ok()?, i128::try_from(size).ok()?);
	match side {
		Side::Long => worth.checked_sub(size),
		Side::Short => size.checked_sub(worth),
	}
}

/// Funding a position owes since `entry_index`, signed: positive means it pays. Rounds against
/// the trader.
pub fn funding_owed(
	side: Side,
	size: Balance,
	entry_index: FixedI128,
	index: FixedI128,
) -> Option<i128> {
	let per_unit = index.checked_sub(&entry_index)?;
	let size = i128::try_from(size).ok()?;
	// Round up what is paid and down what is received.
	match side {
		Side::Long => mul_div_signed_up(size, per_unit),
		Side::Short => mul_div_signed_up(size, FixedI128::zero().checked_sub(&per_unit)?),
	}
}

/// `size * rate`, rounded towards plus infinity.
fn mul_div_signed_up(size: i128, rate: FixedI128) -> Option<i128> {
	let inner = rate.into_inner();
	let magnitude = mul_div(
		size.unsigned_abs(),
		inner.unsigned_abs(),
		FixedI128::DIV.unsigned_abs(),
		if (size < 0) == (inner < 0) { Rounding::Up } else { Rounding::Down },
	)?;
	let magnitude = i128::try_from(magnitude).ok()?;
	Some(if (size < 0) != (inner < 0) { -magnitude } else { magnitude })
}

/// A position's equity at `mark`: margin plus PnL less funding owed.
pub fn equity(
	side: Side,
	size: Balance,
	margin: Balance,
	entry: Price,
	mark: Price,
	funding: i128,
) -> Option<i128> {
	i128::try_from(margin)
		.ok()?
		.checked_add(price_pnl(side, size, entry, mark)?)?
		.checked_sub(funding)
}

/// The margin a position needs at `mark` for a margin `ratio`, rounded up.
pub fn required_margin(
	size: Balance,
	entry: Price,
	mark: Price,
	ratio: Permill,
) -> Option<Balance> {
	let worth = notional_at(size, entry, mark)?;
	mul_div(worth, ratio.deconstruct().into(), 1_000_000, Rounding::Up)
}

/// The entry price of a position of `size` at `entry` increased by `added` at `price`, so that
/// the combined position's PnL at any mark is the sum of the two parts' PnL.
pub fn averaged_entry(size: Balance, entry: Price, added: Balance, price: Price) -> Option<Price> {
	// Units of the underlying held, as 18-decimal fixed point: size / entry + added / price.
	// (`entry` is itself scaled by DIV, hence DIV squared; the product is taken in 256 bits.)
	let scale = Price::DIV.checked_mul(Price::DIV)?;
	let units_old = mul_div(size, scale, entry.into_inner(), Rounding::Down)?;
	let units_new = mul_div(added, scale, price.into_inner(), Rounding::Down)?;
	let units = units_old.checked_add(units_new)?;
	let total = size.checked_add(added)?;
	Some(Price::from_inner(mul_div(total, scale, units, Rounding::Down)?))
}

/// The entry funding index of the combined position, so that the funding it owes from now on
/// continues what the old part owed: `I' = I - size * (I - I_entry) / (size + added)`.
pub fn averaged_index(
	size: Balance,
	entry_index: FixedI128,
	added: Balance,
	index: FixedI128,
) -> Option<FixedI128> {
	let total = size.checked_add(added)?;
	let per_unit = index.checked_sub(&entry_index)?;
	let share = FixedI128::checked_from_rational(size, total)?;
	index.checked_sub(&per_unit.checked_mul(&share)?)
}

/// The mark at which a position's equity meets its maintenance margin; `None` when there is
/// none (a long whose margin covers its whole size never falls to maintenance).
///
/// From `margin + PnL(p) - funding = mm * s * p / e`:
/// - long:  `p = e * (s - margin + funding) / (s * (1 - mm))`
/// - short: `p = e * (s + margin - funding) / (s * (1 + mm))`
pub fn liquidation_price(
	side: Side,
	size: Balance,
	margin: Balance,
	entry: Price,
	funding: i128,
	maintenance: Permill,
) -> Option<Price> {
	if size == 0 {
		return None;
	}
	let (s, m) = (i128::try_from(size).ok()?, i128::try_from(margin).ok()?);
	let mm = u128::from(maintenance.deconstruct());
	let (numerator, denominator_parts) = match side {
		Side::Long => (s.checked_sub(m)?.checked_add(funding)?, 1_000_000u128.checked_sub(mm)?),
		Side::Short => (s.checked_add(m)?.checked_sub(funding)?, 1_000_000u128.checked_add(mm)?),
	};
	let numerator = u128::try_from(numerator).ok().filter(|n| *n > 0)?;
	// p = e * numerator * 1e6 / (s * denominator_parts)
	let scaled = mul_div(entry.into_inner(), numerator, size, Rounding::Down)?;
	let price = mul_div(scaled, 1_000_000, denominator_parts, Rounding::Down)?;
	Some(Price::from_inner(price))
}

/// Funding per unit of notional per block: `rate` at full skew, in proportion to the skew
/// `(long - short) / (long + short)`. Positive means longs pay shorts.
pub fn funding_rate(long_oi: Balance, short_oi: Balance, rate: Perbill) -> Option<FixedI128> {
	let total = long_oi.checked_add(short_oi)?;
	if total == 0 {
		return Some(FixedI128::zero());
	}
	let skew_abs = long_oi.abs_diff(short_oi);
	// rate * skew / total, as an 18-decimal fixed-point number.
	// A Perbill part is 10^-9; a FixedI128 unit of inner value is 10^-18.
	let rate_inner = u128::from(rate.deconstruct()).checked_mul(1_000_000_000)?;
	let per_unit = mul_div(skew_abs, rate_inner, total, Rounding::Down)?;
	let per_unit = i128::try_from(per_unit).ok()?;
	Some(FixedI128::from_inner(if long_oi >= short_oi { per_unit } else { -per_unit }))
}

/// The funding index after `blocks` blocks at `rate` per block.
pub fn accrue(index: FixedI128, rate: FixedI128, blocks: u128) -> Option<FixedI128> {
	let step = rate.into_inner().checked_mul(i128::try_from(blocks).ok()?)?;
	index.checked_add(&FixedI128::from_inner(step))
}

/// A signed amount as a [`Pnl`].
pub fn to_pnl(amount: i128) -> Pnl {
	if amount >= 0 {
		Pnl::Profit(amount.unsigned_abs())
	} else {
		Pnl::Loss(amount.unsigned_abs())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;
	use sp_runtime::traits::{Bounded, Saturating};

	fn p(n: u32) -> Price {
		Price::from_u32(n)
	}

	#[test]
	fn long_and_short_pnl() {
		// 1_000 of notional at 100: at 110 a long gains 100, a short loses 100.
		assert_eq!(price_pnl(Side::Long, 1_000, p(100), p(110)), Some(100));
		assert_eq!(price_pnl(Side::Short, 1_000, p(100), p(110)), Some(-100));
		assert_eq!(price_pnl(Side::Long, 1_000, p(100), p(90)), Some(-100));
		assert_eq!(price_pnl(Side::Short, 1_000, p(100), p(90)), Some(100));
	}

	#[test]
	fn pnl_edge_cases() {
		// Zero size: nothing to gain or lose.
		assert_eq!(price_pnl(Side::Long, 0, p(100), p(1)), Some(0));
		// A price of zero: a long loses everything, a short gains its size.
		assert_eq!(price_pnl(Side::Long, 1_000, p(100), Price::zero()), Some(-1_000));
		assert_eq!(price_pnl(Side::Short, 1_000, p(100), Price::zero()), Some(1_000));
		// A zero entry price is refused, not divided by.
		assert_eq!(price_pnl(Side::Long, 1_000, Price::zero(), p(1)), None);
		// Values past i128 are refused, not wrapped.
		assert_eq!(price_pnl(Side::Long, u128::MAX, p(1), p(1)), None);
		assert_eq!(notional_at(u128::MAX, p(1), p(2)), None);
	}

	#[test]
	fn dust_rounds_against_the_trader() {
		// One unit of notional, a third of a percent move: neither side gains from rounding.
		let entry = p(300);
		let mark = p(301);
		assert_eq!(price_pnl(Side::Long, 1, entry, mark), Some(0));
		assert_eq!(price_pnl(Side::Short, 1, entry, mark), Some(-1));
	}

	#[test]
	fn margin_requirements() {
		assert_eq!(required_margin(1_000, p(100), p(100), Permill::from_percent(10)), Some(100));
		assert_eq!(required_margin(1_000, p(100), p(200), Permill::from_percent(10)), Some(200));
		// Rounds up.
		assert_eq!(required_margin(1, p(1), p(1), Permill::from_percent(10)), Some(1));
		assert_eq!(required_margin(0, p(1), p(1), Permill::from_percent(10)), Some(0));
	}

	#[test]
	fn equity_subtracts_funding() {
		assert_eq!(equity(Side::Long, 1_000, 100, p(100), p(105), 20), Some(130));
		assert_eq!(equity(Side::Short, 1_000, 100, p(100), p(105), -20), Some(70));
	}

	#[test]
	fn averaged_entry_keeps_pnl_additive() {
		// 1_000 at 100 plus 1_100 at 110.
		let entry = averaged_entry(1_000, p(100), 1_100, p(110)).unwrap();
		assert_eq!(entry, p(105));
		// At 120: 200 + 100 from the parts; the whole gives the same.
		assert_eq!(price_pnl(Side::Long, 2_100, entry, p(120)), Some(300));
	}

	#[test]
	fn liquidation_prices() {
		// Long 1_000 at 100 with 100 margin, 5% maintenance: 100 * 900 / 950.
		let long =
			liquidation_price(Side::Long, 1_000, 100, p(100), 0, Permill::from_percent(5)).unwrap();
		assert!(long.into_inner().abs_diff(Price::from_rational(90_000, 950).into_inner()) <= 1);
		// Short: 100 * 1_100 / 1_050.
		let short = liquidation_price(Side::Short, 1_000, 100, p(100), 0, Permill::from_percent(5))
			.unwrap();
		assert!(
			short.into_inner().abs_diff(Price::from_rational(110_000, 1_050).into_inner()) <= 1
		);
		// A fully collateralised long is never liquidated.
		assert_eq!(
			liquidation_price(Side::Long, 1_000, 1_000, p(100), 0, Permill::from_percent(5)),
			None
		);
		assert_eq!(liquidation_price(Side::Long, 0, 1, p(100), 0, Permill::from_percent(5)), None);
	}

	#[test]
	fn funding_follows_the_skew() {
		let rate = Perbill::from_percent(1);
		assert_eq!(funding_rate(0, 0, rate), Some(FixedI128::zero()));
		assert_eq!(funding_rate(500, 500, rate), Some(FixedI128::zero()));
		// All long: longs pay the full rate.
		assert_eq!(funding_rate(1_000, 0, rate), Some(FixedI128::from_rational(1, 100)));
		// 3:1 short: shorts pay half the rate.
		assert_eq!(
			funding_rate(250, 750, rate),
			Some(FixedI128::from_inner(-FixedI128::DIV / 200))
		);
	}

	#[test]
	fn funding_moves_between_sides() {
		let start = FixedI128::zero();
		let index = accrue(start, FixedI128::from_rational(1, 100), 10).unwrap();
		// 10 blocks at 1%: a long of 1_000 owes 100, a short of 1_000 receives 100.
		assert_eq!(funding_owed(Side::Long, 1_000, start, index), Some(100));
		assert_eq!(funding_owed(Side::Short, 1_000, start, index), Some(-100));
		// A tiny position owes a unit rather than nothing.
		let tiny = accrue(start, FixedI128::from_rational(1, 1_000_000), 1).unwrap();
		assert_eq!(funding_owed(Side::Long, 1, start, tiny), Some(1));
		assert_eq!(funding_owed(Side::Short, 1, start, tiny), Some(0));
	}

	#[test]
	fn accrual_overflow_is_refused() {
		assert_eq!(accrue(FixedI128::max_value(), FixedI128::from_inner(1), 1), None);
		assert_eq!(accrue(FixedI128::zero(), FixedI128::from_inner(i128::MAX), 2), None);
	}

	#[test]
	fn signed_amounts_become_pnl() {
		assert_eq!(to_pnl(5), Pnl::Profit(5));
		assert_eq!(to_pnl(0), Pnl::Profit(0));
		assert_eq!(to_pnl(-5), Pnl::Loss(5));
		assert_eq!(to_pnl(i128::MIN), Pnl::Loss(i128::MIN.unsigned_abs()));
	}

	proptest! {
		/// Long and short PnL mirror each other to within one unit of rounding, always in the
		/// pool's favour.
		#[test]
		fn pnl_is_symmetric(size in 0u128..1_000_000_000_000, entry in 1u32..1_000_000, mark in 0u32..1_000_000) {
			let long = price_pnl(Side::Long, size, p(entry), p(mark)).unwrap();
			let short = price_pnl(Side::Short, size, p(entry), p(mark)).unwrap();
			prop_assert!(long + short <= 0);
			prop_assert!(long + short >= -1);
		}

		/// Increasing a position keeps its PnL at any mark the sum of its parts' PnL, to
		/// within rounding.
		#[test]
		fn averaged_entry_is_additive(
			size in 1u128..1_000_000_000_000, added in 1u128..1_000_000_000_000,
			entry in 1u32..100_000, price in 1u32..100_000, mark in 1u32..100_000,
		) {
			let avg = averaged_entry(size, p(entry), added, p(price)).unwrap();
			let whole = price_pnl(Side::Long, size + added, avg, p(mark)).unwrap();
			let parts = price_pnl(Side::Long, size, p(entry), p(mark)).unwrap()
				+ price_pnl(Side::Long, added, p(price), p(mark)).unwrap();
			let tolerance = ((size + added) / 1_000_000_000).max(2) as i128;
			prop_assert!((whole - parts).abs() <= tolerance, "whole {} parts {}", whole, parts);
		}

		/// Averaging the funding index keeps what the position already owed.
		#[test]
		fn averaged_index_keeps_owed_funding(
			size in 1u128..1_000_000_000, added in 1u128..1_000_000_000,
			accrued in -1_000_000i64..1_000_000,
		) {
			let entry_index = FixedI128::zero();
			// accrued millionths of a unit per unit of notional.
			let index = FixedI128::from_inner(accrued as i128 * (FixedI128::DIV / 1_000_000));
			let owed_before = funding_owed(Side::Long, size, entry_index, index).unwrap();
			let new_index = averaged_index(size, entry_index, added, index).unwrap();
			let owed_after = funding_owed(Side::Long, size + added, new_index, index).unwrap();
			prop_assert!((owed_after - owed_before).abs() <= 1);
		}

		/// Just inside the liquidation price a position meets maintenance; just beyond it, it
		/// does not.
		#[test]
		fn liquidation_price_is_the_maintenance_line(
			size in 1_000u128..1_000_000_000, leverage in 2u128..50, entry in 10u32..100_000,
			mm in 1u32..20, long in any::<bool>(),
		) {
			let side = if long { Side::Long } else { Side::Short };
			let margin = size / leverage;
			let mm = Permill::from_percent(mm);
			let entry = p(entry);
			if let Some(liq) = liquidation_price(side, size, margin, entry, 0, mm) {
				let nudge = Price::from_inner(liq.into_inner() / 1_000 + 1);
				let (safe, unsafe_) = match side {
					Side::Long => (liq.saturating_add(nudge), liq.saturating_sub(nudge)),
					Side::Short => (liq.saturating_sub(nudge), liq.saturating_add(nudge)),
				};
				let holds = |mark: Price| {
					let eq = equity(side, size, margin, entry, mark, 0).unwrap();
					eq >= required_margin(size, entry, mark, mm).unwrap() as i128
				};
				prop_assert!(holds(safe));
				prop_assert!(!holds(unsafe_));
			}
		}

		/// Funding is zero-sum between equal and opposite positions, and never wraps.
		#[test]
		fn funding_is_zero_sum(size in 0u128..1_000_000_000_000, long_oi in 0u128..1_000_000, short_oi in 0u128..1_000_000, blocks in 0u128..10_000) {
			let rate = funding_rate(long_oi, short_oi, Perbill::from_parts(100_000)).unwrap();
			let index = accrue(FixedI128::zero(), rate, blocks).unwrap();
			let long = funding_owed(Side::Long, size, FixedI128::zero(), index).unwrap();
			let short = funding_owed(Side::Short, size, FixedI128::zero(), index).unwrap();
			// Each side rounds against itself by at most one unit.
			prop_assert!(long + short >= 0 && long + short <= 1);
		}
	}
}
