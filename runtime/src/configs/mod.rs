//! Every pallet's configuration, and the adapters that join Bulkhead's pallets to each other
//! and to the oracle. This is the only code that names more than one Bulkhead pallet.

use alloc::vec::Vec;
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{
		AsEnsureOriginWithArg, ChangeMembers, ConstBool, ConstU128, ConstU32, ConstU64, ConstU8,
		Get, VariantCountOf,
	},
	weights::{constants::WEIGHT_REF_TIME_PER_SECOND, IdentityFee, Weight},
	PalletId,
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot, EnsureSignedBy,
};
use pallet_circuit_breaker::Thresholds;
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use segment_interface::{OracleKey, Price, PriceFeed, PricePoint, SiloDirectory};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{traits::One, Perbill, Permill};
use sp_version::RuntimeVersion;

use super::{
	weights::{self, DbWeight},
	AccountId, AssetId, Aura, Balance, Balances, Block, BlockNumber, CircuitBreaker,
	CollateralSilos, ExecutionSegments, Guardians, Hash, Nonce, Oracle, OracleOperators,
	PalletInfo, Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason,
	RuntimeOrigin, RuntimeTask, System, Timestamp, DAYS, EXISTENTIAL_DEPOSIT, HOURS,
	MILLI_SECS_PER_BLOCK, MINUTES, SLOT_DURATION, VERSION,
};

/// Three quarters of a block's weight and length are for normal transactions; the rest is kept
/// for operational ones.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);
/// Two seconds of compute a block, and no proof-size limit (a solochain carries no proof).
const MAXIMUM_BLOCK_WEIGHT: Weight =
	Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute in a six-second block, three quarters of it for normal
	/// transactions. What a block costs before its extrinsics, and what each extrinsic costs
	/// before its call, are measured on this machine (`benchmark overhead`), not
	/// frame-support's defaults.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::builder()
		.base_block(weights::block_weights::BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |class| {
			class.base_extrinsic = weights::extrinsic_weights::ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |class| {
			class.max_total = Some(NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
		})
		.for_class(DispatchClass::Operational, |class| {
			class.max_total = Some(MAXIMUM_BLOCK_WEIGHT);
			// The quarter normal transactions cannot reach is kept for operational ones.
			class.reserved =
				Some(MAXIMUM_BLOCK_WEIGHT - NORMAL_DISPATCH_RATIO * MAXIMUM_BLOCK_WEIGHT);
		})
		.avg_block_initialization(Perbill::from_percent(10))
		.build_or_panic();
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	/// Substrate's generic prefix: addresses start with 5, as polkadot.js shows dev accounts.
	pub const SS58Prefix: u8 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	type DbWeight = DbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	type SystemWeightInfo = weights::frame_system::WeightInfo<Runtime>;
	type ExtensionsWeightInfo = weights::frame_system_extensions::WeightInfo<Runtime>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<32>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<32>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = weights::pallet_timestamp::WeightInfo<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = weights::pallet_balances::WeightInfo<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = weights::pallet_transaction_payment::WeightInfo<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = weights::pallet_sudo::WeightInfo<Runtime>;
}

parameter_types! {
	pub const AssetDeposit: Balance = 10 * super::UNIT;
	pub const AssetAccountDeposit: Balance = super::MILLI_UNIT;
	pub const MetadataDepositBase: Balance = super::MILLI_UNIT;
	pub const MetadataDepositPerByte: Balance = super::MICRO_UNIT;
	pub const ApprovalDeposit: Balance = super::MILLI_UNIT;
}

/// Collateral assets. Creating one is for root: a collateral asset is a listing decision.
impl pallet_assets::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type Balance = Balance;
	type RemoveItemsLimit = ConstU32<1000>;
	type AssetId = AssetId;
	type AssetIdParameter = codec::Compact<AssetId>;
	type ReserveData = ();
	type Currency = Balances;
	type CreateOrigin = AsEnsureOriginWithArg<frame_system::EnsureNever<AccountId>>;
	type ForceOrigin = EnsureRoot<AccountId>;
	type AssetDeposit = AssetDeposit;
	type AssetAccountDeposit = AssetAccountDeposit;
	type MetadataDepositBase = MetadataDepositBase;
	type MetadataDepositPerByte = MetadataDepositPerByte;
	type ApprovalDeposit = ApprovalDeposit;
	type StringLimit = ConstU32<50>;
	type Freezer = ();
	type Holder = ();
	type Extra = ();
	type CallbackHandle = ();
	type AssetIdAllocator = ();
	// Measured in this runtime. One known shortfall: `destroy_accounts` costs more per account as
	// the count grows, so its linear fit charges 2.7% less execution than the fastest run at
	// about 1,000 accounts (`scripts/check-weights.js` flags it, in two runs on an idle machine).
	// Parity's weights, used before, charged 15.7 ms of execution there against 34.9 ms
	// measured. Only root or an asset's owner (Alice's USDC on the dev chain) can start
	// destroying it.
	type WeightInfo = weights::pallet_assets::WeightInfo<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
}

