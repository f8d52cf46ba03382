//! Ending a market: root settles it at one price, anyone settles its positions at that price,
//! and it is delisted when none is left.

use super::*;
use segment_interface::{Balance, MarketStatus, PoolRisk};
use sp_runtime::{DispatchResult, Perquintill};

fn settle_market() -> DispatchResult {
	Segs::settle_market(RuntimeOrigin::root(), BTC)
}

fn settle(settler: AccountId, accounts: &[AccountId]) -> DispatchResult {
	Segs::settle_positions(
		RuntimeOrigin::signed(settler),
		BTC,
		accounts.to_vec().try_into().unwrap(),
	)
}

fn free(who: AccountId) -> Balance {
	TestSilos::margin(0, who).0
}

fn settling_at() -> Price {
	match Markets::<Test>::get(BTC) {
		MarketStatus::Settling { price } => price,
		other => panic!("not settling: {other:?}"),
	}
}

#[test]
fn settling_fixes_one_price_and_stops_everything_new() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 10_000, 1_000);
		open(BOB, Side::Short, 5_000, 1_000);
		TestBreaker::set_reference(BTC, price(110));
		assert_noop!(
			Segs::settle_market(RuntimeOrigin::signed(ALICE), BTC),
			DispatchError::BadOrigin
		);
		assert_noop!(Segs::settle_market(RuntimeOrigin::root(), 9), Error::<Test>::UnknownSegment);
		assert_noop!(settle(KEEPER, &[ALICE]), Error::<Test>::MarketLive);

		assert_ok!(settle_market());
		// Both sides well within what the pool pays: the reference price itself.
		assert_eq!(Markets::<Test>::get(BTC), MarketStatus::Settling { price: price(110) });
		System::assert_last_event(
			Event::MarketSettling { segment: BTC, price: price(110), reference: price(110) }.into(),
		);
		// It follows its oracle no more, and its breaker was told.
		assert!(!SegmentsByOracle::<Test>::get(key("BTC/USD")).contains(&BTC));
		assert!(!PriceRounds::<Test>::contains_key(BTC));
		assert_eq!(TestBreaker::ended(), vec![BTC]);
		Segs::note_price(&key("BTC/USD"), PricePoint { price: price(500), timestamp: START_MS });
		assert!(!TestBreaker::price_notes().contains(&(BTC, price(500))));

		// Nothing new, and no price but the settlement's.
		assert_noop!(settle_market(), Error::<Test>::MarketNotLive);
		let kind = OrderKind::Increase { side: Side::Long, size: 1_000, margin: 200 };
		assert_noop!(
			Segs::request_order(RuntimeOrigin::signed(ALICE), BTC, kind, price(1_000), DEPOSIT),
			Error::<Test>::MarketNotLive
		);
		assert_noop!(
			Segs::request_order(
				RuntimeOrigin::signed(ALICE),
				BTC,
				OrderKind::Close,
				price(0),
				DEPOSIT
			),
			Error::<Test>::MarketNotLive
		);
		assert_noop!(
			Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, 100),
			Error::<Test>::MarketNotLive
		);
		assert_noop!(
			Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 100),
			Error::<Test>::MarketNotLive
		);
		assert_noop!(
			Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, BOB),
			Error::<Test>::MarketNotLive
		);
		assert_noop!(
			Segs::auto_deleverage(RuntimeOrigin::signed(KEEPER), BTC, ALICE),
			Error::<Test>::MarketNotLive
		);
		assert_noop!(
			Segs::set_risk_params(RuntimeOrigin::root(), BTC, risk()),
			Error::<Test>::MarketNotLive
		);
		assert_noop!(
			Segs::set_order_params(
				RuntimeOrigin::root(),
				BTC,
				OrderParams { min_delay: 1, window: 1 }
			),
			Error::<Test>::MarketNotLive
		);
		// The pool is priced again only once every position is settled.
		assert_eq!(<Segs as PoolRisk>::exposure(BTC), Err(Error::<Test>::MarketSettling.into()));
		assert_eq!(<Segs as PoolRisk>::market(BTC), MarketStatus::Settling { price: price(110) });
		// The other market trades on.
		assert_eq!(Markets::<Test>::get(ETH), MarketStatus::Live);
		assert_ok!(open_position(RuntimeOrigin::signed(ALICE), ETH, Side::Long, 1_000, 205));
	});
}

