//! A test runtime for collateral silos: real `pallet-assets` collateral, and test doubles for
//! the breaker's side of the interface. No other Bulkhead pallet.

use crate::{self as pallet_collateral_silos, Silos};
use core::cell::RefCell;
use frame_support::{
	assert_ok, derive_impl, parameter_types,
	traits::{fungibles::Inspect, AsEnsureOriginWithArg},
	PalletId,
};
use frame_system::{EnsureRoot, EnsureSigned};
use segment_interface::{
	AccountFlow, Balance, LpOrderTerms, MarketStatus, Moment, OrderPricing, OrderTiming,
	OutflowVerdict, PoolExposure, PoolFactors, PoolRisk, SegmentHealth, SegmentId, SegmentStatus,
	SiloId, SiloMonitor,
};
use sp_runtime::BuildStorage;
use sp_runtime::{DispatchError, Permill};
use std::collections::BTreeMap;

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeTask,
		RuntimeHoldReason,
		RuntimeFreezeReason
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Assets = pallet_assets;
	#[runtime::pallet_index(3)]
	pub type CollateralSilos = pallet_collateral_silos;
}

/// Sixteen bytes: enough for "modl", the pallet id and a silo id, so silo accounts differ.
pub type AccountId = u128;

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

#[derive_impl(pallet_assets::config_preludes::TestDefaultConfig)]
impl pallet_assets::Config for Test {
	type Balance = Balance;
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type Freezer = ();
}

parameter_types! {
	pub const SilosPalletId: PalletId = PalletId(*b"bh/silos");
	pub const MaxQueuedExits: u32 = 4;
	pub const MaxExitsPerAccount: u32 = 2;
	pub const MaxLpOrders: u32 = 3;
}

/// What the silos told the breaker, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
	Inflow { segment: SegmentId, who: AccountId, amount: Balance, held: Balance },
	Gift { segment: SegmentId, amount: Balance },
	Principal { segment: SegmentId, who: AccountId, amount: Balance },
	Outflow { segment: SegmentId, who: AccountId, amount: Balance, silo_value: Balance },
	BadDebt { segment: SegmentId, uncovered: Balance },
}

thread_local! {
	static STATUS: RefCell<BTreeMap<SegmentId, SegmentStatus>> = const { RefCell::new(BTreeMap::new()) };
	static NOTES: RefCell<Vec<Note>> = const { RefCell::new(Vec::new()) };
	static VERDICT: RefCell<OutflowVerdict> = const { RefCell::new(OutflowVerdict::Admitted) };
	static ROOM: RefCell<Balance> = const { RefCell::new(Balance::MAX) };
	static TRACK_FLOWS: RefCell<bool> = const { RefCell::new(false) };
	static LEGACY: RefCell<BTreeMap<(SegmentId, AccountId), AccountFlow<u64>>> = const { RefCell::new(BTreeMap::new()) };
	static EXPOSURE: RefCell<BTreeMap<SegmentId, Result<PoolExposure, DispatchError>>> = const { RefCell::new(BTreeMap::new()) };
	static MARKETS: RefCell<BTreeMap<SegmentId, MarketStatus>> = const { RefCell::new(BTreeMap::new()) };
	static LP_FEE: RefCell<Balance> = const { RefCell::new(0) };
	static LP_DELAY: RefCell<Moment> = const { RefCell::new(0) };
}

/// Blocks are 6 s apart in the tests' time.
pub const BLOCK_MS: Moment = 6_000;
/// An LP order's window: ten blocks.
pub const LP_WINDOW: Moment = 10 * BLOCK_MS;

/// The chain's time: the block number times [`BLOCK_MS`].
pub struct TestTime;
impl frame_support::traits::UnixTime for TestTime {
	fn now() -> core::time::Duration {
		core::time::Duration::from_millis(System::block_number() * BLOCK_MS)
	}
}
fn now_ms() -> Moment {
	System::block_number() * BLOCK_MS
}

/// The factors the test segments set: GMX's defaults.
pub fn factors() -> PoolFactors {
	PoolFactors {
		max_pnl_deposits: Permill::from_percent(90),
		max_pnl_withdrawals: Permill::from_percent(70),
		reserve: Permill::from_percent(90),
	}
}

