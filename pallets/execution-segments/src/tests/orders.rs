//! Two-step orders: a trade is requested, and fills later at the first price the oracle
//! published after the request and the segment's delay, whoever executes it and whenever.

use super::*;
use segment_interface::{Balance, Moment, OrderPricing, PoolRisk, PriceFeed};
use sp_runtime::DispatchResult;

const FEE: Balance = DEPOSIT;
const ANY_BUY: Price = Price::from_inner(u128::MAX);
const ANY_SELL: Price = Price::from_inner(0);

fn increase(side: Side, size: Balance, margin: Balance) -> OrderKind {
	OrderKind::Increase { side, size, margin }
}

fn request(who: AccountId, kind: OrderKind, acceptable: Price) -> DispatchResult {
	Segs::request_order(RuntimeOrigin::signed(who), BTC, kind, acceptable, FEE)
}

fn execute(keeper: AccountId, who: AccountId) -> DispatchResult {
	Segs::execute_order(RuntimeOrigin::signed(keeper), BTC, who)
}

/// The oracle publishes `p` for BTC `ms` milliseconds from now, the segments note it, and its
/// block ends (a millisecond passes).
fn publish_after(ms: Moment, p: u32) {
	note_after(ms, p);
	TestTime::advance_ms(1);
}

/// The same, without ending the block.
fn note_after(ms: Moment, p: u32) {
	TestTime::advance_ms(ms);
	TestPrices::set("BTC/USD", price(p));
	Segs::note_price(&key("BTC/USD"), TestPrices::price(&key("BTC/USD")).unwrap());
}

fn publish(p: u32) {
	publish_after(1, p);
}

fn free(who: AccountId) -> Balance {
	TestSilos::margin(0, who).0
}

fn locked(who: AccountId) -> Balance {
	TestSilos::margin(0, who).1
}

fn ended(reason: OrderEnd, executor: Option<AccountId>) -> RuntimeEvent {
	Event::OrderEnded { segment: BTC, who: ALICE, executor, reason }.into()
}

#[test]
fn a_request_escrows_its_margin_and_fee_and_fills_at_the_next_price_not_the_one_it_saw() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		let order = Orders::<Test>::get(BTC, ALICE).expect("pending");
		assert_eq!(order.requested_at, START_MS);
		assert_eq!((free(ALICE), locked(ALICE)), (FREE_MARGIN - 105 - FEE, 105 + FEE));
		assert_eq!(OrderCount::<Test>::get(BTC), 1);
		System::assert_last_event(Event::OrderRequested { segment: BTC, who: ALICE, order }.into());

		// The price the order saw when it was requested does not fill it.
		assert_noop!(execute(KEEPER, ALICE), Error::<Test>::OrderNotReady);
		// Nor does one published in the same millisecond.
		publish_after(0, 100);
		assert_noop!(execute(KEEPER, ALICE), Error::<Test>::OrderNotReady);

		publish(110);
		assert_ok!(execute(KEEPER, ALICE));
		let p = position(ALICE);
		assert_eq!((p.size, p.oracle_entry, p.margin), (1_000, price(110), 100));
		System::assert_has_event(
			Event::OrderExecuted {
				segment: BTC,
				who: ALICE,
				executor: KEEPER,
				price: price(110),
				published: START_MS + 2,
			}
			.into(),
		);
		// The keeper earned the fee; the trader's margin stands behind the position.
		assert_eq!(TestSilos::margin(0, KEEPER), (FEE, 0));
		assert_eq!(free(ALICE), FREE_MARGIN - 105 - FEE);
		assert!(Orders::<Test>::get(BTC, ALICE).is_none());
		assert_eq!(OrderCount::<Test>::get(BTC), 0);
	});
}

