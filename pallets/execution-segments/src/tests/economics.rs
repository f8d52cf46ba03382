//! The pool economics, call by call: fees, price impact, borrowing, reserves, the keeper
//! deposit, the payout cap and auto-deleveraging. BTC trades at 100 on a pool of 1,000,000.

use super::*;
use segment_interface::{views::AdlEntry, Balance, PoolRisk};
use sp_runtime::{DispatchResult, FixedU128, Perbill};

/// Open `size` on `side` in BTC giving exactly `margin` (fee and keeper deposit come out of it).
fn open(who: AccountId, side: Side, size: u128, margin: u128) {
	assert_ok!(open_position(RuntimeOrigin::signed(who), BTC, side, size, margin));
}

/// BTC with the default pool economics (skew scale 10,000,000).
fn with_economics() {
	set_pool(economic_pool());
}

fn set_pool(pool: PoolParams) {
	assert_ok!(Segs::set_risk_params(RuntimeOrigin::root(), BTC, RiskParams { pool, ..risk() }));
}

fn charged() -> Vec<(Balance, Price, Balance, Balance, Balance)> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::ExecutionSegments(Event::TradeCharged {
				notional,
				fill_price,
				fee,
				to_insurance,
				borrowing,
				..
			}) => Some((notional, fill_price, fee, to_insurance, borrowing)),
			_ => None,
		})
		.collect()
}

fn adl(who: AccountId) -> DispatchResult {
	Segs::auto_deleverage(RuntimeOrigin::signed(KEEPER), BTC, who)
}

mod fees_and_impact {
	use super::*;

	#[test]
	fn an_open_that_increases_the_skew_pays_6_bp_and_fills_worse() {
		new_test_ext(|| {
			with_economics();
			open(ALICE, Side::Long, 50_000, 6_000);
			// Skew 0 -> 50,000 on a scale of 10,000,000: premium 50,000 / 20,000,000 = 0.25%.
			let fill = Price::from_rational(10_025, 100);
			// 6 bp of 50,000 is 30: 6 to insurance, 24 to the LPs; 5 more is the deposit.
			assert_eq!(charged(), vec![(50_000, fill, 30, 6, 0)]);
			let p = position(ALICE);
			assert_eq!((p.entry_price, p.margin, p.keeper_deposit), (fill, 5_965, DEPOSIT));
			assert_eq!(TestSilos::pool(0), POOL + 24);
			assert_eq!(TestSilos::insurance(0), 6);
			assert_eq!(TestSilos::margin(0, ALICE), (FREE_MARGIN - 6_000, 5_970));
		});
	}

	#[test]
	fn a_trade_that_reduces_the_skew_pays_4_bp_and_fills_better() {
		new_test_ext(|| {
			with_economics();
			open(ALICE, Side::Long, 50_000, 6_000);
			open(BOB, Side::Short, 50_000, 6_000);
			// Skew 50,000 -> 0: premium 0.25% again, now in the seller's favour; 4 bp is 20.
			let fill = Price::from_rational(10_025, 100);
			assert_eq!(charged()[1], (50_000, fill, 20, 4, 0));
			assert_eq!(position(BOB).entry_price, fill);
		});
	}

	#[test]
	fn impact_is_bounded_and_the_better_side_stays_below_the_worse() {
		new_test_ext(|| {
			with_economics();
			// Premium 200,000 / 20,000,000 = 1%: bounded to 0.5% worse for the buyer...
			open(ALICE, Side::Long, 200_000, 25_000);
			assert_eq!(position(ALICE).entry_price, Price::from_rational(1_005, 10));
			// ...and to 0.4% better for the seller taking the skew back to zero.
			open(BOB, Side::Short, 200_000, 25_000);
			assert_eq!(position(BOB).entry_price, Price::from_rational(1_004, 10));
		});
	}

