//! LP deposits and withdrawals as orders, on the development genesis (BTC at 60,000, 2,000,000
//! USDC of LP liquidity per silo, orders priced at the first price published more than 12 s
//! after them): the pool is marked to market, so an LP who saw the next price in the
//! transaction pool could deposit ahead of a price that makes traders lose (or withdraw ahead
//! of one that makes them win) and take the move from the other LPs. Now the deposit or
//! withdrawal is priced after that price, and the round trip does not pay.

// Test code: helpers outside `#[test]` functions fail loudly too (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::common;

use bulkhead_runtime::{views, CollateralSilos, Runtime, RuntimeEvent};
use common::*;
use frame_support::{assert_noop, assert_ok};
use pallet_collateral_silos::{
	Accounts, Error as SilosError, Event as SilosEvent, ExitRequest, Exits, LpOrderEnd,
	LpOrderKind, LpOrders,
};
use pallet_execution_segments::{OrderSettings, Side};

const FEE: u128 = bulkhead_runtime::genesis_config_presets::KEEPER_DEPOSIT;

/// The segment's delay passes and Alice and Bob publish every market's current price again:
/// the first price an order made before fills at, final from the next block.
fn next_fill_price() {
	let delay = OrderSettings::<Runtime>::get(BTC).min_delay;
	advance(delay.div_ceil(BLOCK_MS) as u32);
	refeed();
}

/// The pool value the last LP action in this block was priced at.
fn priced_at() -> Option<u128> {
	frame_system::Pallet::<Runtime>::events()
		.into_iter()
		.rev()
		.find_map(|r| match r.event {
			RuntimeEvent::CollateralSilos(
				SilosEvent::LiquidityProvided { pool_value, .. }
				| SilosEvent::LiquidityWithdrawn { pool_value, .. },
			) => Some(pool_value),
			_ => None,
		})
}

/// Why the last LP order in this block ended unfilled, if it did.
fn ended() -> Option<LpOrderEnd> {
	frame_system::Pallet::<Runtime>::events()
		.into_iter()
		.rev()
		.find_map(|r| match r.event {
			RuntimeEvent::CollateralSilos(SilosEvent::LpOrderEnded { reason, .. }) => Some(reason),
			_ => None,
		})
}

/// Bob holds a 1,000,000 USDC long at 60,000: a 10% fall makes him lose about 100,000 to the
/// pool, a 10% rise win about as much from it.
fn a_long_is_open() {
	feed_genesis_prices();
	assert_ok!(CollateralSilos::deposit_margin(signed(&bob()), BTC, usdc(200_000)));
	assert_ok!(open(&bob(), BTC, Side::Long, usdc(1_000_000), usdc(200_000)));
}

/// Eve sees a -10% BTC feed in the transaction pool, which will make Bob's long lose about
/// 100,000 USDC to the pool. With an instant deposit of 1,000,000 at the value before it
/// (about 2,000,000) and a withdrawal after it, she would have taken 31% of the move:
/// about +31,000 USDC from the LPs. Her deposit order, requested with the feed in sight, is
/// priced at the first price after its delay, which already has the fall in it; the round trip
/// loses her the two execution fees.
#[test]
fn a_deposit_requested_ahead_of_a_feed_is_priced_after_it() {
	run(|| {
		a_long_is_open();
		let eve = eve();
		let before = usdc_of(&eve);
		let value_before = pallet_collateral_silos::Pallet::<Runtime>::summary(BTC).unwrap();
		let deposit = LpOrderKind::Provide(usdc(900_000));
		assert_ok!(CollateralSilos::request_lp_order(signed(&eve), BTC, deposit, FEE));
		assert_eq!(margin(BTC, &eve).escrowed, usdc(900_000) + FEE);

		// The feed she saw lands in the next block.
		next_block();
		feed(&[(b"BTC/USD", 54_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)]);
		assert_noop!(
			CollateralSilos::execute_lp_order(signed(&keeper()), BTC, eve.clone()),
			SilosError::<Runtime>::LpOrderNotReady
		);

		// The market stays at 54,000: her deposit is priced there, at a pool worth what the
		// long lost on top of its liquidity.
		next_fill_price();
		assert_ok!(CollateralSilos::execute_lp_order(signed(&keeper()), BTC, eve.clone()));
		let value = priced_at().expect("filled");
		assert!(
			value > value_before.lp_liquidity + usdc(95_000),
			"priced before the fall: {value} against {}",
			value_before.lp_liquidity
		);
		assert!(LpOrders::<Runtime>::get(BTC, &eve).is_none());
		assert_eq!(margin(BTC, &keeper()).free, FEE);

		// She withdraws every share at the next price, the same 54,000.
		let shares = Accounts::<Runtime>::get(BTC, &eve).shares;
		let withdrawal = LpOrderKind::Withdraw(shares);
		assert_ok!(CollateralSilos::request_lp_order(signed(&eve), BTC, withdrawal, FEE));
		next_fill_price();
		assert_ok!(CollateralSilos::execute_lp_order(signed(&keeper()), BTC, eve.clone()));
		assert_eq!(Accounts::<Runtime>::get(BTC, &eve).shares, 0);

		// Nothing won: she paid two execution fees (10 USDC), less her share of the borrowing
		// Bob paid the pool while she was in it (0.05 USDC in this run).
		let after = usdc_of(&eve);
		assert!(after < before - FEE, "the front-run paid: {before} -> {after}");
		assert!(before - after <= 2 * FEE, "lost more than the fees: {before} -> {after}");
		assert_eq!(margin(BTC, &keeper()).free, 2 * FEE);
		check_invariants();
	});
}

