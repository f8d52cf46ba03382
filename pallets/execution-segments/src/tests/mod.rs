//! Execution segments, call by call. Figures: BTC trades at 100 with 10% initial and 5%
//! maintenance margin, 10x leverage, a 1% liquidation fee, and 0.01% funding per block at full
//! skew.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok, traits::Contains};
use segment_interface::{Fee, Pnl, Price, PricePoint, SegmentId, SegmentStatus, Settlement};
use sp_runtime::{DispatchError, FixedI128, FixedPointNumber, Permill};

type Segs = ExecutionSegments;

/// Open (or grow) `who`'s BTC position with `margin` behind it: a new position's keeper
/// deposit comes on top (the neutral test pool charges no fee).
fn open(who: AccountId, side: Side, size: u128, margin: u128) {
	let deposit = if Positions::<Test>::contains_key(BTC, who) { 0 } else { DEPOSIT };
	assert_ok!(open_position(RuntimeOrigin::signed(who), BTC, side, size, margin + deposit));
}

fn position(who: AccountId) -> Position {
	Positions::<Test>::get(BTC, who).expect("position exists")
}

fn info(segment: SegmentId) -> SegmentInfo<u64> {
	Segments::<Test>::get(segment).unwrap()
}

mod economics;
mod orders;
mod settlement;

mod create_segment {
	use super::*;

	#[test]
	fn create_segment_works() {
		new_test_ext(|| {
			assert_ok!(Segs::create_segment(
				RuntimeOrigin::root(),
				SPARE,
				2,
				key("DOT/USD"),
				risk()
			));
			System::assert_last_event(
				Event::SegmentCreated {
					segment: SPARE,
					silo: 2,
					oracle_key: key("DOT/USD"),
					risk: risk(),
				}
				.into(),
			);
			let created = info(SPARE);
			assert_eq!((created.silo, created.long_oi, created.short_oi), (2, 0, 0));
			assert_eq!(SegmentsByOracle::<Test>::get(key("DOT/USD")).into_inner(), vec![SPARE]);
			assert!(<Segs as Contains<SegmentId>>::contains(&SPARE));
			assert!(!<Segs as Contains<SegmentId>>::contains(&9));
		});
	}

	#[test]
	fn create_segment_rejects_non_admins() {
		new_test_ext(|| {
			assert_noop!(
				Segs::create_segment(
					RuntimeOrigin::signed(ALICE),
					SPARE,
					2,
					key("DOT/USD"),
					risk()
				),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn create_segment_fails_for_a_taken_id() {
		new_test_ext(|| {
			assert_noop!(
				Segs::create_segment(RuntimeOrigin::root(), BTC, 0, key("BTC/USD"), risk()),
				Error::<Test>::SegmentExists
			);
		});
	}

	#[test]
	fn create_segment_needs_the_silo_made_for_it() {
		new_test_ext(|| {
			// Silo 3 was created for segment 3, not for segment 2.
			assert_noop!(
				Segs::create_segment(RuntimeOrigin::root(), SPARE, 3, key("DOT/USD"), risk()),
				Error::<Test>::SiloNotForSegment
			);
			assert_noop!(
				Segs::create_segment(RuntimeOrigin::root(), SPARE, 42, key("DOT/USD"), risk()),
				Error::<Test>::SiloNotForSegment
			);
		});
	}

	#[test]
	fn create_segment_fails_for_invalid_risk_params() {
		new_test_ext(|| {
			let r = risk();
			for bad in [
				RiskParams { maintenance_margin: Permill::zero(), ..r },
				RiskParams { maintenance_margin: r.initial_margin, ..r },
				RiskParams { liquidation_fee: Permill::from_percent(6), ..r },
				RiskParams { max_leverage: 0, ..r },
				RiskParams { max_oi_share: Permill::zero(), ..r },
				RiskParams { max_oracle_age: 0, ..r },
				RiskParams { min_position_size: 0, ..r },
			] {
				assert_noop!(
					Segs::create_segment(RuntimeOrigin::root(), SPARE, 2, key("DOT/USD"), bad),
					Error::<Test>::InvalidRiskParams
				);
			}
		});
	}

	#[test]
	fn create_segment_fails_for_an_empty_oracle_key() {
		new_test_ext(|| {
			assert_noop!(
				Segs::create_segment(RuntimeOrigin::root(), SPARE, 2, key(""), risk()),
				Error::<Test>::InvalidOracleKey
			);
		});
	}

	#[test]
	fn create_segment_fails_past_the_segments_per_oracle_limit() {
		new_test_ext(|| {
			assert_ok!(Segs::create_segment(
				RuntimeOrigin::root(),
				SPARE,
				2,
				key("BTC/USD"),
				risk()
			));
			assert_noop!(
				Segs::create_segment(RuntimeOrigin::root(), 3, 3, key("BTC/USD"), risk()),
				Error::<Test>::TooManySegmentsOnOracle
			);
		});
	}
}

mod set_risk_params {
	use super::*;

	#[test]
	fn set_risk_params_works() {
		new_test_ext(|| {
			let tighter = RiskParams { initial_margin: Permill::from_percent(20), ..risk() };
			assert_ok!(Segs::set_risk_params(RuntimeOrigin::root(), ETH, tighter));
			assert_eq!(info(ETH).risk, tighter);
			System::assert_last_event(Event::RiskParamsSet { segment: ETH, risk: tighter }.into());
			assert_eq!(info(BTC).risk, risk());
		});
	}

	#[test]
	fn set_risk_params_accrues_funding_at_the_old_rate_first() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			run_to_block(11);
			assert_ok!(Segs::set_risk_params(
				RuntimeOrigin::root(),
				BTC,
				RiskParams { funding_rate: Default::default(), ..risk() }
			));
			// Ten blocks at 0.01% with every position long.
			assert_eq!(info(BTC).funding_index, FixedI128::from_rational(1, 1_000));
			assert_eq!(info(BTC).funding_updated, 11);
		});
	}

	#[test]
	fn set_risk_params_fails_for_non_admins_unknown_segments_and_bad_params() {
		new_test_ext(|| {
			assert_noop!(
				Segs::set_risk_params(RuntimeOrigin::signed(ALICE), BTC, risk()),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Segs::set_risk_params(RuntimeOrigin::root(), 9, risk()),
				Error::<Test>::UnknownSegment
			);
			assert_noop!(
				Segs::set_risk_params(
					RuntimeOrigin::root(),
					BTC,
					RiskParams { max_leverage: 0, ..risk() }
				),
				Error::<Test>::InvalidRiskParams
			);
		});
	}
}

mod open_position {
	use super::*;

