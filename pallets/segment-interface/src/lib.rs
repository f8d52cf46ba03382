//! # Segment interface
//!
//! The one crate the four Bulkhead pallets share, and the only way they talk to each other.
//!
//! It holds:
//! - the shared ids ([`SegmentId`], [`SiloId`], [`RouteId`]) and money types ([`Balance`],
//!   [`Price`], [`Moment`]);
//! - the status enums every pallet reads ([`SegmentStatus`], [`TripReason`], [`MarketStatus`]);
//! - the narrow cross-segment traits. Each has one implementer and a named set of users; the
//!   runtime decides which pallet implements which trait for which other pallet:
//!
//! | trait | implemented by | used by |
//! |---|---|---|
//! | [`SiloDirectory`] | collateral silos | segments (binding), gateway (route ends) |
//! | [`MarginLedger`] | collateral silos | execution segments |
//! | [`SiloTransfers`] | collateral silos | gateway |
//! | [`SegmentHealth`] | circuit breaker | silos, segments, gateway |
//! | [`SiloMonitor`] | circuit breaker | collateral silos |
//! | [`PriceMonitor`] | circuit breaker | execution segments |
//! | [`PriceFeed`] | the runtime's oracle adapter | execution segments |
//! | [`pool::PoolRisk`] | execution segments | collateral silos (pricing LP shares) |
//!
//! and [`window::SlidingWindow`], the rate window that both the gateway (route limits) and the
//! breaker (net outflow) measure with, and [`pool`], the one formula for what an LP pool is
//! worth marked to market.
//!
//! No Bulkhead pallet crate depends on another; `tests/segmentation.rs` enforces that by reading
//! the crate graph.

#![cfg_attr(not(feature = "std"), no_std)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

pub mod pool;
pub mod views;
pub mod window;

pub use pool::{Fee, LpOrderTerms, OrderPricing, OrderTiming, PoolExposure, PoolFactors, PoolRisk};

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_runtime::{traits::ConstU32, BoundedVec, DispatchError, DispatchResult, FixedU128};

/// Identifies one execution segment (one isolated market).
pub type SegmentId = u32;
/// Identifies one collateral silo (the pool that backs exactly one segment).
pub type SiloId = u32;
/// Identifies one gateway route between two silos.
pub type RouteId = u32;
/// Amounts of collateral, in the collateral asset's smallest unit.
pub type Balance = u128;
/// Milliseconds since the Unix epoch, as oracles and `pallet-timestamp` report time.
pub type Moment = u64;
/// A price: collateral units per unit of notional, as an 18-decimal fixed-point number.
pub type Price = FixedU128;
/// The key of an oracle feed, e.g. `b"BTC/USD"`. At most 16 bytes so polkadot.js shows it as text.
pub type OracleKey = BoundedVec<u8, ConstU32<16>>;

/// Which way a position faces.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum Side {
	/// Gains when the price rises.
	Long,
	/// Gains when the price falls.
	Short,
}

/// What a segment may do right now, as the circuit breaker sees it.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum SegmentStatus {
	/// Business as usual.
	#[default]
	Normal,
	/// Cut off: no new risk, its routes are closed, LP withdrawals wait. Closing positions,
	/// adding margin and liquidations keep working so the silo can stay solvent.
	Severed,
	/// After the cool-down: reduce-only, with tighter outflow limits, until a quiet probation
	/// ends or governance resets it.
	Recovering,
}

impl SegmentStatus {
	/// Whether the segment may take new risk (open or increase positions, remove margin).
	pub fn allows_new_risk(self) -> bool {
		self == SegmentStatus::Normal
	}
}

/// Where a market is in its life, as its segment decides it: trading, settling at one price,
/// or ended. A market ends once: root (or governance) settles it, anyone then settles its
/// positions, and it is delisted when none is left.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum MarketStatus {
	/// Trading: the breaker's [`SegmentStatus`] says what it may do.
	#[default]
	Live,
	/// Every position settles at `price`, and only at it: nothing opens, no order fills, no
	/// pool share is priced until the last position is settled.
	Settling { price: Price },
	/// Every position settled at `price`. Its silo takes nothing new and pays its LPs out at
	/// their shares of the pool, which no open interest marks any more.
	Delisted { price: Price },
}

impl MarketStatus {
	/// Whether the market trades (and its silo takes deposits).
	pub fn is_live(self) -> bool {
		self == MarketStatus::Live
	}
}

/// Why a breaker tripped.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub enum TripReason {
	/// Net outflow from the segment's silo over the window passed its limit.
	NetOutflow,
	/// The oracle price moved more than the bound between two updates.
	OracleMove,
	/// The oracle stopped updating for longer than allowed.
	StaleOracle,
	/// A liquidation left bad debt that the silo's insurance fund could not cover.
	BadDebt,
	/// A guardian tripped it by hand.
	Manual,
	/// The oracle price strayed from the breaker's time-weighted reference price by more than
	/// the bound: a walk of updates each within the bound between two updates.
	OracleDeviation,
}