/// The segments' side of the pool, set by each test: no open interest unless a test says so.
pub struct TestPool;
impl TestPool {
	/// Traders of `segment` hold `long_pnl` and `short_pnl` pending, reserving `reserved`.
	pub fn set(segment: SegmentId, long_pnl: i128, short_pnl: i128, reserved: Balance) {
		let exposure = PoolExposure { long_pnl, short_pnl, reserved, factors: factors() };
		EXPOSURE.with(|e| e.borrow_mut().insert(segment, Ok(exposure)));
	}
	/// The segment cannot value its positions (no fresh price).
	pub fn fail(segment: SegmentId, error: DispatchError) {
		EXPOSURE.with(|e| e.borrow_mut().insert(segment, Err(error)));
	}
	/// The segment's market is at `status`.
	pub fn set_market(segment: SegmentId, status: MarketStatus) {
		MARKETS.with(|m| m.borrow_mut().insert(segment, status));
	}
	/// The least execution fee an LP order escrows from now on (none unless a test says so).
	pub fn set_lp_fee(fee: Balance) {
		LP_FEE.with(|f| *f.borrow_mut() = fee);
	}
	/// The least execution fee an LP order escrows.
	pub fn lp_fee() -> Balance {
		LP_FEE.with(|f| *f.borrow())
	}
	/// An LP order's delay from now on: none unless a test says so (the tests of pricing
	/// fill an order in the block it was made; those of orders set a delay).
	pub fn set_lp_delay(delay: Moment) {
		LP_DELAY.with(|d| *d.borrow_mut() = delay);
	}
}
impl PoolRisk for TestPool {
	fn exposure(segment: SegmentId) -> Result<PoolExposure, DispatchError> {
		EXPOSURE.with(|e| {
			e.borrow().get(&segment).cloned().unwrap_or(Ok(PoolExposure::none(factors())))
		})
	}
	fn market(segment: SegmentId) -> MarketStatus {
		MARKETS.with(|m| m.borrow().get(&segment).copied().unwrap_or_default())
	}
	fn lp_order_terms(_: SegmentId) -> LpOrderTerms {
		let now = now_ms();
		let fills_from = now + LP_DELAY.with(|d| *d.borrow());
		LpOrderTerms {
			timing: OrderTiming {
				requested_at: now,
				fills_from,
				expires_at: fills_from + LP_WINDOW,
			},
			min_fee: TestPool::lp_fee(),
		}
	}
	/// Priced at the test's exposure from the delay's end to the window's (the segment's own
	/// rules for which price are its tests').
	fn exposure_for_order(
		segment: SegmentId,
		timing: &OrderTiming,
	) -> Result<OrderPricing, DispatchError> {
		let now = now_ms();
		if now < timing.fills_from {
			return Ok(OrderPricing::NotReady);
		}
		if now > timing.expires_at {
			return Ok(OrderPricing::Expired);
		}
		Self::exposure(segment).map(OrderPricing::Priced)
	}
}

/// The breaker's verdict, set by each test; every segment is normal unless a test says not.
pub struct TestHealth;
impl TestHealth {
	pub fn set(segment: SegmentId, status: SegmentStatus) {
		STATUS.with(|s| s.borrow_mut().insert(segment, status));
	}
}
impl SegmentHealth for TestHealth {
	fn status(segment: SegmentId) -> SegmentStatus {
		STATUS.with(|s| s.borrow().get(&segment).copied().unwrap_or_default())
	}
}