	#[test]
	fn open_position_works() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			System::assert_last_event(
				Event::PositionOpened {
					segment: BTC,
					who: ALICE,
					side: Side::Long,
					size: 10_000,
					margin: 1_000,
					entry_price: price(100),
				}
				.into(),
			);
			assert_eq!(
				position(ALICE),
				Position {
					side: Side::Long,
					size: 10_000,
					entry_price: price(100),
					margin: 1_000,
					funding_index: FixedI128::default(),
					borrow_index: FixedI128::default(),
					oracle_entry: price(100),
					keeper_deposit: DEPOSIT,
				}
			);
			assert_eq!(info(BTC).long_oi, 10_000);
			assert_eq!(
				TestSilos::calls(),
				vec![LedgerCall::Lock {
					segment: BTC,
					who: ALICE,
					amount: 1_000 + DEPOSIT,
					fee: Fee::ZERO
				}]
			);
			assert_eq!(TestSilos::margin(0, ALICE), (FREE_MARGIN - 1_005, 1_005));
		});
	}

	#[test]
	fn opening_again_on_the_same_side_increases_at_an_averaged_entry() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestPrices::set("BTC/USD", price(110));
			open(ALICE, Side::Long, 11_000, 1_100);
			System::assert_last_event(
				Event::PositionIncreased {
					segment: BTC,
					who: ALICE,
					added_size: 11_000,
					added_margin: 1_100,
					price: price(110),
					size: 21_000,
					entry_price: price(105),
				}
				.into(),
			);
			assert_eq!(position(ALICE).margin, 2_100);
			assert_eq!(info(BTC).long_oi, 21_000);
		});
	}

	#[test]
	fn open_position_fails_against_an_open_opposite_side() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Short, 1_000, 100),
				Error::<Test>::OppositeSideOpen
			);
		});
	}

	#[test]
	fn open_position_fails_for_zero_size_or_unknown_segment() {
		new_test_ext(|| {
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 0, 100),
				Error::<Test>::ZeroSize
			);
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), 9, Side::Long, 1_000, 100),
				Error::<Test>::UnknownSegment
			);
		});
	}

	#[test]
	fn open_position_fails_while_severed_or_recovering() {
		new_test_ext(|| {
			TestBreaker::set(BTC, SegmentStatus::Severed);
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 1_000, 100),
				Error::<Test>::SegmentSevered
			);
			TestBreaker::set(BTC, SegmentStatus::Recovering);
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 1_000, 100),
				Error::<Test>::ReduceOnly
			);
			// The other segment trades on.
			assert_ok!(open_position(
				RuntimeOrigin::signed(ALICE),
				ETH,
				Side::Long,
				1_000,
				100 + DEPOSIT
			));
		});
	}

	#[test]
	fn open_position_fails_without_a_usable_price() {
		new_test_ext(|| {
			TestPrices::set("BTC/USD", Price::from_u32(0));
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 1_000, 100),
				Error::<Test>::PriceUnavailable
			);
			TestPrices::remove("BTC/USD");
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 1_000, 100),
				Error::<Test>::PriceUnavailable
			);
		});
	}

	#[test]
	fn open_position_fails_on_a_stale_price() {
		new_test_ext(|| {
			// Exactly the maximum age is still fresh (and the order's fill republishes it).
			TestTime::advance_ms(60_000);
			open(ALICE, Side::Long, 1_000, 100);
			TestTime::advance_ms(60_001);
			assert_noop!(
				open_position(RuntimeOrigin::signed(BOB), BTC, Side::Long, 1_000, 100),
				Error::<Test>::StalePrice
			);
		});
	}

	#[test]
	fn open_position_fails_past_max_leverage() {
		new_test_ext(|| {
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 10_000, 999),
				Error::<Test>::LeverageTooHigh
			);
		});
	}

	#[test]
	fn open_position_fails_below_initial_margin() {
		new_test_ext(|| {
			assert_ok!(Segs::set_risk_params(
				RuntimeOrigin::root(),
				BTC,
				RiskParams { max_leverage: 20, ..risk() }
			));
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 10_000, 999),
				Error::<Test>::InsufficientMargin
			);
		});
	}

	#[test]
	fn increasing_a_losing_position_counts_its_loss() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestPrices::set("BTC/USD", price(95));
			// Equity 1_000 - 500 + 200 = 700, but 20_000 of size needs about 1_950.
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 10_000, 1_200),
				Error::<Test>::InsufficientMargin
			);
		});
	}

	#[test]
	fn open_position_fails_past_the_open_interest_caps() {
		new_test_ext(|| {
			// Half of a 100_000 pool.
			TestSilos::set_pool(0, 100_000);
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 50_001, 10_000),
				Error::<Test>::OpenInterestCapExceeded
			);
			open(ALICE, Side::Long, 50_000, 10_000);
			// The other side has its own cap.
			open(BOB, Side::Short, 50_000, 10_000);
			// The absolute cap.
			assert_ok!(Segs::set_risk_params(
				RuntimeOrigin::root(),
				ETH,
				RiskParams { max_open_interest: 20_000, ..risk() }
			));
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), ETH, Side::Short, 20_001, 10_000),
				Error::<Test>::OpenInterestCapExceeded
			);
		});
	}

	#[test]
	fn open_position_fails_without_free_margin_in_the_silo() {
		new_test_ext(|| {
			assert_noop!(
				open_position(RuntimeOrigin::signed(NOBODY), BTC, Side::Long, 1_000, 100 + DEPOSIT),
				DispatchError::Other("InsufficientFreeMargin")
			);
		});
	}
}

