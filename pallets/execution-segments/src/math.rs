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
//! Borrowing runs the same way through one index per side, which only grows.
//!
//! Each side is summed in a [`crate::SideBook`] (units of the underlying held, and what it
//! entered the indices at), so a side's pending PnL is `units * p - open interest` (longs) with
//! funding and borrowing `index * open interest - sum at entry`, in O(1).
//!
//! Trades fill at the oracle price moved by the skew they leave (Synthetix's premium), pay a
//! position fee that is lower when they reduce the skew, and positions pay a borrowing rate
//! kinked on utilization (GMX's). `docs/economics.md` works through each with numbers.
//!
//! Signed amounts are `i128`: a value outside it (over 10^38 units) is refused as an overflow.

use crate::types::Side;
use segment_interface::{Balance, Pnl, Price};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{CheckedAdd, CheckedDiv, CheckedMul, CheckedSub, One, Saturating, Zero},
	FixedI128, FixedPointNumber, FixedU128, Perbill, Permill, Rounding,
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

/// `DIV` squared: a price's inner value is scaled by `DIV`, and units are kept at 18 decimals.
const SCALE: u128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;

/// Units of the underlying a position of `size` entered at `entry` holds, as an 18-decimal
/// fixed-point number, rounded down.
pub fn units_of(size: Balance, entry: Price) -> Option<u128> {
	mul_div(size, SCALE, entry.into_inner(), Rounding::Down)
}

/// What `units` of the underlying are worth at `mark`, rounded as asked.
pub fn value_of_units(units: u128, mark: Price, rounding: Rounding) -> Option<Balance> {
	mul_div(units, mark.into_inner(), SCALE, rounding)
}

/// `size` times an index's inner value: what one position adds to a side's sum at entry.
pub fn index_weight(size: Balance, index: FixedI128) -> Option<i128> {
	i128::try_from(size).ok()?.checked_mul(index.into_inner())
}

/// What a side of open interest `oi` owes through an index now at `index`, given the sum of
/// `size * index` its positions entered at; positive means it pays. Rounded up.
pub fn owed_through(index: FixedI128, oi: Balance, entry_sum: i128) -> Option<i128> {
	let scaled = index_weight(oi, index)?.checked_sub(entry_sum)?;
	let div = FixedI128::DIV;
	// Division rounding towards plus infinity.
	let quotient = scaled / div;
	Some(if scaled % div > 0 { quotient.checked_add(1)? } else { quotient })
}

/// A side's utilization of the pool: its open interest over the pool's liquidity, at most 1
/// (and 1 for open interest on an empty pool).
pub fn utilization(oi: Balance, pool: Balance) -> FixedU128 {
	if oi == 0 {
		return FixedU128::zero();
	}
	FixedU128::checked_from_rational(oi, pool).map_or(FixedU128::one(), |u| u.min(FixedU128::one()))
}

/// The borrowing rate per year at `utilization`: rising linearly to `at_kink` at the kink, then
/// steeper to `max` at full utilization (GMX's kinked model).
pub fn borrowing_rate(
	utilization: FixedU128,
	kink: Permill,
	at_kink: FixedU128,
	max: FixedU128,
) -> Option<FixedU128> {
	let kink = FixedU128::from(kink);
	if utilization <= kink {
		return at_kink.checked_mul(&utilization)?.checked_div(&kink);
	}
	let steep = max.checked_sub(&at_kink)?;
	let above = utilization.checked_sub(&kink)?;
	let room = FixedU128::one().checked_sub(&kink)?;
	at_kink.checked_add(&steep.checked_mul(&above)?.checked_div(&room)?)
}

/// A yearly rate as a rate per block.
pub fn per_block(rate: FixedU128, blocks_per_year: u32) -> Option<FixedI128> {
	let inner = rate.into_inner().checked_div(u128::from(blocks_per_year))?;
	Some(FixedI128::from_inner(i128::try_from(inner).ok()?))
}

/// Synthetix's skew premium for a trade that takes the skew (long minus short open interest)
/// from `before` to `after`: `(before + after) / (2 * scale)`. Positive moves the fill above the
/// oracle price. Splitting a trade in parts changes nothing: the premium is the skew's average
/// over the trade.
pub fn skew_premium(before: i128, after: i128, scale: Balance) -> Option<FixedI128> {
	let sum = before.checked_add(after)?;
	let denominator = scale.checked_mul(2)?;
	let magnitude = FixedI128::checked_from_rational(sum.unsigned_abs(), denominator)?;
	Some(if sum < 0 { FixedI128::zero().checked_sub(&magnitude)? } else { magnitude })
}

