//! A test runtime for execution segments alone. Silos, breaker, oracle and clock are small test
//! doubles behind the interface traits; no other Bulkhead pallet is compiled in.

use crate::{self as pallet_execution_segments, PoolParams, RiskParams, Side};
use codec::Encode;
use core::{cell::RefCell, time::Duration};
use frame_support::{assert_ok, derive_impl, storage::unhashed, traits::UnixTime};
use segment_interface::{
	Balance, Fee, MarginLedger, Moment, OracleKey, Pnl, Price, PriceFeed, PriceMonitor, PricePoint,
	PriceVerdict, SegmentHealth, SegmentId, SegmentStatus, Settlement, SettlementOutcome,
	SiloDirectory, SiloId,
};
use sp_runtime::{BuildStorage, DispatchError, DispatchResult, FixedU128, Perbill, Permill};
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
	pub type ExecutionSegments = pallet_execution_segments;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const KEEPER: AccountId = 3;
pub const NOBODY: AccountId = 4;

pub const BTC: SegmentId = 0;
pub const ETH: SegmentId = 1;
/// Segment 2 has a silo but no segment yet; so do 3 and 4.
pub const SPARE: SegmentId = 2;
pub const START_MS: Moment = 1_700_000_000_000;
pub const POOL: Balance = 1_000_000;
pub const FREE_MARGIN: Balance = 100_000;

pub fn key(symbol: &str) -> OracleKey {
	symbol.as_bytes().to_vec().try_into().expect("short key")
}

pub fn price(n: u32) -> Price {
	Price::from_u32(n)
}

pub fn risk() -> RiskParams {
	RiskParams {
		initial_margin: Permill::from_percent(10),
		maintenance_margin: Permill::from_percent(5),
		max_leverage: 10,
		liquidation_fee: Permill::from_percent(1),
		max_open_interest: 500_000,
		max_oi_share: Permill::from_percent(50),
		max_oracle_age: 60_000,
		funding_rate: Perbill::from_parts(100_000),
		min_position_size: 1,
		pool: neutral_pool(),
	}
}

/// The keeper deposit of the test segments.
pub const DEPOSIT: Balance = 5;

/// Pool parameters that leave trading as it was before fees: no fee, impact too small to move
/// a price by a unit, no borrowing; the reserve and PnL factors and the keeper deposit bind.
/// The `economics` tests use [`economic_pool`].
pub fn neutral_pool() -> PoolParams {
	PoolParams {
		fee_reducing: Permill::zero(),
		fee_increasing: Permill::zero(),
		skew_scale: Balance::MAX / 4,
		borrow_rate_at_kink: FixedU128::from_inner(0),
		borrow_rate_max: FixedU128::from_inner(0),
		..PoolParams::with_defaults(Balance::MAX / 4, DEPOSIT)
	}
}

/// The defaults, with a skew scale of 10,000,000 (a skew of 100,000 moves prices 1%).
pub fn economic_pool() -> PoolParams {
	PoolParams::with_defaults(10_000_000, DEPOSIT)
}

/// What a segment asked of the silos.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LedgerCall {
	Lock { segment: SegmentId, who: AccountId, amount: Balance, fee: Fee },
	Release { segment: SegmentId, who: AccountId, amount: Balance },
	Settle { segment: SegmentId, who: AccountId, settlement: Settlement<AccountId> },
}

/// The silo created for `segment`, as the real silos pallet resolves it.
fn silo_for(segment: SegmentId) -> Result<SiloId, DispatchError> {
	world(|w| w.silos.iter().find(|(_, s)| **s == segment).map(|(silo, _)| *silo))
		.ok_or(DispatchError::Other("NoSiloForSegment"))
}

/// (free, locked) of `who` in `silo`, and each silo's pool, live in storage so that a failing
/// call rolls them back like any pallet's; the rest is configuration the tests set.
fn margin_of(silo: SiloId, who: AccountId) -> (Balance, Balance) {
	unhashed::get_or_default(&(b"margin", silo, who).encode())
}
fn set_margin(silo: SiloId, who: AccountId, m: (Balance, Balance)) {
	unhashed::put(&(b"margin", silo, who).encode(), &m)
}
fn pool_of(silo: SiloId) -> Balance {
	unhashed::get_or_default(&(b"pool", silo).encode())
}
fn insurance_of(silo: SiloId) -> Balance {
	unhashed::get_or_default(&(b"insurance", silo).encode())
}
fn set_insurance(silo: SiloId, amount: Balance) {
	unhashed::put(&(b"insurance", silo).encode(), &amount)
}