	#[test]
	fn closing_pays_the_fee_out_of_what_the_trader_gets_back() {
		new_test_ext(|| {
			with_economics();
			open(ALICE, Side::Long, 50_000, 6_000);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			// Closing sells the skew back to zero at 100.25: the round trip's impact nets out;
			// the fee (4 bp of the 50,000 closed, reducing the skew) does not.
			let (notional, fill, fee, to_insurance, _) = charged()[1];
			assert_eq!(
				(notional, fill, fee, to_insurance),
				(50_000, Price::from_rational(10_025, 100), 20, 4)
			);
			// The trader paid 30 + 20 of fees, all of it to the pool and the insurance fund.
			assert_eq!(TestSilos::margin(0, ALICE), (FREE_MARGIN - 50, 0));
			assert_eq!(TestSilos::pool(0) + TestSilos::insurance(0), POOL + 50);
		});
	}

	#[test]
	fn an_open_whose_margin_does_not_cover_the_charges_is_refused() {
		new_test_ext(|| {
			with_economics();
			// Fee 30 and deposit 5: 34 cannot pay them.
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 50_000, 34),
				Error::<Test>::MarginBelowCharges
			);
		});
	}
}

mod borrowing {
	use super::*;

	#[test]
	fn positions_pay_a_rate_kinked_on_utilization() {
		new_test_ext(|| {
			set_pool(PoolParams {
				borrow_rate_at_kink: FixedU128::from_rational(1, 2),
				borrow_rate_max: FixedU128::from_rational(6, 5),
				..neutral_pool()
			});
			Segments::<Test>::mutate(BTC, |i| {
				i.as_mut().unwrap().risk.funding_rate = Perbill::zero()
			});
			open(ALICE, Side::Long, 100_000, 10_005);
			// Utilization 10%: 50% a year at the 75% kink gives 6.67% a year.
			let rate = ExecutionSegments::borrowing_rate(&info(BTC), Side::Long, POOL).unwrap();
			assert!(rate.into_inner().abs_diff(1_000_000_000_000_000_000 / 15) <= 1, "{rate:?}");
			// A tenth of a year of six-second blocks: 100,000 * 6.67% / 10 = 666.7.
			run_to_block(1 + 525_960);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			let borrowing = charged()[1].4;
			assert!((666..=667).contains(&borrowing), "borrowing {borrowing}");
			assert_eq!(TestSilos::margin(0, ALICE).0, FREE_MARGIN - borrowing);
			assert_eq!(TestSilos::pool(0), POOL + borrowing);
		});
	}
}

mod reserves_and_payouts {
	use super::*;

	#[test]
	fn an_open_beyond_the_reserve_factor_is_refused() {
		new_test_ext(|| {
			Segments::<Test>::mutate(BTC, |i| {
				let risk = &mut i.as_mut().unwrap().risk;
				(risk.max_oi_share, risk.max_open_interest) = (Permill::one(), 10 * POOL);
			});
			// 90% of a pool of 1,000,000 may be reserved.
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 900_001, 90_010),
				Error::<Test>::ReserveExceeded
			);
			open(ALICE, Side::Long, 900_000, 90_005);
		});
	}

	#[test]
	fn the_first_closer_does_not_take_the_pool() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 100_000, 10_005);
			open(BOB, Side::Long, 100_000, 10_005);
			TestPrices::set("BTC/USD", price(2_000));
			// Each holds 1,900,000 of profit; the side 3,800,000, against a pool of 1,000,000
			// that pays out at most 90% of itself: Alice gets 1,900,000 * 900,000 / 3,800,000.
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			assert_eq!(TestSilos::pool(0), POOL - 450_000);
			// Bob then gets 90% of the 550,000 left: close to Alice's share, not nothing.
			assert_ok!(close_position(RuntimeOrigin::signed(BOB), BTC));
			assert_eq!(TestSilos::pool(0), 550_000 - 495_000);
			// The pool is never emptied while it has LPs.
			assert!(TestSilos::pool(0) > 0);
		});
	}
}

mod keepers {
	use super::*;

	#[test]
	fn an_underwater_liquidation_still_pays_the_keeper_its_deposit() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 100_000, 10_005);
			// Down 15%: a loss of 15,000 on 10,000 of margin. Nothing is left for a fee.
			TestPrices::set("BTC/USD", price(85));
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
			System::assert_last_event(
				Event::PositionLiquidated {
					segment: BTC,
					who: ALICE,
					liquidator: KEEPER,
					size: 100_000,
					price: price(85),
					fee: DEPOSIT,
					bad_debt: 5_000,
				}
				.into(),
			);
			assert_eq!(TestSilos::margin(0, KEEPER), (DEPOSIT, 0));
		});
	}

	#[test]
	fn the_deposit_returns_to_the_owner_at_close() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 100_000, 10_005);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			assert_eq!(TestSilos::margin(0, ALICE), (FREE_MARGIN, 0));
		});
	}
}

