//! What a silo's LP pool is worth, marked to market: the one formula both sides of the
//! interface use, so that the silo prices LP shares and the segment checks reserves and
//! auto-deleveraging against the same number.
//!
//! A pool's value (its NAV, as GMX v2's `getPoolValueInfo` computes it) is what its LPs own
//! in the silo, less what its segment's traders would take from it if every position closed
//! at the oracle price now:
//!
//! ```text
//! value = lp_liquidity - capped(long PnL) - capped(short PnL), at least 0
//! capped(pnl) = min(pnl, max_pnl_factor * lp_liquidity)   (a loss is not capped)
//! ```
//!
//! A side's PnL is its traders' price PnL less the funding and borrowing they owe, summed over
//! the side from per-side aggregates ([`PoolExposure`]); fees already paid sit in
//! `lp_liquidity`. The cap is GMX's max PnL factor: the pool never counts more trader profit
//! against itself than it could pay, and auto-deleveraging keeps the uncapped figure near it.

use crate::{Balance, MarketStatus, Moment, SegmentId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_runtime::{DispatchError, Permill};

/// A fee a trade pays into its own silo: part to the LPs' pool, part to the insurance fund.
/// Fees never leave the silo.
#[derive(
	Clone,
	Copy,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct Fee {
	/// Credited to the LPs' liquidity.
	pub to_lps: Balance,
	/// Credited to the silo's insurance fund.
	pub to_insurance: Balance,
}

impl Fee {
	/// No fee.
	pub const ZERO: Fee = Fee { to_lps: 0, to_insurance: 0 };

	/// `total`, of which `insurance_share` (rounded down) goes to the insurance fund.
	pub fn split(total: Balance, insurance_share: Permill) -> Fee {
		let to_insurance = insurance_share.mul_floor(total);
		Fee { to_lps: total - to_insurance, to_insurance }
	}

	/// Both parts; `None` if that does not fit in a balance.
	pub fn total(&self) -> Option<Balance> {
		self.to_lps.checked_add(self.to_insurance)
	}

	/// At most `available` of this fee, taken from the insurance part last: what a settlement
	/// collects when the trader has less than the whole fee left.
	pub fn at_most(self, available: Balance) -> Fee {
		let to_lps = self.to_lps.min(available);
		Fee { to_lps, to_insurance: self.to_insurance.min(available - to_lps) }
	}
}

/// The pool-value factors a segment sets for its silo (see [`PoolExposure`]).
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub struct PoolFactors {
	/// Most trader profit per side counted against the pool when pricing a deposit (and for
	/// trading), as a share of `lp_liquidity`.
	pub max_pnl_deposits: Permill,
	/// The same for withdrawals; a withdrawal is refused while a side's profit is above it.
	pub max_pnl_withdrawals: Permill,
	/// Most of the pool's value that open interest may reserve.
	pub reserve: Permill,
}

/// What a segment's open positions mean for its silo's pool at the current oracle price: the
/// pending PnL of each side (price PnL less funding and borrowing owed, uncapped; positive is
/// the traders' gain) and the pool value they reserve. Computed from per-side aggregates, never
/// by visiting positions.
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub struct PoolExposure {
	/// Pending PnL of all longs.
	pub long_pnl: i128,
	/// Pending PnL of all shorts.
	pub short_pnl: i128,
	/// Pool value the open interest reserves: the larger of the longs' notional at the mark
	/// (their profit grows with the price) and the shorts' notional at entry (a short gains at
	/// most that). Each side reserves on its own, as GMX reserves each side against its pool:
	/// one side's claim grows as the other's shrinks.
	pub reserved: Balance,
	/// The segment's factors.
	pub factors: PoolFactors,
}

impl PoolExposure {
	/// No open interest: the pool is worth its liquidity and nothing is reserved.
	pub fn none(factors: PoolFactors) -> Self {
		PoolExposure { long_pnl: 0, short_pnl: 0, reserved: 0, factors }
	}

	/// The sum of both sides' PnL, each side's profit capped at `cap` of `lp_liquidity`.
	pub fn capped_net_pnl(&self, lp_liquidity: Balance, cap: Permill) -> i128 {
		let limit = i128::try_from(cap.mul_floor(lp_liquidity)).unwrap_or(i128::MAX);
		self.long_pnl.min(limit).saturating_add(self.short_pnl.min(limit))
	}

	/// The pool's value with each side's profit capped at `cap` (see the module docs), at
	/// least 0.
	pub fn pool_value(&self, lp_liquidity: Balance, cap: Permill) -> Balance {
		let net = self.capped_net_pnl(lp_liquidity, cap);
		if net >= 0 {
			lp_liquidity.saturating_sub(net.unsigned_abs())
		} else {
			lp_liquidity.saturating_add(net.unsigned_abs())
		}
	}

	/// Whether either side's uncapped profit is above `factor` of `lp_liquidity`.
	pub fn profit_above(&self, lp_liquidity: Balance, factor: Permill) -> bool {
		let limit = i128::try_from(factor.mul_floor(lp_liquidity)).unwrap_or(i128::MAX);
		self.long_pnl > limit || self.short_pnl > limit
	}

	/// Most that open interest may reserve of a pool holding `lp_liquidity` and worth `value`:
	/// the reserve factor of the smaller. Traders' pending losses raise the value but are not
	/// yet in the silo, so they back no reserve (GMX reserves against the pool amount); their
	/// pending profits lower it.
	pub fn reserve_cap(&self, lp_liquidity: Balance, value: Balance) -> Balance {
		self.factors.reserve.mul_floor(lp_liquidity.min(value))
	}
}

/// When an order made now may fill, by its segment's order rules: the chain's time (ms) of
/// its request, the earliest oracle time of the price it fills at (its request plus the
/// segment's minimum delay), and the latest publication time of that price (the delay's end
/// plus the segment's window). A liquidity provider's deposit or withdrawal waits as a trade
/// does: it is priced at a price nobody could see when it was requested.
#[derive(
	Clone,
	Copy,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub struct OrderTiming {
	/// When it was requested.
	pub requested_at: Moment,
	/// It fills at the first price the oracle's majority fed at or after this (and after the
	/// request).
	pub fills_from: Moment,
	/// That price must be published by then, and the order executed within the segment's
	/// window of its publication.
	pub expires_at: Moment,
}

/// What an LP order made now must meet (see [`PoolRisk::lp_order_terms`]).
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub struct LpOrderTerms {
	/// When it may fill.
	pub timing: OrderTiming,
	/// The least execution fee it escrows: the segment's keeper deposit, what a trade's
	/// order escrows at least.
	pub min_fee: Balance,
}

/// What an LP order's price says when someone executes it
/// ([`PoolRisk::exposure_for_order`]).
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub enum OrderPricing {
	/// Its price is not out yet, or not final (published in this block): it waits.
	NotReady,
	/// Its price came after its window, it was executed too long after it, or that price has
	/// been forgotten since: it ends unfilled.
	Expired,
	/// The pool's exposure at the order's price, with the segment's funding and borrowing
	/// brought up to this block.
	Priced(PoolExposure),
}

/// A segment's open positions as its silo's pool sees them. Implemented by execution segments;
/// used by collateral silos to price LP shares and to keep withdrawals inside the reserve.
pub trait PoolRisk {
	/// The segment's exposure at its current oracle price. A segment without open interest
	/// (or without a segment yet) needs no price; otherwise a missing or stale price is an
	/// error: the pool cannot be valued, so no LP action may be priced. With open interest it
	/// first brings the segment's funding and borrowing up to this block (a write), so that the
	/// change of the pool's liquidity the caller makes next never re-prices blocks already past.
	///
	/// While the market settles, an error: its pool is priced again once every position is
	/// settled (a loss a position cannot pay is known only then).
	fn exposure(segment: SegmentId) -> Result<PoolExposure, DispatchError>;
	/// Where the segment's market is in its life: a silo takes deposits only while it is
	/// [`MarketStatus::Live`]. A silo whose segment is not created yet is live.
	fn market(segment: SegmentId) -> MarketStatus;
	/// When an LP order requested now may fill, and the least fee it escrows.
	fn lp_order_terms(segment: SegmentId) -> LpOrderTerms;
	/// The segment's exposure at the price an LP order made at `timing` fills at: the first
	/// price its oracle's majority fed after the request and from `timing.fills_from` on, as
	/// a trade's order fills. With no open interest and no position moved since the request,
	/// any time from `fills_from` to `expires_at` (the pool is worth its liquidity at every
	/// price). Once delisted, likewise (a delisted pool's value depends on no price). Not
	/// ready while the breaker rejects the latest price.
	///
	/// An error when the order cannot fill at that price: the breaker rejected it; a position
	/// was opened, changed or closed at a later price since (the pool's positions would be
	/// marked at a price older than some of them, and whoever chose the order of the two
	/// executions would choose the value); the market is settling.
	fn exposure_for_order(
		segment: SegmentId,
		timing: &OrderTiming,
	) -> Result<OrderPricing, DispatchError>;
}

#[cfg(test)]
mod tests {
	use super::*;

	fn exposure(long_pnl: i128, short_pnl: i128) -> PoolExposure {
		PoolExposure {
			long_pnl,
			short_pnl,
			reserved: 0,
			factors: PoolFactors {
				max_pnl_deposits: Permill::from_percent(90),
				max_pnl_withdrawals: Permill::from_percent(70),
				reserve: Permill::from_percent(90),
			},
		}
	}

	#[test]
	fn pool_value_subtracts_profit_and_adds_losses() {
		let ninety = Permill::from_percent(90);
		// 1,000,000 of liquidity; longs up 50,000, shorts down 20,000: worth 970,000.
		assert_eq!(exposure(50_000, -20_000).pool_value(1_000_000, ninety), 970_000);
		// Traders losing overall: the pool is worth more than its liquidity.
		assert_eq!(exposure(-30_000, 10_000).pool_value(1_000_000, ninety), 1_020_000);
	}

	#[test]
	fn profit_is_capped_per_side() {
		let ninety = Permill::from_percent(90);
		// Longs up 2,000,000 on a pool of 1,000,000 count as 900,000.
		assert_eq!(exposure(2_000_000, 0).pool_value(1_000_000, ninety), 100_000);
		// Both sides in profit (longs entered low, shorts high) can take the value to zero.
		assert_eq!(exposure(2_000_000, 2_000_000).pool_value(1_000_000, ninety), 0);
		assert!(exposure(700_001, 0).profit_above(1_000_000, Permill::from_percent(70)));
		assert!(!exposure(700_000, 0).profit_above(1_000_000, Permill::from_percent(70)));
	}

	#[test]
	fn fee_split_and_partial_collection() {
		let fee = Fee::split(1_000, Permill::from_percent(25));
		assert_eq!(fee, Fee { to_lps: 750, to_insurance: 250 });
		assert_eq!(fee.total(), Some(1_000));
		assert_eq!(fee.at_most(800), Fee { to_lps: 750, to_insurance: 50 });
		assert_eq!(fee.at_most(500), Fee { to_lps: 500, to_insurance: 0 });
	}
}