impl TripReason {
	/// Whether time alone clears a trip for this reason (after the cool-down and a quiet
	/// probation). A price that moved too far, an oracle that went quiet or a burst of
	/// outflow is a passing condition; bad debt the insurance fund could not cover and a
	/// guardian's judgement are not, and wait for the reset origin.
	pub fn clears_with_time(self) -> bool {
		match self {
			TripReason::NetOutflow
			| TripReason::OracleMove
			| TripReason::StaleOracle
			| TripReason::OracleDeviation => true,
			TripReason::BadDebt | TripReason::Manual => false,
		}
	}
}

/// A profit or a loss of a trader against the silo's liquidity providers, in collateral units.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	DecodeWithMemTracking,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
)]
pub enum Pnl {
	/// The trader gained this much; the silo's LPs pay it.
	Profit(Balance),
	/// The trader lost this much; the silo's LPs receive it.
	Loss(Balance),
}

impl Pnl {
	/// Zero profit.
	pub const ZERO: Pnl = Pnl::Profit(0);
}

/// A price as an oracle reported it.
#[derive(
	Clone,
	Copy,
	Encode,
	Decode,
	Eq,
	PartialEq,
	Debug,
	TypeInfo,
	MaxEncodedLen,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct PricePoint {
	/// The combined (median) price.
	pub price: Price,
	/// When it was last updated, in milliseconds since the Unix epoch.
	pub timestamp: Moment,
}

/// Closing (all or part of) a position inside its silo: release `margin` and `keeper_deposit`
/// from the trader's locked margin, apply `pnl` against the silo's liquidity providers, collect
/// `fee` out of what remains, and pay a liquidator.
#[derive(Clone, Eq, PartialEq, Debug)]
pub struct Settlement<AccountId> {
	/// The locked margin that backs the part being settled.
	pub margin: Balance,
	/// The realized profit or loss of that part, funding and borrowing included.
	pub pnl: Pnl,
	/// The position fee of the trade, paid out of margin and profit before the trader gets
	/// anything back (as much of it as there is).
	pub fee: Fee,
	/// The keeper deposit locked when the position opened, released with its last part: back
	/// to the trader, or to the liquidator whatever the position has left.
	pub keeper_deposit: Balance,
	/// A liquidator and the fee it is owed: it gets `keeper_deposit` in full, and the fee out
	/// of what the trader has left.
	pub reward: Option<(AccountId, Balance)>,
}

/// What a [`Settlement`] did.
#[derive(Clone, Copy, Default, Eq, PartialEq, Debug)]
pub struct SettlementOutcome {
	/// Credited back to the trader's free margin.
	pub returned: Balance,
	/// Credited to the liquidator's free margin: the keeper deposit and the fee it could take.
	pub reward_paid: Balance,
	/// The position fee collected: to the LPs and to the insurance fund.
	pub fee_paid: Fee,
	/// The loss the trader's margin could not cover.
	pub bad_debt: Balance,
	/// The part of `bad_debt` the insurance fund paid; the rest fell on the silo's LPs.
	pub covered_by_insurance: Balance,
}

/// Which segment a silo serves, and which silo backs a segment: one each, both ways.
/// Implemented by collateral silos.
pub trait SiloDirectory {
	/// The segment the silo was created for, or `None` if there is no such silo.
	fn segment_of(silo: SiloId) -> Option<SegmentId>;
	/// The silo created for the segment, or `None` if there is none (yet).
	fn silo_of(segment: SegmentId) -> Option<SiloId>;
}

/// What a segment's silo is worth now: what its account holds. Implemented by collateral
/// silos; the breaker samples it for the base of the segment's outflow line.
pub trait SiloValue {
	/// The value of the segment's silo, or `None` if the segment has no silo (yet).
	fn silo_value(segment: SegmentId) -> Option<Balance>;
}

/// A runtime without silos has nothing to value.
impl SiloValue for () {
	fn silo_value(_: SegmentId) -> Option<Balance> {
		None
	}
}

/// The silo-side books of one segment's traders. Implemented by collateral silos; used by
/// execution segments. Every method is keyed by the segment, and acts only inside the one silo
/// bound to it: a segment cannot name, let alone touch, another silo.
pub trait MarginLedger<AccountId>: SiloDirectory {
	/// The LP liquidity of the segment's silo: what backs its open interest.
	fn pool_liquidity(segment: SegmentId) -> Balance;
	/// Move `amount` of `who`'s free margin into locked margin (behind a position), then pay
	/// `fee` out of what was locked into the pool and the insurance fund. Fails, changing
	/// nothing, if the fee is more than `amount`.
	fn lock_margin(
		segment: SegmentId,
		who: &AccountId,
		amount: Balance,
		fee: Fee,
	) -> DispatchResult;
	/// Move `amount` of `who`'s locked margin back to free margin.
	fn release_margin(segment: SegmentId, who: &AccountId, amount: Balance) -> DispatchResult;
	/// Settle a closed part of a position; see [`Settlement`].
	fn settle(
		segment: SegmentId,
		who: &AccountId,
		settlement: Settlement<AccountId>,
	) -> Result<SettlementOutcome, DispatchError>;
}