#[test]
fn an_order_fills_at_the_first_price_after_its_delay_whenever_it_is_executed() {
	new_test_ext(|| {
		let params = OrderParams { min_delay: 10_000, window: 60_000 };
		assert_ok!(Segs::set_order_params(RuntimeOrigin::root(), BTC, params));
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		// Inside the delay: a price that may have waited in the pool when the order came.
		publish_after(9_999, 90);
		assert_noop!(execute(KEEPER, ALICE), Error::<Test>::OrderNotReady);
		publish(120);
		// Later prices do not change which fills it.
		publish(80);
		publish(130);
		assert_ok!(execute(KEEPER, ALICE));
		assert_eq!(position(ALICE).oracle_entry, price(120));
	});
}

#[test]
fn a_decrease_and_a_close_fill_as_orders_too() {
	new_test_ext(|| {
		open(ALICE, Side::Short, 1_000, 100);
		assert_ok!(request(ALICE, OrderKind::Decrease { size: 400 }, ANY_BUY));
		publish(90);
		assert_ok!(execute(BOB, ALICE));
		assert_eq!(position(ALICE).size, 600);
		// A short's profit at 90 on the 400 closed: 40.
		System::assert_has_event(
			Event::PositionDecreased {
				segment: BTC,
				who: ALICE,
				size: 400,
				price: price(90),
				pnl: Pnl::Profit(40),
				returned: 80,
			}
			.into(),
		);
		assert_ok!(request(ALICE, OrderKind::Close, ANY_BUY));
		publish(95);
		assert_ok!(execute(BOB, ALICE));
		assert!(Positions::<Test>::get(BTC, ALICE).is_none());
		assert_eq!(TestSilos::margin(0, BOB).0, FREE_MARGIN + 2 * FEE);
	});
}

#[test]
fn an_order_whose_first_price_came_after_its_window_expires_and_its_escrow_comes_back() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		// Nothing came within the window (a minute from the end of its millisecond's delay):
		// anyone may expire it once the window is over, and the fee goes to the LPs.
		TestTime::advance_ms(60_001);
		assert_noop!(execute(KEEPER, ALICE), Error::<Test>::OrderNotReady);
		publish(100);
		let pool = TestSilos::pool(0);
		assert_ok!(execute(KEEPER, ALICE));
		System::assert_last_event(ended(OrderEnd::Expired, Some(KEEPER)));
		assert!(Positions::<Test>::get(BTC, ALICE).is_none());
		assert_eq!((free(ALICE), locked(ALICE)), (FREE_MARGIN - FEE, 0));
		assert_eq!(TestSilos::margin(0, KEEPER), (0, 0));
		assert_eq!(TestSilos::pool(0), pool + FEE);
		assert_eq!(OrderCount::<Test>::get(BTC), 0);
	});
}

#[test]
fn an_order_executed_more_than_a_window_after_its_price_expires() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		publish(100);
		// Its owner cannot keep it as an option on later prices: left late, it expires, and
		// even expiring it herself costs her the fee, to the LPs.
		TestTime::advance_ms(60_001);
		publish(150);
		assert_ok!(execute(ALICE, ALICE));
		System::assert_last_event(ended(OrderEnd::Expired, Some(ALICE)));
		assert!(Positions::<Test>::get(BTC, ALICE).is_none());
		assert_eq!(free(ALICE), FREE_MARGIN - FEE);
	});
}

#[test]
fn an_order_whose_first_price_was_forgotten_expires() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		// The segment keeps four prices; the fifth pushes out the order's first.
		for p in [101, 102, 103, 104, 105] {
			publish(p);
		}
		assert_eq!(PriceRounds::<Test>::get(BTC).forgotten, START_MS + 1);
		assert_eq!(PriceRounds::<Test>::get(BTC).rounds[0].timestamp, START_MS + 3);
		assert_ok!(execute(KEEPER, ALICE));
		System::assert_last_event(ended(OrderEnd::Expired, Some(KEEPER)));
		assert!(Positions::<Test>::get(BTC, ALICE).is_none());
	});
}