/// The profit `who`'s settlement realized (a claim), from its event.
fn claimed(who: AccountId) -> Balance {
	System::events()
		.into_iter()
		.find_map(|r| match r.event {
			RuntimeEvent::ExecutionSegments(Event::PositionSettled {
				who: w,
				pnl: Pnl::Profit(p),
				..
			}) if w == who => Some(p),
			_ => None,
		})
		.expect("settled in profit")
}

fn payout() -> Perquintill {
	System::events()
		.into_iter()
		.find_map(|r| match r.event {
			RuntimeEvent::ExecutionSegments(Event::MarketDelisted { payout, .. }) => Some(payout),
			_ => None,
		})
		.expect("delisted")
}

#[test]
fn anyone_settles_positions_at_the_price_and_the_last_one_delists_the_market() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 10_000, 1_000);
		open(BOB, Side::Short, 5_000, 1_000);
		let pool = TestSilos::pool(0);
		TestBreaker::set_reference(BTC, price(110));
		// Funding owed up to the settlement, none after it.
		run_to_block(11);
		assert_ok!(settle_market());
		let owed = |who| {
			let p = position(who);
			let info = info(BTC);
			math::funding_owed(p.side, p.size, p.funding_index, info.funding_index).unwrap()
		};
		let (alice_owes, bob_owes) = (owed(ALICE), owed(BOB));
		assert!(alice_owes > 0 && bob_owes < 0, "longs pay shorts on a long-heavy book");
		run_to_block(100);
		assert_eq!(owed(ALICE), alice_owes);

		// A keeper settles Alice: +10% on 10,000, less funding, is her claim; her margin comes
		// back now, and the keeper earns her deposit.
		let (alice, keeper) = (free(ALICE), free(KEEPER));
		assert_ok!(settle(KEEPER, &[ALICE, NOBODY]));
		let profit = 1_000 - alice_owes as Balance;
		assert_eq!(free(ALICE), alice + 1_000);
		assert_eq!(free(KEEPER), keeper + DEPOSIT);
		assert_eq!(Claims::<Test>::get(BTC, ALICE), Some(profit));
		System::assert_last_event(
			Event::PositionSettled {
				segment: BTC,
				who: ALICE,
				settler: KEEPER,
				size: 10_000,
				price: price(110),
				pnl: Pnl::Profit(profit),
				returned: 1_000,
				bad_debt: 0,
			}
			.into(),
		);
		assert!(!Positions::<Test>::contains_key(BTC, ALICE));
		assert_eq!(Markets::<Test>::get(BTC), MarketStatus::Settling { price: price(110) });
		// Nothing left of Alice's to settle until the market is delisted, nor of Nobody's.
		assert_noop!(settle(KEEPER, &[ALICE, NOBODY]), Error::<Test>::NothingToSettle);

		// Bob settles himself and keeps his deposit: -10% on 5,000, less the funding he earned.
		let bob = free(BOB);
		assert_ok!(settle(BOB, &[BOB]));
		let loss = 500 - bob_owes.unsigned_abs();
		assert_eq!(free(BOB), bob + 1_000 - loss + DEPOSIT);
		// Every loss is in: the pool pays Alice's claim in full.
		System::assert_last_event(
			Event::MarketDelisted { segment: BTC, price: price(110), payout: Perquintill::one() }
				.into(),
		);
		assert_eq!(Markets::<Test>::get(BTC), MarketStatus::Delisted { price: price(110) });
		assert_eq!((info(BTC).long_oi, info(BTC).short_oi), (0, 0));
		// Until it is paid, the pool owes it: LPs are priced without it.
		let exposure = <Segs as PoolRisk>::exposure(BTC).unwrap();
		assert_eq!(
			(exposure.long_pnl, exposure.short_pnl, exposure.reserved),
			(profit as i128, 0, 0)
		);
		assert_eq!(exposure.pool_value(TestSilos::pool(0), Permill::one()), pool + loss - profit);

		// Anyone pays it, to Alice.
		assert_ok!(settle(KEEPER, &[ALICE]));
		System::assert_last_event(
			Event::ClaimPaid { segment: BTC, who: ALICE, claim: profit, paid: profit }.into(),
		);
		assert_eq!(free(ALICE), alice + 1_000 + profit);
		assert_eq!(TestSilos::pool(0), pool - profit + loss);
		assert!(!Settlements::<Test>::contains_key(BTC), "nothing owed, nothing kept");
		let exposure = <Segs as PoolRisk>::exposure(BTC).unwrap();
		assert_eq!((exposure.long_pnl, exposure.short_pnl, exposure.reserved), (0, 0, 0));
		assert_noop!(settle(KEEPER, &[ALICE, BOB]), Error::<Test>::NothingToSettle);
		assert_noop!(settle_market(), Error::<Test>::MarketNotLive);
	});
}