/// The price a trade fills at: `oracle * (1 + premium)`, the premium bounded so that the fill
/// is at most `worse` worse and `better` better than the oracle for the trader. A buyer (a long
/// opening, a short closing) is worse off at a higher price, a seller at a lower one.
pub fn fill_price(
	oracle: Price,
	premium: FixedI128,
	buying: bool,
	worse: Permill,
	better: Permill,
) -> Option<Price> {
	let (up, down) = if buying { (worse, better) } else { (better, worse) };
	let (up, down) = (FixedI128::from(up), FixedI128::from(down));
	let zero = FixedI128::zero();
	let premium = premium.min(up).max(zero.checked_sub(&down)?);
	let factor = FixedI128::one().checked_add(&premium)?;
	let factor = FixedU128::from_inner(u128::try_from(factor.into_inner()).ok()?);
	// A buyer's fill at a price near the largest there is saturates rather than fails: a short
	// must be able to close whatever the price.
	Some(oracle.saturating_mul(factor))
}

/// The position fee on `notional` at `rate`, rounded up.
pub fn position_fee(notional: Balance, rate: Permill) -> Balance {
	rate.mul_ceil(notional)
}

/// The position fee of a trade of `notional` that takes the skew from `before` to `after`: the
/// part that brings the skew towards zero at `reducing`, the rest at `increasing` (a trade that
/// crosses zero pays each rate on its own part, as GMX splits it).
pub fn position_fee_across(
	notional: Balance,
	before: i128,
	after: i128,
	reducing: Permill,
	increasing: Permill,
) -> Option<Balance> {
	let crosses = before.signum() * after.signum() < 0;
	let reducing_part = if crosses {
		// The first |before| of the move reduces the skew, the rest adds to it.
		mul_div(notional, before.unsigned_abs(), before.abs_diff(after), Rounding::Down)?
	} else if reduces_skew(before, after) {
		notional
	} else {
		0
	};
	let increasing_part = notional - reducing_part;
	position_fee(reducing_part, reducing).checked_add(position_fee(increasing_part, increasing))
}

/// Whether a trade that takes the skew from `before` to `after` reduces it.
pub fn reduces_skew(before: i128, after: i128) -> bool {
	after.unsigned_abs() < before.unsigned_abs()
}

/// A closing position's `profit`, scaled down when its side's pending profit `side_profit` is
/// above the most the pool pays out (`limit`): every closer on the side is paid the same share
/// of their profit, instead of the first closers taking the pool. Never more than `limit`.
pub fn capped_profit(profit: Balance, side_profit: Balance, limit: Balance) -> Option<Balance> {
	let paid = if side_profit <= limit {
		profit
	} else {
		mul_div(profit, limit, side_profit, Rounding::Down)?
	};
	// One closer whose profit the side's losers offset is still paid no more than the limit.
	Some(paid.min(limit))
}

/// How much of a position of `size` holding `profit` auto-deleveraging closes to realize
/// `target` of profit: all of it when that is not enough, or when what would be left is under
/// `min_size`; otherwise the share `target / profit`, rounded up.
pub fn adl_part(
	size: Balance,
	profit: Balance,
	target: Balance,
	min_size: Balance,
) -> Option<Balance> {
	if profit <= target {
		return Some(size);
	}
	let part = mul_div(size, target, profit, Rounding::Up)?.max(1);
	Some(if size - part.min(size) < min_size { size } else { part })
}

/// A signed amount as a [`Pnl`].
pub fn to_pnl(amount: i128) -> Pnl {
	if amount >= 0 {
		Pnl::Profit(amount.unsigned_abs())
	} else {
		Pnl::Loss(amount.unsigned_abs())
	}
}

/// The price nearest `from`, below it (`down`) or above it, at which `holds`, where `holds` is
/// false at `from` and, once true, stays true further that way (it is monotone): found by
/// bisection to the smallest price step, in at most 128 tests (and as many more to find a
/// price above at which it holds). `None` if it holds nowhere that way.
pub fn nearest(from: Price, down: bool, holds: impl Fn(Price) -> bool) -> Option<Price> {
	let at = |inner: u128| holds(Price::from_inner(inner));
	let from = from.into_inner();
	let mut good = if down {
		if !at(0) {
			return None;
		}
		0
	} else {
		let mut step = from.max(1);
		loop {
			let next = from.saturating_add(step);
			if at(next) {
				break next;
			}
			if next == u128::MAX {
				return None;
			}
			step = step.saturating_mul(2);
		}
	};
	let mut bad = from;
	while bad.abs_diff(good) > 1 {
		let mid = bad.min(good) + bad.abs_diff(good) / 2;
		if at(mid) {
			good = mid;
		} else {
			bad = mid;
		}
	}
	Some(Price::from_inner(good))
}

#[cfg(test)]
mod tests;