#[test]
fn a_fill_beyond_the_acceptable_price_ends_the_order_and_changes_nothing_else() {
	new_test_ext(|| {
		// Already beyond it when requested: refused outright.
		assert_noop!(
			request(ALICE, increase(Side::Long, 1_000, 105), price(99)),
			Error::<Test>::AcceptablePriceViolated
		);
		assert_noop!(
			request(ALICE, increase(Side::Short, 1_000, 105), price(101)),
			Error::<Test>::AcceptablePriceViolated
		);
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), price(105)));
		publish(106);
		let pool = TestSilos::pool(0);
		assert_ok!(execute(KEEPER, ALICE));
		System::assert_last_event(ended(
			OrderEnd::Failed(Error::<Test>::AcceptablePriceMissed.into()),
			Some(KEEPER),
		));
		assert!(Positions::<Test>::get(BTC, ALICE).is_none());
		assert_eq!(info(BTC).long_oi, 0);
		// Nothing but the fee, to the LPs: failing one's own order is no free cancel.
		assert_eq!(TestSilos::pool(0), pool + FEE);
		assert_eq!((free(ALICE), locked(ALICE)), (FREE_MARGIN - FEE, 0));

		// A sell: a long's close that would fill below its floor.
		open(ALICE, Side::Long, 1_000, 100);
		assert_ok!(request(ALICE, OrderKind::Close, price(95)));
		publish(94);
		assert_ok!(execute(KEEPER, ALICE));
		System::assert_last_event(ended(
			OrderEnd::Failed(Error::<Test>::AcceptablePriceMissed.into()),
			Some(KEEPER),
		));
		assert_eq!(position(ALICE).size, 1_000);
	});
}

#[test]
fn an_opening_at_a_price_the_breaker_rejected_does_not_fill() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		TestBreaker::reject(BTC, Some(price(100)));
		publish(130);
		assert_eq!(
			PriceRounds::<Test>::get(BTC).rounds.last().copied(),
			Some(PriceRound {
				price: price(130),
				timestamp: START_MS + 1,
				published: START_MS + 1,
				accepted: price(100)
			})
		);
		assert_ok!(execute(KEEPER, ALICE));
		System::assert_last_event(ended(
			OrderEnd::Failed(Error::<Test>::PriceRejected.into()),
			Some(KEEPER),
		));
		assert!(Positions::<Test>::get(BTC, ALICE).is_none());
	});
}

#[test]
fn a_close_at_a_rejected_price_takes_the_worse_of_it_and_the_last_accepted() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 1_000, 100);
		assert_ok!(request(ALICE, OrderKind::Close, ANY_SELL));
		TestBreaker::reject(BTC, Some(price(100)));
		publish(130);
		assert_ok!(execute(KEEPER, ALICE));
		System::assert_has_event(
			Event::PositionClosed {
				segment: BTC,
				who: ALICE,
				size: 1_000,
				price: price(100),
				pnl: Pnl::Profit(0),
				returned: 100 + DEPOSIT,
			}
			.into(),
		);
	});
}

#[test]
fn a_requester_cancels_while_the_delay_runs_and_not_after() {
	new_test_ext(|| {
		let params = OrderParams { min_delay: 10_000, window: 60_000 };
		assert_ok!(Segs::set_order_params(RuntimeOrigin::root(), BTC, params));
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		TestTime::advance_ms(9_999);
		assert_ok!(Segs::cancel_order(RuntimeOrigin::signed(ALICE), BTC));
		System::assert_last_event(ended(OrderEnd::Cancelled, None));
		assert_eq!((free(ALICE), locked(ALICE)), (FREE_MARGIN, 0));
		assert_eq!(OrderCount::<Test>::get(BTC), 0);

		// Once its delay is over, a price may fill it: cancelling would be an option on it.
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		TestTime::advance_ms(10_000);
		assert_noop!(
			Segs::cancel_order(RuntimeOrigin::signed(ALICE), BTC),
			Error::<Test>::OrderCommitted
		);
		assert_noop!(Segs::cancel_order(RuntimeOrigin::signed(BOB), BTC), Error::<Test>::NoOrder);
	});
}