/// Records what the silos report.
pub struct TestMonitor;
impl TestMonitor {
	pub fn notes() -> Vec<Note> {
		NOTES.with(|n| n.borrow().clone())
	}
	pub fn clear() {
		NOTES.with(|n| n.borrow_mut().clear());
	}
}
impl TestMonitor {
	/// What the breaker answers every outflow from now on (recorded only when admitted).
	pub fn answer(verdict: OutflowVerdict) {
		VERDICT.with(|v| *v.borrow_mut() = verdict);
	}
	/// From now on an inflow adds to the account's principal and an admitted outflow takes
	/// from it, the rest counted as taken: enough of the breaker to see where flows are kept.
	pub fn track_flows() {
		TRACK_FLOWS.with(|t| *t.borrow_mut() = true);
	}
	/// Flows kept where the breaker kept them before silos' storage version 5.
	pub fn legacy_flows() -> BTreeMap<(SegmentId, AccountId), AccountFlow<u64>> {
		LEGACY.with(|l| l.borrow().clone())
	}
	/// `who`'s flow through `segment`'s silo, kept where the breaker kept it before.
	pub fn set_legacy_flow(segment: SegmentId, who: AccountId, flow: AccountFlow<u64>) {
		LEGACY.with(|l| l.borrow_mut().insert((segment, who), flow));
	}
	/// What the breaker says any account may take out now.
	pub fn set_room(room: Balance) {
		ROOM.with(|r| *r.borrow_mut() = room);
	}
}
fn tracking() -> bool {
	TRACK_FLOWS.with(|t| *t.borrow())
}
impl SiloMonitor<AccountId, u64> for TestMonitor {
	fn note_inflow(
		segment: SegmentId,
		who: &AccountId,
		flow: &mut AccountFlow<u64>,
		amount: Balance,
		held: Balance,
		_: Balance,
	) {
		if tracking() {
			flow.principal += amount;
		}
		NOTES.with(|n| n.borrow_mut().push(Note::Inflow { segment, who: *who, amount, held }));
	}
	fn note_gift(segment: SegmentId, amount: Balance, _: Balance) {
		NOTES.with(|n| n.borrow_mut().push(Note::Gift { segment, amount }));
	}
	fn note_outflow(
		segment: SegmentId,
		who: &AccountId,
		flow: &mut AccountFlow<u64>,
		amount: Balance,
		silo_value: Balance,
	) -> OutflowVerdict {
		let verdict = VERDICT.with(|v| *v.borrow());
		if verdict == OutflowVerdict::Admitted {
			if tracking() {
				let beyond = flow.beyond_principal(amount);
				flow.principal -= amount - beyond;
				flow.taken.current += beyond;
			}
			NOTES.with(|n| {
				n.borrow_mut().push(Note::Outflow { segment, who: *who, amount, silo_value })
			});
		}
		verdict
	}
	fn outflow_room(_: SegmentId, _: &AccountId, _: &AccountFlow<u64>, _: Balance) -> Balance {
		ROOM.with(|r| *r.borrow())
	}
	fn note_bad_debt(segment: SegmentId, uncovered: Balance) {
		NOTES.with(|n| n.borrow_mut().push(Note::BadDebt { segment, uncovered }));
	}
}

impl pallet_collateral_silos::Config for Test {
	type Assets = Assets;
	type AdminOrigin = EnsureRoot<AccountId>;
	type Health = TestHealth;
	type Monitor = TestMonitor;
	type Pool = TestPool;
	type PalletId = SilosPalletId;
	type MaxQueuedExits = MaxQueuedExits;
	type MaxExitsPerAccount = MaxExitsPerAccount;
	type MaxLpOrders = MaxLpOrders;
	type Time = TestTime;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// The benchmarks hold USDC.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<u32> for BenchHelper {
	fn collateral_asset() -> u32 {
		USDC
	}
	fn hold_back_outflow(_: SegmentId) {
		TestMonitor::set_room(0);
	}
	fn open_interest(segment: SegmentId) -> OrderTiming {
		TestPool::set(segment, 0, 0, 0);
		OrderTiming { requested_at: 0, fills_from: 0, expires_at: Moment::MAX }
	}
}

/// The benchmarks' world: the assets, and no silos.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	ExtBuilder::default().without_silos().build()
}

pub const ALICE: AccountId = 1; // an LP
pub const BOB: AccountId = 2; // a trader
pub const CHARLIE: AccountId = 3; // a liquidator
pub const DAVE: AccountId = 4; // holds nothing
pub const ASSET_OWNER: AccountId = 100;

pub const USDC: u32 = 1;
pub const DOT: u32 = 2;
pub const MIN_BALANCE: Balance = 10;
pub const ENDOWMENT: Balance = 1_000_000;
pub const CAP: Balance = 10_000_000;
/// The silos' minimum deposit; `minimums` tests raise it.
pub const MIN_DEPOSIT: Balance = 1;