#[derive(Default)]
struct World {
	/// Silo -> segment it was created for.
	silos: BTreeMap<SiloId, SegmentId>,
	ledger_calls: Vec<LedgerCall>,
	prices: BTreeMap<OracleKey, PricePoint>,
	now_ms: Moment,
	status: BTreeMap<SegmentId, SegmentStatus>,
	price_notes: Vec<(SegmentId, Price)>,
	verdicts: BTreeMap<SegmentId, PriceVerdict>,
	references: BTreeMap<SegmentId, Price>,
	ended: Vec<SegmentId>,
}

thread_local! {
	static WORLD: RefCell<World> = RefCell::new(World::default());
}

fn world<R>(f: impl FnOnce(&mut World) -> R) -> R {
	WORLD.with(|w| f(&mut w.borrow_mut()))
}

/// The silos, as far as a segment can see them: free and locked margin, the pool, and a log of
/// every call.
pub struct TestSilos;
impl TestSilos {
	pub fn margin(silo: SiloId, who: AccountId) -> (Balance, Balance) {
		margin_of(silo, who)
	}
	pub fn pool(silo: SiloId) -> Balance {
		pool_of(silo)
	}
	pub fn insurance(silo: SiloId) -> Balance {
		insurance_of(silo)
	}
	pub fn set_margin(silo: SiloId, who: AccountId, m: (Balance, Balance)) {
		set_margin(silo, who, m)
	}
	pub fn set_pool(silo: SiloId, amount: Balance) {
		unhashed::put(&(b"pool", silo).encode(), &amount)
	}
	pub fn calls() -> Vec<LedgerCall> {
		world(|w| w.ledger_calls.clone())
	}
	pub fn last_call() -> Option<LedgerCall> {
		world(|w| w.ledger_calls.last().cloned())
	}
}
impl SiloDirectory for TestSilos {
	fn segment_of(silo: SiloId) -> Option<SegmentId> {
		world(|w| w.silos.get(&silo).copied())
	}
	fn silo_of(segment: SegmentId) -> Option<SiloId> {
		world(|w| w.silos.iter().find(|(_, s)| **s == segment).map(|(silo, _)| *silo))
	}
}
impl MarginLedger<AccountId> for TestSilos {
	fn pool_liquidity(segment: SegmentId) -> Balance {
		silo_for(segment).map_or(0, Self::pool)
	}
	fn lock_margin(
		segment: SegmentId,
		who: &AccountId,
		amount: Balance,
		fee: Fee,
	) -> DispatchResult {
		let silo = silo_for(segment)?;
		let (free, locked) = margin_of(silo, *who);
		let charged = fee.total().unwrap();
		let kept = amount.checked_sub(charged).ok_or(DispatchError::Other("FeeExceedsMargin"))?;
		let free =
			free.checked_sub(amount).ok_or(DispatchError::Other("InsufficientFreeMargin"))?;
		set_margin(silo, *who, (free, locked + kept));
		Self::set_pool(silo, pool_of(silo) + fee.to_lps);
		set_insurance(silo, insurance_of(silo) + fee.to_insurance);
		world(|w| w.ledger_calls.push(LedgerCall::Lock { segment, who: *who, amount, fee }));
		Ok(())
	}
	fn release_margin(segment: SegmentId, who: &AccountId, amount: Balance) -> DispatchResult {
		let silo = silo_for(segment)?;
		let (free, locked) = margin_of(silo, *who);
		let locked = locked
			.checked_sub(amount)
			.ok_or(DispatchError::Other("InsufficientLockedMargin"))?;
		set_margin(silo, *who, (free + amount, locked));
		world(|w| w.ledger_calls.push(LedgerCall::Release { segment, who: *who, amount }));
		Ok(())
	}
	fn settle(
		segment: SegmentId,
		who: &AccountId,
		settlement: Settlement<AccountId>,
	) -> Result<SettlementOutcome, DispatchError> {
		let silo = silo_for(segment)?;
		let mut pool = pool_of(silo);
		let margin = settlement.margin;
		let (mut remaining, bad_debt) = match settlement.pnl {
			Pnl::Profit(p) => {
				let paid = p.min(pool);
				pool -= paid;
				(margin + paid, 0)
			},
			Pnl::Loss(l) => {
				pool += l.min(margin);
				(margin.saturating_sub(l), l.saturating_sub(margin))
			},
		};
		let fee_paid = settlement.fee.at_most(remaining);
		remaining -= fee_paid.total().unwrap();
		Self::set_pool(silo, pool + fee_paid.to_lps);
		set_insurance(silo, insurance_of(silo) + fee_paid.to_insurance);
		let deposit = settlement.keeper_deposit;
		let mut outcome = SettlementOutcome { bad_debt, fee_paid, ..Default::default() };
		if let Some((liquidator, fee)) = settlement.reward {
			let fee = fee.min(remaining);
			remaining -= fee;
			outcome.reward_paid = fee + deposit;
			let (free, locked) = margin_of(silo, liquidator);
			set_margin(silo, liquidator, (free + outcome.reward_paid, locked));
		} else {
			remaining += deposit;
		}
		outcome.returned = remaining;
		let (free, locked) = margin_of(silo, *who);
		let locked = locked
			.checked_sub(margin + deposit)
			.ok_or(DispatchError::Other("InsufficientLockedMargin"))?;
		set_margin(silo, *who, (free + remaining, locked));
		world(|w| w.ledger_calls.push(LedgerCall::Settle { segment, who: *who, settlement }));
		Ok(outcome)
	}
}