/// Alice, the genesis LP, sees a +10% BTC feed in the pool, which will make Bob's long win
/// about 100,000 USDC from it. An instant withdrawal at the value before it would have left
/// the loss to the LPs who stay. Her withdrawal order is priced after the rise: she takes her
/// share of the loss with them.
#[test]
fn a_withdrawal_requested_ahead_of_a_feed_is_priced_after_it() {
	run(|| {
		a_long_is_open();
		let alice = alice();
		// Eve is the LP who stays.
		assert_ok!(provide(&eve(), BTC, usdc(500_000)));
		let shares = Accounts::<Runtime>::get(BTC, &alice).shares / 2;
		let withdrawal = LpOrderKind::Withdraw(shares);
		assert_ok!(CollateralSilos::request_lp_order(signed(&alice), BTC, withdrawal, FEE));
		// The shares wait in the order, not in her account.
		assert_eq!(
			Accounts::<Runtime>::get(BTC, &alice).shares + shares,
			Accounts::<Runtime>::get(BTC, &alice).shares * 2
		);
		let view = |silo| pallet_collateral_silos::Pallet::<Runtime>::summary(silo).unwrap();
		let lp_shares = view(BTC).lp_shares;
		let value_now = views::pool(BTC, 0).unwrap().marked.unwrap().value_for_withdrawals;
		let instant = value_now * shares / lp_shares;

		next_block();
		feed(&[(b"BTC/USD", 66_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)]);
		next_fill_price();
		let wallet = usdc_of(&alice);
		assert_ok!(CollateralSilos::execute_lp_order(signed(&keeper()), BTC, alice.clone()));
		let paid = usdc_of(&alice) - wallet;
		// She is paid her shares' part of the pool after the rise: about a third of the
		// long's ~100,000 less than at the value she saw.
		assert!(paid + usdc(30_000) < instant, "priced before the rise: {paid} against {instant}");
		assert_eq!(Some(paid), priced_at().map(|value| value * shares / lp_shares));
		check_invariants();
	});
}

/// An LP order is priced at the first price after its delay. Once a position has moved at a
/// later price, the pool can no longer be valued at that one (it would mark the position at a
/// price older than its own, and whoever ordered the two executions would choose the value):
/// the order ends unfilled, its escrow back and its fee to the LPs. Keepers execute LP orders
/// first.
#[test]
fn an_lp_order_is_not_priced_older_than_a_position() {
	run(|| {
		a_long_is_open();
		let eve = eve();
		let deposit = LpOrderKind::Provide(usdc(100_000));
		assert_ok!(CollateralSilos::request_lp_order(signed(&eve), BTC, deposit, FEE));
		next_fill_price();
		// Bob halves his long at the price after the one Eve's order is priced at. (Had he
		// closed it, no position would be left to mark, and the pool would be worth its
		// liquidity at any price: the order would fill.)
		assert_ok!(decrease(&bob(), BTC, usdc(500_000)));
		let lp_before = books(BTC).lp_liquidity;
		assert_ok!(CollateralSilos::execute_lp_order(signed(&keeper()), BTC, eve.clone()));
		assert_eq!(
			ended(),
			Some(LpOrderEnd::Failed(
				pallet_execution_segments::Error::<Runtime>::PriceSuperseded.into()
			))
		);
		// Her deposit is free margin again; the fee went to the LPs.
		assert_eq!(margin(BTC, &eve).free, usdc(100_000));
		assert_eq!(margin(BTC, &eve).escrowed, 0);
		assert_eq!(books(BTC).lp_liquidity, lp_before + FEE);
		assert_eq!(Accounts::<Runtime>::get(BTC, &eve).shares, 0);
		check_invariants();
	});
}