/// At most this many guardians, and as many oracle operators: the gateway bounds approvals by
/// it, so both sets share one constant.
pub type MaxGuardians = ConstU32<16>;

/// Passes a membership set's changes on to `Inner`, and answers `get_prime` with the set's
/// prime as pallet-membership stores it. Neither the oracle nor the gateway gives a prime any
/// power, but root may still name one, and whoever asks should hear the truth (pallet-membership's
/// own benchmarks ask, after removing a member and after clearing the prime).
pub struct ReportingPrime<Inner, I>(core::marker::PhantomData<(Inner, I)>);
impl<Inner: ChangeMembers<AccountId>, I: 'static> ChangeMembers<AccountId>
	for ReportingPrime<Inner, I>
where
	Runtime: pallet_membership::Config<I>,
{
	fn change_members_sorted(incoming: &[AccountId], outgoing: &[AccountId], new: &[AccountId]) {
		Inner::change_members_sorted(incoming, outgoing, new)
	}

	fn set_members_sorted(new_members: &[AccountId], old_members: &[AccountId]) {
		Inner::set_members_sorted(new_members, old_members)
	}

	fn set_prime(prime: Option<AccountId>) {
		Inner::set_prime(prime)
	}

	fn get_prime() -> Option<AccountId> {
		pallet_membership::Prime::<Runtime, I>::get()
	}
}

/// Oracle operators: who may feed prices. Membership changes are root's, except that a current
/// operator may move their own seat to another account (`change_key`), which clears the old
/// account's raw values too ([`ClearOutgoingValues`], weighed by [`OracleOperatorsWeights`]).
pub type OracleOperatorsInstance = pallet_membership::Instance1;

parameter_types! {
	/// The most raw values a membership change clears for each operator it removes. An operator
	/// holds a value only for a key some segment traded when they fed it ([`NotifySegments`]
	/// drops the rest), so this is above what an operator holds unless root has listed more
	/// than 64 oracle keys over the operator's term. Values beyond it stay behind: the median
	/// reads only current operators' values, each for 15 minutes at most, so they count again
	/// only if that account is made an operator again within 15 minutes of feeding them.
	pub const MaxOperatorValuesCleared: u32 = 64;
}

/// Clears an outgoing operator's raw values, at most [`MaxOperatorValuesCleared`] of them.
/// pallet-oracle's own hook clears all of them with no bound, which nothing weighs.
pub struct ClearOutgoingValues;
impl ChangeMembers<AccountId> for ClearOutgoingValues {
	fn change_members_sorted(_incoming: &[AccountId], outgoing: &[AccountId], _new: &[AccountId]) {
		for who in outgoing {
			let _ = pallet_oracle::RawValues::<Runtime>::clear_prefix(
				who,
				MaxOperatorValuesCleared::get(),
				None,
			);
		}
	}

	fn set_prime(_prime: Option<AccountId>) {}
}