#[test]
fn a_market_without_positions_is_delisted_at_once_with_or_without_a_price() {
	new_test_ext(|| {
		// BTC/USD carries as many segments as it may.
		assert_ok!(Segs::create_segment(
			RuntimeOrigin::root(),
			SPARE,
			SPARE,
			key("BTC/USD"),
			risk()
		));
		assert_noop!(
			Segs::create_segment(RuntimeOrigin::root(), 3, 3, key("BTC/USD"), risk()),
			Error::<Test>::TooManySegmentsOnOracle
		);
		// Never priced, nothing held: delisted at zero.
		assert_ok!(settle_market());
		assert_eq!(
			Markets::<Test>::get(BTC),
			MarketStatus::Delisted { price: Price::from_inner(0) }
		);
		assert!(!Settlements::<Test>::contains_key(BTC));
		// Another segment may take its place on the feed.
		assert_ok!(Segs::create_segment(RuntimeOrigin::root(), 3, 3, key("BTC/USD"), risk()));
		assert_eq!(SegmentsByOracle::<Test>::get(key("BTC/USD")).into_inner(), vec![SPARE, 3]);

		// ETH was priced: delisted at its reference.
		TestBreaker::set_reference(ETH, price(9));
		assert_ok!(Segs::settle_market(RuntimeOrigin::root(), ETH));
		assert_eq!(Markets::<Test>::get(ETH), MarketStatus::Delisted { price: price(9) });
		System::assert_last_event(
			Event::MarketDelisted { segment: ETH, price: price(9), payout: Perquintill::one() }
				.into(),
		);
		// The last segment off a feed takes its entry with it: the feed is traded no more, and
		// a price on it reaches no segment.
		assert!(!SegmentsByOracle::<Test>::contains_key(key("ETH/USD")));
		assert!(!Segs::trades(&key("ETH/USD")));
		assert!(!Segs::note_price(&key("ETH/USD"), PricePoint { price: price(9), timestamp: 1 }));
		assert!(PriceRounds::<Test>::get(ETH).rounds.is_empty());
	});
}

#[test]
fn a_market_settles_from_a_price_the_breaker_accepted() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 10_000, 1_000);
		TestBreaker::clear_reference(BTC);
		assert_noop!(settle_market(), Error::<Test>::NoReferencePrice);
		TestBreaker::set_reference(BTC, price(120));
		// The breaker rejected the latest price, whose pull the reference carries: the market
		// settles at the last price it accepted.
		TestBreaker::reject(BTC, Some(price(100)));
		assert_ok!(settle_market());
		System::assert_last_event(
			Event::MarketSettling { segment: BTC, price: price(100), reference: price(100) }.into(),
		);
	});
}

