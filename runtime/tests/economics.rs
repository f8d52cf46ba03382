//! The attacks an audit of the launched runtime drained LP pools with, none of them a bug, run
//! again on the development genesis (2,000,000 USDC of LP liquidity and 100,000 of insurance
//! per silo, BTC at 60,000, DOT at 5): each now fails to pay. `docs/economics.md` has the
//! figures before and after.

// Test code: helpers outside `#[test]` functions fail loudly too (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::common;

use bulkhead_runtime::{
	genesis_config_presets::KEEPER_DEPOSIT, views, CollateralSilos, ExecutionSegments, Runtime,
	RuntimeEvent,
};
use common::*;
use frame_support::{assert_noop, assert_ok};
use pallet_collateral_silos::Error as SilosError;
use pallet_execution_segments::{Event as SegmentsEvent, Side};
use segment_interface::{Balance, Pnl, SegmentId};

/// Everything `who` holds in USDC: their wallet and their margin in every silo.
fn wealth(who: &bulkhead_runtime::AccountId) -> Balance {
	usdc_of(who)
		+ [BTC, ETH, DOT]
			.iter()
			.map(|s| margin(*s, who).total().unwrap())
			.sum::<Balance>()
}

/// The pool's value (liquidity less pending trader PnL) per share, as 10^-12 USDC per share.
fn share_value(silo: SegmentId) -> i128 {
	let pool = views::pool(silo, 0).unwrap();
	let marked = pool.marked.unwrap();
	let value = pool.lp_liquidity as i128 - marked.long_pnl - marked.short_pnl;
	value * 1_000_000_000_000 / pool.lp_shares as i128
}

fn deposit_and_open(
	who: &bulkhead_runtime::AccountId,
	segment: SegmentId,
	side: Side,
	size: u128,
	margin: u128,
) {
	assert_ok!(CollateralSilos::deposit_margin(signed(who), segment, usdc(margin)));
	assert_ok!(open(who, segment, side, usdc(size), usdc(margin)));
}

/// The profit or loss the last close in this block realized for `who`.
fn closed_pnl(who: &bulkhead_runtime::AccountId) -> Pnl {
	frame_system::Pallet::<Runtime>::events()
		.into_iter()
		.rev()
		.find_map(|record| match record.event {
			RuntimeEvent::ExecutionSegments(SegmentsEvent::PositionClosed {
				who: closer,
				pnl,
				..
			}) if closer == *who => Some(pnl),
			_ => None,
		})
		.expect("a close")
}

/// Withdraw all of `who`'s free margin in `silo`.
fn withdraw_all(who: &bulkhead_runtime::AccountId, silo: SegmentId) {
	let free = margin(silo, who).free;
	if free > 0 {
		assert_ok!(CollateralSilos::withdraw_margin(signed(who), silo, free));
	}
}

/// A hedged pair (Bob 1M long, Charlie 1M short) and a just-in-time LP deposit (Dave, 900k)
/// around a 5% move, all one attacker. On the launch runtime the deposit was priced without the
/// pair's pending PnL, shared the short's realized loss and left before the long's profit was
/// paid: +15,517 USDC taken from the resident LP at no market risk. Priced at the pool's marked
/// value, the deposit buys exactly its share of what the pool is worth; the attacker pays the
/// fees and the price impact of four trades.
#[test]
fn a_hedged_pair_and_a_just_in_time_lp_deposit_lose_money() {
	run(|| {
		feed_genesis_prices();
		let attacker = [bob(), charlie(), dave()];
		let before: Balance = attacker.iter().map(wealth).sum();
		let resident = share_value(BTC);

		deposit_and_open(&bob(), BTC, Side::Long, 1_000_000, 200_000);
		deposit_and_open(&charlie(), BTC, Side::Short, 1_000_000, 200_000);
		feed(&[(b"BTC/USD", 63_000)]);
		assert_ok!(provide(&dave(), BTC, usdc(900_000)));
		// The losing leg closes into the pool, the LP leaves, then the winning leg closes.
		assert_ok!(close(&charlie(), BTC));
		let shares = pallet_collateral_silos::Accounts::<Runtime>::get(BTC, dave()).shares;
		assert_ok!(redeem(&dave(), BTC, shares));
		assert_ok!(close(&bob(), BTC));
		for who in &attacker {
			withdraw_all(who, BTC);
		}

		let after: Balance = attacker.iter().map(wealth).sum();
		let gained = after as i128 - before as i128;
		println!("hedged pair + JIT LP: attacker {gained} (10^-6 USDC)");
		assert!(gained < 0, "the attack paid {gained}");
		assert!(share_value(BTC) > resident, "the resident LP lost");
	});
}

