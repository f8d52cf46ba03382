//! The gateway, call by call. Routes carry 5_000 per 10-block window; transfers of 1_000 or
//! more need 2 of the 3 guardians and wait 5 blocks.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use segment_interface::{views::RouteCapacity, RouteId, SegmentStatus};
use sp_runtime::{BuildStorage, DispatchError, Permill};

fn limits() -> RouteLimits<u64> {
	RouteLimits {
		window_limit: 5_000,
		window_length: 10,
		large_transfer: 1_000,
		max_account_share: Permill::one(),
		delay: 5,
	}
}

/// Opens BTC -> ETH as route 0.
fn open_btc_eth() -> RouteId {
	assert_ok!(Gateway::open_route(RuntimeOrigin::root(), BTC_SILO, ETH_SILO, limits()));
	0
}

fn last_transfer_id() -> TransferId {
	NextTransferId::<Test>::get() - 1
}

/// Requests a large transfer of `amount` from the trader on route 0 and returns its id.
fn request_large(amount: u128) -> TransferId {
	assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(TRADER), 0, amount));
	last_transfer_id()
}

fn approve(transfer: TransferId, guardians: &[AccountId]) {
	for g in guardians {
		assert_ok!(Gateway::approve_transfer(RuntimeOrigin::signed(*g), transfer));
	}
}

mod routes {
	use super::*;

	#[test]
	fn open_route_works() {
		new_test_ext(|| {
			assert_ok!(Gateway::open_route(RuntimeOrigin::root(), BTC_SILO, ETH_SILO, limits()));
			System::assert_last_event(
				Event::RouteOpened { route: 0, from: BTC_SILO, to: ETH_SILO, limits: limits() }
					.into(),
			);
			assert_eq!(RouteByEnds::<Test>::get(BTC_SILO, ETH_SILO), Some(0));
			// Routes are one-way: the way back is a route of its own.
			assert_ok!(Gateway::open_route(RuntimeOrigin::root(), ETH_SILO, BTC_SILO, limits()));
			assert_eq!(RouteByEnds::<Test>::get(ETH_SILO, BTC_SILO), Some(1));
		});
	}