/// What [`ClearOutgoingValues`] may cost for `operators` outgoing operators: a read for each
/// value cleared and one for the end of the prefix, and a write for each value.
pub fn outgoing_values_cleared(operators: u32) -> Weight {
	let values = u64::from(MaxOperatorValuesCleared::get());
	DbWeight::get()
		.reads_writes(values.saturating_add(1), values)
		.saturating_mul(operators.into())
}

/// pallet-membership's weights as measured here (with operators who had fed nothing), plus
/// the clearing of every operator a call can remove: one for `remove_member`, `swap_member`
/// and `change_key`, a full set for `reset_members`.
pub struct OracleOperatorsWeights;
impl pallet_membership::WeightInfo for OracleOperatorsWeights {
	fn add_member(m: u32) -> Weight {
		MembershipWeights::add_member(m)
	}

	fn remove_member(m: u32) -> Weight {
		MembershipWeights::remove_member(m).saturating_add(outgoing_values_cleared(1))
	}

	fn swap_member(m: u32) -> Weight {
		MembershipWeights::swap_member(m).saturating_add(outgoing_values_cleared(1))
	}

	fn reset_members(m: u32) -> Weight {
		MembershipWeights::reset_members(m)
			.saturating_add(outgoing_values_cleared(MaxGuardians::get()))
	}

	fn change_key(m: u32) -> Weight {
		MembershipWeights::change_key(m).saturating_add(outgoing_values_cleared(1))
	}

	fn set_prime(m: u32) -> Weight {
		MembershipWeights::set_prime(m)
	}

	fn clear_prime() -> Weight {
		MembershipWeights::clear_prime()
	}
}

type MembershipWeights = weights::pallet_membership::WeightInfo<Runtime>;
impl pallet_membership::Config<OracleOperatorsInstance> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = EnsureRoot<AccountId>;
	type RemoveOrigin = EnsureRoot<AccountId>;
	type SwapOrigin = EnsureRoot<AccountId>;
	type ResetOrigin = EnsureRoot<AccountId>;
	type PrimeOrigin = EnsureRoot<AccountId>;
	// A removed operator's raw values leave the median with them.
	type MembershipInitialized = ();
	type MembershipChanged = ReportingPrime<ClearOutgoingValues, OracleOperatorsInstance>;
	type MaxMembers = MaxGuardians;
	type WeightInfo = OracleOperatorsWeights;
}

/// Guardians: approve large gateway transfers and may sever a segment. Changes are root's,
/// except that a guardian may move their own seat to another account (`change_key`).
pub type GuardiansInstance = pallet_membership::Instance2;
impl pallet_membership::Config<GuardiansInstance> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = EnsureRoot<AccountId>;
	type RemoveOrigin = EnsureRoot<AccountId>;
	type SwapOrigin = EnsureRoot<AccountId>;
	type ResetOrigin = EnsureRoot<AccountId>;
	type PrimeOrigin = EnsureRoot<AccountId>;
	type MembershipInitialized = ();
	type MembershipChanged = ReportingPrime<(), GuardiansInstance>;
	type MaxMembers = MaxGuardians;
	type WeightInfo = MembershipWeights;
}

parameter_types! {
	pub const OraclePalletId: PalletId = PalletId(*b"bh/oracl");
	/// An operator's value older than this leaves the median: the segments' price age limit
	/// on the dev chain, so a majority the oracle counts is one the segments would trade on.
	pub const OracleValueExpiry: u64 = 15 * 60 * 1000;
}

impl pallet_oracle::Config for Runtime {
	type OnNewData = NotifySegments;
	type CombineData = MajorityMedian;
	type Time = Timestamp;
	type OracleKey = OracleKey;
	type OracleValue = Price;
	type PalletId = OraclePalletId;
	type Members = OracleOperators;
	type WeightInfo = OracleWeights;
	type MaxHasDispatchedSize = MaxGuardians;
	type MaxFeedValues = ConstU32<16>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::BenchmarkHelper;
}

impl crate::oracle_genesis::Config for Runtime {}

