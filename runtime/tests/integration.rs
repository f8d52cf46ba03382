//! The real runtime: the four Bulkhead pallets wired together through the interface, on the
//! `development` genesis. A full market lifecycle, the gateway's 2-of-3 path, the breaker, the
//! runtime API's views, and the contagion drill.

use crate::common;

use bulkhead_runtime::{
	views, CircuitBreaker, CollateralSilos, ExecutionSegments, Gateway, Guardians, Oracle, Price,
	Runtime, RuntimeOrigin, System,
};
use common::*;
use frame_support::{assert_noop, assert_ok};
use pallet_circuit_breaker::{BreakerState, Thresholds};
use pallet_execution_segments::{Positions, Side};
use segment_interface::{
	views::{BreakerView, Clearance},
	SegmentStatus, TripReason,
};
use sp_runtime::{traits::Zero, DispatchError, FixedPointNumber, Permill};

type SegmentsError = pallet_execution_segments::Error<Runtime>;
type GatewayError = pallet_gateway::Error<Runtime>;

#[test]
fn genesis_starts_a_live_demo() {
	run(|| {
		assert_eq!(views::segments(), vec![BTC, ETH, DOT]);
		for segment in [BTC, ETH, DOT] {
			let health = views::segment_health(segment).expect("demo segment");
			assert_eq!(health.silo, segment);
			assert_eq!(health.status, SegmentStatus::Normal);
			assert_eq!(health.breaker, BreakerView::Normal);
			assert_eq!(health.lp_liquidity, usdc(2_000_000));
			assert_eq!(health.insurance, usdc(100_000));
			assert_eq!(health.silo_value, usdc(2_100_000));
			assert_eq!(health.bad_debt, 0);
			assert!(health.price.is_some_and(|p| !p.price.is_zero()), "genesis price fed");
		}
		assert_eq!(
			Oracle::get(&bulkhead_runtime::genesis_config_presets::oracle_key(b"BTC/USD"))
				.map(|v| v.value),
			Some(Price::saturating_from_integer(60_000))
		);
		// Every dev account holds USDC; Alice funded the silos from her extra.
		for who in [bob(), charlie(), dave(), eve(), ferdie()] {
			assert_eq!(usdc_of(&who), usdc(1_000_000));
		}
		assert_eq!(usdc_of(&alice()), usdc(1_000_000));
		// Guardians, 2 of 3, and routes both ways between BTC and ETH.
		assert_eq!(Guardians::members().len(), 3);
		assert_eq!(Gateway::approval_threshold(), 2);
		assert!(pallet_gateway::RouteByEnds::<Runtime>::get(BTC, ETH).is_some());
		assert!(pallet_gateway::RouteByEnds::<Runtime>::get(ETH, BTC).is_some());
		assert!(pallet_gateway::RouteByEnds::<Runtime>::get(BTC, DOT).is_none());
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), Some(alice()));
	});
}

#[test]
fn genesis_prices_are_stale_until_fed() {
	run(|| {
		assert_ok!(CollateralSilos::deposit_margin(signed(&bob()), BTC, usdc(1_000)));
		assert_noop!(
			open(&bob(), BTC, Side::Long, usdc(5_000), usdc(1_000)),
			SegmentsError::StalePrice
		);
		feed_genesis_prices();
		assert_ok!(open(&bob(), BTC, Side::Long, usdc(5_000), usdc(1_000)));
	});
}