	#[test]
	fn outbound_capacity_shows_each_routes_room_and_state() {
		new_test_ext(|| {
			assert!(Gateway::outbound_capacity(BTC_SILO).is_empty());
			let route = open_btc_eth();
			assert_ok!(Gateway::open_route(RuntimeOrigin::root(), ETH_SILO, BTC_SILO, limits()));
			assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(TRADER), route, 600));
			let capacity = |route, to, carried, net, open| RouteCapacity {
				route,
				to,
				remaining: 5_000 - net,
				carried,
				net,
				window_limit: 5_000,
				per_account: 5_000,
				open,
			};
			assert_eq!(
				Gateway::outbound_capacity(BTC_SILO),
				vec![capacity(0, ETH_SILO, 600, 600, true)]
			);
			assert_eq!(
				Gateway::outbound_capacity(ETH_SILO),
				vec![capacity(1, BTC_SILO, 0, 0, true)]
			);
			assert!(Gateway::outbound_capacity(DOT_SILO).is_empty());
			// A severed end closes the route without changing its room.
			TestHealth::set(1, SegmentStatus::Severed);
			assert_eq!(
				Gateway::outbound_capacity(BTC_SILO),
				vec![capacity(0, ETH_SILO, 600, 600, false)]
			);
			// The window fades: after a full window the room is back.
			TestHealth::set(1, SegmentStatus::Normal);
			run_to_block(1 + 2 * limits().window_length);
			assert_eq!(Gateway::outbound_capacity(BTC_SILO)[0].remaining, 5_000);
		});
	}

	#[test]
	fn genesis_opens_routes() {
		// Sets up the silo doubles the genesis build asks whether the ends are routable.
		new_test_ext(|| {});
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		crate::GenesisConfig::<Test> {
			approval_threshold: Some(2),
			routes: vec![(BTC_SILO, ETH_SILO, limits())],
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		sp_io::TestExternalities::new(storage).execute_with(|| {
			assert_eq!(RouteByEnds::<Test>::get(BTC_SILO, ETH_SILO), Some(0));
			assert_eq!(Routes::<Test>::get(0).unwrap().limits, limits());
			assert_eq!(NextRouteId::<Test>::get(), 1);
		});
	}

	#[test]
	fn only_governance_opens_routes() {
		new_test_ext(|| {
			for who in [TRADER, G1] {
				assert_noop!(
					Gateway::open_route(RuntimeOrigin::signed(who), BTC_SILO, ETH_SILO, limits()),
					DispatchError::BadOrigin
				);
			}
			assert_noop!(
				Gateway::open_route(RuntimeOrigin::none(), BTC_SILO, ETH_SILO, limits()),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn open_route_fails_twice_or_with_zero_limits() {
		new_test_ext(|| {
			open_btc_eth();
			assert_noop!(
				Gateway::open_route(RuntimeOrigin::root(), BTC_SILO, ETH_SILO, limits()),
				Error::<Test>::RouteExists
			);
			for bad in [
				RouteLimits { window_limit: 0, ..limits() },
				RouteLimits { window_length: 0, ..limits() },
				RouteLimits { large_transfer: 0, ..limits() },
				RouteLimits { max_account_share: Permill::zero(), ..limits() },
			] {
				assert_noop!(
					Gateway::open_route(RuntimeOrigin::root(), ETH_SILO, BTC_SILO, bad),
					Error::<Test>::InvalidLimits
				);
			}
		});
	}

	#[test]
	fn open_route_needs_routable_silos() {
		new_test_ext(|| {
			for (from, to, why) in [
				(BTC_SILO, BTC_SILO, "SameSilo"),
				(BTC_SILO, DOT_SILO, "AssetMismatch"),
				(BTC_SILO, 9, "UnknownSilo"),
			] {
				assert_noop!(
					Gateway::open_route(RuntimeOrigin::root(), from, to, limits()),
					DispatchError::Other(why)
				);
			}
		});
	}

	#[test]
	fn close_route_works_and_a_reopened_route_gets_a_new_id() {
		new_test_ext(|| {
			let route = open_btc_eth();
			assert_noop!(
				Gateway::close_route(RuntimeOrigin::signed(G1), route),
				DispatchError::BadOrigin
			);
			assert_ok!(Gateway::close_route(RuntimeOrigin::root(), route));
			System::assert_last_event(Event::RouteClosed { route }.into());
			assert!(Routes::<Test>::get(route).is_none());
			assert!(RouteByEnds::<Test>::get(BTC_SILO, ETH_SILO).is_none());
			assert_noop!(
				Gateway::close_route(RuntimeOrigin::root(), route),
				Error::<Test>::RouteNotOpen
			);
			assert_ok!(Gateway::open_route(RuntimeOrigin::root(), BTC_SILO, ETH_SILO, limits()));
			assert_eq!(RouteByEnds::<Test>::get(BTC_SILO, ETH_SILO), Some(1));
		});
	}
}

mod threshold {
	use super::*;

	#[test]
	fn set_approval_threshold_works() {
		new_test_ext(|| {
			assert_ok!(Gateway::set_approval_threshold(RuntimeOrigin::root(), 3));
			assert_eq!(Gateway::approval_threshold(), 3);
			System::assert_last_event(Event::ApprovalThresholdSet { threshold: 3 }.into());
		});
	}

	#[test]
	fn set_approval_threshold_fails_out_of_range_or_for_guardians() {
		new_test_ext(|| {
			// Zero, more than the three guardians, more than MaxGuardians.
			for bad in [0, 4, 6] {
				assert_noop!(
					Gateway::set_approval_threshold(RuntimeOrigin::root(), bad),
					Error::<Test>::InvalidThreshold
				);
			}
			assert_noop!(
				Gateway::set_approval_threshold(RuntimeOrigin::signed(G1), 1),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn without_a_threshold_every_guardian_must_approve() {
		new_test_ext(|| {
			ApprovalThreshold::<Test>::kill();
			assert_eq!(Gateway::approval_threshold(), 3);
			open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G1, G2]);
			run_to_block(10);
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::NotEnoughApprovals
			);
			approve(t, &[G3]);
			assert_ok!(Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t));
		});
	}
}

mod request {
	use super::*;

	#[test]
	fn a_small_transfer_moves_at_once() {
		new_test_ext(|| {
			let route = open_btc_eth();
			assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(TRADER), route, 999));
			System::assert_has_event(
				Event::TransferRequested {
					transfer: 0,
					route,
					who: TRADER,
					amount: 999,
					needs_approval: false,
					executable_at: 1,
				}
				.into(),
			);
			System::assert_last_event(
				Event::TransferExecuted { transfer: 0, route, who: TRADER, amount: 999 }.into(),
			);
			assert_eq!(TestSilos::margin(BTC_SILO, TRADER), (FREE - 999, 0));
			assert_eq!(TestSilos::margin(ETH_SILO, TRADER), (FREE + 999, 0));
			assert_eq!(
				(TestSilos::held(BTC_SILO), TestSilos::held(ETH_SILO)),
				(HELD - 999, HELD + 999)
			);
			assert_eq!(Routes::<Test>::get(route).unwrap().carried.current, 999);
			assert!(Transfers::<Test>::get(0).is_none());
		});
	}

	#[test]
	fn a_large_transfer_waits_in_escrow() {
		new_test_ext(|| {
			let route = open_btc_eth();
			let t = request_large(1_000);
			System::assert_last_event(
				Event::TransferRequested {
					transfer: t,
					route,
					who: TRADER,
					amount: 1_000,
					needs_approval: true,
					executable_at: 6,
				}
				.into(),
			);
			assert_eq!(TestSilos::margin(BTC_SILO, TRADER), (FREE - 1_000, 1_000));
			assert_eq!(TestSilos::held(ETH_SILO), HELD);
			assert_eq!(PendingCount::<Test>::get(TRADER), 1);
		});
	}

	#[test]
	fn request_transfer_fails_for_bad_routes_or_amounts() {
		new_test_ext(|| {
			assert_noop!(
				Gateway::request_transfer(RuntimeOrigin::signed(TRADER), 0, 10),
				Error::<Test>::RouteNotOpen
			);
			let route = open_btc_eth();
			assert_noop!(
				Gateway::request_transfer(RuntimeOrigin::signed(TRADER), route, 0),
				Error::<Test>::ZeroAmount
			);
			assert_noop!(
				Gateway::request_transfer(RuntimeOrigin::signed(TRADER), route, 5_001),
				Error::<Test>::ExceedsWindowLimit
			);
			assert_noop!(
				Gateway::request_transfer(RuntimeOrigin::signed(G1), route, 10),
				DispatchError::Other("InsufficientFreeMargin")
			);
		});
	}

	#[test]
	fn a_route_carries_nothing_while_either_end_is_not_normal() {
		new_test_ext(|| {
			let route = open_btc_eth();
			for (segment, status) in [(0, SegmentStatus::Severed), (1, SegmentStatus::Recovering)] {
				TestHealth::set(segment, status);
				assert_noop!(
					Gateway::request_transfer(RuntimeOrigin::signed(TRADER), route, 10),
					Error::<Test>::RouteEndNotNormal
				);
				TestHealth::set(segment, SegmentStatus::Normal);
			}
			assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(TRADER), route, 10));
		});
	}

	#[test]
	fn small_transfers_are_rate_limited_per_window() {
		new_test_ext(|| {
			let route = open_btc_eth();
			for who in CROWD.take(5) {
				assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(who), route, 999));
			}
			// 4_995 carried: 6 more would pass 5_000.
			assert_noop!(
				Gateway::request_transfer(RuntimeOrigin::signed(OTHER), route, 6),
				Error::<Test>::RateLimited
			);
			assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(OTHER), route, 5));
			// Two windows later the route has room again.
			run_to_block(21);
			assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(OTHER), route, 999));
		});
	}

	#[test]
	fn pending_transfers_per_account_are_bounded() {
		new_test_ext(|| {
			open_btc_eth();
			request_large(1_000);
			request_large(1_000);
			assert_noop!(
				Gateway::request_transfer(RuntimeOrigin::signed(TRADER), 0, 1_000),
				Error::<Test>::TooManyPending
			);
			// Small transfers are never pending and still go through.
			assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(TRADER), 0, 10));
		});
	}
}