/// pallet-oracle's weights as measured here, plus, for every value fed, the segments'
/// `note_price` hook at its worst (a feed that carries the most segments it may, each breaker
/// tripping). The oracle's own benchmark runs the hook only on keys no segment trades.
pub struct OracleWeights;
impl pallet_oracle::WeightInfo for OracleWeights {
	fn feed_values(x: u32) -> Weight {
		use pallet_execution_segments::WeightInfo as _;
		weights::pallet_oracle::WeightInfo::<Runtime>::feed_values(x).saturating_add(
			pallet_execution_segments::weights::SubstrateWeight::<Runtime>::note_price()
				.saturating_mul(x.into()),
		)
	}

	fn on_finalize() -> Weight {
		weights::pallet_oracle::WeightInfo::<Runtime>::on_finalize()
	}
}

/// An operator's value, or a combined price, with the time it was fed (for a combined price:
/// the time by which a majority had fed).
pub type OracleValue = pallet_oracle::TimestampedValue<Price, u64>;

parameter_types! {
	/// With an even number of fresh operator values, the two in the middle must lie within this
	/// of each other: with two of three operators fresh, their mean would otherwise be the
	/// price either of them chose.
	pub const OracleMaxSpread: Permill = Permill::from_percent(2);
}

/// Combines a key's values only from the current operators (a value under the oracle's own
/// account, from a root feed, is no operator's), and only when more than half of them have one
/// younger than [`OracleValueExpiry`] ([`majority_median`]). Without such a majority, or with an
/// even count whose middle values disagree, it combines nothing, and the last combined price
/// stays as it was (pallet-oracle stores only a price combined, so nothing is written); so it
/// does for a key no segment trades (pallet-oracle combines before [`NotifySegments`] drops the
/// value, and a lone operator is a majority of one), so no key of an operator's choosing gets a
/// price, and a market that has ended keeps its last one.
pub struct MajorityMedian;
impl pallet_oracle::CombineData<OracleKey, OracleValue> for MajorityMedian {
	fn combine_data(
		key: &OracleKey,
		_values: Vec<OracleValue>,
		_last: Option<OracleValue>,
	) -> Option<OracleValue> {
		use frame_support::traits::{SortedMembers, Time};
		if !ExecutionSegments::trades(key) {
			return None;
		}
		let operators = OracleOperators::sorted_members();
		let values = operators.iter().filter_map(|who| Oracle::raw_values(who, key)).collect();
		majority_median(
			values,
			operators.len(),
			Timestamp::now(),
			OracleValueExpiry::get(),
			OracleMaxSpread::get(),
		)
	}
}

/// The price `values` (one per operator) give at `now`: the median of those younger than
/// `expiry` if they are more than half of `operators`, the mean of the middle two for an even
/// count (which must lie within `spread` of each other), stamped with the oldest time among the
/// freshest majority, so a price is never younger than what a majority vouched for. `None`
/// otherwise. With all three operators fresh, an outlier does not move the price; with two,
/// neither can move it more than half of `spread`.
pub fn majority_median(
	values: Vec<OracleValue>,
	operators: usize,
	now: u64,
	expiry: u64,
	spread: Permill,
) -> Option<OracleValue> {
	let mut fresh: Vec<_> = values
		.into_iter()
		.filter(|v| v.timestamp.saturating_add(expiry) > now)
		.collect();
	let majority = operators / 2 + 1;
	if fresh.is_empty() || fresh.len() < majority {
		return None;
	}
	fresh.sort_unstable_by_key(|v| core::cmp::Reverse(v.timestamp));
	let timestamp = fresh[majority - 1].timestamp;
	let mut prices: Vec<Price> = fresh.into_iter().map(|v| v.value).collect();
	prices.sort_unstable();
	let mid = prices.len() / 2;
	if prices.len() % 2 == 1 {
		return Some(OracleValue { value: prices[mid], timestamp });
	}
	let (a, b) = (prices[mid - 1].into_inner(), prices[mid].into_inner());
	if b - a > spread.mul_floor(a) {
		return None;
	}
	// (a + b) / 2 without overflow, rounded down.
	let value = Price::from_inner(a / 2 + b / 2 + (a % 2 + b % 2) / 2);
	Some(OracleValue { value, timestamp })
}