/// Moving a trader's free margin from one silo to another. Implemented by collateral silos; used
/// by the gateway, the only pallet allowed to move value between silos.
pub trait SiloTransfers<AccountId>: SiloDirectory {
	/// Fails unless both silos exist, differ, and hold the same asset.
	fn ensure_routable(from: SiloId, to: SiloId) -> DispatchResult;
	/// Set aside `amount` of `who`'s free margin in `silo` for a pending transfer.
	fn escrow(silo: SiloId, who: &AccountId, amount: Balance) -> DispatchResult;
	/// Return escrowed margin to `who`'s free margin (a cancelled or vetoed transfer).
	fn release_escrow(silo: SiloId, who: &AccountId, amount: Balance) -> DispatchResult;
	/// Move escrowed margin out of `from` and credit it as `who`'s free margin in `to`.
	fn transfer_escrowed(
		from: SiloId,
		to: SiloId,
		who: &AccountId,
		amount: Balance,
	) -> DispatchResult;
}

/// The circuit breaker's verdict on a segment. Implemented by the circuit breaker.
pub trait SegmentHealth {
	/// The segment's status in the current block (time-based transitions included).
	fn status(segment: SegmentId) -> SegmentStatus;
}

/// What the breaker answers a silo about money leaving it.
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub enum OutflowVerdict {
	/// Within the lines: recorded, pay it.
	Admitted,
	/// The account has taken its share of the window already: nothing recorded, refuse it (the
	/// account may queue the exit and be paid in slices).
	OverAccountShare,
	/// It would take the segment past its line: nothing recorded, do not pay it. The breaker
	/// has severed the segment in this call and keeps that trip; queue the exit, so the call
	/// succeeds and the trip stays.
	Tripped,
	/// The segment's line is closed (it is severed), or it is recovering and this would cross
	/// its halved line: nothing recorded, refuse it (no new trip). Principal still leaves.
	LineClosed,
}

/// One account's flows through one segment's silo: what the breaker measures it by. The silo
/// keeps it in the account's own entry, beside its margin and pool shares, so a withdrawal
/// writes the account once; only the breaker changes it, through [`SiloMonitor`].
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct AccountFlow<BlockNumber> {
	/// What the account brought into the silo and has not taken out: taking it out is not
	/// outflow.
	pub principal: Balance,
	/// What the account took beyond its principal, over the segment's outflow window.
	pub taken: window::SlidingWindow<BlockNumber>,
}

impl<N: sp_runtime::traits::AtLeast32BitUnsigned + Copy> AccountFlow<N> {
	/// Nothing to remember at `now` in a window of `window` blocks.
	pub fn is_spent(&self, now: N, window: N) -> bool {
		self.principal == 0 && self.taken.usage(now, window) == 0
	}

	/// Of `amount` taken out, the part beyond the principal: what counts as outflow.
	pub fn beyond_principal(&self, amount: Balance) -> Balance {
		amount.saturating_sub(self.principal)
	}
}

impl<N> AccountFlow<N> {
	/// Nothing in it at all: no principal, nothing taken in either bucket. An entry that
	/// holds nothing else and an empty flow can go.
	pub fn is_empty(&self) -> bool {
		self.principal == 0 && self.taken.current == 0 && self.taken.previous == 0
	}
}