#[test]
fn a_full_market_lifecycle() {
	run(|| {
		feed_genesis_prices();
		let start = usdc_of(&bob());
		assert_ok!(CollateralSilos::deposit_margin(signed(&bob()), ETH, usdc(10_000)));
		assert_eq!(usdc_of(&bob()), start - usdc(10_000));

		// Open 5x long, then increase it.
		assert_ok!(open(&bob(), ETH, Side::Long, usdc(20_000), usdc(4_000)));
		assert_ok!(open(&bob(), ETH, Side::Long, usdc(10_000), usdc(2_000)));
		// Each open paid 6 bp of its size (it adds to the skew); the first also locked the
		// keeper deposit: 6,000 - 12 - 6 - 5 is the position's margin.
		let view = views::position(ETH, &bob()).expect("open position");
		let deposit = bulkhead_runtime::genesis_config_presets::KEEPER_DEPOSIT;
		assert_eq!((view.side, view.size), (Side::Long, usdc(30_000)));
		assert_eq!(view.margin, usdc(6_000) - usdc(18) - deposit);
		// The fills were a little above the oracle (skew impact): a small unrealized loss.
		assert!(view.unrealized_pnl < 0 && view.unrealized_pnl > -(usdc(5) as i128));
		assert_eq!(margin(ETH, &bob()).locked, usdc(6_000) - usdc(18));
		assert_eq!(margin(ETH, &bob()).free, usdc(4_000));
		let health = views::segment_health(ETH).unwrap();
		assert_eq!((health.long_open_interest, health.short_open_interest), (usdc(30_000), 0));

		// Margin in and out.
		assert_ok!(ExecutionSegments::add_margin(signed(&bob()), ETH, usdc(1_000)));
		assert_ok!(ExecutionSegments::remove_margin(signed(&bob()), ETH, usdc(500)));
		assert_eq!(views::position(ETH, &bob()).unwrap().margin, usdc(6_500 - 18) - deposit);

		// ETH +10%: a third of the position is taken off at a profit.
		feed(&[(b"ETH/USD", 3_300)]);
		let view = views::position(ETH, &bob()).unwrap();
		assert!(view.unrealized_pnl > 0 && view.unrealized_pnl <= usdc(3_000) as i128);
		let lp_before = books(ETH).lp_liquidity;
		assert_ok!(decrease(&bob(), ETH, usdc(10_000)));
		assert_eq!(views::position(ETH, &bob()).unwrap().size, usdc(20_000));
		assert!(books(ETH).lp_liquidity < lp_before, "the pool paid the profit");

		// Close the rest and withdraw everything.
		assert_ok!(close(&bob(), ETH));
		assert!(Positions::<Runtime>::get(ETH, bob()).is_none());
		let free = margin(ETH, &bob()).free;
		assert_eq!(margin(ETH, &bob()).locked, 0);
		assert_ok!(CollateralSilos::withdraw_margin(signed(&bob()), ETH, free));
		let gained = usdc_of(&bob()) - start;
		// Fees (6 bp in, 4 bp out), funding, borrowing and rounding cost a little; ETH +10% on
		// a 30k long is about 3k.
		assert!(gained > usdc(2_900) && gained <= usdc(3_000) - usdc(18), "gained {gained}");
		// Every unit the trader gained came from the pool, every fee went to it or to insurance.
		assert_eq!(books(ETH).lp_liquidity + books(ETH).insurance + gained, usdc(2_100_000));
		let health = views::segment_health(ETH).unwrap();
		assert_eq!((health.long_open_interest, health.short_open_interest), (0, 0));

		// An LP comes and goes.
		assert_ok!(provide(&dave(), DOT, usdc(50_000)));
		let shares = pallet_collateral_silos::Accounts::<Runtime>::get(DOT, dave()).shares;
		assert_ok!(redeem(&dave(), DOT, shares));
		assert_eq!(usdc_of(&dave()), usdc(1_000_000));
	});
}