/// Silos 0 and 1 hold USDC for segments 0 and 1; silo 2 holds DOT for segment 2.
pub const BTC_SILO: SiloId = 0;
pub const ETH_SILO: SiloId = 1;
pub const DOT_SILO: SiloId = 2;

pub struct ExtBuilder {
	silos: bool,
}

impl Default for ExtBuilder {
	fn default() -> Self {
		Self { silos: true }
	}
}

impl ExtBuilder {
	/// Start with no silos at all.
	pub fn without_silos(mut self) -> Self {
		self.silos = false;
		self
	}

	/// Genesis with the assets and, unless told otherwise, the three silos, at block 1.
	pub fn build(self) -> sp_io::TestExternalities {
		STATUS.with(|s| s.borrow_mut().clear());
		EXPOSURE.with(|e| e.borrow_mut().clear());
		MARKETS.with(|m| m.borrow_mut().clear());
		LP_FEE.with(|f| *f.borrow_mut() = 0);
		LP_DELAY.with(|d| *d.borrow_mut() = 0);
		TRACK_FLOWS.with(|t| *t.borrow_mut() = false);
		LEGACY.with(|l| l.borrow_mut().clear());
		TestMonitor::clear();
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		pallet_balances::GenesisConfig::<Test> {
			balances: vec![(ASSET_OWNER, 1_000)],
			..Default::default()
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		pallet_assets::GenesisConfig::<Test> {
			assets: vec![
				(USDC, ASSET_OWNER, true, MIN_BALANCE),
				(DOT, ASSET_OWNER, true, MIN_BALANCE),
			],
			metadata: vec![],
			accounts: [ALICE, BOB, CHARLIE]
				.into_iter()
				.flat_map(|who| [(USDC, who, ENDOWMENT), (DOT, who, ENDOWMENT)])
				.collect(),
			next_asset_id: None,
			reserves: vec![],
		}
		.assimilate_storage(&mut storage)
		.unwrap();
		let mut ext = sp_io::TestExternalities::new(storage);
		ext.execute_with(|| {
			System::set_block_number(1);
			// What a chain's genesis does: record the storage version the code is at.
			<crate::Pallet<Test> as frame_support::traits::OnGenesis>::on_genesis();
			if self.silos {
				for (silo, asset) in [(BTC_SILO, USDC), (ETH_SILO, USDC), (DOT_SILO, DOT)] {
					assert_ok!(crate::Pallet::<Test>::create_silo(
						RuntimeOrigin::root(),
						silo,
						silo,
						asset,
						CAP,
						MIN_DEPOSIT
					));
				}
				TestMonitor::clear();
			}
		});
		ext
	}

	/// Runs `test` at block 1, then checks the pallet's invariants and that every silo's
	/// account holds exactly what its books say, to the unit.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			crate::Pallet::<Test>::do_try_state().expect("invariants hold after the test");
			assert_books_exact();
		});
	}
}

/// Every silo account holds exactly its books: nobody in these tests sends it anything else.
pub fn assert_books_exact() {
	for (silo, info) in Silos::<Test>::iter() {
		let held = <Assets as Inspect<AccountId>>::balance(
			info.asset,
			&crate::Pallet::<Test>::account_id(silo),
		);
		let owed = crate::Pallet::<Test>::owed(silo).unwrap();
		assert_eq!(held, owed, "silo {silo} account and what it owes differ");
	}
}

impl crate::migrations::LegacyFlows<AccountId, u64> for TestMonitor {
	fn add_principal(segment: SegmentId, who: &AccountId, amount: Balance) {
		NOTES.with(|n| n.borrow_mut().push(Note::Principal { segment, who: *who, amount }));
		LEGACY.with(|l| l.borrow_mut().entry((segment, *who)).or_default().principal += amount);
	}
	fn all() -> Vec<(SegmentId, AccountId, AccountFlow<u64>)> {
		LEGACY.with(|l| l.borrow().iter().map(|((s, w), f)| (*s, *w, *f)).collect())
	}
	fn clear() -> u32 {
		LEGACY.with(|l| core::mem::take(&mut *l.borrow_mut()).len() as u32)
	}
}