#[test]
fn pending_orders_end_with_everything_escrowed_back() {
	new_test_ext(|| {
		open(BOB, Side::Short, 5_000, 1_000);
		let (alice, bob) = (free(ALICE), free(BOB));
		let kind = OrderKind::Increase { side: Side::Long, size: 1_000, margin: 200 };
		assert_ok!(Segs::request_order(RuntimeOrigin::signed(ALICE), BTC, kind, price(1_000), 7));
		assert_ok!(Segs::request_order(
			RuntimeOrigin::signed(BOB),
			BTC,
			OrderKind::Close,
			price(1_000),
			7
		));
		// Past their delay: committed, until the market ends.
		TestTime::advance_ms(10);
		assert_noop!(
			Segs::cancel_order(RuntimeOrigin::signed(BOB), BTC),
			Error::<Test>::OrderCommitted
		);
		TestBreaker::set_reference(BTC, price(100));
		assert_ok!(settle_market());

		// Executing Alice's order ends it: nothing fills, the keeper earns nothing.
		let keeper = free(KEEPER);
		assert_ok!(Segs::execute_order(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
		System::assert_last_event(
			Event::OrderEnded {
				segment: BTC,
				who: ALICE,
				executor: Some(KEEPER),
				reason: OrderEnd::MarketEnded,
			}
			.into(),
		);
		assert_eq!(free(ALICE), alice);
		assert_eq!(free(KEEPER), keeper);
		assert_eq!(OrderCount::<Test>::get(BTC), 0);

		// Bob may cancel his now.
		assert_ok!(Segs::cancel_order(RuntimeOrigin::signed(BOB), BTC));
		assert_eq!(free(BOB), bob);
	});
}

#[test]
fn settling_a_position_ends_its_order_too() {
	new_test_ext(|| {
		open(BOB, Side::Short, 5_000, 1_000);
		let bob = free(BOB);
		assert_ok!(Segs::request_order(
			RuntimeOrigin::signed(BOB),
			BTC,
			OrderKind::Close,
			price(1_000),
			7
		));
		TestBreaker::set_reference(BTC, price(100));
		assert_ok!(settle_market());
		assert_ok!(settle(KEEPER, &[BOB]));
		assert!(!Orders::<Test>::contains_key(BTC, BOB));
		// His margin back, his order's fee back; his deposit to the keeper who settled him.
		assert_eq!(free(BOB), bob + 1_000);
		assert_eq!(Markets::<Test>::get(BTC), MarketStatus::Delisted { price: price(100) });
	});
}

#[test]
fn one_account_that_cannot_be_settled_does_not_hold_up_the_batch() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 10_000, 1_000);
		open(BOB, Side::Short, 5_000, 1_000);
		TestBreaker::set_reference(BTC, price(100));
		assert_ok!(settle_market());
		// Alice's locked margin is gone from the silo's books (a broken invariant): her
		// settlement fails inside its own layer, Bob's goes through.
		TestSilos::set_margin(0, ALICE, (0, 0));
		assert_ok!(settle(KEEPER, &[ALICE, BOB]));
		assert!(Positions::<Test>::contains_key(BTC, ALICE));
		assert!(!Positions::<Test>::contains_key(BTC, BOB));
		// (A `DispatchError::Other`'s text is not kept in storage.)
		System::assert_has_event(
			Event::SettlementFailed { segment: BTC, who: ALICE, error: DispatchError::Other("") }
				.into(),
		);
		assert_eq!(Markets::<Test>::get(BTC), MarketStatus::Settling { price: price(100) });
		// A batch of nothing but failures fails with the first one's error.
		assert_noop!(settle(KEEPER, &[ALICE]), DispatchError::Other("InsufficientLockedMargin"));
		// Put right, she settles, and the market is delisted.
		TestSilos::set_margin(0, ALICE, (0, 1_000 + DEPOSIT));
		assert_ok!(settle(KEEPER, &[ALICE]));
		assert_eq!(Markets::<Test>::get(BTC), MarketStatus::Delisted { price: price(100) });
	});
}

/// Longs up 300% on a pool of 1,000,000 whose max PnL factor is 90%: at the reference the pool
/// could pay them 900,000 of 1,200,000. The market settles where their profit is 900,000, and
/// they are paid all of it.
#[test]
fn the_settlement_price_is_bounded_so_the_pool_pays_every_winner_in_full() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 200_000, 20_000);
		open(BOB, Side::Long, 200_000, 20_000);
		TestBreaker::set_reference(BTC, price(400));
		assert_ok!(settle_market());
		let settled = settling_at();
		// 4,000 units worth 1,300,000 at 325: the highest price at which their profit is within
		// the limit (a unit more of value is 1/4,000 of a dollar further).
		assert!(settled >= price(325) && settled < Price::from_rational(325_001, 1_000));
		System::assert_last_event(
			Event::MarketSettling { segment: BTC, price: settled, reference: price(400) }.into(),
		);
		assert_eq!(Segs::exposure_at(&info(BTC), settled).unwrap().long_pnl, 900_000);

		let pool = TestSilos::pool(0);
		assert_ok!(settle(KEEPER, &[BOB, ALICE]));
		assert_eq!(payout(), Perquintill::one());
		let mut paid = 0;
		for who in [ALICE, BOB] {
			let claim = claimed(who);
			assert!((449_990..=450_010).contains(&claim), "{claim}");
			let before = free(who);
			assert_ok!(settle(who, &[who]));
			assert_eq!(free(who), before + claim);
			paid += claim;
		}
		assert!(paid <= 900_000);
		assert_eq!(TestSilos::pool(0), pool - paid);
	});
}