#[test]
fn keepers_find_and_liquidate_positions_below_maintenance() {
	run(|| {
		feed_genesis_prices();
		assert_ok!(CollateralSilos::deposit_margin(signed(&charlie()), DOT, usdc(1_000)));
		assert_ok!(open(&charlie(), DOT, Side::Short, usdc(9_000), usdc(1_000)));
		let view = views::position(DOT, &charlie()).unwrap();
		let liquidation = view.liquidation_price.expect("a short has one");
		assert!(liquidation > Price::saturating_from_integer(5));
		assert!(!view.liquidatable);
		assert!(views::liquidatable(DOT, 10).is_empty());
		assert_noop!(
			ExecutionSegments::liquidate(signed(&eve()), DOT, charlie()),
			SegmentsError::NotLiquidatable
		);

		// DOT 5 -> 5.5 (+10%): the 9x short is under water past maintenance.
		feed(&[(b"DOT/USD", 5)]);
		let values = vec![(
			bulkhead_runtime::genesis_config_presets::oracle_key(b"DOT/USD"),
			Price::saturating_from_rational(55, 10),
		)];
		for operator in [alice(), bob()] {
			assert_ok!(Oracle::feed_values(signed(&operator), values.clone().try_into().unwrap()));
		}
		let view = views::position(DOT, &charlie()).unwrap();
		assert!(view.liquidatable);
		assert!(
			view.margin_ratio.unwrap() < sp_runtime::FixedI128::saturating_from_rational(5, 100)
		);
		assert_eq!(views::liquidatable(DOT, 10), vec![charlie()]);
		assert_eq!(views::liquidatable(DOT, 0), Vec::<bulkhead_runtime::AccountId>::new());

		let keeper_before = margin(DOT, &eve()).free;
		assert_ok!(ExecutionSegments::liquidate(signed(&eve()), DOT, charlie()));
		assert!(Positions::<Runtime>::get(DOT, charlie()).is_none());
		assert!(margin(DOT, &eve()).free > keeper_before, "the keeper earned the fee");
		assert!(views::liquidatable(DOT, 10).is_empty());
	});
}

#[test]
fn a_large_gateway_transfer_needs_two_of_three_guardians_and_the_delay() {
	run(|| {
		assert_ok!(CollateralSilos::deposit_margin(signed(&dave()), BTC, usdc(50_000)));
		let route = pallet_gateway::RouteByEnds::<Runtime>::get(BTC, ETH).unwrap();
		let (btc_before, eth_before) = (owed(BTC), owed(ETH));
		let id = pallet_gateway::NextTransferId::<Runtime>::get();
		assert_ok!(Gateway::request_transfer(signed(&dave()), route, usdc(20_000)));
		assert_eq!(margin(BTC, &dave()).escrowed, usdc(20_000));

		assert_noop!(
			Gateway::execute_transfer(signed(&dave()), id),
			GatewayError::NotEnoughApprovals
		);
		assert_noop!(Gateway::approve_transfer(signed(&dave()), id), GatewayError::NotGuardian);
		assert_ok!(Gateway::approve_transfer(signed(&alice()), id));
		assert_noop!(
			Gateway::execute_transfer(signed(&dave()), id),
			GatewayError::NotEnoughApprovals
		);
		assert_ok!(Gateway::approve_transfer(signed(&bob()), id));
		assert_noop!(Gateway::execute_transfer(signed(&dave()), id), GatewayError::DelayNotElapsed);

		advance(bulkhead_runtime::genesis_config_presets::demo_route().delay);
		assert_ok!(Gateway::execute_transfer(signed(&dave()), id));
		assert_eq!(margin(ETH, &dave()).free, usdc(20_000));
		assert_eq!(margin(BTC, &dave()).free, usdc(30_000));
		assert_eq!(owed(BTC), btc_before - usdc(20_000));
		assert_eq!(owed(ETH), eth_before + usdc(20_000));

		// No route from BTC to DOT: nothing can move there.
		assert!(pallet_gateway::RouteByEnds::<Runtime>::get(BTC, DOT).is_none());
	});
}