/// Tells the segments on a key about the oracle's *combined* price. pallet-oracle passes the
/// one operator's raw value; the breakers must judge the combined one, which the oracle has
/// already stored when the hook runs. Only a price a majority still vouches for is passed on
/// (its time, the majority's, younger than [`OracleValueExpiry`]): a lone operator's feeds
/// keep nothing alive for the breaker once the others' values have expired. A value for a key
/// no segment trades is removed as it lands.
pub struct NotifySegments;
impl pallet_oracle::OnNewData<AccountId, OracleKey, Price> for NotifySegments {
	fn on_new_data(who: &AccountId, key: &OracleKey, _raw: &Price) {
		use frame_support::traits::Time;
		let now = Timestamp::now();
		let vouched = |c: &OracleValue| c.timestamp.saturating_add(OracleValueExpiry::get()) > now;
		// `note_price` reads the key's segments once, and says whether there were any.
		let traded = match Oracle::get(key).filter(vouched) {
			Some(combined) => ExecutionSegments::note_price(
				key,
				PricePoint { price: combined.value, timestamp: combined.timestamp },
			),
			None => ExecutionSegments::trades(key),
		};
		// A value for a key no segment trades is not kept: operators feed for free, so a key of
		// their choosing would otherwise be storage for free, and a value
		// [`ClearOutgoingValues`] might not reach. [`MajorityMedian`] combines no price for
		// such a key either; a key whose market has ended keeps its last combined price.
		if !traded {
			pallet_oracle::RawValues::<Runtime>::remove(who, key);
		}
	}
}

/// The oracle's combined price and its timestamp, as the segments read prices.
pub struct OraclePrices;
impl PriceFeed for OraclePrices {
	fn price(key: &OracleKey) -> Option<PricePoint> {
		Oracle::get(key).map(|v| PricePoint { price: v.value, timestamp: v.timestamp })
	}
}

parameter_types! {
	pub const SilosPalletId: PalletId = PalletId(*b"bh/silos");
	/// A silo's exit queue: enough for every large LP of a busy pool; each entry is worth at
	/// least the silo's minimum deposit.
	pub const MaxQueuedExits: u32 = 64;
	/// Exits one account may have waiting in one silo's queue: a margin exit and a share exit.
	pub const MaxExitsPerAccount: u32 = 2;
	/// Blocks in a (Julian) year at the target block time: turns yearly borrowing rates into
	/// rates per block.
	pub const BlocksPerYear: u32 = 365 * DAYS + 6 * HOURS;
}

parameter_types! {
	/// LP orders pending in one silo at once (one per account): each escrows at least the
	/// segment's keeper deposit as its fee, and no call visits the others, so the bound is on
	/// storage, not on any call's weight.
	pub const MaxLpOrders: u32 = 4_096;
}

impl pallet_collateral_silos::Config for Runtime {
	type Assets = super::Assets;
	type AdminOrigin = EnsureRoot<AccountId>;
	type Health = CircuitBreaker;
	type Monitor = CircuitBreaker;
	type Pool = ExecutionSegments;
	type PalletId = SilosPalletId;
	type MaxQueuedExits = MaxQueuedExits;
	type MaxExitsPerAccount = MaxExitsPerAccount;
	type MaxLpOrders = MaxLpOrders;
	type Time = Timestamp;
	type WeightInfo = pallet_collateral_silos::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::BenchmarkHelper;
}