/// The same from the other side: shorts far in profit move the price up.
#[test]
fn shorts_in_profit_beyond_the_limit_move_the_settlement_price_up() {
	new_test_ext(|| {
		open(ALICE, Side::Short, 400_000, 40_000);
		// LPs left since: 300,000, of which 270,000 pays out.
		TestSilos::set_pool(0, 300_000);
		TestBreaker::set_reference(BTC, price(1));
		assert_ok!(settle_market());
		let settled = settling_at();
		// The lowest price at which their profit is within 270,000: 400,000 - 4,000 * p, at
		// 32.5.
		assert!(settled > price(32) && settled <= Price::from_rational(32_501, 1_000));
		let exposure = Segs::exposure_at(&info(BTC), settled).unwrap();
		assert!(exposure.short_pnl <= 270_000 && exposure.short_pnl > 269_990);
		let alice = free(ALICE);
		assert_ok!(settle(KEEPER, &[ALICE]));
		assert_eq!(payout(), Perquintill::one());
		assert_ok!(settle(KEEPER, &[ALICE]));
		assert_eq!(free(ALICE), alice + 40_000 + claimed(ALICE));
		assert!(claimed(ALICE) > 269_990);
	});
}

/// Winners on both sides and no price that pays both in full: the market settles at the
/// reference, and every winner is paid the same share of their claim, what the pool holds above
/// its floor.
#[test]
fn with_both_sides_far_in_profit_every_winner_is_paid_the_same_share() {
	new_test_ext(|| {
		// Shorts entered at 1,000 and longs at 100; LPs left since: 50,000, 45,000 paying out.
		TestPrices::set("BTC/USD", price(1_000));
		open(BOB, Side::Short, 100_000, 10_000);
		TestPrices::set("BTC/USD", price(100));
		open(ALICE, Side::Long, 100_000, 10_000);
		TestSilos::set_pool(0, 50_000);
		TestBreaker::set_reference(BTC, price(500));
		assert_ok!(settle_market());
		// Longs within 45,000 below 145, shorts above 550: no price does both.
		assert_eq!(settling_at(), price(500));
		assert_ok!(settle(KEEPER, &[ALICE, BOB]));
		// Claims of 400,000 and 50,000; 45,000 to pay: a tenth of each.
		assert_eq!((claimed(ALICE), claimed(BOB)), (400_000, 50_000));
		assert_eq!(payout(), Perquintill::from_percent(10));
		assert_ok!(settle(KEEPER, &[BOB, ALICE]));
		assert_eq!(TestSilos::pool(0), 5_000);
	});
}

/// A winner and a loser on the same side, settled in either order: the winner is paid the same,
/// and all of it. (Paid at settlement, the first to settle set what the winner got: capped at
/// the pool's limit, 900,000, before the loss came in; in full after it.)
#[test]
fn who_settles_first_does_not_change_what_a_winner_is_paid() {
	let run = |order: [AccountId; 2]| {
		let mut paid = 0;
		new_test_ext(|| {
			let mut wide = risk();
			(wide.max_open_interest, wide.max_oi_share) = (1_000_000, Permill::one());
			assert_ok!(Segs::set_risk_params(RuntimeOrigin::root(), BTC, wide));
			// Bob long 300,000 at 400, Alice long 480,000 at 100; at the reference, 300, Alice
			// is 960,000 up and Bob 75,000 down: the side's net, 885,000, is within the pool's
			// limit of 900,000, Alice's own profit beyond it.
			TestPrices::set("BTC/USD", price(400));
			open(BOB, Side::Long, 300_000, 90_000);
			TestPrices::set("BTC/USD", price(100));
			open(ALICE, Side::Long, 480_000, 48_000);
			TestBreaker::set_reference(BTC, price(300));
			assert_ok!(settle_market());
			assert_eq!(settling_at(), price(300));
			for who in order {
				assert_ok!(settle(KEEPER, &[who]));
			}
			assert_eq!(claimed(ALICE), 960_000);
			assert_eq!(payout(), Perquintill::one());
			let alice = free(ALICE);
			assert_ok!(settle(KEEPER, &[ALICE]));
			paid = free(ALICE) - alice;
		});
		paid
	};
	assert_eq!(run([ALICE, BOB]), 960_000);
	assert_eq!(run([BOB, ALICE]), 960_000);
}