mod decrease_and_close {
	use super::*;

	#[test]
	fn close_position_realizes_a_profit() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestPrices::set("BTC/USD", price(110));
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			System::assert_last_event(
				Event::PositionClosed {
					segment: BTC,
					who: ALICE,
					size: 10_000,
					price: price(110),
					pnl: Pnl::Profit(1_000),
					returned: 2_000 + DEPOSIT,
				}
				.into(),
			);
			assert_eq!(
				TestSilos::last_call(),
				Some(LedgerCall::Settle {
					segment: BTC,
					who: ALICE,
					settlement: Settlement {
						margin: 1_000,
						pnl: Pnl::Profit(1_000),
						fee: Fee::ZERO,
						keeper_deposit: DEPOSIT,
						reward: None
					}
				})
			);
			assert!(Positions::<Test>::get(BTC, ALICE).is_none());
			assert_eq!(info(BTC).long_oi, 0);
		});
	}

	#[test]
	fn close_position_realizes_a_short_loss() {
		new_test_ext(|| {
			open(BOB, Side::Short, 10_000, 2_000);
			TestPrices::set("BTC/USD", price(105));
			assert_ok!(close_position(RuntimeOrigin::signed(BOB), BTC));
			System::assert_last_event(
				Event::PositionClosed {
					segment: BTC,
					who: BOB,
					size: 10_000,
					price: price(105),
					pnl: Pnl::Loss(500),
					returned: 1_500 + DEPOSIT,
				}
				.into(),
			);
		});
	}

	#[test]
	fn decrease_position_settles_a_proportional_part() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestPrices::set("BTC/USD", price(90));
			assert_ok!(decrease_position(RuntimeOrigin::signed(ALICE), BTC, 5_000));
			System::assert_last_event(
				Event::PositionDecreased {
					segment: BTC,
					who: ALICE,
					size: 5_000,
					price: price(90),
					pnl: Pnl::Loss(500),
					returned: 0,
				}
				.into(),
			);
			assert_eq!((position(ALICE).size, position(ALICE).margin), (5_000, 500));
			assert_eq!(position(ALICE).entry_price, price(100));
			assert_eq!(info(BTC).long_oi, 5_000);
		});
	}

	#[test]
	fn decreasing_by_the_whole_size_closes() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			assert_ok!(decrease_position(RuntimeOrigin::signed(ALICE), BTC, 10_000));
			assert!(Positions::<Test>::get(BTC, ALICE).is_none());
			assert!(matches!(
				System::events().last().unwrap().event,
				RuntimeEvent::ExecutionSegments(Event::PositionClosed { returned: 1_005, .. })
			));
		});
	}

	#[test]
	fn decrease_position_fails_for_bad_sizes_or_no_position() {
		new_test_ext(|| {
			assert_noop!(
				decrease_position(RuntimeOrigin::signed(ALICE), BTC, 1),
				Error::<Test>::NoPosition
			);
			open(ALICE, Side::Long, 10_000, 1_000);
			assert_noop!(
				decrease_position(RuntimeOrigin::signed(ALICE), BTC, 10_001),
				Error::<Test>::DecreaseExceedsSize
			);
			assert_noop!(
				decrease_position(RuntimeOrigin::signed(ALICE), BTC, 0),
				Error::<Test>::ZeroSize
			);
			assert_noop!(
				close_position(RuntimeOrigin::signed(BOB), BTC),
				Error::<Test>::NoPosition
			);
		});
	}

	#[test]
	fn closing_works_while_severed_or_recovering() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			open(BOB, Side::Short, 10_000, 1_000);
			TestBreaker::set(BTC, SegmentStatus::Severed);
			assert_ok!(decrease_position(RuntimeOrigin::signed(ALICE), BTC, 1_000));
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			TestBreaker::set(BTC, SegmentStatus::Recovering);
			assert_ok!(close_position(RuntimeOrigin::signed(BOB), BTC));
		});
	}

	#[test]
	fn closing_needs_a_fresh_price() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestTime::advance_ms(60_001);
			assert_noop!(
				close_position(RuntimeOrigin::signed(ALICE), BTC),
				Error::<Test>::StalePrice
			);
		});
	}
}

