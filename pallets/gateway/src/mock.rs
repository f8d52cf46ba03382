//! A test runtime for the gateway alone: silos, breaker and guardian set are small test doubles
//! behind the interface traits; no other Bulkhead pallet is compiled in.

use crate as pallet_gateway;
use codec::Encode;
use core::cell::RefCell;
use frame_support::{derive_impl, parameter_types, storage::unhashed, traits::SortedMembers};
use segment_interface::{
	Balance, SegmentHealth, SegmentId, SegmentStatus, SiloDirectory, SiloId, SiloTransfers,
};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(RuntimeCall, RuntimeEvent, RuntimeError, RuntimeOrigin, RuntimeTask)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Gateway = pallet_gateway;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

pub const TRADER: AccountId = 1;
pub const OTHER: AccountId = 2;
/// Ten more traders, for tests that need many accounts moving small amounts.
pub const CROWD: core::ops::Range<AccountId> = 20..30;
pub const G1: AccountId = 11;
pub const G2: AccountId = 12;
pub const G3: AccountId = 13;

/// Silos 0 and 1 hold USDC for segments 0 and 1; silo 2 holds DOT for segment 2.
pub const BTC_SILO: SiloId = 0;
pub const ETH_SILO: SiloId = 1;
pub const DOT_SILO: SiloId = 2;

/// Configuration the tests set; balances live in storage (below) so that a failing call rolls
/// them back like any pallet's.
#[derive(Default)]
struct World {
	/// Silo -> (segment, asset).
	silos: BTreeMap<SiloId, (SegmentId, u32)>,
	status: BTreeMap<SegmentId, SegmentStatus>,
	guardians: Vec<AccountId>,
}

/// (free, escrowed) of `who` in `silo`.
fn margin_of(silo: SiloId, who: AccountId) -> (Balance, Balance) {
	unhashed::get_or_default(&(b"margin", silo, who).encode())
}
fn set_margin(silo: SiloId, who: AccountId, m: (Balance, Balance)) {
	unhashed::put(&(b"margin", silo, who).encode(), &m)
}
fn held_by(silo: SiloId) -> Balance {
	unhashed::get_or_default(&(b"held", silo).encode())
}
fn set_held(silo: SiloId, amount: Balance) {
	unhashed::put(&(b"held", silo).encode(), &amount)
}

thread_local! {
	static WORLD: RefCell<World> = RefCell::new(World::default());
}

fn world<R>(f: impl FnOnce(&mut World) -> R) -> R {
	WORLD.with(|w| f(&mut w.borrow_mut()))
}

/// The silos as the gateway sees them: free and escrowed margin, and what each silo holds.
pub struct TestSilos;
impl TestSilos {
	pub fn margin(silo: SiloId, who: AccountId) -> (Balance, Balance) {
		margin_of(silo, who)
	}
	pub fn held(silo: SiloId) -> Balance {
		held_by(silo)
	}
}
impl SiloDirectory for TestSilos {
	fn segment_of(silo: SiloId) -> Option<SegmentId> {
		world(|w| w.silos.get(&silo).map(|s| s.0))
	}
	fn silo_of(segment: SegmentId) -> Option<SiloId> {
		world(|w| w.silos.iter().find(|(_, s)| s.0 == segment).map(|(silo, _)| *silo))
	}
}
impl SiloTransfers<AccountId> for TestSilos {
	fn ensure_routable(from: SiloId, to: SiloId) -> DispatchResult {
		world(|w| {
			let a = w.silos.get(&from).ok_or(DispatchError::Other("UnknownSilo"))?;
			let b = w.silos.get(&to).ok_or(DispatchError::Other("UnknownSilo"))?;
			if from == to {
				return Err(DispatchError::Other("SameSilo"));
			}
			if a.1 != b.1 {
				return Err(DispatchError::Other("AssetMismatch"));
			}
			Ok(())
		})
	}
	fn escrow(silo: SiloId, who: &AccountId, amount: Balance) -> DispatchResult {
		let (free, escrowed) = margin_of(silo, *who);
		let free =
			free.checked_sub(amount).ok_or(DispatchError::Other("InsufficientFreeMargin"))?;
		set_margin(silo, *who, (free, escrowed + amount));
		Ok(())
	}
	fn release_escrow(silo: SiloId, who: &AccountId, amount: Balance) -> DispatchResult {
		let (free, escrowed) = margin_of(silo, *who);
		let escrowed =
			escrowed.checked_sub(amount).ok_or(DispatchError::Other("InsufficientEscrow"))?;
		set_margin(silo, *who, (free + amount, escrowed));
		Ok(())
	}
	fn transfer_escrowed(
		from: SiloId,
		to: SiloId,
		who: &AccountId,
		amount: Balance,
	) -> DispatchResult {
		let (free, escrowed) = margin_of(from, *who);
		let escrowed =
			escrowed.checked_sub(amount).ok_or(DispatchError::Other("InsufficientEscrow"))?;
		set_margin(from, *who, (free, escrowed));
		set_held(from, held_by(from) - amount);
		set_held(to, held_by(to) + amount);
		let (free, escrowed) = margin_of(to, *who);
		set_margin(to, *who, (free + amount, escrowed));
		Ok(())
	}
}