#[test]
fn guardians_trip_a_breaker_and_only_root_resets_it() {
	run(|| {
		feed_genesis_prices();
		assert_ok!(CollateralSilos::deposit_margin(signed(&bob()), BTC, usdc(1_000)));
		assert_noop!(CircuitBreaker::trip(signed(&dave()), BTC), DispatchError::BadOrigin);
		assert_ok!(CircuitBreaker::trip(signed(&charlie()), BTC));
		assert!(has_event(pallet_circuit_breaker::Event::<Runtime>::Tripped {
			segment: BTC,
			reason: TripReason::Manual
		}));
		assert_noop!(
			open(&bob(), BTC, Side::Long, usdc(2_000), usdc(500)),
			SegmentsError::SegmentSevered
		);
		// Other segments trade on.
		assert_ok!(CollateralSilos::deposit_margin(signed(&bob()), ETH, usdc(1_000)));
		assert_ok!(open(&bob(), ETH, Side::Long, usdc(2_000), usdc(500)));
		assert_noop!(CircuitBreaker::reset(signed(&alice()), BTC), DispatchError::BadOrigin);
		assert_ok!(CircuitBreaker::reset(RuntimeOrigin::root(), BTC));
		assert_eq!(CircuitBreaker::state(BTC), BreakerState::Normal);
		assert_ok!(open(&bob(), BTC, Side::Long, usdc(2_000), usdc(500)));
	});
}

#[test]
fn blast_radius_is_bounded_by_routes_and_movable_margin() {
	run(|| {
		// Nothing movable yet: the bound is zero however wide the routes are.
		let radius = views::blast_radius(BTC).unwrap();
		assert_eq!(radius.value_at_risk, usdc(2_100_000));
		assert_eq!(radius.contagion_bound, 0);
		assert_eq!(radius.routes.len(), 1);
		assert_eq!(radius.routes[0].to, ETH);
		assert_eq!(radius.routes[0].remaining, usdc(100_000));

		// 500k of free margin: the route's 100k window is the bound.
		assert_ok!(CollateralSilos::deposit_margin(signed(&bob()), BTC, usdc(500_000)));
		assert_eq!(views::blast_radius(BTC).unwrap().contagion_bound, usdc(100_000));

		// A small transfer uses up part of the window.
		let route = pallet_gateway::RouteByEnds::<Runtime>::get(BTC, ETH).unwrap();
		assert_ok!(Gateway::request_transfer(signed(&bob()), route, usdc(5_000)));
		assert_eq!(views::blast_radius(BTC).unwrap().contagion_bound, usdc(95_000));

		// DOT has no routes: nothing can leave it through the gateway.
		assert_ok!(CollateralSilos::deposit_margin(signed(&bob()), DOT, usdc(400_000)));
		let dot = views::blast_radius(DOT).unwrap();
		assert!(dot.routes.is_empty());
		assert_eq!(dot.contagion_bound, 0);

		// A severed segment's routes carry nothing.
		assert_ok!(CircuitBreaker::trip(signed(&alice()), BTC));
		let radius = views::blast_radius(BTC).unwrap();
		assert!(!radius.routes[0].open);
		assert_eq!(radius.contagion_bound, 0);
		assert_noop!(
			Gateway::request_transfer(signed(&bob()), route, usdc(1_000)),
			GatewayError::RouteEndNotNormal
		);
	});
}

