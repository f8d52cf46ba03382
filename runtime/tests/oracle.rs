//! The oracle takes a majority: a price is combined only when more than half of the operators
//! (Alice, Bob and Charlie on the dev chain) have fed a fresh value, as their median, stamped
//! with the time by which that majority had fed. Before, the runtime combined with a minimum
//! count of 1 and pallet-oracle's median of two values was the higher one: in one block Bob
//! fed 60,000 and Alice 90,000, and BTC was 90,000.

use crate::common;

use bulkhead_runtime::{
	configs::{majority_median, OracleMaxSpread, OracleValue, OracleValueExpiry},
	genesis_config_presets::oracle_key,
	CircuitBreaker, Oracle, RuntimeOrigin, Sudo,
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

/// The combined BTC price and its time.
fn combined() -> (Price, u64) {
	let value = Oracle::get(&oracle_key(b"BTC/USD")).expect("a combined price");
	(value.value, value.timestamp)
}

/// What BTC's breaker last heard from the oracle, and when.
fn noted() -> Option<(Price, u32)> {
	CircuitBreaker::breaker(BTC).last_price.map(|p| (p.price, p.at))
}

fn now() -> u64 {
	pallet_timestamp::Now::<bulkhead_runtime::Runtime>::get()
}

/// Blocks until every value fed now has expired.
fn expiry_blocks() -> u32 {
	(OracleValueExpiry::get() / 6_000 + 1) as u32
}

/// Let any price move pass the breaker, so a test sees the oracle's answer alone.
fn any_move() {
	let mut thresholds = CircuitBreaker::breaker(BTC).thresholds;
	thresholds.max_price_move = Permill::from_percent(100);
	assert_ok!(CircuitBreaker::set_thresholds(RuntimeOrigin::root(), BTC, thresholds));
}

fn status(segment: segment_interface::SegmentId) -> SegmentStatus {
	<CircuitBreaker as SegmentHealth>::status(segment)
}

#[test]
fn one_operator_cannot_set_the_price_against_two() {
	new_ext().execute_with(|| {
		any_move();
		for who in [alice(), bob(), charlie()] {
			feed_btc(&who, 60_000);
		}
		assert_eq!(combined(), (btc(60_000), now()));
		next_block();
		// Alice alone says 90,000: the median of three is still 60,000.
		feed_btc(&alice(), 90_000);
		assert_eq!(combined().0, btc(60_000));
		next_block();
		// The launch runtime's example, Bob 60,000 and Alice 90,000 in one block, with
		// Charlie's 60,000 fresh: 60,000 (it was 90,000).
		feed_btc(&bob(), 60_000);
		feed_btc(&alice(), 90_000);
		assert_eq!(combined().0, btc(60_000));
	});
}

#[test]
fn two_fresh_values_of_three_combine_only_when_they_agree() {
	new_ext().execute_with(|| {
		any_move();
		// Genesis's values are long expired: Alice and Bob are a majority of three, and their
		// median is their mean, when they lie within the spread of each other.
		feed_btc(&alice(), 60_600);
		feed_btc(&bob(), 60_000);
		assert_eq!(combined(), (btc(60_300), now()));
		assert_eq!(noted().map(|(p, _)| p), Some(btc(60_300)));
		next_block();
		// Alice alone cannot drag the mean: 90,000 against Bob's 60,000 is no price at all.
		// (Without the spread rule she could set any price above half of Bob's.)
		let before = combined();
		feed_btc(&alice(), 90_000);
		assert_eq!(combined(), before);
		assert!(OracleMaxSpread::get() < Permill::from_percent(50));
	});
}

#[test]
fn a_price_is_as_old_as_the_majority_behind_it() {
	new_ext().execute_with(|| {
		any_move();
		feed_btc(&bob(), 60_000);
		feed_btc(&charlie(), 60_000);
		let fed = now();
		advance(100);
		// Ten minutes later Alice feeds: the price is still Bob's and Charlie's, and as old as
		// theirs (the segments' age limit judges it so), not stamped now.
		feed_btc(&alice(), 66_000);
		assert_eq!(combined(), (btc(60_000), fed));
		assert!(now() > fed);
	});
}

#[test]
fn a_lone_operator_neither_moves_the_price_nor_keeps_the_breaker_from_going_stale() {
	new_ext().execute_with(|| {
		any_move();
		feed(&[(b"BTC/USD", 60_000)]);
		let before = noted().expect("the breaker heard the fed price");
		assert_eq!(status(BTC), SegmentStatus::Normal);
		// Every value expires; Alice alone feeds 90,000, block after block.
		advance(expiry_blocks());
		for _ in 0..3 {
			feed_btc(&alice(), 90_000);
			assert_eq!(combined().0, btc(60_000), "the last combined price stands");
			assert_eq!(noted(), Some(before), "the segments and the breaker heard nothing");
			next_block();
		}
		// The breaker's stale line (an hour on the dev chain) runs from the last majority.
		advance(CircuitBreaker::breaker(BTC).thresholds.stale_after.unwrap());
		feed_btc(&alice(), 90_000);
		assert!(!status(BTC).allows_new_risk());
		next_block();
		let fed = now();
		feed(&[(b"BTC/USD", 60_000)]);
		assert_eq!(combined(), (btc(60_000), fed));
		assert!(noted().is_some_and(|(_, at)| at > before.1));
	});
}

#[test]
fn a_root_feed_is_no_operators_vote() {
	new_ext().execute_with(|| {
		any_move();
		feed(&[(b"BTC/USD", 60_000)]);
		advance(expiry_blocks());
		// Root feeds through sudo: its value sits under the oracle's own account, and with
		// Alice's it would be two values for three operators. It counts for nothing.
		let values = BoundedVec::truncate_from(vec![(oracle_key(b"BTC/USD"), btc(90_000))]);
		let call =
			bulkhead_runtime::RuntimeCall::Oracle(pallet_oracle::Call::feed_values { values });
		assert_ok!(Sudo::sudo(signed(&alice()), Box::new(call)));
		feed_btc(&alice(), 90_000);
		assert_eq!(combined().0, btc(60_000));
	});
}

#[test]
fn the_median_of_a_majority() {
	let at = |v: u32, t: u64| OracleValue { value: btc(v), timestamp: t };
	let spread = Permill::from_percent(2);
	let median = |values: Vec<OracleValue>, operators| {
		majority_median(values, operators, 1_000, 600, spread).map(|v| (v.value, v.timestamp))
	};
	// No value, no majority of the operators, or values past their expiry.
	assert_eq!(median(vec![], 0), None);
	assert_eq!(median(vec![at(60_000, 900)], 3), None);
	assert_eq!(median(vec![at(60_000, 900), at(60_000, 950)], 4), None);
	assert_eq!(median(vec![at(60_000, 400), at(60_000, 950)], 3), None);
	// A majority: the middle value, stamped with the oldest time of the freshest majority.
	assert_eq!(
		median(vec![at(90_000, 990), at(60_000, 500), at(61_000, 900)], 3),
		Some((btc(61_000), 900))
	);
	// An even count: the mean of the middle two, if they agree within the spread.
	assert_eq!(median(vec![at(60_000, 900), at(61_000, 950)], 3), Some((btc(60_500), 900)));
	assert_eq!(median(vec![at(60_000, 900), at(66_000, 950)], 3), None);
	assert_eq!(
		median(vec![at(1, 900), at(90_000, 900), at(60_000, 900), at(61_000, 900)], 4),
		Some((btc(60_500), 900))
	);
	// A lone operator of one is a majority.
	assert_eq!(median(vec![at(5, 999)], 1), Some((btc(5), 999)));
	// The mean never overflows and rounds down.
	let raw = |inner: u128| OracleValue { value: Price::from_inner(inner), timestamp: 900 };
	let max = majority_median(vec![raw(u128::MAX), raw(u128::MAX)], 2, 1_000, 600, spread);
	assert_eq!(max.map(|v| v.value), Some(Price::from_inner(u128::MAX)));
	let odd = majority_median(vec![raw(100), raw(101)], 2, 1_000, 600, spread);
	assert_eq!(odd.map(|v| v.value), Some(Price::from_inner(100)));
}

#[test]
fn removing_an_operator_still_drops_their_values_and_both_sets_report_their_prime() {
	use bulkhead_runtime::{configs::ReportingPrime, Guardians, OracleOperators};
	use frame_support::traits::ChangeMembers;
	type OperatorsChanged = ReportingPrime<
		bulkhead_runtime::configs::ClearOutgoingValues,
		bulkhead_runtime::configs::OracleOperatorsInstance,
	>;
	type GuardiansChanged = ReportingPrime<(), bulkhead_runtime::configs::GuardiansInstance>;
	run(|| {
		let key = oracle_key(b"BTC/USD");
		feed_btc(&charlie(), 61_000);
		assert!(Oracle::raw_values(&charlie(), &key).is_some());
		assert_ok!(OracleOperators::remove_member(RuntimeOrigin::root(), charlie().into()));
		// The oracle still hears of the change: Charlie's value left with him.
		assert_eq!(Oracle::raw_values(&charlie(), &key), None);

		assert_eq!(OperatorsChanged::get_prime(), None);
		assert_ok!(OracleOperators::set_prime(RuntimeOrigin::root(), bob().into()));
		assert_eq!(OperatorsChanged::get_prime(), Some(bob()));
		assert_eq!(GuardiansChanged::get_prime(), None);
		assert_ok!(Guardians::set_prime(RuntimeOrigin::root(), alice().into()));
		assert_eq!(GuardiansChanged::get_prime(), Some(alice()));
		assert_ok!(Guardians::clear_prime(RuntimeOrigin::root()));
		assert_eq!(GuardiansChanged::get_prime(), None);
		assert_eq!(OperatorsChanged::get_prime(), Some(bob()));
	});
}

/// How many raw values `who` holds.
fn values_held(who: &bulkhead_runtime::AccountId) -> usize {
	pallet_oracle::RawValues::<bulkhead_runtime::Runtime>::iter_prefix(who).count()
}

/// The most an extrinsic of the normal class may weigh.
fn max_extrinsic() -> frame_support::weights::Weight {
	use frame_support::dispatch::DispatchClass;
	<bulkhead_runtime::Runtime as frame_system::Config>::BlockWeights::get()
		.get(DispatchClass::Normal)
		.max_extrinsic
		.expect("the normal class bounds an extrinsic")
}

#[test]
fn junk_keys_fed_for_free_leave_nothing_behind() {
	// Operators feed for free. Before, a value under any 16-byte key was kept (and, once a
	// majority had fed a key, a price for it), so operators could store 16 values a block each
	// at no cost, and a removal (or the operator's own `change_key`) cleared them all, with no
	// bound, in a call weighed as if they held none.
	run(|| {
		any_move();
		for block in 0..50u32 {
			let mut values = vec![(oracle_key(b"BTC/USD"), btc(60_000 + block))];
			values.extend((0..15u32).map(|i| {
				let junk = [b"junk".as_slice(), &block.to_le_bytes(), &i.to_le_bytes()].concat();
				(oracle_key(&junk), btc(1))
			}));
			// All three operators feed the same junk keys: a majority, had the values stayed.
			for who in [alice(), bob(), charlie()] {
				let values = BoundedVec::truncate_from(values.clone());
				assert_ok!(Oracle::feed_values(signed(&who), values));
			}
			next_block();
		}
		// Each keeps their values for BTC, ETH and DOT (fed at genesis); none of the 2,250
		// junk values is kept, nor a price for any junk key. BTC's price follows the feeds.
		for who in [alice(), bob(), charlie()] {
			assert_eq!(values_held(&who), 3);
		}
		let junk = [b"junk".as_slice(), &7u32.to_le_bytes(), &3u32.to_le_bytes()].concat();
		assert_eq!(Oracle::get(&oracle_key(&junk)), None);
		assert_eq!(
			pallet_oracle::Values::<bulkhead_runtime::Runtime>::iter_keys().count(),
			3,
			"a combined price only for BTC, ETH and DOT"
		);
		assert_eq!(combined().0, btc(60_049));
	});
}

#[test]
fn an_operator_leaving_clears_a_bounded_number_of_values_and_is_weighed_for_them() {
	use bulkhead_runtime::{
		configs::{outgoing_values_cleared, MaxOperatorValuesCleared},
		OracleOperators, RuntimeCall,
	};
	use frame_support::{dispatch::GetDispatchInfo, traits::Get};
	let cleared = MaxOperatorValuesCleared::get();
	let weight = |call: pallet_membership::Call<
		bulkhead_runtime::Runtime,
		bulkhead_runtime::configs::OracleOperatorsInstance,
	>| RuntimeCall::OracleOperators(call).get_dispatch_info().call_weight;
	// Each call that removes an operator is weighed for clearing their values (a read and a
	// write per value, and one read more, at the measured storage weights).
	let clearing_one = outgoing_values_cleared(1);
	for call in [
		pallet_membership::Call::remove_member { who: charlie().into() },
		pallet_membership::Call::swap_member { remove: charlie().into(), add: dave().into() },
		pallet_membership::Call::change_key { new: dave().into() },
	] {
		assert!(weight(call).all_gte(clearing_one));
	}
	// Replacing the whole set is weighed for clearing as many operators as the set may hold,
	// and still fits in one extrinsic.
	let reset = weight(pallet_membership::Call::reset_members { members: vec![dave()] });
	assert!(reset.all_gte(outgoing_values_cleared(
		<bulkhead_runtime::configs::MaxGuardians as Get<u32>>::get()
	)));
	assert!(reset.all_lte(max_extrinsic()), "{reset:?} above {:?}", max_extrinsic());

	let mut ext = new_ext();
	ext.execute_with(|| {
		// Root listed more keys over Charlie's term than one removal clears (values written
		// directly: no segment trades these keys now).
		let stamp = OracleValue { value: btc(1), timestamp: now() };
		for i in 0..cleared + 5 {
			pallet_oracle::RawValues::<bulkhead_runtime::Runtime>::insert(
				charlie(),
				oracle_key(&i.to_le_bytes()),
				stamp,
			);
		}
		feed_btc(&charlie(), 61_000);
	});
	// In the database, as values fed in earlier blocks are: the bound counts those (values
	// written earlier in the same block are cleared beyond it).
	ext.commit_all().expect("the overlay commits");
	ext.execute_with(|| {
		// With the BTC, ETH and DOT values every operator fed at genesis.
		assert_eq!(values_held(&charlie()), cleared as usize + 8);
		assert_ok!(OracleOperators::remove_member(RuntimeOrigin::root(), charlie().into()));
		// At most the bound is cleared; what stays is no current operator's and nobody reads it.
		assert_eq!(values_held(&charlie()), 8);
		assert_eq!(values_held(&alice()), 3);
		// A seat moved by its holder clears the old account's values the same way.
		assert_eq!(values_held(&bob()), 3);
		assert_ok!(OracleOperators::change_key(signed(&bob()), dave().into()));
		assert_eq!(values_held(&bob()), 0);
		// Replacing the set clears every operator it drops.
		assert_ok!(OracleOperators::reset_members(RuntimeOrigin::root(), vec![dave(), eve()]));
		assert_eq!(values_held(&alice()), 0);
		check_invariants();
	});
}

#[test]
fn a_lone_operator_gets_no_price_for_a_key_no_segment_trades() {
	use bulkhead_runtime::OracleOperators;
	run(|| {
		any_move();
		assert_ok!(OracleOperators::remove_member(RuntimeOrigin::root(), bob().into()));
		assert_ok!(OracleOperators::remove_member(RuntimeOrigin::root(), charlie().into()));
		// Alice alone is a majority of one: her feed is BTC's price.
		feed_btc(&alice(), 61_000);
		assert_eq!(combined().0, btc(61_000));
		next_block();
		// pallet-oracle combines before the runtime's hook drops the value: a key of her
		// choosing would get a price of her choosing, for free, and keep it.
		let gold = oracle_key(b"XAU/USD");
		let values = BoundedVec::truncate_from(vec![(gold.clone(), btc(2_000))]);
		assert_ok!(Oracle::feed_values(signed(&alice()), values));
		assert_eq!(Oracle::get(&gold), None);
		assert_eq!(Oracle::raw_values(&alice(), &gold), None);
	});
}

#[test]
fn a_feed_that_combines_no_price_writes_none() {
	// pallet-oracle stores whatever the combiner returns. Up to spec 114 the runtime's
	// combiner returned the last price when it combined none (no fresh majority, or a key no
	// segment trades), and the oracle wrote that same price back: a write per such value fed.
	let mut ext = new_ext();
	ext.execute_with(|| {
		any_move();
		feed(&[(b"BTC/USD", 60_000)]);
		// Every value expires: Alice's next feed is no majority.
		advance(expiry_blocks());
	});
	// A key no segment trades, with a price (as a market that has ended keeps its last).
	let junk = oracle_key(b"junk");
	let kept = OracleValue { value: btc(7), timestamp: 1 };
	ext.execute_with(|| pallet_oracle::Values::<bulkhead_runtime::Runtime>::insert(&junk, kept));
	ext.commit_all().expect("the overlay commits");
	ext.execute_with(|| {
		let values = BoundedVec::truncate_from(vec![
			(oracle_key(b"BTC/USD"), btc(90_000)),
			(junk.clone(), btc(1)),
		]);
		assert_ok!(Oracle::feed_values(signed(&alice()), values));
		assert_eq!(combined().0, btc(60_000), "the last combined price stands");
		assert_eq!(Oracle::get(&junk), Some(kept), "the untraded key's price stands");
	});
	// What the feed wrote: Alice's BTC value (her junk value was removed as it landed), and no
	// price, for either key.
	type Runtime = bulkhead_runtime::Runtime;
	let written = |key: Vec<u8>| ext.overlayed_changes().changes().any(|(k, _)| *k == key);
	let btc_key = oracle_key(b"BTC/USD");
	assert!(written(pallet_oracle::RawValues::<Runtime>::hashed_key_for(alice(), &btc_key)));
	assert!(
		!written(pallet_oracle::Values::<Runtime>::hashed_key_for(&btc_key)),
		"BTC's unchanged price written back"
	);
	assert!(
		!written(pallet_oracle::Values::<Runtime>::hashed_key_for(&junk)),
		"the untraded key's unchanged price written back"
	);
}
