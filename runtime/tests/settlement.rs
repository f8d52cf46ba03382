//! Ending a market on the development genesis (BTC at 60,000, 2,000,000 USDC of Alice's LP
//! liquidity in each silo): root settles BTC at the breaker's reference price, bounded so that
//! the pool pays every winner in full; a keeper settles every position at that one price; the
//! market is delisted, and its silo pays its LP out at the pool's value and takes nothing new.
//! ETH's and DOT's silos do not change by a unit.

// Test code: helpers outside `#[test]` functions fail loudly too (see clippy.toml).
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::common;

use bulkhead_runtime::{
	AccountId, CircuitBreaker, CollateralSilos, ExecutionSegments, Runtime, RuntimeEvent,
};
use common::*;
use frame_support::{assert_noop, assert_ok, BoundedVec};
use pallet_collateral_silos::{Accounts, Error as SilosError};
use pallet_execution_segments::{
	math, Error as SegmentsError, Event as SegmentsEvent, Markets, OrderKind, Positions, Side,
};
use segment_interface::{Balance, MarketStatus, Pnl, Price, SegmentHealth};
use sp_runtime::{Permill, Perquintill};

/// What a silo holds and owes, to the unit: its account's USDC, its books and every account's
/// entry in it.
fn silo_state(silo: u32) -> (Balance, String, Vec<String>) {
	let mut accounts: Vec<String> = Accounts::<Runtime>::iter_prefix(silo)
		.map(|(who, account)| format!("{who:?} {account:?}"))
		.collect();
	accounts.sort();
	(usdc_of(&silo_account(silo)), format!("{:?}", books(silo)), accounts)
}

/// What `who`'s position realizes in full at `price`: its price PnL on its size from its entry
/// (impact included), less the funding and borrowing it owes to the segment's indices.
fn full_pnl(who: &AccountId, price: Price) -> i128 {
	let p = Positions::<Runtime>::get(BTC, who).unwrap();
	let info = pallet_execution_segments::Segments::<Runtime>::get(BTC).unwrap();
	let book = match p.side {
		Side::Long => info.longs,
		Side::Short => info.shorts,
	};
	let funding = math::funding_owed(p.side, p.size, p.funding_index, info.funding_index).unwrap();
	let borrowing = math::funding_owed(Side::Long, p.size, p.borrow_index, book.borrow_index)
		.unwrap()
		.max(0);
	math::price_pnl(p.side, p.size, p.entry_price, price).unwrap() - funding - borrowing
}

fn settled(who: &AccountId) -> Pnl {
	frame_system::Pallet::<Runtime>::events()
		.into_iter()
		.find_map(|r| match r.event {
			RuntimeEvent::ExecutionSegments(SegmentsEvent::PositionSettled {
				who: w, pnl, ..
			}) if w == *who => Some(pnl),
			_ => None,
		})
		.expect("settled")
}

