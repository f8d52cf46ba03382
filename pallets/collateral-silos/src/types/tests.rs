//! Tests of the pure arithmetic in the parent module.
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
fn reserved_overflow_is_an_error() {
	let books = Books { lp_liquidity: Balance::MAX, insurance: 1, ..Default::default() };
	assert_eq!(books.reserved(), Err(ArithmeticError::Overflow));
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