/// The contagion drill: BTC's price gaps through its positions' liquidation prices, the
/// liquidations leave bad debt beyond BTC's insurance, the insurance fund pays first and BTC's
/// LPs the rest, BTC's breaker trips in that very call, LPs cannot leave and traders take only
/// their own free margin, a queued gateway transfer out of BTC cannot execute, and ETH and DOT
/// keep trading with their silos' books unchanged to the unit.
#[test]
fn contagion_drill_keeps_the_loss_inside_one_segment() {
	run(|| {
		feed_genesis_prices();
		// BTC: three longs near 10x, 900k USDC of open interest between them (each pays a 6 bp
		// fee and locks the keeper deposit out of its 32k).
		for who in [bob(), charlie(), dave()] {
			assert_ok!(CollateralSilos::deposit_margin(signed(&who), BTC, usdc(100_000)));
			assert_ok!(open(&who, BTC, Side::Long, usdc(300_000), usdc(32_000)));
		}
		// Trades in the other segments.
		assert_ok!(CollateralSilos::deposit_margin(signed(&eve()), ETH, usdc(50_000)));
		assert_ok!(open(&eve(), ETH, Side::Short, usdc(100_000), usdc(20_000)));
		assert_ok!(CollateralSilos::deposit_margin(signed(&ferdie()), DOT, usdc(50_000)));
		assert_ok!(open(&ferdie(), DOT, Side::Long, usdc(100_000), usdc(20_000)));

		// Before the gap, Dave queues a large transfer out of BTC and two guardians approve it.
		let route = pallet_gateway::RouteByEnds::<Runtime>::get(BTC, ETH).unwrap();
		let queued = pallet_gateway::NextTransferId::<Runtime>::get();
		assert_ok!(Gateway::request_transfer(signed(&dave()), route, usdc(20_000)));
		assert_ok!(Gateway::approve_transfer(signed(&alice()), queued));
		assert_ok!(Gateway::approve_transfer(signed(&bob()), queued));
		assert_eq!(margin(BTC, &dave()).escrowed, usdc(20_000));

		let others = [ETH, DOT].map(|s| {
			(
				books(s),
				usdc_of(&silo_account(s)),
				views::segment_health(s).unwrap(),
				Positions::<Runtime>::iter_prefix(s).collect::<Vec<_>>(),
			)
		});

		// The drill lets the price gap in one feed (a 10% move would trip the breaker first,
		// and the drill is about bad debt).
		let mut wide = pallet_circuit_breaker::Pallet::<Runtime>::breaker(BTC).thresholds;
		wide.max_price_move = Permill::from_percent(90);
		wide.max_price_deviation = Permill::from_percent(90);
		assert_ok!(CircuitBreaker::set_thresholds(RuntimeOrigin::root(), BTC, wide));
		// BTC halves: each long lost 150k against 30k of margin.
		feed(&[(b"BTC/USD", 30_000)]);
		assert_eq!(CircuitBreaker::state(BTC), BreakerState::Normal);
		assert_eq!(views::liquidatable(BTC, 10).len(), 3);

		let before = books(BTC);
		// The fees went to the pool and a fifth of them to insurance.
		assert_eq!(before.insurance, usdc(100_000) + 3 * usdc(36));
		let bob_margin = Positions::<Runtime>::get(BTC, bob()).unwrap().margin;
		assert_ok!(ExecutionSegments::liquidate(signed(&eve()), BTC, bob()));
		// Bob lost about 150k against 32k of margin: the silo collects the margin, and the rest is
		// bad debt. The insurance fund pays all it has first; BTC's LPs bear the remainder.
		let (debt, by_insurance, by_lps) = System::events()
			.iter()
			.find_map(|record| match record.event {
				bulkhead_runtime::RuntimeEvent::CollateralSilos(
					pallet_collateral_silos::Event::BadDebtAbsorbed {
						silo: BTC,
						bad_debt,
						by_insurance,
						by_lps,
					},
				) => Some((bad_debt, by_insurance, by_lps)),
				_ => None,
			})
			.expect("the liquidation left bad debt");
		assert!(debt >= usdc(115_000), "bad debt {debt}");
		assert_eq!(by_insurance, before.insurance);
		assert_eq!(by_lps, debt - before.insurance);
		assert_eq!(books(BTC).insurance, 0);
		// The pool collected the margin and the insurance payment, and nothing of the rest.
		assert_eq!(books(BTC).lp_liquidity, before.lp_liquidity + bob_margin + by_insurance);
		assert_eq!(books(BTC).lp_shares, before.lp_shares);
		assert!(has_event(pallet_circuit_breaker::Event::<Runtime>::Tripped {
			segment: BTC,
			reason: TripReason::BadDebt
		}));
		assert!(matches!(
			CircuitBreaker::state(BTC),
			BreakerState::Severed { reason: TripReason::BadDebt, .. }
		));
		let health = views::segment_health(BTC).unwrap();
		assert_eq!(health.status, SegmentStatus::Severed);
		assert!(health.bad_debt >= usdc(115_000));

		// Reducing risk still works in the severed segment; new risk does not.
		assert_ok!(ExecutionSegments::liquidate(signed(&eve()), BTC, charlie()));
		assert_ok!(ExecutionSegments::liquidate(signed(&eve()), BTC, dave()));
		assert_noop!(
			open(&bob(), BTC, Side::Long, usdc(1_000), usdc(500)),
			SegmentsError::SegmentSevered
		);
		// Withdrawals are limited: BTC's LPs cannot leave while the silo may still owe losses;
		// a trader takes their own free margin and not a unit more.
		let alice_shares = pallet_collateral_silos::Accounts::<Runtime>::get(BTC, alice()).shares;
		assert!(alice_shares > 0);
		assert_noop!(
			redeem(&alice(), BTC, alice_shares / 10),
			pallet_collateral_silos::Error::<Runtime>::SegmentNotNormal
		);
		let free = margin(BTC, &dave()).free;
		assert_noop!(
			CollateralSilos::withdraw_margin(signed(&dave()), BTC, free + 1),
			pallet_collateral_silos::Error::<Runtime>::InsufficientFreeMargin
		);
		let dave_usdc = usdc_of(&dave());
		assert_ok!(CollateralSilos::withdraw_margin(signed(&dave()), BTC, free));
		assert_eq!(usdc_of(&dave()), dave_usdc + free);

		// Nothing leaves BTC through the gateway while it is severed: not a new request, and not
		// the approved transfer queued before the gap, even once its delay has passed.
		assert_noop!(
			Gateway::request_transfer(signed(&bob()), route, usdc(1_000)),
			GatewayError::RouteEndNotNormal
		);
		advance(bulkhead_runtime::genesis_config_presets::demo_route().delay);
		assert_noop!(
			Gateway::execute_transfer(signed(&dave()), queued),
			GatewayError::RouteEndNotNormal
		);
		assert_eq!(margin(BTC, &dave()).escrowed, usdc(20_000));
		assert_eq!(views::blast_radius(BTC).unwrap().contagion_bound, 0);
		// Dave can take the escrow back into his free margin in BTC.
		assert_ok!(Gateway::cancel_transfer(signed(&dave()), queued));
		assert_eq!(margin(BTC, &dave()).free, usdc(20_000));

		// ETH and DOT: books, account balances, health and positions unchanged to the unit.
		for (segment, before) in [ETH, DOT].into_iter().zip(others) {
			assert_eq!(books(segment), before.0, "segment {segment} books");
			assert_eq!(usdc_of(&silo_account(segment)), before.1, "segment {segment} account");
			// The line follows the silo's value averaged over time, which moves with time alone
			// while it catches up with genesis; what left beyond principal has not changed.
			let (mut now, mut then) = (views::segment_health(segment).unwrap(), before.2.clone());
			assert_eq!(now.outflow.used, then.outflow.used);
			(now.outflow, then.outflow) = (Default::default(), Default::default());
			assert_eq!(now, then);
			assert_eq!(Positions::<Runtime>::iter_prefix(segment).collect::<Vec<_>>(), before.3);
		}
		// ... and keep trading.
		assert_ok!(close(&eve(), ETH));
		assert_ok!(open(&ferdie(), DOT, Side::Long, usdc(10_000), usdc(2_000)));
	});
}