mod margin {
	use super::*;

	#[test]
	fn add_margin_works_even_severed_and_without_a_price() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestBreaker::set(BTC, SegmentStatus::Severed);
			TestPrices::remove("BTC/USD");
			assert_ok!(Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, 500));
			System::assert_last_event(
				Event::MarginAdded { segment: BTC, who: ALICE, amount: 500 }.into(),
			);
			assert_eq!(position(ALICE).margin, 1_500);
			// The keeper deposit stays locked beside the margin.
			assert_eq!(TestSilos::margin(0, ALICE), (FREE_MARGIN - 1_505, 1_505));
		});
	}

	#[test]
	fn add_margin_fails_for_zero_no_position_or_no_free_margin() {
		new_test_ext(|| {
			assert_noop!(
				Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, 5),
				Error::<Test>::NoPosition
			);
			open(ALICE, Side::Long, 10_000, 1_000);
			assert_noop!(
				Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, 0),
				Error::<Test>::ZeroAmount
			);
			assert_noop!(
				Segs::add_margin(RuntimeOrigin::signed(ALICE), BTC, FREE_MARGIN),
				DispatchError::Other("InsufficientFreeMargin")
			);
		});
	}

	#[test]
	fn remove_margin_works() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 2_000);
			assert_ok!(Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 1_000));
			System::assert_last_event(
				Event::MarginRemoved { segment: BTC, who: ALICE, amount: 1_000 }.into(),
			);
			assert_eq!(position(ALICE).margin, 1_000);
			assert_eq!(
				TestSilos::last_call(),
				Some(LedgerCall::Release { segment: BTC, who: ALICE, amount: 1_000 })
			);
		});
	}

	#[test]
	fn remove_margin_keeps_initial_margin_and_leverage() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 2_000);
			assert_noop!(
				Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 1_001),
				Error::<Test>::LeverageTooHigh
			);
			assert_noop!(
				Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 2_001),
				Error::<Test>::InsufficientMargin
			);
			// At 95 equity is 1_500 and 9_500 of value needs 950.
			TestPrices::set("BTC/USD", price(95));
			assert_noop!(
				Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 600),
				Error::<Test>::InsufficientMargin
			);
			assert_ok!(Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 550));
		});
	}

	#[test]
	fn remove_margin_is_new_risk() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 2_000);
			TestBreaker::set(BTC, SegmentStatus::Severed);
			assert_noop!(
				Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 1),
				Error::<Test>::SegmentSevered
			);
			TestBreaker::set(BTC, SegmentStatus::Recovering);
			assert_noop!(
				Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 1),
				Error::<Test>::ReduceOnly
			);
			assert_noop!(
				Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 0),
				Error::<Test>::ZeroAmount
			);
		});
	}
}

mod liquidate {
	use super::*;