#[test]
fn orders_are_bounded_per_account_and_per_segment_and_pay_at_least_the_keeper_deposit() {
	new_test_ext(|| {
		assert_noop!(
			Segs::request_order(
				RuntimeOrigin::signed(ALICE),
				BTC,
				increase(Side::Long, 1_000, 105),
				ANY_BUY,
				FEE - 1
			),
			Error::<Test>::ExecutionFeeTooLow
		);
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		assert_noop!(
			request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY),
			Error::<Test>::OrderPending
		);
		// Four per segment in the mock.
		for who in [BOB, KEEPER, NOBODY] {
			TestSilos::set_margin(0, who, (FREE_MARGIN, 0));
			assert_ok!(request(who, increase(Side::Short, 1_000, 105), ANY_SELL));
		}
		TestSilos::set_margin(0, 9, (FREE_MARGIN, 0));
		assert_noop!(
			request(9, increase(Side::Short, 1_000, 105), ANY_SELL),
			Error::<Test>::TooManyOrders
		);
		// Another segment has its own bound.
		assert_ok!(Segs::request_order(
			RuntimeOrigin::signed(ALICE),
			ETH,
			increase(Side::Long, 1_000, 105),
			ANY_BUY,
			FEE
		));
	});
}

#[test]
fn bad_requests_fail_with_typed_errors_and_change_nothing() {
	new_test_ext(|| {
		let nothing = increase(Side::Long, 0, 105);
		assert_noop!(request(ALICE, nothing, ANY_BUY), Error::<Test>::ZeroSize);
		assert_noop!(
			Segs::request_order(RuntimeOrigin::signed(ALICE), 9, nothing, ANY_BUY, FEE),
			Error::<Test>::UnknownSegment
		);
		assert_noop!(request(ALICE, OrderKind::Close, ANY_SELL), Error::<Test>::NoPosition);
		// What no price changes is checked at once, so that an order sure to fail holds no
		// place in the segment's bound: a new position's keeper deposit (and the size of the
		// position it makes, `minimum_position_size`).
		let bare = increase(Side::Long, 1_000, DEPOSIT - 1);
		assert_noop!(request(ALICE, bare, ANY_BUY), Error::<Test>::MarginBelowCharges);
		assert_noop!(
			request(ALICE, OrderKind::Decrease { size: 1 }, ANY_SELL),
			Error::<Test>::NoPosition
		);
		assert_noop!(
			request(ALICE, increase(Side::Long, 1_000, FREE_MARGIN), ANY_BUY),
			DispatchError::Other("InsufficientFreeMargin")
		);
		open(ALICE, Side::Long, 1_000, 100);
		assert_noop!(
			request(ALICE, increase(Side::Short, 1_000, 105), ANY_SELL),
			Error::<Test>::OppositeSideOpen
		);
		assert_noop!(
			request(ALICE, OrderKind::Decrease { size: 1_001 }, ANY_SELL),
			Error::<Test>::DecreaseExceedsSize
		);
		assert_noop!(
			request(ALICE, OrderKind::Decrease { size: 0 }, ANY_SELL),
			Error::<Test>::ZeroSize
		);
		TestBreaker::set(BTC, SegmentStatus::Severed);
		assert_noop!(
			request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY),
			Error::<Test>::SegmentSevered
		);
		// Reducing risk is still requested while severed.
		assert_ok!(request(ALICE, OrderKind::Close, ANY_SELL));
		assert_noop!(execute(KEEPER, BOB), Error::<Test>::NoOrder);
		assert_noop!(
			Segs::execute_order(RuntimeOrigin::signed(KEEPER), 9, ALICE),
			Error::<Test>::NoOrder
		);
	});
}

