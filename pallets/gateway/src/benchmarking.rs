//! Benchmarks for every call, each driven down its most expensive path: the most guardians and
//! approvals a transfer can carry, the most transfers an account can have pending, and
//! transfers that move half of their source silo, so a runtime whose breaker limits net outflow
//! (Bulkhead's does, at a fifth) pays for the trip inside the call that carries them.

use super::*;
use crate::Pallet as Gateway;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{Get, SortedMembers};
use frame_system::{pallet_prelude::BlockNumberFor, Pallet as System, RawOrigin};
use segment_interface::{Balance, RouteId, SiloId};

/// What the benchmarks need from outside this pallet: silos and margin.
pub trait BenchmarkHelper<AccountId> {
	/// Create silos `from` and `to`, holding one asset, so that a route may join them.
	fn create_silos(from: SiloId, to: SiloId);
	/// Give `who` `amount` of free margin in `silo`.
	fn fund_margin(silo: SiloId, who: &AccountId, amount: Balance);
	/// Make `who` an LP of `silo` with `amount`: margin moved into a silo where the account
	/// holds shares values them (the breaker caps principal at what the account holds).
	fn provide_liquidity(silo: SiloId, who: &AccountId, amount: Balance);
}

/// The route's ends, clear of any silo a genesis preset holds.
const FROM: SiloId = 1_000;
const TO: SiloId = 1_001;
/// A large transfer: at the route's approval threshold.
const AMOUNT: Balance = 1_000_000_000_000;
const DELAY: u32 = 10;

fn limits<T: Config>() -> RouteLimits<BlockNumberFor<T>> {
	RouteLimits {
		window_limit: Balance::MAX / 2,
		window_length: 100u32.into(),
		large_transfer: AMOUNT,
		max_account_share: sp_runtime::Permill::one(),
		delay: DELAY.into(),
	}
}

/// Route 0 (or the next free id) from `FROM` to `TO`, and its id; and the route back.
fn route<T: Config>() -> RouteId {
	T::BenchmarkHelper::create_silos(FROM, TO);
	let id = NextRouteId::<T>::get();
	Gateway::<T>::do_open_route(FROM, TO, limits::<T>()).expect("fresh silos; qed");
	// The way back too: a transfer nets the pair's two directions, reading both.
	Gateway::<T>::do_open_route(TO, FROM, limits::<T>()).expect("fresh silos; qed");
	id
}

/// As many guardians as a transfer can record (those of genesis among them), and the threshold
/// at all of them.
fn guardians<T: Config>() -> Vec<T::AccountId> {
	let max = T::MaxGuardians::get() as usize;
	let mut guardians = T::Guardians::sorted_members();
	for i in 0.. {
		if guardians.len() >= max {
			break;
		}
		let g: T::AccountId = account("guardian", i, 0);
		if !guardians.contains(&g) {
			T::Guardians::add(&g);
			guardians = T::Guardians::sorted_members();
		}
	}
	ApprovalThreshold::<T>::put(T::MaxGuardians::get());
	guardians
}