#[test]
fn time_based_recovery_shows_in_the_views() {
	run(|| {
		// ETH gaps by a third: the price-move breaker trips, a trip that clears with time.
		feed(&[(b"ETH/USD", 3_000)]);
		feed(&[(b"ETH/USD", 4_000)]);
		let severed_at = frame_system::Pallet::<Runtime>::block_number() - 1;
		let Thresholds { cooldown, probation, .. } =
			pallet_circuit_breaker::Pallet::<Runtime>::breaker(ETH).thresholds;
		// The view says what clears the trip, and when.
		assert_eq!(
			views::segment_health(ETH).unwrap().breaker,
			BreakerView::Severed {
				since: severed_at,
				reason: TripReason::OracleMove,
				clears: Clearance::At(severed_at + cooldown),
			}
		);
		let outflow = views::segment_health(ETH).unwrap().outflow;
		assert_eq!((outflow.limit, outflow.left), (0, 0), "nothing beyond principal leaves");
		advance(cooldown);
		// Storage still says severed; the view applies the cool-down.
		assert_eq!(
			views::segment_health(ETH).unwrap().breaker,
			BreakerView::Recovering {
				since: severed_at + cooldown,
				normal_at: severed_at + cooldown + probation
			}
		);
		// Recovering: half the normal line (a fifth of the silo's average value).
		let health = views::segment_health(ETH).unwrap();
		let breaker = CircuitBreaker::breaker(ETH);
		let base = breaker.base.of(
			frame_system::Pallet::<Runtime>::block_number(),
			breaker.thresholds.outflow_window,
			health.silo_value + health.outflow.used,
		);
		assert!(base > 0);
		assert_eq!(health.outflow.limit, Permill::from_percent(20).mul_floor(base) / 2);
		assert_eq!(views::segment_health(ETH).unwrap().status, SegmentStatus::Recovering);
		advance(probation);
		assert_eq!(views::segment_health(ETH).unwrap().status, SegmentStatus::Normal);
	});
}