#[test]
fn only_the_admin_sets_order_timing_and_only_within_bounds() {
	new_test_ext(|| {
		assert_eq!(OrderSettings::<Test>::get(BTC), DefaultOrderParams::get());
		let params = OrderParams { min_delay: 5_000, window: 30_000 };
		assert_noop!(
			Segs::set_order_params(RuntimeOrigin::signed(ALICE), BTC, params),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Segs::set_order_params(RuntimeOrigin::root(), 9, params),
			Error::<Test>::UnknownSegment
		);
		for bad in [
			OrderParams { min_delay: 0, window: 60_000 },
			OrderParams { min_delay: 1, window: 0 },
			OrderParams { min_delay: OrderParams::MAX + 1, window: 1 },
			OrderParams { min_delay: 0, window: OrderParams::MAX + 1 },
		] {
			assert_noop!(
				Segs::set_order_params(RuntimeOrigin::root(), BTC, bad),
				Error::<Test>::InvalidOrderParams
			);
		}
		assert_ok!(Segs::set_order_params(RuntimeOrigin::root(), BTC, params));
		System::assert_last_event(Event::OrderParamsSet { segment: BTC, params }.into());
		assert_eq!(OrderSettings::<Test>::get(ETH), DefaultOrderParams::get());
	});
}

#[test]
fn recent_prices_keep_one_round_per_time_in_order_and_remember_what_they_forgot() {
	let round = |p: u32, t: Moment| PriceRound {
		price: price(p),
		timestamp: t,
		published: t,
		accepted: price(p),
	};
	let mut recent = RecentPrices::<MaxPriceRounds>::default();
	recent.note(round(1, 10));
	// The last price combined in a block stands for it.
	recent.note(round(2, 10));
	// A price the oracle made of older values is not a later round.
	recent.note(PriceRound { published: 11, ..round(3, 9) });
	assert_eq!(recent.rounds.to_vec(), vec![round(2, 10)]);
	// A later block with the oracle's time unchanged is a round of its own.
	let again = PriceRound { published: 11, ..round(4, 10) };
	recent.note(again);
	assert_eq!(recent.rounds.to_vec(), vec![round(2, 10), again]);
	recent.rounds.pop();
	for t in 11..=14 {
		recent.note(round(t as u32, t));
	}
	assert_eq!(recent.rounds.iter().map(|r| r.timestamp).collect::<Vec<_>>(), vec![11, 12, 13, 14]);
	assert_eq!(recent.forgotten, 10);
	assert_eq!(recent.first_after(9, 9), FirstPrice::Forgotten);
	assert_eq!(recent.first_after(10, 10), FirstPrice::Found(round(11, 11)));
	assert_eq!(recent.first_after(10, 13), FirstPrice::Found(round(13, 13)));
	assert_eq!(recent.first_after(14, 0), FirstPrice::NotYet);
}

#[test]
fn a_price_noted_in_this_block_fills_nothing_until_the_block_is_over() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		// Two prices noted in one block: the last stands for it, and only once it is over.
		note_after(1, 120);
		assert_noop!(execute(KEEPER, ALICE), Error::<Test>::OrderNotReady);
		note_after(0, 90);
		assert_noop!(execute(KEEPER, ALICE), Error::<Test>::OrderNotReady);
		TestTime::advance_ms(1);
		assert_ok!(execute(KEEPER, ALICE));
		assert_eq!(position(ALICE).oracle_entry, price(90));
	});
}

#[test]
fn no_margin_moves_behind_a_position_while_an_order_to_grow_it_waits() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 1_000, 100);
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		// Topping up after the price is out would decide whether the order fills.
		assert_noop!(
			Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, 50),
			Error::<Test>::OrderPending
		);
		assert_noop!(
			Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 10),
			Error::<Test>::OrderPending
		);
		publish(100);
		assert_ok!(execute(KEEPER, ALICE));
		assert_ok!(Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, 50));
		// A close waiting does not stop a top-up: margin cannot change whether it fills.
		assert_ok!(request(ALICE, OrderKind::Close, ANY_SELL));
		assert_ok!(Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, 50));
	});
}

#[test]
fn closing_orders_never_find_the_segment_full() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 1_000, 100);
		for who in [BOB, KEEPER, NOBODY, 9] {
			TestSilos::set_margin(0, who, (FREE_MARGIN, 0));
			assert_ok!(request(who, increase(Side::Short, 1_000, 105), ANY_SELL));
		}
		assert_eq!(OrderCount::<Test>::get(BTC), 4);
		assert_ok!(request(ALICE, OrderKind::Close, ANY_SELL));
		assert_eq!(OrderCount::<Test>::get(BTC), 4);
	});
}