/// The oracle.
pub struct TestPrices;
impl TestPrices {
	/// Publish `price` for `symbol` now.
	pub fn set(symbol: &str, price: Price) {
		world(|w| {
			let timestamp = w.now_ms;
			w.prices.insert(key(symbol), PricePoint { price, timestamp })
		});
	}
	pub fn remove(symbol: &str) {
		world(|w| w.prices.remove(&key(symbol)));
	}
}
impl PriceFeed for TestPrices {
	fn price(key: &OracleKey) -> Option<PricePoint> {
		world(|w| w.prices.get(key).copied())
	}
}

/// The clock.
pub struct TestTime;
impl TestTime {
	pub fn advance_ms(ms: Moment) {
		world(|w| w.now_ms += ms);
	}
}
impl UnixTime for TestTime {
	fn now() -> Duration {
		Duration::from_millis(world(|w| w.now_ms))
	}
}

/// The breaker: its verdict and what it was told.
pub struct TestBreaker;
impl TestBreaker {
	pub fn set(segment: SegmentId, status: SegmentStatus) {
		world(|w| w.status.insert(segment, status));
	}
	/// Have the breaker reject `segment`'s latest price (`Some`: the last one it accepted) or
	/// accept it (`None`).
	pub fn reject(segment: SegmentId, last_accepted: Option<Price>) {
		world(|w| match last_accepted {
			Some(last_accepted) => {
				w.verdicts.insert(segment, PriceVerdict::Rejected { last_accepted });
			},
			None => {
				w.verdicts.remove(&segment);
			},
		});
	}
	pub fn price_notes() -> Vec<(SegmentId, Price)> {
		world(|w| w.price_notes.clone())
	}
	/// Give `segment` a time-weighted reference price.
	pub fn set_reference(segment: SegmentId, price: Price) {
		world(|w| w.references.insert(segment, price));
	}
	/// Forget `segment`'s reference price (it follows the last price noted).
	pub fn clear_reference(segment: SegmentId) {
		world(|w| w.references.remove(&segment));
	}
	/// The segments whose markets the breaker was told ended.
	pub fn ended() -> Vec<SegmentId> {
		world(|w| w.ended.clone())
	}
}
impl SegmentHealth for TestBreaker {
	fn status(segment: SegmentId) -> SegmentStatus {
		world(|w| w.status.get(&segment).copied().unwrap_or_default())
	}
}
impl PriceMonitor for TestBreaker {
	/// The latest price noted is the reference too, until a test sets another.
	fn note_price(segment: SegmentId, price: Price) -> PriceVerdict {
		world(|w| {
			w.price_notes.push((segment, price));
			w.references.insert(segment, price);
		});
		Self::verdict(segment)
	}
	fn verdict(segment: SegmentId) -> PriceVerdict {
		world(|w| w.verdicts.get(&segment).copied().unwrap_or(PriceVerdict::Accepted))
	}
	fn reference(segment: SegmentId) -> Option<Price> {
		world(|w| w.references.get(&segment).copied())
	}
	fn market_ended(segment: SegmentId) {
		world(|w| w.ended.push(segment));
	}
}

frame_support::parameter_types! {
	pub const MaxSegmentsPerOracle: u32 = 2;
	/// Six-second blocks.
	pub const BlocksPerYear: u32 = 5_259_600;
	pub const MaxOrdersPerSegment: u32 = 4;
	pub const MaxPriceRounds: u32 = 4;
	/// Orders fill at the first price a millisecond or more after their request, within a
	/// minute.
	pub const DefaultOrderParams: crate::OrderParams =
		crate::OrderParams { min_delay: 1, window: 60_000 };
	pub const MaxSettleBatch: u32 = 4;
}