#[test]
fn a_market_settles_at_a_bounded_price_pays_everyone_and_leaves_other_silos_unchanged() {
	run(|| {
		feed_genesis_prices();
		// A pool that pays out at most 5% of its liquidity per side (100,000 USDC), so that a
		// 20% rise puts the longs beyond it.
		let mut risk = pallet_execution_segments::Segments::<Runtime>::get(BTC).unwrap().risk;
		risk.pool.max_pnl_factor = Permill::from_percent(5);
		risk.pool.max_pnl_factor_withdrawals = Permill::from_percent(5);
		risk.pool.adl_trigger = Permill::from_percent(5);
		risk.pool.adl_floor = Permill::from_percent(4);
		assert_ok!(ExecutionSegments::set_risk_params(
			bulkhead_runtime::RuntimeOrigin::root(),
			BTC,
			risk
		));
		let (dave, eve, ferdie) = (dave(), eve(), ferdie());
		for (who, side, size) in [
			(&dave, Side::Long, 600_000),
			(&eve, Side::Long, 400_000),
			(&ferdie, Side::Short, 300_000),
		] {
			assert_ok!(CollateralSilos::deposit_margin(signed(who), BTC, usdc(size / 4)));
			assert_ok!(open(who, BTC, side, usdc(size), usdc(size / 5)));
		}
		walk(b"BTC/USD", 60_000, 72_000);
		// The price holds a while: the reference comes most of the way to it.
		advance(bulkhead_runtime::configs::DefaultThresholds::get().reference_window);
		feed(&[(b"BTC/USD", 72_000), (b"ETH/USD", 3_000), (b"DOT/USD", 5)]);
		let others = [silo_state(ETH), silo_state(DOT)];
		let supply = usdc_supply();

		let reference = CircuitBreaker::reference_price(BTC).unwrap();
		assert!(reference > Price::from_u32(70_000), "the reference followed the walk");
		let limit = risk.pool.max_pnl_factor.mul_floor(books(BTC).lp_liquidity) as i128;
		assert_noop!(
			ExecutionSegments::settle_market(signed(&alice()), BTC),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(ExecutionSegments::settle_market(bulkhead_runtime::RuntimeOrigin::root(), BTC));
		let MarketStatus::Settling { price } = Markets::<Runtime>::get(BTC) else {
			panic!("settling")
		};
		// Not the reference, at which the longs would hold more than the pool pays out: the
		// highest price at which they hold exactly that.
		assert!(price < reference && price > Price::from_u32(64_000));
		assert!(has_event(SegmentsEvent::MarketSettling { segment: BTC, price, reference }));
		let info = pallet_execution_segments::Segments::<Runtime>::get(BTC).unwrap();
		let exposure = ExecutionSegments::exposure_at(&info, price).unwrap();
		assert!(exposure.long_pnl <= limit && exposure.long_pnl > limit - 10);
		// The breaker no longer waits for BTC's oracle.
		assert_eq!(CircuitBreaker::breaker(BTC).thresholds.stale_after, None);

		// Nothing new, and no LP leaves or joins before every position is settled.
		let kind =
			OrderKind::Increase { side: Side::Long, size: usdc(10_000), margin: usdc(2_000) };
		assert_noop!(
			ExecutionSegments::request_order(signed(&dave), BTC, kind, Price::from_u32(1), usdc(5)),
			SegmentsError::<Runtime>::MarketNotLive
		);
		assert_noop!(provide(&charlie(), BTC, usdc(1_000)), SilosError::<Runtime>::MarketEnded);
		let shares = Accounts::<Runtime>::get(BTC, alice()).shares;
		assert_noop!(redeem(&alice(), BTC, shares), SilosError::<Runtime>::MarketSettling);

		// A keeper settles all three at that one price: losses paid at once, profits kept as
		// claims; with the last position the market is delisted and pays every claim in full.
		let expected: Vec<i128> = [&dave, &eve, &ferdie].map(|who| full_pnl(who, price)).into();
		let lp_before = books(BTC).lp_liquidity;
		let accounts = BoundedVec::truncate_from(vec![dave.clone(), eve.clone(), ferdie.clone()]);
		assert_ok!(ExecutionSegments::settle_positions(signed(&keeper()), BTC, accounts));
		let mut net: i128 = 0;
		for (who, expected) in [&dave, &eve, &ferdie].into_iter().zip(expected.iter()) {
			let pnl = match settled(who) {
				Pnl::Profit(p) => p as i128,
				Pnl::Loss(l) => -(l as i128),
			};
			assert_eq!(pnl, *expected);
			net += pnl;
		}
		assert_eq!(Markets::<Runtime>::get(BTC), MarketStatus::Delisted { price });
		assert!(has_event(SegmentsEvent::MarketDelisted {
			segment: BTC,
			price,
			payout: Perquintill::one()
		}));
		// Winners took no more than the pool pays out.
		assert!(net > 0 && net <= limit);
		let winners: Vec<AccountId> = [&dave, &eve, &ferdie]
			.into_iter()
			.zip(expected.iter())
			.filter(|(_, pnl)| **pnl > 0)
			.map(|(who, _)| who.clone())
			.collect();
		assert_eq!(winners, vec![dave.clone(), eve.clone()], "the longs won");
		let claims: Balance = expected.iter().filter(|p| **p > 0).map(|p| *p as Balance).sum();
		let before: Vec<Balance> = winners.iter().map(|who| margin(BTC, who).free).collect();
		let accounts = BoundedVec::truncate_from(winners.clone());
		assert_ok!(ExecutionSegments::settle_positions(signed(&keeper()), BTC, accounts));
		for ((who, before), claim) in winners.iter().zip(before).zip(expected.iter()) {
			assert_eq!(margin(BTC, who).free, before + *claim as Balance, "paid in full");
		}
		assert_eq!(books(BTC).lp_liquidity as i128, lp_before as i128 - net);
		assert!(claims as i128 > net, "the short's loss paid part of them");

		// Delisted: nothing comes in; the LP leaves at the pool's value, its liquidity, and the
		// traders take their margin. No quiet oracle severs it.
		advance(100);
		assert!(CircuitBreaker::status(BTC).allows_new_risk());
		assert_noop!(
			CollateralSilos::deposit_margin(signed(&charlie()), BTC, usdc(1_000)),
			SilosError::<Runtime>::MarketEnded
		);
		let (lp_liquidity, lp_shares) = (books(BTC).lp_liquidity, books(BTC).lp_shares);
		assert_eq!(shares, lp_shares, "Alice is the one LP");
		let alice_usdc = usdc_of(&alice());
		assert_ok!(redeem(&alice(), BTC, shares));
		assert_eq!(usdc_of(&alice()), alice_usdc + lp_liquidity);
		for who in [&dave, &eve, &ferdie] {
			let free = margin(BTC, who).free;
			let principal = Accounts::<Runtime>::get(BTC, who).flow.principal;
			assert_ok!(CollateralSilos::withdraw_margin(signed(who), BTC, free.min(principal)));
		}

		// Nothing moved anywhere else, and no USDC was made or destroyed.
		assert_eq!([silo_state(ETH), silo_state(DOT)], others);
		assert_eq!(usdc_supply(), supply);
	});
}
