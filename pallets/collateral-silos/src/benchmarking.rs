//! Benchmarks for every call, each driven down its most expensive path.
//!
//! Withdrawals take out more than the account brought in (a little profit on top of their
//! principal), so a runtime whose breaker counts outflow beyond principal (Bulkhead's does)
//! pays for recording it against the segment's line and the account's share.

use super::*;
use crate::Pallet as CollateralSilos;
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungibles::{Inspect, Mutate},
	Get,
};
use frame_system::RawOrigin;
use segment_interface::{Balance, OrderTiming, SegmentId, SiloId};

/// An amount large beside any collateral's minimum balance.
const AMOUNT: Balance = 1_000_000_000_000;

/// What the benchmarks need from the runtime: a collateral asset, and a way to close a
/// segment's outflow line.
pub trait BenchmarkHelper<AssetId> {
	/// An asset that exists, whose minimum balance is below a million units.
	fn collateral_asset() -> AssetId;
	/// From now on, nothing beyond principal may leave `segment`'s silo (e.g. its breaker
	/// is tripped): what an account gained must queue.
	fn hold_back_outflow(segment: SegmentId);
	/// A position open in `segment`, whose silo `segment` the benchmark created and funded,
	/// and the timing of an LP order requested now whose price the segment has published:
	/// pricing it takes the heaviest path, marking the position at that price (with no open
	/// interest the pool needs no price).
	fn open_interest(segment: SegmentId) -> OrderTiming;
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

/// `who` gains `PROFIT` of free margin in `silo` that it never brought in (as a closed
/// winning position pays it), and the silo account holds it.
fn profit<T: Config>(silo: SiloId, who: &T::AccountId, asset: &AssetIdOf<T>) {
	T::Assets::mint_into(asset.clone(), &CollateralSilos::<T>::account_id(silo), PROFIT)
		.expect("the asset exists; qed");
	CollateralSilos::<T>::credit_free(silo, who, PROFIT).expect("no overflow; qed");
}

/// Profit small beside the silo, inside any account's share of its outflow line.
const PROFIT: Balance = AMOUNT / 1_000;

/// `n` LPs, each with `AMOUNT` of shares queued to exit, worth a little more than they brought
/// in (fees grew the pool): each exit's last part is judged against the line. They are put
/// in the queue directly: `queue_exit` takes only what the line holds back.
fn queued_lps<T: Config>(silo: SiloId, asset: &AssetIdOf<T>, n: u32) {
	for i in 0..n {
		let lp = funded::<T>("queued", i, asset);
		CollateralSilos::<T>::do_provide_liquidity(silo, &lp, AMOUNT).expect("funded; qed");
		Accounts::<T>::mutate(silo, &lp, |account| account.shares = 0);
		CollateralSilos::<T>::enqueue(silo, silo, &lp, ExitRequest::Liquidity(AMOUNT))
			.expect("room in the queue; qed");
	}
	pool_gain::<T>(silo, asset, PROFIT * Balance::from(n));
}

/// Every exit queued in `silo` waits for the price `timing` says.
fn price_exits<T: Config>(silo: SiloId, timing: OrderTiming) {
	for (index, _) in Exits::<T>::iter_prefix(silo) {
		Exits::<T>::mutate(silo, index, |exit| {
			exit.as_mut().expect("queued; qed").priced_at = Some(timing);
		});
	}
}

/// An LP who stays in `silo`: its liquidity backs the position the pricing marks.
fn resident_lp<T: Config>(silo: SiloId, asset: &AssetIdOf<T>) {
	let lp = funded::<T>("resident", 0, asset);
	CollateralSilos::<T>::do_provide_liquidity(silo, &lp, AMOUNT).expect("funded; qed");
}

/// The pool of `silo` gains `gain` (fees, or traders' losses).
fn pool_gain<T: Config>(silo: SiloId, asset: &AssetIdOf<T>, gain: Balance) {
	T::Assets::mint_into(asset.clone(), &CollateralSilos::<T>::account_id(silo), gain)
		.expect("the asset exists; qed");
	Silos::<T>::mutate(silo, |info| {
		info.as_mut().expect("created by the benchmark; qed").books.lp_liquidity += gain
	});
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

	/// A deposit order into a pool that already has shares, by an LP who already holds some
	/// (its shares are valued for what it holds), escrowing the amount and a fee.
	#[benchmark]
	fn request_lp_order() {
		let asset = busy_silo::<T>(0);
		let lp = funded::<T>("lp", 0, &asset);
		CollateralSilos::<T>::do_provide_liquidity(0, &lp, AMOUNT).expect("funded; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), 0, LpOrderKind::Provide(AMOUNT), PROFIT);

		assert!(LpOrders::<T>::contains_key(0, &lp));
		assert_eq!(Accounts::<T>::get(0, &lp).margin.escrowed, AMOUNT + PROFIT);
	}

	/// A deposit order taken back: its amount and fee return to free margin.
	#[benchmark]
	fn cancel_lp_order() {
		let asset = busy_silo::<T>(0);
		let lp = funded::<T>("lp", 0, &asset);
		CollateralSilos::<T>::do_provide_liquidity(0, &lp, AMOUNT).expect("funded; qed");
		CollateralSilos::<T>::do_request_lp_order(0, &lp, LpOrderKind::Provide(AMOUNT), PROFIT)
			.expect("funded; qed");
		// Its delay runs (whatever delay the segment has).
		LpOrders::<T>::mutate(0, &lp, |order| {
			order.as_mut().expect("requested above; qed").timing.fills_from = u64::MAX;
		});

		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), 0);

		assert!(!LpOrders::<T>::contains_key(0, &lp));
		assert_eq!(Accounts::<T>::get(0, &lp).margin.free, AMOUNT + PROFIT);
	}