	#[test]
	fn liquidate_works_below_maintenance() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			// At 94: equity 400 under the 470 maintenance of 9_400.
			TestPrices::set("BTC/USD", price(94));
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
			System::assert_last_event(
				Event::PositionLiquidated {
					segment: BTC,
					who: ALICE,
					liquidator: KEEPER,
					size: 10_000,
					price: price(94),
					fee: 94 + DEPOSIT,
					bad_debt: 0,
				}
				.into(),
			);
			assert_eq!(
				TestSilos::last_call(),
				Some(LedgerCall::Settle {
					segment: BTC,
					who: ALICE,
					settlement: Settlement {
						margin: 1_000,
						pnl: Pnl::Loss(600),
						fee: Fee::ZERO,
						keeper_deposit: DEPOSIT,
						reward: Some((KEEPER, 94))
					}
				})
			);
			// The keeper earns the fee and the position's deposit.
			assert_eq!(TestSilos::margin(0, KEEPER).0, 94 + DEPOSIT);
			assert_eq!(TestSilos::margin(0, ALICE).0, FREE_MARGIN - 1_005 + 306);
			assert!(Positions::<Test>::get(BTC, ALICE).is_none());
			assert_eq!(info(BTC).long_oi, 0);
		});
	}

	#[test]
	fn views_show_what_liquidate_would_do() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			open(BOB, Side::Long, 10_000, 5_000);
			let view = Segs::position_view(BTC, &ALICE).unwrap();
			assert_eq!((view.side, view.size, view.margin), (Side::Long, 10_000, 1_000));
			assert_eq!((view.unrealized_pnl, view.equity), (0, 1_000));
			assert_eq!(view.maintenance_margin, 500);
			assert_eq!(view.margin_ratio, Some(FixedI128::saturating_from_rational(1, 10)));
			assert!(!view.liquidatable);
			assert!(Segs::liquidatable(BTC, 10).is_empty());

			// At 95, equity 500 against a maintenance of 475: not yet.
			TestPrices::set("BTC/USD", price(95));
			let view = Segs::position_view(BTC, &ALICE).unwrap();
			assert_eq!(
				(view.unrealized_pnl, view.equity, view.maintenance_margin),
				(-500, 500, 475)
			);
			assert!(!view.liquidatable);
			// The liquidation price lies between 95 and 94.
			let at = view.liquidation_price.unwrap();
			assert!(at < price(95) && at > price(94));

			// At 94 Alice is liquidatable and Bob is not; the list and the call agree.
			TestPrices::set("BTC/USD", price(94));
			assert!(Segs::position_view(BTC, &ALICE).unwrap().liquidatable);
			assert!(!Segs::position_view(BTC, &BOB).unwrap().liquidatable);
			assert_eq!(Segs::liquidatable(BTC, 10), vec![ALICE]);
			assert!(Segs::liquidatable(BTC, 0).is_empty());
			assert!(Segs::position_view(BTC, &KEEPER).is_none());
			assert!(Segs::position_view(ETH, &ALICE).is_none());
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
			assert!(Segs::liquidatable(BTC, 10).is_empty());

			// Without a fresh price nothing is listed, though the view still values at the mark.
			TestPrices::set("BTC/USD", price(50));
			TestTime::advance_ms(risk().max_oracle_age + 1);
			assert!(Segs::liquidatable(BTC, 10).is_empty());
			assert!(!Segs::position_view(BTC, &BOB).unwrap().liquidatable);
		});
	}

	#[test]
	fn liquidate_fails_at_or_above_maintenance() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			// At 95: equity 500, maintenance 475.
			TestPrices::set("BTC/USD", price(95));
			assert_noop!(
				Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE),
				Error::<Test>::NotLiquidatable
			);
			assert_noop!(
				Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, BOB),
				Error::<Test>::NoPosition
			);
		});
	}

	#[test]
	fn a_price_gap_leaves_bad_debt_and_no_fee() {
		new_test_ext(|| {
			open(BOB, Side::Short, 10_000, 1_000);
			TestPrices::set("BTC/USD", price(120));
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, BOB));
			System::assert_last_event(
				Event::PositionLiquidated {
					segment: BTC,
					who: BOB,
					liquidator: KEEPER,
					size: 10_000,
					price: price(120),
					// Nothing is left for a fee: the keeper earns the deposit alone.
					fee: DEPOSIT,
					bad_debt: 1_000,
				}
				.into(),
			);
		});
	}

	#[test]
	fn liquidation_keeps_working_while_severed() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestBreaker::set(BTC, SegmentStatus::Severed);
			TestPrices::set("BTC/USD", price(90));
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
		});
	}

	#[test]
	fn liquidation_needs_a_fresh_price() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			TestPrices::set("BTC/USD", price(90));
			TestTime::advance_ms(60_001);
			assert_noop!(
				Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE),
				Error::<Test>::StalePrice
			);
		});
	}
}

mod funding {
	use super::*;

	#[test]
	fn the_heavier_side_pays_funding() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 30_000, 3_000);
			open(BOB, Side::Short, 10_000, 1_000);
			// Skew one half: 0.005% a block; 100 blocks make 0.5%.
			run_to_block(101);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			System::assert_last_event(
				Event::PositionClosed {
					segment: BTC,
					who: ALICE,
					size: 30_000,
					price: price(100),
					pnl: Pnl::Loss(150),
					returned: 2_850 + DEPOSIT,
				}
				.into(),
			);
			assert_ok!(close_position(RuntimeOrigin::signed(BOB), BTC));
			System::assert_last_event(
				Event::PositionClosed {
					segment: BTC,
					who: BOB,
					size: 10_000,
					price: price(100),
					pnl: Pnl::Profit(50),
					returned: 1_050 + DEPOSIT,
				}
				.into(),
			);
		});
	}

	#[test]
	fn funding_can_make_a_position_liquidatable() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			// All long: 0.01% a block. After 600 blocks Alice owes 600 of her 1_000.
			run_to_block(601);
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
		});
	}

	#[test]
	fn funding_owed_survives_an_increase() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 2_000);
			run_to_block(101);
			// 100 blocks all long: Alice owes 100. Doubling the position keeps that debt.
			open(ALICE, Side::Long, 10_000, 2_000);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			assert!(matches!(
				System::events().last().unwrap().event,
				RuntimeEvent::ExecutionSegments(Event::PositionClosed { pnl: Pnl::Loss(100), .. })
			));
		});
	}
}

mod oracle {
	use super::*;

	#[test]
	fn note_price_tells_the_breaker_for_every_segment_on_the_feed() {
		new_test_ext(|| {
			assert_ok!(Segs::create_segment(
				RuntimeOrigin::root(),
				SPARE,
				2,
				key("BTC/USD"),
				risk()
			));
			let at = |p| PricePoint { price: price(p), timestamp: START_MS + 1 };
			// It says whether any segment trades the feed: the runtime's hook keeps an
			// operator's value only if one does.
			assert!(Segs::note_price(&key("BTC/USD"), at(101)));
			assert!(!Segs::note_price(&key("SOL/USD"), at(1)));
			assert!(Segs::trades(&key("BTC/USD")));
			assert!(!Segs::trades(&key("SOL/USD")));
			assert_eq!(TestBreaker::price_notes(), vec![(BTC, price(101)), (SPARE, price(101))]);
			// Each segment on the feed remembers it for its orders, as its breaker judged it.
			let round = PriceRound {
				price: price(101),
				timestamp: START_MS + 1,
				published: START_MS,
				accepted: price(101),
			};
			for segment in [BTC, SPARE] {
				assert_eq!(PriceRounds::<Test>::get(segment).rounds.to_vec(), vec![round]);
			}
			assert!(PriceRounds::<Test>::get(ETH).rounds.is_empty());
		});
	}
}