/// On the launch runtime an LP could withdraw everything while traders held open profits, and
/// the pool could not pay them. The liquidity that backs open interest is reserved now.
#[test]
fn lps_cannot_leave_with_the_liquidity_that_backs_open_profits() {
	run(|| {
		feed_genesis_prices();
		deposit_and_open(&bob(), BTC, Side::Long, 500_000, 100_000);
		feed(&[(b"BTC/USD", 66_000)]);
		let all = pallet_collateral_silos::Accounts::<Runtime>::get(BTC, alice()).shares;
		assert_noop!(redeem(&alice(), BTC, all), SilosError::<Runtime>::ReserveExceeded);
		// Half may go: what is left covers the reserve.
		assert_ok!(redeem(&alice(), BTC, all / 2));
		let pending = views::position(BTC, &bob()).unwrap().unrealized_pnl;
		assert_ok!(close(&bob(), BTC));
		// Bob is paid his whole profit: its price part, less the closing fee.
		let Pnl::Profit(paid) = closed_pnl(&bob()) else { panic!("Bob closes in profit") };
		assert!(paid as i128 >= pending - usdc(300) as i128, "paid {paid} of {pending}");
	});
}

/// Traders' pending losses raise what the pool is worth, but they are not in the silo until
/// the positions close. When they counted towards the reserve, an LP could withdraw every unit
/// of liquidity after a 60% fall while a long stayed open: shares and positions left on an
/// empty pool, winners paid nothing if the price came back, nobody able to deposit. Only the
/// liquidity the silo holds backs the reserve now.
#[test]
fn lps_cannot_empty_the_pool_against_losses_traders_have_not_paid() {
	run(|| {
		feed_genesis_prices();
		deposit_and_open(&bob(), BTC, Side::Long, 800_000, 800_000);
		// 60% down, slowly enough for the price breaker to accept every step.
		walk(b"BTC/USD", 60_000, 24_000);
		let pool = views::pool(BTC, 0).unwrap();
		let marked = pool.marked.unwrap();
		assert!(marked.long_pnl < -(usdc(470_000) as i128), "the long is 480,000 down");
		// The shares that would take 99% of the liquidity at the pool's marked value (all of
		// it would be refused as more than the silo holds of the pool: the blocks the LP
		// order waits add borrowing to what the long owes).
		let emptying = pool.lp_liquidity * 99 / 100 * pool.lp_shares / marked.value_for_withdrawals;
		assert_noop!(redeem(&alice(), BTC, emptying), SilosError::<Runtime>::ReserveExceeded);
		// What may go leaves the reserve covered by liquidity the silo holds.
		let backing = marked.reserved * 10 / 9 + usdc(1);
		let allowed = (pool.lp_liquidity - backing) * pool.lp_shares / marked.value_for_withdrawals;
		assert_ok!(redeem(&alice(), BTC, allowed));
		assert!(books(BTC).lp_liquidity >= marked.reserved * 10 / 9);
	});
}