impl pallet_execution_segments::Config for Test {
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type Silos = TestSilos;
	type Health = TestBreaker;
	type PriceMonitor = TestBreaker;
	type Prices = TestPrices;
	type Time = TestTime;
	type MaxSegmentsPerOracle = MaxSegmentsPerOracle;
	type BlocksPerYear = BlocksPerYear;
	type MaxOrdersPerSegment = MaxOrdersPerSegment;
	type MaxPriceRounds = MaxPriceRounds;
	type DefaultOrderParams = DefaultOrderParams;
	type MaxSettleBatch = MaxSettleBatch;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// The doubles, set up as the benchmarks ask: silo `segment` backs segment `segment`.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::benchmarking::BenchmarkHelper<AccountId> for BenchHelper {
	fn create_silo(segment: SegmentId, liquidity: Balance) -> SiloId {
		world(|w| w.silos.insert(segment, segment));
		TestSilos::set_pool(segment, liquidity);
		segment
	}
	fn fund_margin(segment: SegmentId, who: &AccountId, amount: Balance) {
		let silo = silo_for(segment).expect("the benchmark created it; qed");
		let (free, locked) = margin_of(silo, *who);
		set_margin(silo, *who, (free + amount, locked));
	}
	fn set_price(key: &OracleKey, price: Price) {
		world(|w| {
			let timestamp = w.now_ms;
			w.prices.insert(key.clone(), PricePoint { price, timestamp })
		});
	}
	fn noted_price(segment: SegmentId) -> Option<Price> {
		world(|w| w.price_notes.iter().rev().find(|(s, _)| *s == segment).map(|(_, p)| *p))
	}
	fn set_now(now: Moment) {
		world(|w| w.now_ms = now);
	}
}

/// An empty world for the benchmarks, which build their own.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	WORLD.with(|w| *w.borrow_mut() = World { now_ms: START_MS, ..Default::default() });
	frame_system::GenesisConfig::<Test>::default().build_storage().unwrap().into()
}

/// Silos 0..=4 exist for segments 0..=4, each with `POOL` of LP liquidity; Alice and Bob hold
/// `FREE_MARGIN` in silos 0 and 1. Segments BTC (on silo 0) and ETH (on silo 1) trade at 100
/// and 10.
pub fn new_test_ext(test: impl FnOnce()) {
	WORLD.with(|w| {
		*w.borrow_mut() = World {
			silos: (0..=4).map(|s| (s, s)).collect(),
			now_ms: START_MS,
			..Default::default()
		}
	});
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// What a chain's genesis does: record the storage version the code is at.
		<crate::Pallet<Test> as frame_support::traits::OnGenesis>::on_genesis();
		for silo in 0..=4 {
			TestSilos::set_pool(silo, POOL);
		}
		for silo in [0, 1] {
			set_margin(silo, ALICE, (FREE_MARGIN, 0));
			set_margin(silo, BOB, (FREE_MARGIN, 0));
		}
		TestPrices::set("BTC/USD", price(100));
		TestPrices::set("ETH/USD", price(10));
		assert_ok!(ExecutionSegments::create_segment(
			RuntimeOrigin::root(),
			BTC,
			0,
			key("BTC/USD"),
			risk()
		));
		assert_ok!(ExecutionSegments::create_segment(
			RuntimeOrigin::root(),
			ETH,
			1,
			key("ETH/USD"),
			risk()
		));
		world(|w| w.ledger_calls.clear());
		test();
		ExecutionSegments::do_try_state().expect("invariants hold after the test");
		assert_locked_margin_matches_positions();
	});
}

/// What each trader has locked in a segment's silo is exactly their position's margin and
/// their order's escrow.
pub fn assert_locked_margin_matches_positions() {
	for (segment, info) in crate::Segments::<Test>::iter() {
		for who in [ALICE, BOB, KEEPER, NOBODY] {
			let escrow = crate::Orders::<Test>::get(segment, who).map_or(0, |o| {
				o.execution_fee
					+ match o.kind {
						crate::OrderKind::Increase { margin, .. } => margin,
						_ => 0,
					}
			});
			let margin = crate::Positions::<Test>::get(segment, who)
				.map_or(0, |p| p.margin + p.keeper_deposit)
				+ escrow;
			assert_eq!(
				TestSilos::margin(info.silo, who).1,
				margin,
				"segment {segment} account {who}"
			);
		}
	}
}