mod minimum_position_size {
	use super::*;

	const MIN: u128 = 1_000;

	fn raise_minimum() {
		assert_ok!(Segs::set_risk_params(
			RuntimeOrigin::root(),
			BTC,
			RiskParams { min_position_size: MIN, ..risk() }
		));
	}

	#[test]
	fn open_position_fails_below_the_minimum() {
		new_test_ext(|| {
			raise_minimum();
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, MIN - 1, 1_000),
				Error::<Test>::PositionBelowMinimum
			);
			open(ALICE, Side::Long, MIN, 1_000);
			// Growing a position that meets the minimum takes any size.
			open(ALICE, Side::Long, 1, 0);
			assert_eq!(position(ALICE).size, MIN + 1);
		});
	}

	#[test]
	fn decrease_position_leaves_nothing_or_at_least_the_minimum() {
		new_test_ext(|| {
			raise_minimum();
			open(ALICE, Side::Long, 1_500, 1_000);
			assert_noop!(
				decrease_position(RuntimeOrigin::signed(ALICE), BTC, 501),
				Error::<Test>::PositionBelowMinimum
			);
			assert_ok!(decrease_position(RuntimeOrigin::signed(ALICE), BTC, 500));
			assert_eq!(position(ALICE).size, MIN);
			assert_ok!(decrease_position(RuntimeOrigin::signed(ALICE), BTC, MIN));
			assert!(!Positions::<Test>::contains_key(BTC, ALICE));
		});
	}

	#[test]
	fn a_position_under_a_raised_minimum_can_still_close_and_be_liquidated() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 500, 100);
			open(BOB, Side::Long, 500, 50);
			raise_minimum();
			assert_noop!(
				decrease_position(RuntimeOrigin::signed(ALICE), BTC, 100),
				Error::<Test>::PositionBelowMinimum
			);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			// Bob's 10x long is under maintenance after a 6% fall.
			TestPrices::set("BTC/USD", price(94));
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, BOB));
		});
	}
}

mod migrations {
	use super::*;
	use crate::migrations::v2::{v1, MigrateV1ToV2};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	frame_support::parameter_types! {
		pub Params: PoolParams = economic_pool();
	}
	type Migrate = MigrateV1ToV2<Test, Params>;

	/// Both segments with positions open (two longs and a short in BTC), rewritten as a chain at
	/// version 1 holds them: no pool parameters, side sums, borrowing or keeper deposits, no
	/// ADL queue. BTC's figures as version 1 held them.
	fn chain_at_v1() -> v1::SegmentInfo<u64> {
		open(ALICE, Side::Long, 500, 100);
		TestPrices::set("BTC/USD", price(110));
		open(BOB, Side::Short, 800, 100);
		let btc = v1::SegmentInfo::from(info(BTC));
		for segment in [BTC, ETH] {
			v1::Segments::<Test>::insert(segment, v1::SegmentInfo::from(info(segment)));
		}
		for (segment, who, p) in crate::Positions::<Test>::iter().collect::<Vec<_>>() {
			// Version 1 locked no keeper deposit.
			let (free, locked) = TestSilos::margin(segment, who);
			TestSilos::set_margin(
				segment,
				who,
				(free + p.keeper_deposit, locked - p.keeper_deposit),
			);
			v1::Positions::<Test>::insert(segment, who, v1::Position::from(p));
		}
		let _ = crate::AdlQueue::<Test>::clear(u32::MAX, None);
		StorageVersion::new(1).put::<Segs>();
		btc
	}

	#[test]
	fn v1_to_v2_adds_the_pool_economics_and_tallies_every_position() {
		new_test_ext(|| {
			let old = chain_at_v1();
			Migrate::on_runtime_upgrade();
			assert_eq!(Segs::on_chain_storage_version(), StorageVersion::new(2));
			crate::migrations::v3::MigrateV2ToV3::<Test>::on_runtime_upgrade();
			crate::migrations::v4::MigrateV3ToV4::<Test>::on_runtime_upgrade();
			crate::migrations::v5::MigrateV4ToV5::<Test>::on_runtime_upgrade();
			assert_eq!(Segs::on_chain_storage_version(), Segs::in_code_storage_version());
			let now = info(BTC);
			assert_eq!(now.risk.pool, economic_pool());
			assert_eq!(v1::SegmentInfo::from(now.clone()), old);
			// The sums and the queue match the positions (try_state checks them to the unit).
			assert_ok!(Segs::do_try_state());
			assert!(now.longs.units > 0 && now.shorts.units > 0);
			let alice = position(ALICE);
			assert_eq!((alice.keeper_deposit, alice.borrow_index), (0, Default::default()));
			// A migrated position closes, its margin all returned.
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
		});
	}

	#[test]
	fn v1_to_v2_runs_once() {
		new_test_ext(|| {
			assert_eq!(Segs::on_chain_storage_version(), StorageVersion::new(5));
			let before = info(BTC);
			Migrate::on_runtime_upgrade();
			assert_eq!(info(BTC), before);
			assert_eq!(Segs::on_chain_storage_version(), StorageVersion::new(5));
		});
	}