mod approve_and_execute {
	use super::*;

	#[test]
	fn two_of_three_approvals_and_the_delay_execute() {
		new_test_ext(|| {
			let route = open_btc_eth();
			let t = request_large(2_000);
			assert_ok!(Gateway::approve_transfer(RuntimeOrigin::signed(G1), t));
			System::assert_last_event(
				Event::TransferApproved { transfer: t, guardian: G1, approvals: 1 }.into(),
			);
			approve(t, &[G3]);
			run_to_block(6);
			// Anyone may execute.
			assert_ok!(Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t));
			System::assert_last_event(
				Event::TransferExecuted { transfer: t, route, who: TRADER, amount: 2_000 }.into(),
			);
			assert_eq!(TestSilos::margin(BTC_SILO, TRADER), (FREE - 2_000, 0));
			assert_eq!(TestSilos::margin(ETH_SILO, TRADER), (FREE + 2_000, 0));
			assert_eq!(
				(TestSilos::held(BTC_SILO), TestSilos::held(ETH_SILO)),
				(HELD - 2_000, HELD + 2_000)
			);
			assert!(Transfers::<Test>::get(t).is_none());
			assert_eq!(PendingCount::<Test>::get(TRADER), 0);
		});
	}

	#[test]
	fn approve_transfer_fails_for_non_guardians_twice_or_unknown() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			assert_noop!(
				Gateway::approve_transfer(RuntimeOrigin::signed(TRADER), t),
				Error::<Test>::NotGuardian
			);
			approve(t, &[G1]);
			assert_noop!(
				Gateway::approve_transfer(RuntimeOrigin::signed(G1), t),
				Error::<Test>::AlreadyApproved
			);
			assert_noop!(
				Gateway::approve_transfer(RuntimeOrigin::signed(G1), 99),
				Error::<Test>::UnknownTransfer
			);
		});
	}

	#[test]
	fn execute_transfer_needs_enough_approvals() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G2]);
			run_to_block(6);
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::NotEnoughApprovals
			);
		});
	}

	#[test]
	fn execute_transfer_waits_for_the_delay() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G1, G2]);
			run_to_block(5);
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::DelayNotElapsed
			);
		});
	}

	#[test]
	fn approvals_of_removed_guardians_do_not_count() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G1, G2]);
			TestGuardians::set(vec![G2, G3, 14]);
			run_to_block(6);
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::NotEnoughApprovals
			);
			approve(t, &[G3]);
			assert_ok!(Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t));
		});
	}

	#[test]
	fn a_transfer_cannot_execute_out_of_a_severed_segment() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G1, G2]);
			run_to_block(6);
			TestHealth::set(0, SegmentStatus::Severed);
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::RouteEndNotNormal
			);
			// Still escrowed; it goes through once the segment is normal again.
			TestHealth::set(0, SegmentStatus::Normal);
			assert_ok!(Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t));
		});
	}

	#[test]
	fn a_closed_route_executes_nothing() {
		new_test_ext(|| {
			let route = open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G1, G2]);
			run_to_block(6);
			assert_ok!(Gateway::close_route(RuntimeOrigin::root(), route));
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::RouteNotOpen
			);
			// The trader gets the margin back by cancelling.
			assert_ok!(Gateway::cancel_transfer(RuntimeOrigin::signed(TRADER), t));
			assert_eq!(TestSilos::margin(BTC_SILO, TRADER), (FREE, 0));
		});
	}

	#[test]
	fn a_large_transfer_respects_the_window_too() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G1, G2]);
			for who in CROWD.take(4) {
				assert_ok!(Gateway::request_transfer(RuntimeOrigin::signed(who), 0, 999));
			}
			run_to_block(6);
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::RateLimited
			);
			run_to_block(30);
			assert_ok!(Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t));
		});
	}

	#[test]
	fn execute_transfer_fails_for_unknown_ids() {
		new_test_ext(|| {
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), 3),
				Error::<Test>::UnknownTransfer
			);
		});
	}
}