mod auto_deleveraging {
	use super::*;

	#[test]
	fn auto_deleverage_closes_the_head_down_to_the_floor() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 100_000, 10_005);
			// At 960 the long holds 860,000 of profit: 86% of the pool's 1,000,000, above the
			// 85% trigger.
			TestPrices::set("BTC/USD", price(960));
			assert_ok!(adl(ALICE));
			// Realize r with (860,000 - r) / (1,000,000 - r) = 77%: r = 90,000 / 0.23 =
			// 391,305 (up); 391,305 / 8.6 per unit of size = 45,501 of the 100,000 (up).
			System::assert_last_event(
				Event::PositionAutoDeleveraged {
					segment: BTC,
					who: ALICE,
					size: 45_501,
					price: price(960),
					pnl: Pnl::Profit(391_308),
					returned: 4_550 + 391_308,
				}
				.into(),
			);
			assert_eq!(TestSilos::pool(0), POOL - 391_308);
			assert_eq!(position(ALICE).size, 54_499);
			// 468,691 over 608,692 is just under 77%: nothing more to do.
			assert_noop!(adl(ALICE), Error::<Test>::AdlNotTriggered);
		});
	}

	#[test]
	fn auto_deleverage_above_the_payout_cap_closes_only_what_the_floor_needs() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 100_000, 10_005);
			// At 1,100 the long holds 1,000,000 of profit, above the 900,000 a side is paid:
			// a close pays 90% of the profit it realizes. Realize r with
			// (1,000,000 - r) / (1,000,000 - 0.9 r) = 77%: r = 230,000 / 0.307 = 749,186
			// (up); at 10 per unit of size, 74,919 of the 100,000 (up). Counting the close as
			// paid in full would have closed all of it and left the side at 0%.
			TestPrices::set("BTC/USD", price(1_100));
			assert_ok!(adl(ALICE));
			assert_eq!(position(ALICE).size, 100_000 - 74_919);
			// 749,190 realized, 674,271 paid: 250,810 over 325,729 is the floor.
			assert_eq!(TestSilos::pool(0), POOL - 674_271);
			assert_noop!(adl(ALICE), Error::<Test>::AdlNotTriggered);
		});
	}

	#[test]
	fn auto_deleverage_is_refused_below_the_trigger() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 100_000, 10_005);
			TestPrices::set("BTC/USD", price(940));
			assert_noop!(adl(ALICE), Error::<Test>::AdlNotTriggered);
		});
	}

	#[test]
	fn auto_deleverage_takes_the_most_profitable_relative_to_size_first() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 50_000, 5_005);
			TestPrices::set("BTC/USD", price(120));
			open(BOB, Side::Long, 50_000, 5_005);
			let queue = ExecutionSegments::pool_view(BTC, 5).unwrap().adl_queue;
			assert_eq!(
				queue,
				vec![
					AdlEntry { who: ALICE, side: Side::Long, entry_price: price(100) },
					AdlEntry { who: BOB, side: Side::Long, entry_price: price(120) },
				]
			);
			TestPrices::set("BTC/USD", price(1_900));
			assert_noop!(adl(BOB), Error::<Test>::NotFirstInAdlQueue);
			assert_ok!(adl(ALICE));
		});
	}

	#[test]
	fn auto_deleverage_goes_side_by_side() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 100_000, 10_005);
			open(BOB, Side::Short, 1_000, 105);
			// The longs are 86% of the pool up: their side is past the trigger, the shorts'
			// is not, whatever the two net to.
			TestPrices::set("BTC/USD", price(960));
			assert_noop!(adl(BOB), Error::<Test>::AdlNotTriggered);
			assert_noop!(adl(NOBODY), Error::<Test>::NoPosition);
			assert_ok!(adl(ALICE));
		});
	}

	#[test]
	fn auto_deleverage_refuses_a_head_without_profit() {
		new_test_ext(|| {
			Segments::<Test>::mutate(BTC, |i| {
				i.as_mut().unwrap().risk.funding_rate = Perbill::from_percent(1);
			});
			// Alice's long, alone for a while, owes more funding than its price profit will be.
			open(ALICE, Side::Long, 1_000, 1_005);
			run_to_block(3_001);
			TestPrices::set("BTC/USD", price(101));
			open(BOB, Side::Long, 110_000, 11_005);
			TestPrices::set("BTC/USD", price(960));
			// The longs are past the trigger; Alice heads the queue (entry 100) but holds no
			// profit: 8,600 of price profit against 30,000 of funding.
			assert_noop!(adl(ALICE), Error::<Test>::NotInProfit);
			assert_noop!(adl(BOB), Error::<Test>::NotFirstInAdlQueue);
		});
	}
}