parameter_types! {
	/// Orders for new risk pending in one segment at once: each escrows at least the segment's
	/// keeper deposit as its execution fee (the LPs' if it ends unfilled) beside margin enough
	/// for its size, and no call visits the others, so the bound is on storage, not on any
	/// call's weight. Every order
	/// waits about the delay for its price: this is what one segment can take in that time.
	pub const MaxOrdersPerSegment: u32 = 4_096;
	/// Prices each segment remembers for its orders: at the dev chain's pace (a feed every
	/// few blocks), more than the settlement window's worth.
	pub const MaxPriceRounds: u32 = 16;
	/// An order fills at the first price published more than two blocks after it (so no
	/// feed that waited in the pool when it was requested), within a minute.
	pub const DefaultOrderParams: pallet_execution_segments::OrderParams =
		pallet_execution_segments::OrderParams { min_delay: 2 * MILLI_SECS_PER_BLOCK, window: 60_000 };
	/// Accounts one `settle_positions` call settles: each costs about what a liquidation does.
	pub const MaxSettleBatch: u32 = 64;
}

impl pallet_execution_segments::Config for Runtime {
	type AdminOrigin = EnsureRoot<AccountId>;
	type Silos = CollateralSilos;
	type Health = CircuitBreaker;
	type PriceMonitor = CircuitBreaker;
	type Prices = OraclePrices;
	type Time = Timestamp;
	type MaxSegmentsPerOracle = ConstU32<8>;
	type BlocksPerYear = BlocksPerYear;
	type MaxOrdersPerSegment = MaxOrdersPerSegment;
	type MaxPriceRounds = MaxPriceRounds;
	type DefaultOrderParams = DefaultOrderParams;
	type MaxSettleBatch = MaxSettleBatch;
	type WeightInfo = pallet_execution_segments::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::BenchmarkHelper;
}

impl pallet_gateway::Config for Runtime {
	type GovernanceOrigin = EnsureRoot<AccountId>;
	type Guardians = Guardians;
	type Silos = CollateralSilos;
	type Health = CircuitBreaker;
	type MaxGuardians = MaxGuardians;
	type MaxPendingPerAccount = ConstU32<8>;
	type WeightInfo = pallet_gateway::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::BenchmarkHelper;
}

parameter_types! {
	/// Every segment's breaker starts with these until governance sets its own.
	pub DefaultThresholds: Thresholds<BlockNumber> = Thresholds {
		// A fifth of a silo's value may leave per hour beyond what its takers brought in,
		max_net_outflow: Permill::from_percent(20),
		// and one account may take a quarter of that.
		max_account_share: Permill::from_percent(25),
		outflow_window: HOURS,
		// One feed may move the price by at most 10%,
		max_price_move: Permill::from_percent(10),
		// and the price may stray at most 25% from its reference, an average that follows
		// the price over about 10 minutes: a walk of 10% steps trips within three of them.
		max_price_deviation: Permill::from_percent(25),
		reference_window: 10 * MINUTES,
		// No price for an hour of blocks severs the segment.
		stale_after: Some(HOURS),
		// Severed for 10 minutes, then reduce-only for 10 more.
		cooldown: 10 * MINUTES,
		probation: 10 * MINUTES,
	};
}

/// Guardians, or root, may sever a segment; only root may reset one.
pub type GuardianOrSudo = frame_support::traits::EitherOfDiverse<
	EnsureRoot<AccountId>,
	EnsureSignedBy<Guardians, AccountId>,
>;

/// The segments the breaker guards: every execution segment, and every segment a silo was
/// created for, since a silo may take liquidity before its segment is created and its flows
/// are watched from the first one. Both pallets are asked through their interfaces.
pub struct GuardedSegments;
impl frame_support::traits::Contains<crate::SegmentId> for GuardedSegments {
	fn contains(segment: &crate::SegmentId) -> bool {
		<ExecutionSegments as frame_support::traits::Contains<crate::SegmentId>>::contains(segment)
			|| <CollateralSilos as SiloDirectory>::silo_of(*segment).is_some()
	}
}

impl pallet_circuit_breaker::Config for Runtime {
	type AdminOrigin = EnsureRoot<AccountId>;
	type GuardianOrigin = GuardianOrSudo;
	type ResetOrigin = EnsureRoot<AccountId>;
	type Segments = GuardedSegments;
	type Silos = CollateralSilos;
	type DefaultThresholds = DefaultThresholds;
	type WeightInfo = pallet_circuit_breaker::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = crate::benchmarks::BenchmarkHelper;
}
