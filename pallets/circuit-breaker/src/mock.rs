//! A test runtime for the circuit breaker alone: no other Bulkhead pallet.

use crate::{self as pallet_circuit_breaker, Thresholds};
use frame_support::{derive_impl, ord_parameter_types, parameter_types, traits::EitherOfDiverse};
use frame_system::{EnsureRoot, EnsureSignedBy};
use segment_interface::SegmentId;
use sp_runtime::{BuildStorage, Permill};

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(RuntimeCall, RuntimeEvent, RuntimeError, RuntimeOrigin, RuntimeTask)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type CircuitBreaker = pallet_circuit_breaker;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

pub const ADMIN: u64 = 1;
pub const GUARDIAN: u64 = 2;
pub const USER: u64 = 3;

/// Segments 0, 1 and 2 exist.
pub const BTC: SegmentId = 0;
pub const ETH: SegmentId = 1;
pub const DOT: SegmentId = 2;

ord_parameter_types! {
	pub const Admin: u64 = ADMIN;
	pub const Guardian: u64 = GUARDIAN;
}

parameter_types! {
	pub const Defaults: Thresholds<u64> = Thresholds {
		max_net_outflow: Permill::from_percent(20),
		max_account_share: Permill::from_percent(50),
		outflow_window: 10,
		max_price_move: Permill::from_percent(10),
		max_price_deviation: Permill::from_percent(25),
		reference_window: 10,
		stale_after: Some(20),
		cooldown: 5,
		probation: 10,
	};
}

pub struct KnownSegments;
impl frame_support::traits::Contains<SegmentId> for KnownSegments {
	fn contains(segment: &SegmentId) -> bool {
		*segment <= DOT
	}
}

thread_local! {
	/// What each segment's silo is worth, as the tests set it.
	static SILO_VALUES: core::cell::RefCell<std::collections::BTreeMap<SegmentId, u128>> =
		Default::default();
}

/// Silos whose value a test sets with [`set_silo_value`].
pub struct TestSilos;
impl segment_interface::SiloValue for TestSilos {
	fn silo_value(segment: SegmentId) -> Option<u128> {
		SILO_VALUES.with(|v| v.borrow().get(&segment).copied())
	}
}

/// What `segment`'s silo is worth, as the test last set it (nothing at first).
pub fn silo_value(segment: SegmentId) -> u128 {
	SILO_VALUES.with(|v| v.borrow().get(&segment).copied().unwrap_or(0))
}

/// From now on, `segment`'s silo is worth `value`.
pub fn set_silo_value(segment: SegmentId, value: u128) {
	SILO_VALUES.with(|v| v.borrow_mut().insert(segment, value));
}

impl pallet_circuit_breaker::Config for Test {
	type AdminOrigin = EitherOfDiverse<EnsureRoot<u64>, EnsureSignedBy<Admin, u64>>;
	// Guardians and root may trip.
	type GuardianOrigin = EitherOfDiverse<EnsureRoot<u64>, EnsureSignedBy<Guardian, u64>>;
	// Only root may reset: guardians must not.
	type ResetOrigin = EnsureRoot<u64>;
	type Segments = KnownSegments;
	type Silos = TestSilos;
	type DefaultThresholds = Defaults;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// The benchmarks use segment BTC.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper for BenchHelper {
	fn segment() -> SegmentId {
		BTC
	}
}

#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
}

std::thread_local! {
	// The accounts' flows through BTC's silo, kept here as a silo keeps them in its
	// accounts' entries.
	pub static FLOWS: core::cell::RefCell<std::collections::BTreeMap<u64, crate::AccountFlow<u64>>> =
		Default::default();
}

/// Runs a test from block 1 and checks the pallet's invariants after it.
pub fn new_test_ext(test: impl FnOnce()) {
	FLOWS.with(|f| f.borrow_mut().clear());
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		test();
		CircuitBreaker::do_try_state().expect("invariants hold after the test");
	});
}

pub fn run_to_block(n: u64) {
	System::set_block_number(n);
}
