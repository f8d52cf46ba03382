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
	Some(share_up(notional_at(size, entry, mark)?, ratio))
}

/// `ratio` of `value`, rounded up: what a margin requirement asks of a position worth `value`.
pub fn share_up(value: Balance, ratio: Permill) -> Balance {
	ratio.mul_ceil(value)
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
mod tests;