mod veto_and_cancel {
	use super::*;

	#[test]
	fn veto_transfer_returns_the_margin() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			approve(t, &[G1, G2]);
			assert_ok!(Gateway::veto_transfer(RuntimeOrigin::signed(G3), t));
			System::assert_last_event(Event::TransferVetoed { transfer: t, guardian: G3 }.into());
			assert_eq!(TestSilos::margin(BTC_SILO, TRADER), (FREE, 0));
			assert!(Transfers::<Test>::get(t).is_none());
			run_to_block(6);
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::UnknownTransfer
			);
		});
	}

	#[test]
	fn veto_transfer_fails_for_non_guardians_or_unknown() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			assert_noop!(
				Gateway::veto_transfer(RuntimeOrigin::signed(TRADER), t),
				Error::<Test>::NotGuardian
			);
			assert_noop!(
				Gateway::veto_transfer(RuntimeOrigin::signed(G1), 42),
				Error::<Test>::UnknownTransfer
			);
		});
	}

	#[test]
	fn cancel_transfer_works_for_the_requester_only() {
		new_test_ext(|| {
			open_btc_eth();
			let t = request_large(2_000);
			assert_noop!(
				Gateway::cancel_transfer(RuntimeOrigin::signed(OTHER), t),
				Error::<Test>::NotRequester
			);
			assert_noop!(
				Gateway::cancel_transfer(RuntimeOrigin::signed(G1), t),
				Error::<Test>::NotRequester
			);
			assert_ok!(Gateway::cancel_transfer(RuntimeOrigin::signed(TRADER), t));
			System::assert_last_event(Event::TransferCancelled { transfer: t }.into());
			assert_eq!(TestSilos::margin(BTC_SILO, TRADER), (FREE, 0));
			assert_noop!(
				Gateway::cancel_transfer(RuntimeOrigin::signed(TRADER), t),
				Error::<Test>::UnknownTransfer
			);
		});
	}
}

