//! Benchmarks for every call, each driven down its most expensive path.
//!
//! Withdrawals take half of the silo, so a runtime whose breaker limits net outflow (Bulkhead's
//! does, at a fifth) pays for the trip inside the measured call.

use super::*;
use crate::Pallet as CollateralSilos;
use frame_benchmarking::v2::*;
use frame_support::traits::fungibles::{Inspect, Mutate};
use frame_system::RawOrigin;
use segment_interface::{Balance, SiloId};

/// An amount large beside any collateral's minimum balance.
const AMOUNT: Balance = 1_000_000_000_000;

/// What the benchmarks need from the runtime: a collateral asset.
pub trait BenchmarkHelper<AssetId> {
	/// An asset that exists, whose minimum balance is below a million units.
	fn collateral_asset() -> AssetId;
}

fn funded<T: Config>(name: &'static str, index: u32, asset: &AssetIdOf<T>) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	T::Assets::mint_into(asset.clone(), &who, 10 * AMOUNT).expect("the asset exists; qed");
	who
}

/// Silo `silo` for segment `silo`, uncapped, with a minimum deposit of one unit, and its asset.
fn silo<T: Config>(silo: SiloId) -> AssetIdOf<T> {
	let asset = T::BenchmarkHelper::collateral_asset();
	CollateralSilos::<T>::do_create_silo(silo, silo, asset.clone(), Balance::MAX, 1)
		.expect("a fresh silo id; qed");
	asset
}

/// A silo that also holds `AMOUNT` of another trader's margin, so emptying the caller's part
/// leaves it open.
fn busy_silo<T: Config>(id: SiloId) -> AssetIdOf<T> {
	let asset = silo::<T>(id);
	let other = funded::<T>("other", 0, &asset);
	CollateralSilos::<T>::do_deposit_margin(id, &other, AMOUNT).expect("funded; qed");
	asset
}

fn books<T: Config>(silo: SiloId) -> Books {
	Silos::<T>::get(silo).expect("created by the benchmark; qed").books
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_silo() {
		let asset = T::BenchmarkHelper::collateral_asset();

		#[extrinsic_call]
		_(RawOrigin::Root, 7, 7, asset, AMOUNT, 1);

		assert_eq!(SiloOfSegment::<T>::get(7), Some(7));
		assert!(Silos::<T>::contains_key(7));
	}

	#[benchmark]
	fn set_silo_params() {
		silo::<T>(0);

		#[extrinsic_call]
		_(RawOrigin::Root, 0, AMOUNT, 2, SiloStatus::Frozen);

		let info = Silos::<T>::get(0).expect("created above; qed");
		assert_eq!(
			(info.deposit_cap, info.min_deposit, info.status),
			(AMOUNT, 2, SiloStatus::Frozen)
		);
	}

	/// Into a pool that already has shares, by an LP who already holds some.
	#[benchmark]
	fn provide_liquidity() {
		let asset = busy_silo::<T>(0);
		let lp = funded::<T>("lp", 0, &asset);
		CollateralSilos::<T>::do_provide_liquidity(0, &lp, AMOUNT).expect("funded; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), 0, AMOUNT);

		assert_eq!(LpShares::<T>::get(0, &lp), 2 * AMOUNT);
		assert_eq!(books::<T>(0).lp_liquidity, 2 * AMOUNT);
	}

	/// All of the pool, half of the silo: the outflow the breaker judges.
	#[benchmark]
	fn withdraw_liquidity() {
		let asset = busy_silo::<T>(0);
		let lp = funded::<T>("lp", 0, &asset);
		CollateralSilos::<T>::do_provide_liquidity(0, &lp, AMOUNT).expect("funded; qed");
		let before = T::Assets::balance(asset.clone(), &lp);

		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), 0, AMOUNT);

		assert_eq!(LpShares::<T>::get(0, &lp), 0);
		assert_eq!(T::Assets::balance(asset, &lp), before + AMOUNT);
	}

	/// Onto margin the trader already holds.
	#[benchmark]
	fn deposit_margin() {
		let asset = silo::<T>(0);
		let trader = funded::<T>("trader", 0, &asset);
		CollateralSilos::<T>::do_deposit_margin(0, &trader, AMOUNT).expect("funded; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), 0, AMOUNT);

		assert_eq!(Margins::<T>::get(0, &trader).free, 2 * AMOUNT);
	}

	/// All of the trader's margin, half of the silo: the outflow the breaker judges.
	#[benchmark]
	fn withdraw_margin() {
		let asset = busy_silo::<T>(0);
		let trader = funded::<T>("trader", 0, &asset);
		CollateralSilos::<T>::do_deposit_margin(0, &trader, AMOUNT).expect("funded; qed");
		let before = T::Assets::balance(asset.clone(), &trader);

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), 0, AMOUNT);

		assert!(!Margins::<T>::contains_key(0, &trader));
		assert_eq!(T::Assets::balance(asset, &trader), before + AMOUNT);
	}

	#[benchmark]
	fn fund_insurance() {
		let asset = busy_silo::<T>(0);
		let funder = funded::<T>("funder", 0, &asset);

		#[extrinsic_call]
		_(RawOrigin::Signed(funder), 0, AMOUNT);

		assert_eq!(books::<T>(0).insurance, AMOUNT);
	}

	impl_benchmark_test_suite!(CollateralSilos, crate::mock::new_bench_ext(), crate::mock::Test);
}