#[test]
fn an_order_keeps_the_timing_it_was_requested_under() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		// A longer delay set afterwards reopens no cancel and skips no price.
		let params = OrderParams { min_delay: 30_000, window: 60_000 };
		assert_ok!(Segs::set_order_params(RuntimeOrigin::root(), BTC, params));
		TestTime::advance_ms(1);
		assert_noop!(
			Segs::cancel_order(RuntimeOrigin::signed(ALICE), BTC),
			Error::<Test>::OrderCommitted
		);
		publish(110);
		assert_ok!(execute(KEEPER, ALICE));
		assert_eq!(position(ALICE).oracle_entry, price(110));
	});
}

#[test]
fn an_opening_does_not_fill_while_the_breaker_rejects_the_latest_price() {
	new_test_ext(|| {
		assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
		publish(101);
		// The breaker rejects a later price: the accepted round fills no new risk meanwhile.
		TestBreaker::reject(BTC, Some(price(101)));
		publish(150);
		assert_ok!(execute(KEEPER, ALICE));
		System::assert_last_event(ended(
			OrderEnd::Failed(Error::<Test>::PriceRejected.into()),
			Some(KEEPER),
		));
	});
}

/// What an LP order made now may fill at, asked as the silo asks.
fn lp_pricing(timing: &segment_interface::OrderTiming) -> Result<OrderPricing, DispatchError> {
	<Segs as PoolRisk>::exposure_for_order(BTC, timing)
}

/// Alice holds a long of 1,000 opened at 100.
fn a_long_at_100() {
	assert_ok!(request(ALICE, increase(Side::Long, 1_000, 105), ANY_BUY));
	publish(100);
	assert_ok!(execute(KEEPER, ALICE));
}

#[test]
fn an_lp_order_is_priced_at_the_first_price_after_its_delay() {
	new_test_ext(|| {
		a_long_at_100();
		let terms = <Segs as PoolRisk>::lp_order_terms(BTC);
		assert_eq!(terms.min_fee, DEPOSIT);
		let timing = terms.timing;
		assert_eq!(timing.requested_at, Segs::now_ms());
		// The price it saw, or one in the same millisecond, does not price it.
		assert_eq!(lp_pricing(&timing), Ok(OrderPricing::NotReady));
		publish_after(0, 90);
		assert_eq!(lp_pricing(&timing), Ok(OrderPricing::NotReady));
		// Nor one not yet final (noted in this block).
		note_after(1, 120);
		assert_eq!(lp_pricing(&timing), Ok(OrderPricing::NotReady));
		TestTime::advance_ms(1);
		// Later prices do not change which prices it: the pool marked at 120.
		publish(80);
		let Ok(OrderPricing::Priced(at_order)) = lp_pricing(&timing) else {
			panic!("priced once its price is final");
		};
		TestPrices::set("BTC/USD", price(120));
		assert_eq!(<Segs as PoolRisk>::exposure(BTC), Ok(at_order));
		assert!(at_order.long_pnl > 0, "the long is up at 120");
	});
}

#[test]
fn an_lp_order_is_not_priced_older_than_a_position() {
	new_test_ext(|| {
		a_long_at_100();
		let timing = <Segs as PoolRisk>::lp_order_terms(BTC).timing;
		// The LP order's price; then a short is requested, and fills at the next one before
		// the LP order is executed.
		publish(120);
		assert!(matches!(lp_pricing(&timing), Ok(OrderPricing::Priced(_))));
		assert_ok!(request(BOB, increase(Side::Short, 1_000, 105), ANY_SELL));
		publish(130);
		assert_ok!(execute(KEEPER, BOB));
		assert_eq!(position(BOB).oracle_entry, price(130));
		assert_eq!(RepricedAt::<Test>::get(BTC), Segs::now_ms() - 1);
		assert_eq!(lp_pricing(&timing), Err(Error::<Test>::PriceSuperseded.into()));
	});
}