/// What a silo tells the breaker as value crosses its boundary. Implemented by the circuit
/// breaker.
///
/// Flows are measured net per account: what an account takes out up to what it brought in
/// (its principal, in this segment's silo, over its lifetime) is not outflow, so a deposit
/// and its withdrawal never move the segment's line. What an account takes out beyond its
/// principal (profit, fees earned, or value a bug gave it) counts against the segment's line
/// and the account's share of it. The silo keeps each account's [`AccountFlow`] and hands it
/// over by reference; the breaker resets a flow it has nothing left to remember of to empty.
pub trait SiloMonitor<AccountId, BlockNumber> {
	/// `who`, whose flow is `flow` and who held `held` in the segment's silo (margin, pool
	/// shares, queued exits), brought `amount` more into it, which was worth `silo_value`
	/// before: its principal becomes at most `held` (what it lost is no longer principal, so a
	/// loss cannot be banked as uncounted room), plus `amount`. The line follows the silo's
	/// value averaged over time, so a deposit raises it only as long as it stays.
	fn note_inflow(
		segment: SegmentId,
		who: &AccountId,
		flow: &mut AccountFlow<BlockNumber>,
		amount: Balance,
		held: Balance,
		silo_value: Balance,
	);
	/// `amount` came into the segment's silo, worth `silo_value` before, as nobody's
	/// principal (insurance funding): it counts in the silo's average value as it stays.
	fn note_gift(segment: SegmentId, amount: Balance, silo_value: Balance);
	/// `who`, whose flow is `flow`, asks to take `amount` out of the segment's silo, whose
	/// value is `silo_value`: record it (in `flow` and the segment's line) if it fits, and say
	/// whether to pay it. Only an admitted outflow changes `flow`. Call it before paying; a
	/// caller that then fails must revert what it recorded (every dispatch runs in a storage
	/// layer).
	fn note_outflow(
		segment: SegmentId,
		who: &AccountId,
		flow: &mut AccountFlow<BlockNumber>,
		amount: Balance,
		silo_value: Balance,
	) -> OutflowVerdict;
	/// The most `who`, whose flow is `flow`, may take out of the segment's silo (of value
	/// `silo_value`) now and be admitted.
	fn outflow_room(
		segment: SegmentId,
		who: &AccountId,
		flow: &AccountFlow<BlockNumber>,
		silo_value: Balance,
	) -> Balance;
	/// A settlement left `uncovered` bad debt that the insurance fund could not pay.
	fn note_bad_debt(segment: SegmentId, uncovered: Balance);
}

/// What a segment tells the breaker about its oracle, and asks of it. Implemented by the
/// circuit breaker.
pub trait PriceMonitor {
	/// The segment's oracle published `price` in this block; what the breaker made of it (as
	/// [`PriceMonitor::verdict`] would answer next).
	fn note_price(segment: SegmentId, price: Price) -> PriceVerdict;
	/// What the breaker made of the latest price it was told for `segment`.
	fn verdict(segment: SegmentId) -> PriceVerdict;
	/// The breaker's time-weighted reference price for `segment` now; `None` before its first
	/// price. What a market settles at (bounded by what its pool can pay).
	fn reference(segment: SegmentId) -> Option<Price>;
	/// `segment`'s market is settling: it follows its oracle no more, so a quiet oracle is no
	/// longer a reason to sever it (its LPs must be able to leave once it is delisted).
	fn market_ended(segment: SegmentId);
}

/// What the breaker made of a segment's latest oracle price.
///
/// A price the breaker rejected (it tripped on it, or would have, had the segment not been
/// severed already) moves no value: no trade fills at it, no profit is paid at it and no pool
/// share is priced at it. Liquidations and auto-deleveraging use `last_accepted` instead, and a
/// trader closing fills at whichever of the two is worse for them, so a close can cut a loss
/// but never realize profit at a rejected price. A later price the breaker accepts, or a reset,
/// ends the rejection.
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub enum PriceVerdict {
	/// The latest price (if there is one) is accepted.
	Accepted,
	/// The latest price was rejected; `last_accepted` is the last one the breaker accepted.
	Rejected { last_accepted: Price },
}

/// Where segments read prices. Implemented in the runtime over `pallet-oracle`.
pub trait PriceFeed {
	/// The latest combined price for `key`, or `None` if the feed has none.
	fn price(key: &OracleKey) -> Option<PricePoint>;
}

/// A runtime without a breaker listens to nothing and admits everything.
impl<AccountId, BlockNumber> SiloMonitor<AccountId, BlockNumber> for () {
	fn note_inflow(
		_: SegmentId,
		_: &AccountId,
		_: &mut AccountFlow<BlockNumber>,
		_: Balance,
		_: Balance,
		_: Balance,
	) {
	}
	fn note_gift(_: SegmentId, _: Balance, _: Balance) {}
	fn note_outflow(
		_: SegmentId,
		_: &AccountId,
		_: &mut AccountFlow<BlockNumber>,
		_: Balance,
		_: Balance,
	) -> OutflowVerdict {
		OutflowVerdict::Admitted
	}
	fn outflow_room(
		_: SegmentId,
		_: &AccountId,
		_: &AccountFlow<BlockNumber>,
		_: Balance,
	) -> Balance {
		Balance::MAX
	}
	fn note_bad_debt(_: SegmentId, _: Balance) {}
}

/// A runtime without a breaker listens to nothing, and accepts every price.
impl PriceMonitor for () {
	fn note_price(_: SegmentId, _: Price) -> PriceVerdict {
		PriceVerdict::Accepted
	}
	fn verdict(_: SegmentId) -> PriceVerdict {
		PriceVerdict::Accepted
	}
	fn reference(_: SegmentId) -> Option<Price> {
		None
	}
	fn market_ended(_: SegmentId) {}
}