	/// A withdrawal order for all of the LP's shares, after fees grew the pool beyond what the
	/// LP brought in: the part beyond principal is judged against the line, the amount paid
	/// out, and the fee paid to a keeper new to the silo. The order's price is out, and marks
	/// a position: the pool is priced at it.
	#[benchmark]
	fn execute_lp_order() {
		let asset = busy_silo::<T>(0);
		resident_lp::<T>(0, &asset);
		let lp = funded::<T>("lp", 0, &asset);
		CollateralSilos::<T>::do_provide_liquidity(0, &lp, AMOUNT).expect("funded; qed");
		pool_gain::<T>(0, &asset, PROFIT);
		CollateralSilos::<T>::do_request_lp_order(0, &lp, LpOrderKind::Withdraw(AMOUNT), PROFIT)
			.expect("funded, and it holds the shares; qed");
		let timing = T::BenchmarkHelper::open_interest(0);
		LpOrders::<T>::mutate(0, &lp, |order| {
			order.as_mut().expect("requested above; qed").timing = timing
		});
		let keeper = funded::<T>("keeper", 0, &asset);
		let before = T::Assets::balance(asset.clone(), &lp);

		#[extrinsic_call]
		_(RawOrigin::Signed(keeper.clone()), 0, lp.clone());

		assert!(!LpOrders::<T>::contains_key(0, &lp));
		assert!(T::Assets::balance(asset, &lp) > before + AMOUNT, "paid its shares with a gain");
		assert_eq!(Accounts::<T>::get(0, &keeper).margin.free, PROFIT);
	}

	/// Onto margin the trader already holds, by a trader who is also an LP: its shares are
	/// valued at the pool's marked value for what it holds.
	#[benchmark]
	fn deposit_margin() {
		let asset = silo::<T>(0);
		let trader = funded::<T>("trader", 0, &asset);
		CollateralSilos::<T>::do_provide_liquidity(0, &trader, AMOUNT).expect("funded; qed");
		CollateralSilos::<T>::do_deposit_margin(0, &trader, AMOUNT).expect("funded; qed");

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), 0, AMOUNT);

		assert_eq!(Accounts::<T>::get(0, &trader).margin.free, 2 * AMOUNT);
	}

	/// All of the trader's margin, principal and profit: the profit is judged against the line.
	#[benchmark]
	fn withdraw_margin() {
		let asset = busy_silo::<T>(0);
		let trader = funded::<T>("trader", 0, &asset);
		CollateralSilos::<T>::do_deposit_margin(0, &trader, AMOUNT).expect("funded; qed");
		profit::<T>(0, &trader, &asset);
		let before = T::Assets::balance(asset.clone(), &trader);

		#[extrinsic_call]
		_(RawOrigin::Signed(trader.clone()), 0, AMOUNT + PROFIT);

		// With a breaker, the entry stays for what the trader took beyond principal, which
		// counts in the window; the margin is gone either way.
		assert!(Accounts::<T>::get(0, &trader).margin.is_empty());
		assert_eq!(T::Assets::balance(asset, &trader), before + AMOUNT + PROFIT);
	}

	/// Shares, which are valued to check the minimum and against what the account may take
	/// now (the pool gained since the LP came in, and the line is closed), behind a full
	/// queue but one.
	#[benchmark]
	fn queue_exit() {
		let asset = busy_silo::<T>(0);
		queued_lps::<T>(0, &asset, T::MaxQueuedExits::get() - 1);
		let lp = funded::<T>("lp", 0, &asset);
		CollateralSilos::<T>::do_provide_liquidity(0, &lp, AMOUNT).expect("funded; qed");
		pool_gain::<T>(0, &asset, PROFIT);
		T::BenchmarkHelper::hold_back_outflow(0);
		let shares = Accounts::<T>::get(0, &lp).shares;

		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), 0, ExitRequest::Liquidity(shares));

		assert_eq!(Accounts::<T>::get(0, &lp).shares, 0);
		assert_eq!(ExitQueues::<T>::get(0).live, T::MaxQueuedExits::get());
	}

	/// Shares back to an LP.
	#[benchmark]
	fn cancel_exit() {
		let asset = busy_silo::<T>(0);
		queued_lps::<T>(0, &asset, 1);
		// Its price is not due yet: it may be taken back.
		price_exits::<T>(
			0,
			OrderTiming { requested_at: 0, fills_from: u64::MAX, expires_at: u64::MAX },
		);
		let lp: T::AccountId = account("queued", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(lp.clone()), 0, 0);

		assert_eq!(Accounts::<T>::get(0, &lp).shares, AMOUNT);
		assert!(Exits::<T>::get(0, 0).expect("the place is kept; qed").is_cancelled());
	}

	/// `n` share exits, each priced, burnt and paid in full.
	#[benchmark]
	fn process_exits(n: Linear<1, { T::MaxQueuedExits::get() }>) {
		let asset = busy_silo::<T>(0);
		resident_lp::<T>(0, &asset);
		queued_lps::<T>(0, &asset, n);
		// Each entry's price is out, and marks a position.
		price_exits::<T>(0, T::BenchmarkHelper::open_interest(0));
		let keeper = funded::<T>("keeper", 0, &asset);

		#[extrinsic_call]
		_(RawOrigin::Signed(keeper), 0, n);

		assert_eq!(ExitQueues::<T>::get(0), ExitQueue { head: n, tail: n, live: 0 });
		assert_eq!(books::<T>(0).lp_shares, AMOUNT, "the resident LP's");
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
