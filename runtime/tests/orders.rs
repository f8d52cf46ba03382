//! Two-step orders on the development genesis (BTC at 60,000, 2,000,000 USDC of LP liquidity
//! per silo, orders filled at the first price published more than 12 s after them): the
//! oracle front-run of issue 13 no longer pays.

// Test code: helpers outside `#[test]` functions fail loudly too (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::common;

use bulkhead_runtime::{CollateralSilos, ExecutionSegments, Runtime};
use common::*;
use frame_support::{assert_noop, assert_ok};
use pallet_execution_segments::{
	Error as SegmentsError, Event as SegmentsEvent, OrderKind, OrderSettings, Positions, Side,
};
use segment_interface::Price;
use sp_runtime::FixedPointNumber;

const FEE: u128 = bulkhead_runtime::genesis_config_presets::KEEPER_DEPOSIT;

/// The first price more than the segment's delay after an order: the segment's delay in
/// blocks passes and Alice and Bob publish every market's current price again.
fn next_fill_price() {
	let delay = OrderSettings::<Runtime>::get(BTC).min_delay;
	advance(delay.div_ceil(BLOCK_MS) as u32);
	refeed();
}

fn executed_at(who: &bulkhead_runtime::AccountId) -> Option<Price> {
	frame_system::Pallet::<Runtime>::events()
		.into_iter()
		.find_map(|r| match r.event {
			bulkhead_runtime::RuntimeEvent::ExecutionSegments(SegmentsEvent::OrderExecuted {
				who: w,
				price,
				..
			}) if w == *who => Some(price),
			_ => None,
		})
}

/// Issue 13: a trade filled at the latest oracle price, which everyone sees in the transaction
/// pool before it lands, so a long opened just ahead of a +10% feed and closed after it took
/// the move from the LPs at no risk (+499,999.95 USDC on a 5,000,000 long in the run).
/// Now Eve's order, requested with the feed in sight, cannot fill at the price before it nor
/// at the feed she saw: it fills at the first price published 12 s after it, and the round
/// trip loses her its fees and impact.
#[test]
fn an_order_requested_ahead_of_a_feed_cannot_fill_at_the_price_before_it() {
	run(|| {
		feed_genesis_prices();
		let eve = eve();
		let margin = usdc(200_000);
		assert_ok!(CollateralSilos::deposit_margin(signed(&eve), BTC, margin + 2 * FEE));
		let long = OrderKind::Increase { side: Side::Long, size: usdc(1_000_000), margin };
		let any = Price::from_inner(u128::MAX);
		assert_ok!(ExecutionSegments::request_order(signed(&eve), BTC, long, any, FEE));

		// The +10% feed she saw in the pool lands in the next block, 6 s after her order.
		next_block();
		feed(&[(b"BTC/USD", 66_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)]);
		assert_noop!(
			ExecutionSegments::execute_order(signed(&keeper()), BTC, eve.clone()),
			SegmentsError::<Runtime>::OrderNotReady
		);

		// The market stays at 66,000: her order fills there, not at 60,000.
		next_fill_price();
		assert_ok!(ExecutionSegments::execute_order(signed(&keeper()), BTC, eve.clone()));
		assert_eq!(executed_at(&eve), Some(Price::saturating_from_integer(66_000)));
		let position = Positions::<Runtime>::get(BTC, &eve).expect("filled");
		assert!(position.entry_price >= Price::saturating_from_integer(66_000));

		// She closes at the next price, the same 66,000.
		let any = Price::from_inner(0);
		assert_ok!(ExecutionSegments::request_order(signed(&eve), BTC, OrderKind::Close, any, FEE));
		next_fill_price();
		assert_ok!(ExecutionSegments::execute_order(signed(&keeper()), BTC, eve.clone()));
		assert!(Positions::<Runtime>::get(BTC, &eve).is_none());

		// What she holds now, against what she brought: the fees, the impact, the borrowing
		// and the two execution fees (the keeper's) are gone, and nothing was won.
		let after = margin_of(BTC, &eve);
		let lost = margin + 2 * FEE - after;
		assert!(after < margin, "the front-run paid: {after}");
		// 1,010.22 USDC: where an instant long had taken +100,000 (10% of 1,000,000).
		assert_eq!(lost, 1_010_220_083);
		assert_eq!(margin_of(BTC, &keeper()), 2 * FEE);
		check_invariants();
	});
}

fn margin_of(segment: u32, who: &bulkhead_runtime::AccountId) -> u128 {
	margin(segment, who).free
}