#[test]
fn without_open_interest_an_lp_order_needs_no_price_but_waits_its_delay_and_expires() {
	new_test_ext(|| {
		let params = OrderParams { min_delay: 10_000, window: 60_000 };
		assert_ok!(Segs::set_order_params(RuntimeOrigin::root(), BTC, params));
		let timing = <Segs as PoolRisk>::lp_order_terms(BTC).timing;
		TestTime::advance_ms(9_999);
		assert_eq!(lp_pricing(&timing), Ok(OrderPricing::NotReady));
		TestTime::advance_ms(1);
		let Ok(OrderPricing::Priced(exposure)) = lp_pricing(&timing) else {
			panic!("priced with no price");
		};
		assert_eq!((exposure.long_pnl, exposure.short_pnl, exposure.reserved), (0, 0, 0));
		TestTime::advance_ms(60_001);
		assert_eq!(lp_pricing(&timing), Ok(OrderPricing::Expired));
	});
}

#[test]
fn closing_the_last_position_after_an_lp_orders_price_does_not_free_it_from_that_price() {
	new_test_ext(|| {
		a_long_at_100();
		let timing = <Segs as PoolRisk>::lp_order_terms(BTC).timing;
		// The LP order's price; then the long closes at the next one.
		publish(120);
		assert_ok!(request(ALICE, OrderKind::Close, ANY_SELL));
		publish(130);
		assert_ok!(execute(KEEPER, ALICE));
		let segment = info(BTC);
		assert_eq!((segment.long_oi, segment.short_oi), (0, 0));
		// No open interest is left, but a position moved after the request: the order is
		// priced at its own price, which a position moved past since.
		assert_eq!(lp_pricing(&timing), Err(Error::<Test>::PriceSuperseded.into()));
		// An order requested after the close needs no price.
		let later = <Segs as PoolRisk>::lp_order_terms(BTC).timing;
		TestTime::advance_ms(later.fills_from - later.requested_at);
		assert!(matches!(lp_pricing(&later), Ok(OrderPricing::Priced(_))));
	});
}

#[test]
fn an_lp_order_waits_while_the_breaker_rejects_the_latest_price_and_fails_at_a_rejected_one() {
	new_test_ext(|| {
		a_long_at_100();
		let timing = <Segs as PoolRisk>::lp_order_terms(BTC).timing;
		publish(120);
		// A later price the breaker rejects: the order waits, its own price accepted.
		TestBreaker::reject(BTC, Some(price(120)));
		publish(200);
		assert_eq!(lp_pricing(&timing), Ok(OrderPricing::NotReady));
		TestBreaker::reject(BTC, None);
		assert!(matches!(lp_pricing(&timing), Ok(OrderPricing::Priced(_))));
		// An order whose own price the breaker rejected cannot fill at it.
		let rejected = <Segs as PoolRisk>::lp_order_terms(BTC).timing;
		TestBreaker::reject(BTC, Some(price(200)));
		publish(300);
		TestBreaker::reject(BTC, None);
		assert_eq!(lp_pricing(&rejected), Err(Error::<Test>::PriceRejected.into()));
	});
}

#[test]
fn a_liquidation_moves_a_position_at_the_latest_noted_price() {
	new_test_ext(|| {
		open(ALICE, Side::Long, 10_000, 1_000);
		let timing = <Segs as PoolRisk>::lp_order_terms(BTC).timing;
		publish(100);
		// Then the oracle falls to 94, noted in this block, and Alice is liquidated there.
		note_after(1, 94);
		let published = Segs::now_ms();
		assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
		assert_eq!(RepricedAt::<Test>::get(BTC), published);
		TestTime::advance_ms(1);
		// The LP order made before was priced at 100, older than the liquidation's price.
		assert_eq!(lp_pricing(&timing), Err(Error::<Test>::PriceSuperseded.into()));
	});
}