	/// Orders are new items: the upgrade to version 3 writes nothing but the version, and a
	/// position opened before it closes through an order after it.
	#[test]
	fn v2_to_v3_records_the_version_and_changes_nothing_else() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 1_000, 100);
			StorageVersion::new(2).put::<Segs>();
			let before = (info(BTC), position(ALICE));
			crate::migrations::v3::MigrateV2ToV3::<Test>::on_runtime_upgrade();
			assert_eq!(Segs::on_chain_storage_version(), StorageVersion::new(3));
			assert_eq!((info(BTC), position(ALICE)), before);
			assert_eq!(OrderCount::<Test>::iter().count(), 0);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
		});
	}

	/// Ending markets adds items: the upgrade to version 4 writes nothing but the version, runs
	/// once, and every market is live after it.
	#[test]
	fn v3_to_v4_records_the_version_and_changes_nothing_else() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 1_000, 100);
			StorageVersion::new(3).put::<Segs>();
			let before = (info(BTC), position(ALICE));
			crate::migrations::v4::MigrateV3ToV4::<Test>::on_runtime_upgrade();
			assert_eq!(Segs::on_chain_storage_version(), StorageVersion::new(4));
			assert_eq!((info(BTC), position(ALICE)), before);
			assert_eq!(Markets::<Test>::get(BTC), segment_interface::MarketStatus::Live);
			StorageVersion::new(5).put::<Segs>();
			crate::migrations::v4::MigrateV3ToV4::<Test>::on_runtime_upgrade();
			assert_eq!(Segs::on_chain_storage_version(), StorageVersion::new(5), "ran once");
			StorageVersion::new(4).put::<Segs>();
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
		});
	}

	#[cfg(feature = "try-runtime")]
	#[test]
	fn v1_to_v2_passes_its_own_pre_and_post_checks() {
		new_test_ext(|| {
			chain_at_v1();
			assert_ok!(Migrate::try_on_runtime_upgrade(true));
			assert_eq!(Segs::on_chain_storage_version(), StorageVersion::new(2));
		});
	}
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Open(AccountId, bool, u128, u128),
		Decrease(AccountId, u128),
		Close(AccountId),
		AddMargin(AccountId, u128),
		RemoveMargin(AccountId, u128),
		Liquidate(AccountId),
		Price(u32),
		Blocks(u64),
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = prop_oneof![Just(ALICE), Just(BOB)];
		prop_oneof![
			(who.clone(), any::<bool>(), 0u128..50_000, 0u128..10_000)
				.prop_map(|(w, l, s, m)| Op::Open(w, l, s, m)),
			(who.clone(), 0u128..50_000).prop_map(|(w, s)| Op::Decrease(w, s)),
			who.clone().prop_map(Op::Close),
			(who.clone(), 0u128..5_000).prop_map(|(w, a)| Op::AddMargin(w, a)),
			(who.clone(), 0u128..5_000).prop_map(|(w, a)| Op::RemoveMargin(w, a)),
			who.prop_map(Op::Liquidate),
			(50u32..150).prop_map(Op::Price),
			(0u64..500).prop_map(Op::Blocks),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		/// Whatever traders do, open interest is the sum of positions, what a trader has locked
		/// in the silo is their position's margin, and failing calls change nothing.
		#[test]
		fn open_interest_and_margin_stay_consistent(ops in proptest::collection::vec(op(), 1..40)) {
			new_test_ext(|| {
				let mut block = 1;
				for op in ops.clone() {
					let result = frame_support::storage::with_storage_layer(|| match op {
						Op::Open(w, long, s, m) => open_position(
							RuntimeOrigin::signed(w), BTC, if long { Side::Long } else { Side::Short }, s, m),
						Op::Decrease(w, s) => decrease_position(RuntimeOrigin::signed(w), BTC, s),
						Op::Close(w) => close_position(RuntimeOrigin::signed(w), BTC),
						Op::AddMargin(w, a) => Segs::add_margin(RuntimeOrigin::signed(w), BTC, a),
						Op::RemoveMargin(w, a) => Segs::remove_margin(RuntimeOrigin::signed(w), BTC, a),
						Op::Liquidate(w) => Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, w),
						Op::Price(p) => { TestPrices::set("BTC/USD", price(p)); Ok(()) },
						Op::Blocks(n) => { block += n; run_to_block(block); Ok(()) },
					});
					let _ = result;
					Segs::do_try_state().unwrap();
					assert_locked_margin_matches_positions();
				}
			});
		}
	}
}

/// While the breaker rejects the oracle's latest price, no value moves at it.
mod rejected_price {
	use super::*;
	use segment_interface::PoolRisk;

	/// The oracle says `now`; the breaker rejected it and last accepted `accepted`.
	fn rejected(now: u32, accepted: u32) {
		TestPrices::set("BTC/USD", price(now));
		TestBreaker::reject(BTC, Some(price(accepted)));
	}