mod exposure {
	use super::*;

	#[test]
	fn the_side_sums_value_every_position_at_once() {
		new_test_ext(|| {
			with_economics();
			open(ALICE, Side::Long, 60_000, 7_000);
			TestPrices::set("BTC/USD", price(110));
			open(BOB, Side::Short, 40_000, 5_000);
			run_to_block(50);
			TestPrices::set("BTC/USD", price(105));
			let exposure = <Segs as PoolRisk>::exposure(BTC).unwrap();
			// Each side against its one position, valued one by one from the oracle price at
			// its entry (its fill's impact aside, as the pool values it).
			let pool_view = |who| {
				let p = position(who);
				let view = ExecutionSegments::position_view(BTC, &who).unwrap().unrealized_pnl;
				let at = |entry| math::price_pnl(p.side, p.size, entry, price(105)).unwrap();
				view - at(p.entry_price) + at(p.oracle_entry)
			};
			assert!((exposure.long_pnl - pool_view(ALICE)).abs() <= 2);
			assert!((exposure.short_pnl - pool_view(BOB)).abs() <= 2);
			// Longs reserve their value at the mark, shorts their size: the larger counts.
			let long = position(ALICE);
			let value = math::notional_at(long.size, long.oracle_entry, price(105)).unwrap();
			assert_eq!(exposure.reserved, value.max(40_000));
		});
	}

	#[test]
	fn a_pool_cannot_be_valued_without_a_fresh_price() {
		new_test_ext(|| {
			// No open interest: nothing to value, no price needed.
			TestPrices::remove("BTC/USD");
			assert_ok!(<Segs as PoolRisk>::exposure(BTC));
			TestPrices::set("BTC/USD", price(100));
			open(ALICE, Side::Long, 10_000, 1_005);
			TestTime::advance_ms(60_001);
			assert_eq!(<Segs as PoolRisk>::exposure(BTC), Err(Error::<Test>::StalePrice.into()));
		});
	}

	#[test]
	fn every_pool_parameter_out_of_range_is_refused() {
		new_test_ext(|| {
			let p = economic_pool();
			let one = Permill::one();
			for pool in [
				PoolParams { max_pnl_factor: one, ..p },
				PoolParams { max_pnl_factor: Permill::zero(), ..p },
				PoolParams { max_pnl_factor_withdrawals: Permill::from_percent(95), ..p },
				PoolParams { reserve_factor: Permill::zero(), ..p },
				PoolParams { fee_reducing: Permill::from_parts(700), ..p },
				PoolParams { fee_increasing: one, fee_reducing: one, ..p },
				PoolParams { skew_scale: 0, ..p },
				PoolParams { max_impact_better: p.max_impact_worse, ..p },
				PoolParams { max_impact_worse: one, ..p },
				PoolParams { borrow_kink: Permill::zero(), ..p },
				PoolParams { borrow_kink: one, ..p },
				PoolParams { borrow_rate_at_kink: FixedU128::from_u32(2), ..p },
				PoolParams { adl_floor: p.adl_trigger, ..p },
				PoolParams { adl_floor: Permill::zero(), ..p },
				PoolParams { adl_trigger: Permill::from_percent(95), ..p },
				PoolParams { keeper_deposit: 0, ..p },
			] {
				assert_noop!(
					Segs::set_risk_params(
						RuntimeOrigin::root(),
						BTC,
						RiskParams { pool, ..risk() }
					),
					Error::<Test>::InvalidRiskParams
				);
			}
		});
	}
}