/// A trader holding half of `FROM`'s value and asking to move all of it.
fn requester<T: Config>(route: RouteId) -> (T::AccountId, TransferId) {
	let trader: T::AccountId = whitelisted_caller();
	T::BenchmarkHelper::fund_margin(FROM, &trader, AMOUNT);
	T::BenchmarkHelper::provide_liquidity(TO, &trader, AMOUNT);
	T::BenchmarkHelper::fund_margin(FROM, &account("other", 0, 0), AMOUNT);
	let id = NextTransferId::<T>::get();
	Gateway::<T>::do_request_transfer(route, &trader, AMOUNT).expect("funded; qed");
	(trader, id)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn open_route() {
		T::BenchmarkHelper::create_silos(FROM, TO);
		let id = NextRouteId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Root, FROM, TO, limits::<T>());

		assert_eq!(RouteByEnds::<T>::get(FROM, TO), Some(id));
	}

	#[benchmark]
	fn close_route() {
		let id = route::<T>();

		#[extrinsic_call]
		_(RawOrigin::Root, id);

		assert!(!Routes::<T>::contains_key(id));
		assert!(!RouteByEnds::<T>::contains_key(FROM, TO));
	}

	#[benchmark]
	fn set_approval_threshold() {
		guardians::<T>();
		ApprovalThreshold::<T>::kill();
		let threshold = T::MaxGuardians::get();

		#[extrinsic_call]
		_(RawOrigin::Root, threshold);

		assert_eq!(ApprovalThreshold::<T>::get(), Some(threshold));
	}

	/// Below the approval line: carried at once, half of the source silo leaving it.
	#[benchmark]
	fn request_transfer() {
		let id = route::<T>();
		let trader: T::AccountId = whitelisted_caller();
		T::BenchmarkHelper::fund_margin(FROM, &trader, AMOUNT);
		T::BenchmarkHelper::provide_liquidity(TO, &trader, AMOUNT);
		T::BenchmarkHelper::fund_margin(FROM, &account("other", 0, 0), AMOUNT);
		let small = AMOUNT - 1;

		#[extrinsic_call]
		request_transfer(RawOrigin::Signed(trader.clone()), id, small);

		assert!(!PendingCount::<T>::contains_key(&trader));
		let carried = Routes::<T>::get(id).expect("open; qed").carried;
		assert_eq!(carried.usage(System::<T>::block_number(), 100u32.into()), small);
	}

	/// At the approval line, by an account with all but one of the pending transfers it may
	/// have: queued.
	#[benchmark]
	fn request_large_transfer() {
		let id = route::<T>();
		let trader: T::AccountId = whitelisted_caller();
		let pending = T::MaxPendingPerAccount::get();
		T::BenchmarkHelper::fund_margin(FROM, &trader, AMOUNT * Balance::from(pending));
		for _ in 1..pending {
			Gateway::<T>::do_request_transfer(id, &trader, AMOUNT).expect("funded; qed");
		}
		let transfer = NextTransferId::<T>::get();

		#[extrinsic_call]
		request_transfer(RawOrigin::Signed(trader.clone()), id, AMOUNT);

		assert_eq!(PendingCount::<T>::get(&trader), pending);
		assert!(Transfers::<T>::contains_key(transfer));
	}

	/// The last approval a transfer can record.
	#[benchmark]
	fn approve_transfer() {
		let guardians = guardians::<T>();
		let (_, transfer) = requester::<T>(route::<T>());
		let (last, others) = guardians.split_last().expect("MaxGuardians is above zero; qed");
		for g in others {
			Gateway::<T>::do_approve_transfer(transfer, g).expect("a guardian; qed");
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), transfer);

		let pending = Transfers::<T>::get(transfer).expect("pending; qed");
		assert_eq!(pending.approvals.len() as u32, T::MaxGuardians::get());
	}

	#[benchmark]
	fn veto_transfer() {
		let guardians = guardians::<T>();
		let (trader, transfer) = requester::<T>(route::<T>());

		#[extrinsic_call]
		_(RawOrigin::Signed(guardians[0].clone()), transfer);

		assert!(!Transfers::<T>::contains_key(transfer));
		assert!(!PendingCount::<T>::contains_key(&trader));
	}

	/// Every guardian's approval to count, the delay elapsed, half of the source silo moved.
	#[benchmark]
	fn execute_transfer() {
		let guardians = guardians::<T>();
		let id = route::<T>();
		let (trader, transfer) = requester::<T>(id);
		for g in &guardians {
			Gateway::<T>::do_approve_transfer(transfer, g).expect("a guardian; qed");
		}
		System::<T>::set_block_number(System::<T>::block_number() + DELAY.into());

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), transfer);

		assert!(!Transfers::<T>::contains_key(transfer));
		let carried = Routes::<T>::get(id).expect("open; qed").carried;
		assert_eq!(carried.usage(System::<T>::block_number(), 100u32.into()), AMOUNT);
	}

	#[benchmark]
	fn cancel_transfer() {
		let (trader, transfer) = requester::<T>(route::<T>());

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), transfer);

		assert!(!Transfers::<T>::contains_key(transfer));
		assert!(!PendingCount::<T>::contains_key(&trader));
	}

	/// A record whose window has passed, on an open route (the route is read to judge it).
	#[benchmark]
	fn forget_route_use() {
		let route = route::<T>();
		let who: T::AccountId = account("mover", 0, 0);
		let window = Routes::<T>::get(route).expect("opened above; qed").limits.window_length;
		let mut used = AccountUse::<T>::get(route, &who);
		used.record(frame_system::Pallet::<T>::block_number(), window, 1);
		AccountUse::<T>::insert(route, &who, used);
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number() + window + window,
		);
		let caller: T::AccountId = whitelisted_caller();

		#[extrinsic_call]
		_(RawOrigin::Signed(caller), route, who.clone());

		assert!(!AccountUse::<T>::contains_key(route, &who));
	}

	impl_benchmark_test_suite!(Gateway, crate::mock::new_bench_ext(), crate::mock::Test);
}
