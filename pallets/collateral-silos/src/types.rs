//! A silo's books: plain data, checked arithmetic.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use segment_interface::{Balance, SegmentId};
use sp_runtime::ArithmeticError;

/// Whether a silo takes new deposits.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum SiloStatus {
	/// Takes deposits and margin locks as usual.
	Active,
	/// Takes no new liquidity or margin deposits; withdrawals, settlements and insurance
	/// funding still work.
	Frozen,
}

/// What a silo owes, by kind. The silo account's balance of its asset equals [`Books::value`].
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct Books {
	/// What the liquidity providers own: the counterparty pool of the segment's traders.
	pub lp_liquidity: Balance,
	/// Pool shares outstanding; each is a claim on `lp_liquidity / lp_shares`.
	pub lp_shares: Balance,
	/// Traders' margin, free or locked behind positions. Locking moves margin between a
	/// trader's own buckets, not in or out of the silo, so it leaves the books alone: a trade
	/// writes the trader's margin account and not the silo.
	pub margin: Balance,
	/// The silo's own insurance fund; it absorbs bad debt before the LPs do.
	pub insurance: Balance,
	/// Traders' margin set aside for pending gateway transfers: owed to another silo.
	pub escrowed: Balance,
}

impl Books {
	/// Everything the silo holds: what its account must hold.
	pub fn value(&self) -> Result<Balance, ArithmeticError> {
		[self.margin, self.insurance, self.escrowed]
			.into_iter()
			.try_fold(self.lp_liquidity, |sum, part| sum.checked_add(part))
			.ok_or(ArithmeticError::Overflow)
	}

	/// Shares minted for depositing `amount`: pro rata to the pool, or one per unit in an
	/// empty one. `None` when the pool has shares but nothing behind them (wiped out by bad
	/// debt): a new deposit would be shared with the old holders.
	pub fn shares_for(&self, amount: Balance) -> Option<Balance> {
		if self.lp_shares == 0 {
			return Some(amount);
		}
		if self.lp_liquidity == 0 {
			return None;
		}
		mul_div_floor(amount, self.lp_shares, self.lp_liquidity)
	}

	/// What burning `shares` pays out, rounded down (in the pool's favour).
	pub fn amount_for(&self, shares: Balance) -> Option<Balance> {
		if self.lp_shares == 0 {
			return Some(0);
		}
		mul_div_floor(shares, self.lp_liquidity, self.lp_shares)
	}
}

/// `a * b / c`, rounded down, without intermediate overflow; `None` if `c` is zero or the result
/// does not fit.
pub fn mul_div_floor(a: Balance, b: Balance, c: Balance) -> Option<Balance> {
	sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		a,
		b,
		c,
		sp_runtime::Rounding::Down,
	)
}

/// One silo: which asset, for which segment, and its books.
#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct SiloInfo<AssetId> {
	/// The one collateral asset the silo holds.
	pub asset: AssetId,
	/// The one segment the silo backs.
	pub segment: SegmentId,
	pub status: SiloStatus,
	/// Most the silo may hold from LP and margin deposits.
	pub deposit_cap: Balance,
	pub books: Books,
	/// Every unit of bad debt this silo has absorbed since it was created (insurance and LPs
	/// together). A record for health views; not part of [`Books::value`].
	pub bad_debt: Balance,
}

/// One trader's margin in one silo.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct MarginAccount {
	/// Withdrawable, or available to lock behind a position.
	pub free: Balance,
	/// Behind open positions.
	pub locked: Balance,
	/// Set aside for pending gateway transfers.
	pub escrowed: Balance,
}

impl MarginAccount {
	pub fn is_empty(&self) -> bool {
		self.free == 0 && self.locked == 0 && self.escrowed == 0
	}
}

#[cfg(test)]
mod tests;