/// Two equal longs whose profit is more than the pool holds: on the launch runtime the first
/// closer was paid in full and the second got what was left. Now a side's payout is capped
/// below the pool and shared pro rata, and the pool keeps liquidity: a new LP can come in.
#[test]
fn the_first_closer_does_not_take_the_pool_and_the_pool_is_never_bricked() {
	run(|| {
		feed_genesis_prices();
		deposit_and_open(&bob(), BTC, Side::Long, 500_000, 100_000);
		deposit_and_open(&charlie(), BTC, Side::Long, 500_000, 100_000);
		// The price triples, slowly enough for the price breaker to accept every step (a gap
		// would trip it, and pay no profit at the price it rejected).
		walk(b"BTC/USD", 60_000, 180_000);
		assert_ok!(close(&bob(), BTC));
		let Pnl::Profit(first) = closed_pnl(&bob()) else { panic!("in profit") };
		assert_ok!(close(&charlie(), BTC));
		let Pnl::Profit(second) = closed_pnl(&charlie()) else { panic!("in profit") };
		println!("first closer {first}, second {second}, pool left {}", books(BTC).lp_liquidity);
		assert!(first.abs_diff(second) * 10 < first, "{first} against {second}");
		// At most 90% of the pool left with each close: its liquidity never reaches zero.
		assert!(books(BTC).lp_liquidity > usdc(100_000));
		// Not bricked: a new LP deposits at the pool's value once the breaker allows it.
		assert_ok!(provide(&eve(), BTC, usdc(10_000)));
		assert!(pallet_collateral_silos::Accounts::<Runtime>::get(BTC, eve()).shares > 0);
	});
}

/// On the launch runtime the liquidator of an underwater position earned nothing, so nobody
/// liquidated the positions that mattered most. Every position locks a keeper deposit now.
#[test]
fn the_keeper_of_an_underwater_position_is_paid() {
	run(|| {
		feed_genesis_prices();
		deposit_and_open(&charlie(), DOT, Side::Short, 9_000, 1_000);
		// DOT +20% in one gap: the 9x short has lost more than its margin. The breaker trips
		// on the gap and rejects the price, and liquidations go by the last accepted one, at
		// which the short is healthy. Seven minutes later the reference (an average over ten
		// minutes) has come within 10% of 6, the price still holds, and the breaker accepts it.
		feed(&[(b"DOT/USD", 6)]);
		assert_noop!(
			ExecutionSegments::liquidate(signed(&eve()), DOT, charlie()),
			pallet_execution_segments::Error::<Runtime>::NotLiquidatable
		);
		advance(70);
		feed(&[(b"DOT/USD", 6)]);
		assert!(!views::segment_health(DOT).unwrap().price_rejected);
		let keeper_before = margin(DOT, &eve()).free;
		assert_ok!(ExecutionSegments::liquidate(signed(&eve()), DOT, charlie()));
		let earned = margin(DOT, &eve()).free - keeper_before;
		assert_eq!(earned, KEEPER_DEPOSIT);
		assert!(frame_system::Pallet::<Runtime>::events().iter().any(|record| matches!(
			record.event,
			RuntimeEvent::ExecutionSegments(SegmentsEvent::PositionLiquidated { bad_debt, .. })
				if bad_debt > 0
		)));
	});
}

/// Auto-deleveraging on the real runtime: once the traders' profit passes 85% of the pool, a
/// keeper closes the head of the queue down to 77%, inside BTC's silo alone.
#[test]
fn auto_deleveraging_brings_the_pool_back_below_its_trigger() {
	run(|| {
		feed_genesis_prices();
		deposit_and_open(&bob(), BTC, Side::Long, 500_000, 100_000);
		let eth_before = pallet_collateral_silos::Silos::<Runtime>::get(ETH);
		walk(b"BTC/USD", 60_000, 300_000);
		let pool = views::pool(BTC, 5).unwrap();
		let ratio = pool.marked.unwrap().pnl_to_pool.unwrap();
		assert!(ratio > sp_runtime::FixedI128::from_rational(85, 100), "ratio {ratio:?}");
		assert_eq!(pool.adl_queue[0].who, bob());
		assert_ok!(ExecutionSegments::auto_deleverage(signed(&eve()), BTC, bob()));
		let ratio = views::pool(BTC, 0).unwrap().marked.unwrap().pnl_to_pool.unwrap();
		assert!(ratio <= sp_runtime::FixedI128::from_rational(77, 100), "ratio {ratio:?}");
		assert_eq!(pallet_collateral_silos::Silos::<Runtime>::get(ETH), eth_before);
	});
}