/// The breaker's verdict.
pub struct TestHealth;
impl TestHealth {
	pub fn set(segment: SegmentId, status: SegmentStatus) {
		world(|w| w.status.insert(segment, status));
	}
}
impl SegmentHealth for TestHealth {
	fn status(segment: SegmentId) -> SegmentStatus {
		world(|w| w.status.get(&segment).copied().unwrap_or_default())
	}
}

/// The guardian set, which tests may change.
pub struct TestGuardians;
impl TestGuardians {
	pub fn set(guardians: Vec<AccountId>) {
		world(|w| w.guardians = guardians);
	}
}
impl SortedMembers<AccountId> for TestGuardians {
	fn sorted_members() -> Vec<AccountId> {
		world(|w| w.guardians.clone())
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn add(who: &AccountId) {
		world(|w| {
			w.guardians.push(*who);
			w.guardians.sort();
		});
	}
}

parameter_types! {
	pub const MaxGuardians: u32 = 5;
	pub const MaxPendingPerAccount: u32 = 2;
}

impl pallet_gateway::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<AccountId>;
	type Guardians = TestGuardians;
	type Silos = TestSilos;
	type Health = TestHealth;
	type MaxGuardians = MaxGuardians;
	type MaxPendingPerAccount = MaxPendingPerAccount;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// The doubles, set up as the benchmarks ask: silo `n` serves segment `n`, all hold asset 1.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<AccountId> for BenchHelper {
	fn create_silos(from: SiloId, to: SiloId) {
		world(|w| w.silos.extend([(from, (from, 1)), (to, (to, 1))]));
	}
	fn fund_margin(silo: SiloId, who: &AccountId, amount: Balance) {
		let (free, escrowed) = margin_of(silo, *who);
		set_margin(silo, *who, (free + amount, escrowed));
		set_held(silo, held_by(silo) + amount);
	}
	/// The mock's silos keep no pools: what a transfer costs here does not depend on it.
	fn provide_liquidity(_: SiloId, _: &AccountId, _: Balance) {}
}

/// No silos, no guardians: the benchmarks build their own.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	WORLD.with(|w| *w.borrow_mut() = World::default());
	frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
}

pub const FREE: Balance = 10_000;
pub const HELD: Balance = 1_000_000;

/// Guardians G1..G3 with M = 2 from genesis; the trader holds `FREE` free margin in each silo.
pub fn new_test_ext(test: impl FnOnce()) {
	WORLD.with(|w| {
		*w.borrow_mut() = World {
			silos: [(BTC_SILO, (0, 1)), (ETH_SILO, (1, 1)), (DOT_SILO, (2, 2))].into(),
			guardians: vec![G1, G2, G3],
			..Default::default()
		}
	});
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_gateway::GenesisConfig::<Test> { approval_threshold: Some(2), ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		for silo in [BTC_SILO, ETH_SILO, DOT_SILO] {
			set_held(silo, HELD);
			set_margin(silo, TRADER, (FREE, 0));
			set_margin(silo, OTHER, (FREE, 0));
			for who in CROWD {
				set_margin(silo, who, (FREE, 0));
			}
		}
		test();
		Gateway::do_try_state().expect("invariants hold after the test");
		assert_escrow_matches_pending();
	});
}

/// What each account has escrowed in each silo is exactly its pending transfers out of it.
pub fn assert_escrow_matches_pending() {
	for silo in [BTC_SILO, ETH_SILO, DOT_SILO] {
		for who in [TRADER, OTHER] {
			let pending: Balance = crate::Transfers::<Test>::iter_values()
				.filter(|p| p.from == silo && p.who == who)
				.map(|p| p.amount)
				.sum();
			assert_eq!(TestSilos::margin(silo, who).1, pending, "silo {silo} account {who}");
		}
	}
}

pub fn run_to_block(n: u64) {
	System::set_block_number(n);
}