	#[test]
	fn nothing_opens_and_no_margin_leaves_at_a_rejected_price() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 2_000);
			rejected(150, 100);
			assert_noop!(
				open_position(RuntimeOrigin::signed(BOB), BTC, Side::Long, 1_000, 200),
				Error::<Test>::PriceRejected
			);
			assert_noop!(
				open_position(RuntimeOrigin::signed(ALICE), BTC, Side::Long, 1_000, 200),
				Error::<Test>::PriceRejected
			);
			// At 150, Alice's long would free most of its margin: not at a rejected price.
			assert_noop!(
				Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 500),
				Error::<Test>::PriceRejected
			);
			// Nor is the pool priced at it, so no LP share is bought or sold.
			assert_eq!(<Segs as PoolRisk>::exposure(BTC), Err(Error::<Test>::PriceRejected.into()));
			// Once the breaker accepts the price again, all of it works.
			TestBreaker::reject(BTC, None);
			assert_ok!(Segs::remove_margin(RuntimeOrigin::signed(ALICE), BTC, 500));
			assert_ok!(<Segs as PoolRisk>::exposure(BTC));
		});
	}

	#[test]
	fn a_close_takes_no_profit_at_a_rejected_price() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			open(BOB, Side::Short, 10_000, 1_000);
			// The oracle jumps to 105, which the breaker rejects: Alice's long closes at 100,
			// the last accepted price (no profit), Bob's short at 105 (he may cut his loss).
			rejected(105, 100);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			System::assert_last_event(
				Event::PositionClosed {
					segment: BTC,
					who: ALICE,
					size: 10_000,
					price: price(100),
					pnl: Pnl::Profit(0),
					returned: 1_000 + DEPOSIT,
				}
				.into(),
			);
			assert_ok!(decrease_position(RuntimeOrigin::signed(BOB), BTC, 5_000));
			System::assert_last_event(
				Event::PositionDecreased {
					segment: BTC,
					who: BOB,
					size: 5_000,
					price: price(105),
					pnl: Pnl::Loss(250),
					returned: 250,
				}
				.into(),
			);
		});
	}

	#[test]
	fn a_rejected_drop_pays_a_short_nothing_and_lets_a_long_cut_its_loss() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 2_000);
			open(BOB, Side::Short, 10_000, 1_000);
			rejected(95, 100);
			assert_ok!(close_position(RuntimeOrigin::signed(BOB), BTC));
			System::assert_last_event(
				Event::PositionClosed {
					segment: BTC,
					who: BOB,
					size: 10_000,
					price: price(100),
					pnl: Pnl::Profit(0),
					returned: 1_000 + DEPOSIT,
				}
				.into(),
			);
			assert_ok!(close_position(RuntimeOrigin::signed(ALICE), BTC));
			System::assert_last_event(
				Event::PositionClosed {
					segment: BTC,
					who: ALICE,
					size: 10_000,
					price: price(95),
					pnl: Pnl::Loss(500),
					returned: 1_500 + DEPOSIT,
				}
				.into(),
			);
		});
	}

	#[test]
	fn a_liquidation_settles_no_better_than_a_close_and_leaves_no_bad_debt_the_accepted_price_would_not(
	) {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			// Below maintenance at 94, the last accepted price; the oracle says 80, rejected. A
			// close would settle at 80 (a 2,000 loss on 1,000 of margin); liquidated, the long
			// settles at 90, where its equity runs out: its owner gets nothing back, and the
			// LPs no bad debt from a price the breaker did not accept.
			rejected(80, 94);
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
			let Some(LedgerCall::Settle { settlement, .. }) = TestSilos::last_call() else {
				panic!("a settlement")
			};
			assert_eq!(settlement.pnl, Pnl::Loss(1_000));
			System::assert_last_event(
				Event::PositionLiquidated {
					segment: BTC,
					who: ALICE,
					liquidator: KEEPER,
					size: 10_000,
					price: Price::from_inner(price(90).into_inner() + 1),
					// Nothing is left for the liquidation fee: the keeper gets the deposit.
					fee: DEPOSIT,
					bad_debt: 0,
				}
				.into(),
			);
		});
	}

	#[test]
	fn nobody_is_deleveraged_at_a_rejected_price() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			rejected(300, 100);
			assert_noop!(
				Segs::auto_deleverage(RuntimeOrigin::signed(KEEPER), BTC, ALICE),
				Error::<Test>::PriceRejected
			);
		});
	}

	#[test]
	fn liquidations_use_the_last_accepted_price() {
		new_test_ext(|| {
			open(ALICE, Side::Long, 10_000, 1_000);
			open(BOB, Side::Long, 10_000, 1_000);
			// A rejected crash to 80 liquidates nobody: at 100, the last accepted price, both
			// positions are healthy.
			rejected(80, 100);
			assert_noop!(
				Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE),
				Error::<Test>::NotLiquidatable
			);
			assert!(Segs::liquidatable(BTC, 10).is_empty());
			assert_eq!(Segs::position_view(BTC, &ALICE).unwrap().mark_price, Some(price(100)));
			// A position below maintenance at the last accepted price is liquidated at it, even
			// when the rejected price would have spared it.
			rejected(120, 94);
			assert_eq!(Segs::liquidatable(BTC, 10), vec![ALICE, BOB]);
			assert_ok!(Segs::liquidate(RuntimeOrigin::signed(KEEPER), BTC, ALICE));
			System::assert_last_event(
				Event::PositionLiquidated {
					segment: BTC,
					who: ALICE,
					liquidator: KEEPER,
					size: 10_000,
					price: price(94),
					fee: 94 + DEPOSIT,
					bad_debt: 0,
				}
				.into(),
			);
		});
	}
}