mod flows {
	use super::*;

	/// Both ways between BTC and ETH; one account may move 40% of a window (2_000).
	fn open_pair() {
		let limits = RouteLimits { max_account_share: Permill::from_percent(40), ..limits() };
		assert_ok!(Gateway::open_route(RuntimeOrigin::root(), BTC_SILO, ETH_SILO, limits));
		assert_ok!(Gateway::open_route(RuntimeOrigin::root(), ETH_SILO, BTC_SILO, limits));
	}

	fn send(who: AccountId, route: RouteId, amount: u128) -> sp_runtime::DispatchResult {
		Gateway::request_transfer(RuntimeOrigin::signed(who), route, amount)
	}

	/// On the launch runtime one account filled both windows of a pair by sending the whole
	/// limit one way and back, and everyone else was rate limited for the window. The pair
	/// nets the two directions now, and one account moves at most its share.
	#[test]
	fn one_account_cannot_fill_a_route_for_everyone_else() {
		new_test_ext(|| {
			open_pair();
			assert_noop!(send(TRADER, 0, 2_001), Error::<Test>::ExceedsAccountShare);
			// The trader moves its share, with approvals for the part past the threshold.
			assert_ok!(send(TRADER, 0, 999));
			let t = request_large(1_001);
			approve(t, &[G1, G2]);
			run_to_block(6);
			assert_ok!(Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t));
			assert_noop!(send(TRADER, 0, 1), Error::<Test>::AccountRateLimited);
			// Everyone else still has the rest of the window.
			assert_eq!(Gateway::outbound_capacity(BTC_SILO)[0].remaining, 3_000);
			assert_ok!(send(OTHER, 0, 999));
		});
	}

	#[test]
	fn pending_transfers_are_held_to_the_accounts_share_when_they_execute() {
		new_test_ext(|| {
			open_pair();
			let (a, b) = (request_large(1_200), request_large(1_200));
			approve(a, &[G1, G2]);
			approve(b, &[G1, G2]);
			run_to_block(6);
			assert_ok!(Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), a));
			assert_noop!(
				Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), b),
				Error::<Test>::AccountRateLimited
			);
		});
	}

	#[test]
	fn the_two_directions_of_a_pair_offset_each_other() {
		new_test_ext(|| {
			open_pair();
			let mut crowd = CROWD;
			// 4_995 out and 4_995 back: the pair carried nearly two windows, net nothing.
			for who in crowd.by_ref().take(5) {
				assert_ok!(send(who, 0, 999));
			}
			for who in crowd.by_ref().take(5) {
				assert_ok!(send(who, 1, 999));
			}
			let out = &Gateway::outbound_capacity(BTC_SILO)[0];
			assert_eq!((out.carried, out.net, out.remaining), (4_995, 0, 5_000));
			assert_ok!(send(TRADER, 0, 999));
			assert_ok!(send(OTHER, 1, 999));
		});
	}

	/// On the launch runtime the threshold applied to each transfer: transfers just under it
	/// moved any amount with no guardian looking. What an account moved in the window counts
	/// now, so the transfer that takes it to the threshold waits for approvals.
	#[test]
	fn splitting_a_transfer_does_not_avoid_approval() {
		new_test_ext(|| {
			open_pair();
			assert_ok!(send(TRADER, 0, 999));
			assert_ok!(send(TRADER, 0, 1));
			System::assert_last_event(
				Event::TransferRequested {
					transfer: 1,
					route: 0,
					who: TRADER,
					amount: 1,
					needs_approval: true,
					executable_at: 6,
				}
				.into(),
			);
			assert!(Transfers::<Test>::contains_key(1));
			// Another account starts from nothing.
			assert_ok!(send(OTHER, 0, 999));
			assert!(!Transfers::<Test>::contains_key(2));
		});
	}

	/// A record of what an account moved along a route goes once nothing in it counts, at
	/// anyone's call and for no fee; not before, and at once when the route is closed.
	#[test]
	fn spent_route_use_is_forgotten() {
		new_test_ext(|| {
			open_pair();
			let forget =
				|route, who| Gateway::forget_route_use(RuntimeOrigin::signed(OTHER), route, who);
			assert_noop!(forget(0, TRADER), Error::<Test>::NoRouteUse);
			assert_ok!(send(TRADER, 0, 999));
			assert_ok!(send(TRADER, 1, 500));
			assert_noop!(forget(0, TRADER), Error::<Test>::RouteUseNotSpent);
			// Two windows later nothing counts.
			run_to_block(21);
			let info = forget(0, TRADER).unwrap();
			assert_eq!(info.pays_fee, frame_support::dispatch::Pays::No);
			assert!(!AccountUse::<Test>::contains_key(0, TRADER));
			System::assert_last_event(Event::RouteUseForgotten { route: 0, who: TRADER }.into());
			// A closed route's records go at once.
			assert_ok!(send(TRADER, 1, 500));
			assert_ok!(Gateway::close_route(RuntimeOrigin::root(), 1));
			assert_ok!(forget(1, TRADER));
			assert_eq!(AccountUse::<Test>::iter().count(), 0);
		});
	}
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Request(AccountId, u128),
		Approve(AccountId, TransferId),
		Veto(TransferId),
		Cancel(AccountId, TransferId),
		Execute(TransferId),
		Blocks(u64),
		Sever(bool),
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = prop_oneof![Just(TRADER), Just(OTHER)];
		let id = 0u64..12;
		prop_oneof![
			(who.clone(), 0u128..3_000).prop_map(|(w, a)| Op::Request(w, a)),
			(prop_oneof![Just(G1), Just(G2), Just(G3)], id.clone())
				.prop_map(|(g, t)| Op::Approve(g, t)),
			id.clone().prop_map(Op::Veto),
			(who, id.clone()).prop_map(|(w, t)| Op::Cancel(w, t)),
			id.prop_map(Op::Execute),
			(0u64..8).prop_map(Op::Blocks),
			any::<bool>().prop_map(Op::Sever),
		]
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		/// Value crosses silos only as executed transfers, each of exactly its amount; escrow
		/// always equals what is pending; the route never carries more than its window allows.
		#[test]
		fn value_crosses_only_by_executed_transfers(ops in proptest::collection::vec(op(), 1..50)) {
			new_test_ext(|| {
				open_btc_eth();
				let mut block = 1;
				for op in ops.clone() {
					let before = TestSilos::held(ETH_SILO);
					System::reset_events();
					let _ = frame_support::storage::with_storage_layer(|| match op {
						Op::Request(w, a) => Gateway::request_transfer(RuntimeOrigin::signed(w), 0, a),
						Op::Approve(g, t) => Gateway::approve_transfer(RuntimeOrigin::signed(g), t),
						Op::Veto(t) => Gateway::veto_transfer(RuntimeOrigin::signed(G1), t),
						Op::Cancel(w, t) => Gateway::cancel_transfer(RuntimeOrigin::signed(w), t),
						Op::Execute(t) => Gateway::execute_transfer(RuntimeOrigin::signed(OTHER), t),
						Op::Blocks(n) => { block += n; run_to_block(block); Ok(()) },
						Op::Sever(s) => {
							TestHealth::set(0, if s { SegmentStatus::Severed } else { SegmentStatus::Normal });
							Ok(())
						},
					});
					let executed: u128 = System::events().iter().filter_map(|r| match r.event {
						RuntimeEvent::Gateway(Event::TransferExecuted { amount, .. }) => Some(amount),
						_ => None,
					}).sum();
					assert_eq!(TestSilos::held(ETH_SILO) - before, executed);
					assert_eq!(TestSilos::held(BTC_SILO) + TestSilos::held(ETH_SILO), 2 * HELD);
					let route = Routes::<Test>::get(0).unwrap();
					assert!(route.carried.usage(block, 10) <= 5_000);
					Gateway::do_try_state().unwrap();
					assert_escrow_matches_pending();
				}
			});
		}
	}
}
