//! What the benchmark CLI measures in this runtime, and the set-up the Bulkhead pallets'
//! benchmarks ask of it.
//!
//! The Bulkhead pallets are measured here with each other wired in, as in production: a trade's
//! weight includes the silo accounting and the breaker checks it causes. Their set-up goes
//! through the pallets' own calls; ids start at 1,000, clear of the genesis presets' markets.

use crate::{
	AccountId, AssetId, Assets, Balance, CircuitBreaker, CollateralSilos, ExecutionSegments,
	OracleKey, Price, Runtime, RuntimeOrigin, SegmentId, SiloId, Timestamp,
};
use frame_benchmarking::account;
use frame_support::traits::{
	fungibles::{Inspect, Mutate},
	Contains, Time,
};
use segment_interface::SiloDirectory;
use sp_runtime::traits::StaticLookup;

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_oracle, Oracle]
	// Collateral assets: created by root (`force_create`); `create` (CreateOrigin, closed here)
	// reports itself weightless, and is charged nothing beyond the extrinsic's base weight for
	// the origin check that refuses it.
	[pallet_assets, Assets]
	// Both membership sets share these weights, measured on the oracle operators' instance,
	// whose change hook also runs the oracle's (it clears a removed operator's values; the
	// benchmark's operators have fed none, so that clearing is not in these weights: see
	// docs/threat-model.md).
	[pallet_membership, OracleOperators]
	[pallet_collateral_silos, CollateralSilos]
	[pallet_execution_segments, ExecutionSegments]
	[pallet_gateway, Gateway]
	[pallet_circuit_breaker, CircuitBreaker]
);

impl frame_system_benchmarking::Config for Runtime {}
impl pallet_transaction_payment::BenchmarkConfig for Runtime {}

/// The collateral every benchmark silo holds.
const COLLATERAL: AssetId = 1_000;
/// The segment (and silo) the breaker's benchmarks trip.
const BREAKER_SEGMENT: SegmentId = 1_000;

/// Sets up the Bulkhead pallets' benchmarks, and the oracle's.
pub struct BenchmarkHelper;

fn root() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

/// `COLLATERAL`, created on first use: sufficient, so its holders need no native balance.
fn collateral() -> AssetId {
	if !<Assets as Inspect<AccountId>>::asset_exists(COLLATERAL) {
		let owner = <Runtime as frame_system::Config>::Lookup::unlookup(account("owner", 0, 0));
		Assets::force_create(root(), COLLATERAL.into(), owner, true, 1)
			.expect("a fresh asset id; qed");
	}
	COLLATERAL
}

/// Silo `silo` for segment `silo`, created on first use, uncapped.
fn silo(silo: SiloId) -> SiloId {
	if <CollateralSilos as SiloDirectory>::segment_of(silo).is_none() {
		CollateralSilos::create_silo(root(), silo, silo, collateral(), Balance::MAX, 1)
			.expect("a fresh silo and segment id; qed");
	}
	silo
}

/// `amount` of collateral, new, for `who`, and a little more: deposits keep the depositor's asset
/// account alive.
fn mint(who: &AccountId, amount: Balance) {
	<Assets as Mutate<AccountId>>::mint_into(collateral(), who, amount + 1_000)
		.expect("a sufficient asset, far below its supply limit; qed");
}

/// `who` gets `amount` of collateral and deposits it as free margin in `silo`.
fn deposit(silo: SiloId, who: &AccountId, amount: Balance) {
	mint(who, amount);
	CollateralSilos::deposit_margin(RuntimeOrigin::signed(who.clone()), silo, amount)
		.expect("an open, uncapped silo; qed");
}

impl pallet_collateral_silos::benchmarking::BenchmarkHelper<AssetId> for BenchmarkHelper {
	fn collateral_asset() -> AssetId {
		collateral()
	}
	fn hold_back_outflow(segment: SegmentId) {
		crate::CircuitBreaker::trip(RuntimeOrigin::root(), segment)
			.expect("the benchmarks' segments are guarded, and normal; qed");
	}

	/// Segment `segment` on the demo markets' risk, a long of 1,000 units opened in it through
	/// an order, and a later price published: the LP order requested now is priced at it.
	fn open_interest(segment: SegmentId) -> segment_interface::OrderTiming {
		use crate::genesis_config_presets as presets;
		use pallet_execution_segments::{OrderKind, Orders, PriceRound, PriceRounds, Side};
		let key = presets::oracle_key(b"BENCH/USD");
		let price = Price::from_u32(100);
		ExecutionSegments::create_segment(
			root(),
			segment,
			segment,
			key.clone(),
			presets::demo_risk(),
		)
		.expect("a fresh segment on the benchmark's silo; qed");
		pallet_oracle::Values::<Runtime>::insert(
			&key,
			pallet_oracle::TimestampedValue { value: price, timestamp: Timestamp::now() },
		);
		// A round of `price` published at `at`, and the chain a millisecond later: final.
		let publish = |at: segment_interface::Moment| {
			let round = PriceRound { price, timestamp: at, published: at, accepted: price };
			PriceRounds::<Runtime>::mutate(segment, |rounds| rounds.note(round));
			pallet_timestamp::Now::<Runtime>::put(at + 1);
		};
		let trader: AccountId = account("long", segment, 0);
		let (size, margin) = (presets::MIN_POSITION_SIZE * 10, presets::MIN_POSITION_SIZE * 2);
		let fee = presets::KEEPER_DEPOSIT;
		deposit(segment, &trader, margin + fee);
		let open = OrderKind::Increase { side: Side::Long, size, margin };
		ExecutionSegments::request_order(
			RuntimeOrigin::signed(trader.clone()),
			segment,
			open,
			Price::from_inner(u128::MAX),
			fee,
		)
		.expect("a funded order on a fresh market; qed");
		let order = Orders::<Runtime>::get(segment, &trader).expect("requested; qed");
		publish(order.fills_from + 1);
		ExecutionSegments::execute_order(RuntimeOrigin::signed(trader.clone()), segment, trader)
			.expect("its price is out; qed");
		let now = Timestamp::now();
		publish(now + 1);
		segment_interface::OrderTiming { requested_at: now, fills_from: now, expires_at: u64::MAX }
	}
}

