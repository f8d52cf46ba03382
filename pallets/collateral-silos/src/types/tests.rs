//! Tests of the pure arithmetic in the parent module.
use super::*;
use proptest::prelude::*;

#[test]
fn first_deposit_mints_one_share_per_unit() {
	assert_eq!(Books::default().shares_for(1_000, 0), Some(1_000));
}

#[test]
fn a_pool_worth_nothing_refuses_new_shares() {
	let books = Books { lp_shares: 10, lp_liquidity: 50, ..Default::default() };
	assert_eq!(books.shares_for(1_000, 0), None);
	assert_eq!(books.amount_for(10, 0), Some(0));
}

#[test]
fn shares_are_priced_at_the_marked_value_not_the_liquidity() {
	// 1,000,000 of liquidity and 1,000,000 shares, but traders hold 100,000 of pending profit:
	// the pool is worth 900,000, so 90,000 buys 100,000 shares and 100,000 shares pay 90,000.
	let books = Books { lp_shares: 1_000_000, lp_liquidity: 1_000_000, ..Default::default() };
	assert_eq!(books.shares_for(90_000, 900_000), Some(100_000));
	assert_eq!(books.amount_for(100_000, 900_000), Some(90_000));
	// Pending trader losses make it worth more: 1,100,000, so 100,000 shares pay 110,000.
	assert_eq!(books.amount_for(100_000, 1_100_000), Some(110_000));
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
	assert_eq!(books.shares_for(1, 200), Some(0));
}

proptest! {
	/// Depositing and withdrawing at one value never pays out more than was put in, so no
	/// round trip drains the pool.
	#[test]
	fn share_round_trip_never_gains(
		value in 1u128..1_000_000_000_000,
		shares in 1u128..1_000_000_000_000,
		amount in 0u128..1_000_000_000_000,
	) {
		let mut books = Books { lp_liquidity: value, lp_shares: shares, ..Default::default() };
		let minted = books.shares_for(amount, value).unwrap();
		books.lp_liquidity += amount;
		books.lp_shares += minted;
		let back = books.amount_for(minted, value + amount).unwrap();
		prop_assert!(back <= amount);
	}

	/// Burning all shares pays out exactly the pool's value.
	#[test]
	fn all_shares_buy_the_whole_pool(value in 0u128..u128::MAX / 2, shares in 1u128..u128::MAX / 2) {
		let books = Books { lp_liquidity: value, lp_shares: shares, ..Default::default() };
		prop_assert_eq!(books.amount_for(shares, value), Some(value));
	}
}