/// An order nobody executes within the window of its price expires: the escrow returns, the
/// fee goes to the LPs (not to the owner: whether it fills must not be the owner's choice once
/// its price is out). Its owner may cancel it only while the delay runs.
#[test]
fn an_lp_order_expires_and_cancels_only_while_its_delay_runs() {
	run(|| {
		feed_genesis_prices();
		let eve = eve();
		let deposit = LpOrderKind::Provide(usdc(10_000));
		assert_ok!(CollateralSilos::request_lp_order(signed(&eve), BTC, deposit, FEE));
		assert_noop!(
			CollateralSilos::request_lp_order(signed(&eve), BTC, deposit, FEE),
			SilosError::<Runtime>::LpOrderPending
		);
		assert_ok!(CollateralSilos::cancel_lp_order(signed(&eve), BTC));
		assert_eq!(margin(BTC, &eve).free, usdc(10_000) + FEE);

		assert_ok!(CollateralSilos::request_lp_order(signed(&eve), BTC, deposit, FEE));
		next_fill_price();
		assert_noop!(
			CollateralSilos::cancel_lp_order(signed(&eve), BTC),
			SilosError::<Runtime>::LpOrderCommitted
		);
		let lp_before = books(BTC).lp_liquidity;
		let window = OrderSettings::<Runtime>::get(BTC).window;
		advance((window / BLOCK_MS) as u32 + 2);
		assert_ok!(CollateralSilos::execute_lp_order(signed(&keeper()), BTC, eve.clone()));
		assert_eq!(ended(), Some(LpOrderEnd::Expired));
		assert_eq!(books(BTC).lp_liquidity, lp_before + FEE);
		assert_eq!(margin(BTC, &eve).free, 2 * usdc(10_000) + FEE);
		check_invariants();
	});
}

/// The exit queue was a way around the two steps: until spec 111 `process_exits` (anyone)
/// paid each slice of queued shares at the pool's value when it ran. Eve, whose shares wait in
/// the queue, sees a BTC feed coming that shrinks Bob's loss to the pool, and passes the queue
/// ahead of it: her first slice (her principal, what the line lets her take) would have been
/// paid at the pool's value before the feed. Now a slice is paid only at the first price a
/// delay after she queued (or her last slice was paid), as an LP order is: the pass ahead of
/// the feed pays nothing, and the slice is paid at the value after it.
#[test]
fn a_share_exit_passed_ahead_of_a_feed_is_priced_after_it() {
	run(|| {
		feed_genesis_prices();
		let eve = eve();
		assert_ok!(provide(&eve, BTC, usdc(500_000)));
		a_long_is_open();
		// Bob's long loses 100,000 to the pool at 54,000: Eve's shares hold about a fifth
		// of it beyond her principal.
		feed(&[(b"BTC/USD", 54_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)]);
		next_block();
		// The line holds back all but principal.
		let mut tight = pallet_circuit_breaker::Pallet::<Runtime>::breaker(BTC).thresholds;
		tight.max_net_outflow = sp_runtime::Permill::from_parts(1);
		assert_ok!(bulkhead_runtime::CircuitBreaker::set_thresholds(
			bulkhead_runtime::RuntimeOrigin::root(),
			BTC,
			tight
		));
		let shares = Accounts::<Runtime>::get(BTC, &eve).shares;
		assert_ok!(CollateralSilos::queue_exit(signed(&eve), BTC, ExitRequest::Liquidity(shares)));
		let value_before = views::pool(BTC, 0).unwrap().marked.unwrap().value_for_withdrawals;

		// The pass ahead of the feed: nothing is paid, nothing changes.
		let entry = Exits::<Runtime>::get(BTC, 0);
		let wallet = usdc_of(&eve);
		assert_ok!(CollateralSilos::process_exits(signed(&eve), BTC, 8));
		assert_eq!(Exits::<Runtime>::get(BTC, 0), entry);
		assert_eq!(usdc_of(&eve), wallet);

		// The feed lands (+7.4%: Bob's loss shrinks to about a third) and the market stays
		// there: her slice is paid at the pool's value after it.
		next_block();
		feed(&[(b"BTC/USD", 58_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)]);
		next_fill_price();
		let lp_shares = books(BTC).lp_shares;
		assert_ok!(CollateralSilos::process_exits(signed(&eve), BTC, 8));
		let (amount, burnt) = frame_system::Pallet::<Runtime>::events()
			.into_iter()
			.find_map(|r| match r.event {
				RuntimeEvent::CollateralSilos(SilosEvent::ExitPaid { amount, shares, .. }) => {
					Some((amount, shares))
				},
				_ => None,
			})
			.expect("a slice was paid");
		assert_eq!(usdc_of(&eve), wallet + amount);
		assert!(amount >= usdc(500_000), "her principal: {amount}");
		// The pool value the slice was priced at, against the one she saw.
		let priced = amount * lp_shares / burnt;
		assert!(
			priced + usdc(60_000) < value_before,
			"priced before the feed: {priced} against {value_before}"
		);
		check_invariants();
	});
}