impl pallet_execution_segments::benchmarking::BenchmarkHelper<AccountId> for BenchmarkHelper {
	fn create_silo(segment: SegmentId, liquidity: Balance) -> SiloId {
		let silo = silo(segment);
		let lp: AccountId = account("lp", segment, 0);
		mint(&lp, liquidity);
		CollateralSilos::do_provide_liquidity(silo, &lp, liquidity)
			.expect("an open, uncapped silo; qed");
		silo
	}

	fn fund_margin(segment: SegmentId, who: &AccountId, amount: Balance) {
		let silo = <CollateralSilos as SiloDirectory>::silo_of(segment)
			.expect("the benchmark created it; qed");
		deposit(silo, who, amount);
	}

	fn set_price(key: &OracleKey, price: Price) {
		pallet_oracle::Values::<Runtime>::insert(
			key,
			pallet_oracle::TimestampedValue { value: price, timestamp: Timestamp::now() },
		);
	}

	fn noted_price(segment: SegmentId) -> Option<Price> {
		CircuitBreaker::breaker(segment).last_price.map(|seen| seen.price)
	}

	fn set_now(now: segment_interface::Moment) {
		pallet_timestamp::Now::<Runtime>::put(now);
	}
}

impl pallet_gateway::benchmarking::BenchmarkHelper<AccountId> for BenchmarkHelper {
	fn create_silos(from: SiloId, to: SiloId) {
		silo(from);
		silo(to);
	}

	/// A thousandth of it as profit (never brought in), so moving it out of the silo is
	/// judged against the breaker's line, as a winner's transfer is.
	fn fund_margin(silo: SiloId, who: &AccountId, amount: Balance) {
		deposit(silo, who, amount);
		pallet_collateral_silos::Accounts::<Runtime>::mutate(silo, who, |account| {
			account.flow.principal -= amount / 1_000
		});
	}

	fn provide_liquidity(silo: SiloId, who: &AccountId, amount: Balance) {
		mint(who, amount);
		CollateralSilos::do_provide_liquidity(silo, who, amount)
			.expect("an open, uncapped silo; qed");
	}
}

impl pallet_circuit_breaker::benchmarking::BenchmarkHelper for BenchmarkHelper {
	fn segment() -> SegmentId {
		if !<ExecutionSegments as Contains<SegmentId>>::contains(&BREAKER_SEGMENT) {
			ExecutionSegments::create_segment(
				root(),
				BREAKER_SEGMENT,
				silo(BREAKER_SEGMENT),
				crate::genesis_config_presets::oracle_key(b"BENCH/USD"),
				crate::genesis_config_presets::demo_risk(),
			)
			.expect("a fresh segment on its own silo; qed");
		}
		BREAKER_SEGMENT
	}
}

/// The oracle's benchmark feeds as many values as one call may carry, on keys that count as
/// traded but reach no segment (the segments' hook is weighed on its own, `OracleWeights`).
impl
	pallet_oracle::BenchmarkHelper<
		OracleKey,
		Price,
		<Runtime as pallet_oracle::Config>::MaxFeedValues,
	> for BenchmarkHelper
{
	fn get_currency_id_value_pairs(
	) -> sp_runtime::BoundedVec<(OracleKey, Price), <Runtime as pallet_oracle::Config>::MaxFeedValues>
	{
		use frame_support::traits::{Get, SortedMembers};
		let max = <Runtime as pallet_oracle::Config>::MaxFeedValues::get();
		let pairs: alloc::vec::Vec<_> = (0..max)
			.map(|i| {
				let key = alloc::format!("BENCH/{i}").into_bytes();
				(crate::genesis_config_presets::oracle_key(&key), Price::from_u32(100 + i))
			})
			.collect();
		// The benchmarked feed is the oracle's costliest: the operator set is full (the
		// benchmark adds its caller as the last operator), every other operator has a fresh
		// value for each key, so the feed reads them all, finds a majority and stores the
		// price. The runtime combines no price for a key no segment trades (spec 114), so
		// each key is listed, with no segment on it: the feed takes the full path, and the
		// hook, which `OracleWeights` adds at its worst, notes nothing.
		type Members = <Runtime as pallet_oracle::Config>::Members;
		let caller: AccountId = frame_benchmarking::whitelisted_caller();
		let max: u32 = <Runtime as pallet_membership::Config<
			crate::configs::OracleOperatorsInstance,
		>>::MaxMembers::get();
		let max = max as usize;
		let mut i: u32 = 0;
		while Members::sorted_members().iter().filter(|m| **m != caller).count() + 1 < max {
			Members::add(&account("operator", i, 0));
			i += 1;
		}
		for (key, _) in &pairs {
			pallet_execution_segments::SegmentsByOracle::<Runtime>::insert(
				key,
				sp_runtime::BoundedVec::new(),
			);
		}
		let now = Timestamp::now();
		for who in Members::sorted_members().iter().filter(|m| **m != caller) {
			for (key, value) in &pairs {
				pallet_oracle::RawValues::<Runtime>::insert(
					who,
					key,
					pallet_oracle::TimestampedValue { value: *value, timestamp: now },
				);
			}
		}
		pairs.try_into().expect("exactly MaxFeedValues pairs; qed")
	}
}