pub fn run_to_block(n: u64) {
	System::set_block_number(n);
}

/// The oracle publishes `symbol`'s current price again, a millisecond later, and the segments
/// note it as the runtime's oracle hook would; another millisecond passes (a block: the round
/// is final).
pub fn republish(symbol: &str) {
	TestTime::advance_ms(1);
	let point = TestPrices::price(&key(symbol)).expect("a price to republish");
	TestPrices::set(symbol, point.price);
	ExecutionSegments::note_price(&key(symbol), TestPrices::price(&key(symbol)).unwrap());
	// The next millisecond stands for the next block, where a round is final.
	TestTime::advance_ms(1);
}

/// A trade through the order flow, for the tests of what a trade does: `who` requests `kind`
/// (any fill price acceptable, the least execution fee, credited to `who` first so that the
/// fee does not change what the trader can afford), the oracle republishes its price, and
/// `who` executes the order (getting the fee back, which is then taken away again). The silo
/// calls the escrow made are dropped from [`TestSilos::calls`], so a test sees the trade's.
/// The trade's error if it failed, with storage untouched; the oracle's error if its price is
/// missing or stale (no price would come to fill the order).
pub fn trade(who: AccountId, segment: SegmentId, kind: crate::OrderKind) -> DispatchResult {
	use crate::OrderKind;
	let calls = TestSilos::calls().len();
	let events = System::events().len();
	let result = frame_support::storage::with_storage_layer(|| -> DispatchResult {
		let info =
			crate::Segments::<Test>::get(segment).ok_or(crate::Error::<Test>::UnknownSegment)?;
		ExecutionSegments::fresh_price(&info)?;
		let buy = match kind {
			OrderKind::Increase { side, .. } => side == Side::Long,
			_ => crate::Positions::<Test>::get(segment, who).is_some_and(|p| p.side == Side::Short),
		};
		let acceptable = if buy { Price::from_inner(u128::MAX) } else { Price::from_inner(0) };
		let fee = info.risk.pool.keeper_deposit;
		let (free, locked) = margin_of(info.silo, who);
		set_margin(info.silo, who, (free + fee, locked));
		ExecutionSegments::request_order(
			RuntimeOrigin::signed(who),
			segment,
			kind,
			acceptable,
			fee,
		)?;
		let symbol = core::str::from_utf8(&info.oracle_key).expect("test keys are text");
		republish(symbol);
		ExecutionSegments::execute_order(RuntimeOrigin::signed(who), segment, who)?;
		let (free, locked) = margin_of(info.silo, who);
		set_margin(info.silo, who, (free - fee, locked));
		let ended = System::events().into_iter().skip(events).find_map(|r| match r.event {
			RuntimeEvent::ExecutionSegments(crate::Event::OrderEnded { reason, .. }) => {
				Some(reason)
			},
			_ => None,
		});
		match ended {
			Some(crate::OrderEnd::Failed(error)) => Err(error),
			Some(_) => Err(DispatchError::Other("the order expired unfilled")),
			None => Ok(()),
		}
	});
	world(|w| {
		if result.is_ok() {
			// The escrow's lock, the margin's release from it (if it held margin), and the
			// fee paid out of it last.
			w.ledger_calls.pop();
			let released =
				matches!(w.ledger_calls.get(calls + 1), Some(LedgerCall::Release { .. }));
			w.ledger_calls.drain(calls..calls + 1 + usize::from(released));
		} else {
			w.ledger_calls.truncate(calls);
		}
	});
	result
}

/// [`trade`]: open or increase.
pub fn open_position(
	origin: RuntimeOrigin,
	segment: SegmentId,
	side: Side,
	size: Balance,
	margin: Balance,
) -> DispatchResult {
	let who = frame_system::ensure_signed(origin)?;
	trade(who, segment, crate::OrderKind::Increase { side, size, margin })
}

/// [`trade`]: decrease.
pub fn decrease_position(
	origin: RuntimeOrigin,
	segment: SegmentId,
	size: Balance,
) -> DispatchResult {
	let who = frame_system::ensure_signed(origin)?;
	trade(who, segment, crate::OrderKind::Decrease { size })
}

/// [`trade`]: close.
pub fn close_position(origin: RuntimeOrigin, segment: SegmentId) -> DispatchResult {
	let who = frame_system::ensure_signed(origin)?;
	trade(who, segment, crate::OrderKind::Close)
}
