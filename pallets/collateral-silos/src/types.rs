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
	/// Traders' margin not behind any position.
	pub free_margin: Balance,
	/// Traders' margin behind open positions.
	pub locked_margin: Balance,
	/// The silo's own insurance fund; it absorbs bad debt before the LPs do.
	pub insurance: Balance,
	/// Traders' margin set aside for pending gateway transfers: owed to another silo.
	pub escrowed: Balance,
}

impl Books {
	/// Everything the silo holds: what its account must hold.
	pub fn value(&self) -> Result<Balance, ArithmeticError> {
		[self.free_margin, self.locked_margin, self.insurance, self.escrowed]
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
mod tests {
	use super::*;
	use proptest::prelude::*;

	#[test]
	fn first_deposit_mints_one_share_per_unit() {
		assert_eq!(Books::default().shares_for(1_000), Some(1_000));
	}

	#[test]
	fn a_wiped_out_pool_refuses_new_shares() {
		let books = Books { lp_shares: 10, lp_liquidity: 0, ..Default::default() };
		assert_eq!(books.shares_for(1_000), None);
		assert_eq!(books.amount_for(10), Some(0));
	}

	#[test]
	fn value_overflow_is_an_error() {
		let books = Books { lp_liquidity: Balance::MAX, insurance: 1, ..Default::default() };
		assert_eq!(books.value(), Err(ArithmeticError::Overflow));
	}

	#[test]
	fn dust_deposits_mint_no_shares() {
		// The pool has doubled: one unit buys half a share, which rounds to none.
		let books = Books { lp_shares: 100, lp_liquidity: 200, ..Default::default() };
		assert_eq!(books.shares_for(1), Some(0));
	}

	proptest! {
		/// Depositing and withdrawing at once never pays out more than was put in, so no
		/// round trip drains the pool.
		#[test]
		fn share_round_trip_never_gains(
			liquidity in 1u128..1_000_000_000_000,
			shares in 1u128..1_000_000_000_000,
			amount in 0u128..1_000_000_000_000,
		) {
			let mut books = Books { lp_liquidity: liquidity, lp_shares: shares, ..Default::default() };
			let minted = books.shares_for(amount).unwrap();
			books.lp_liquidity += amount;
			books.lp_shares += minted;
			let back = books.amount_for(minted).unwrap();
			prop_assert!(back <= amount);
		}

		/// Burning all shares pays out exactly the whole pool.
		#[test]
		fn all_shares_buy_the_whole_pool(liquidity in 0u128..u128::MAX / 2, shares in 1u128..u128::MAX / 2) {
			let books = Books { lp_liquidity: liquidity, lp_shares: shares, ..Default::default() };
			prop_assert_eq!(books.amount_for(shares), Some(liquidity));
		}
	}
}
