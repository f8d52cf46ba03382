//! The oracle takes a majority: a price is combined only when more than half of the operators
//! (Alice, Bob and Charlie on the dev chain) have fed a fresh value, as their median. Before,
//! the runtime combined with a minimum count of 1 and pallet-oracle's median of two values was
//! the higher one: in one block Bob fed 60,000 and Alice 90,000, and BTC was 90,000.

mod common;

use bulkhead_runtime::{
	configs::{majority_median, OracleValueExpiry},
	genesis_config_presets::oracle_key,
	CircuitBreaker, Oracle, RuntimeOrigin,
};
use common::*;
use frame_support::assert_ok;
use segment_interface::{Price, SegmentHealth, SegmentStatus};
use sp_runtime::{BoundedVec, FixedPointNumber, Permill};

fn btc(price: u32) -> Price {
	Price::saturating_from_integer(price)
}

/// `who` feeds `price` for BTC/USD.
fn feed_btc(who: &bulkhead_runtime::AccountId, price: u32) {
	let values = BoundedVec::truncate_from(vec![(oracle_key(b"BTC/USD"), btc(price))]);
	assert_ok!(Oracle::feed_values(signed(who), values));
}

/// The combined BTC price.
fn combined() -> Price {
	Oracle::get(&oracle_key(b"BTC/USD")).expect("a combined price").value
}

/// What BTC's breaker last heard from the oracle, and when.
fn noted() -> Option<(Price, u32)> {
	CircuitBreaker::breaker(BTC).last_price.map(|p| (p.price, p.at))
}

/// Let any price move pass the breaker, so a test sees the oracle's answer alone.
fn any_move() {
	let mut thresholds = CircuitBreaker::breaker(BTC).thresholds;
	thresholds.max_price_move = Permill::from_percent(100);
	assert_ok!(CircuitBreaker::set_thresholds(RuntimeOrigin::root(), BTC, thresholds));
}

#[test]
fn one_operator_cannot_set_the_price_two_of_three_meet_at_their_median() {
	new_ext().execute_with(|| {
		any_move();
		// All three agree on 60,000.
		for who in [alice(), bob(), charlie()] {
			feed_btc(&who, 60_000);
		}
		assert_eq!(combined(), btc(60_000));
		next_block();
		// Alice alone says 90,000: the median of three is still 60,000.
		feed_btc(&alice(), 90_000);
		assert_eq!(combined(), btc(60_000));
		next_block();
		// The launch runtime's example: Bob 60,000 and Alice 90,000 in one block, with
		// Charlie's 60,000 fresh, is 60,000 (it was 90,000).
		feed_btc(&bob(), 60_000);
		feed_btc(&alice(), 90_000);
		assert_eq!(combined(), btc(60_000));
	});
}

#[test]
fn two_fresh_values_of_three_combine_as_their_mean() {
	new_ext().execute_with(|| {
		any_move();
		// Nobody fed since genesis (whose values are long past their expiry): Alice and Bob
		// are a majority of three, and the median of two values is their mean.
		feed_btc(&alice(), 66_000);
		feed_btc(&bob(), 60_000);
		assert_eq!(combined(), btc(63_000));
		assert_eq!(noted().map(|(p, _)| p), Some(btc(63_000)));
	});
}

#[test]
fn a_lone_operator_neither_moves_the_price_nor_keeps_an_old_one_fresh() {
	new_ext().execute_with(|| {
		any_move();
		feed(&[(b"BTC/USD", 60_000)]);
		let before = noted().expect("the breaker heard the fed price");
		assert_eq!(status(BTC), SegmentStatus::Normal);
		// An hour and a block later every value has expired. Alice alone feeds 90,000, block
		// after block: one of three is no majority.
		let expiry_blocks = OracleValueExpiry::get() / 6_000 + 1;
		advance(expiry_blocks as u32);
		for _ in 0..3 {
			feed_btc(&alice(), 90_000);
			assert_eq!(combined(), btc(60_000), "the last combined price stands");
			assert_eq!(noted(), Some(before), "the segments and the breaker heard nothing");
			next_block();
		}
		// So the oracle went stale for the breaker (its line is an hour on the dev chain): no
		// new risk until a majority feeds again.
		assert!(!status(BTC).allows_new_risk());
		feed(&[(b"BTC/USD", 60_000)]);
		assert_eq!(combined(), btc(60_000));
		assert!(noted().is_some_and(|(_, at)| at > before.1));
	});
}

#[test]
fn the_median_of_a_majority() {
	let p = |v: &[u32]| v.iter().map(|x| btc(*x)).collect::<Vec<_>>();
	// No value, or no majority of the operators.
	assert_eq!(majority_median(vec![], 0), None);
	assert_eq!(majority_median(p(&[60_000]), 3), None);
	assert_eq!(majority_median(p(&[60_000, 61_000]), 4), None);
	// A majority: the middle value, or the mean of the middle two.
	assert_eq!(majority_median(p(&[60_000, 61_000]), 3), Some(btc(60_500)));
	assert_eq!(majority_median(p(&[90_000, 60_000, 61_000]), 3), Some(btc(61_000)));
	assert_eq!(majority_median(p(&[1, 90_000, 60_000, 61_000]), 4), Some(btc(60_500)));
	// A lone operator of one is a majority.
	assert_eq!(majority_median(p(&[5]), 1), Some(btc(5)));
	// The mean never overflows and rounds down.
	let max = Price::from_inner(u128::MAX);
	assert_eq!(majority_median(vec![max, max], 3), Some(max));
	let (one, two) = (Price::from_inner(1), Price::from_inner(2));
	assert_eq!(majority_median(vec![one, two], 2), Some(one));
}

fn status(segment: segment_interface::SegmentId) -> SegmentStatus {
	<CircuitBreaker as SegmentHealth>::status(segment)
}