/// A guardian's trip is a judgement, not a passing condition: time does not clear it (on the
/// launch runtime it cleared itself 20 minutes later); the reset origin does.
#[test]
fn a_guardians_trip_waits_for_the_reset_origin() {
	run(|| {
		assert_ok!(CircuitBreaker::trip(signed(&alice()), ETH));
		let severed_at = frame_system::Pallet::<Runtime>::block_number();
		let Thresholds { cooldown, probation, .. } =
			pallet_circuit_breaker::Pallet::<Runtime>::breaker(ETH).thresholds;
		advance(cooldown + probation + 1);
		assert_eq!(
			views::segment_health(ETH).unwrap().breaker,
			BreakerView::Severed {
				since: severed_at,
				reason: TripReason::Manual,
				clears: Clearance::ResetOrigin,
			}
		);
		assert_ok!(CircuitBreaker::reset(RuntimeOrigin::root(), ETH));
		assert_eq!(views::segment_health(ETH).unwrap().status, SegmentStatus::Normal);
	});
}

/// Inherents are built in extrinsic format 4 (bare): clients on @polkadot/api before 11, such as
/// Substrate API Sidecar 18, cannot decode format 5 and fail on every block that holds one.
#[test]
fn inherents_are_built_in_the_extrinsic_format_every_client_decodes() {
	use sp_block_builder::runtime_decl_for_block_builder::BlockBuilderV6;
	use sp_runtime::generic::Preamble;
	run(|| {
		let mut data = sp_inherents::InherentData::new();
		// sp-timestamp's identifier: the one inherent this runtime builds.
		data.put_data(*b"timstap0", &1_800_000_000_000u64).expect("a timestamp encodes");
		let inherents =
			<Runtime as BlockBuilderV6<bulkhead_runtime::Block>>::inherent_extrinsics(data);
		assert_eq!(inherents.len(), 1, "the timestamp");
		for xt in inherents {
			assert!(matches!(xt.preamble, Preamble::Bare(4)), "{:?}", xt.preamble);
			assert!(matches!(
				xt.function,
				bulkhead_runtime::RuntimeCall::Timestamp(pallet_timestamp::Call::set { .. })
			));
		}
	});
}
