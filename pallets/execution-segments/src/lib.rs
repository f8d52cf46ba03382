//! # Execution segments
//!
//! A segment is one isolated derivatives market (a perpetual future on one underlying, priced by
//! one oracle feed) bound to exactly one collateral silo, with its own risk parameters. Whatever
//! happens in one segment settles inside its own silo and nowhere else.
//!
//! ## Positions
//!
//! One position per trader per segment, long or short. Its size is its notional in collateral
//! units at entry; opening again on the same side increases it at a size-weighted entry price.
//! Profit and loss settle against the silo's LP pool (see [`math`]). Funding flows from the
//! heavier side through one cumulative index per segment, so no call iterates over positions.
//!
//! ## Calls
//!
//! - [`Pallet::create_segment`], [`Pallet::set_risk_params`], [`Pallet::set_order_params`]
//!   (admin origin)
//! - [`Pallet::request_order`], [`Pallet::execute_order`], [`Pallet::cancel_order`]: trades,
//!   in two steps (below).
//! - [`Pallet::remove_margin`]: new risk. Refused unless the segment's breaker says normal,
//!   and without a fresh oracle price the breaker accepted.
//! - [`Pallet::add_margin`], [`Pallet::liquidate`], [`Pallet::auto_deleverage`]: act at once
//!   (the last two at the latest price), and keep working while the segment is severed or
//!   recovering, so the silo can stay solvent.
//!
//! ## Orders
//!
//! Opening, increasing, decreasing and closing are orders ([`OrderKind`]). A trade at the
//! latest oracle price could be made by anyone who saw the next price in the transaction pool
//! before it landed, at the LPs' expense. So a trader requests an order, which escrows its
//! margin and an execution fee (at least the segment's keeper deposit) in the silo, and the
//! order fills at the first price the oracle combines once a majority of its operators have
//! fed at least the segment's [`OrderParams::min_delay`] after the request (the oracle's time
//! for a price: the oldest of the majority's feeds): a price nobody could see when it was made.
//! Anyone may execute it and earns the fee; whoever does, and whenever, it fills at that one
//! price (each segment remembers its last [`Config::MaxPriceRounds`] prices, one per block, as
//! its breaker judged them, in [`PriceRounds`]; a price fills orders once its block is over),
//! so nobody holds an order as an option on later prices. It expires (its margin back, the
//! fee to the LPs, as for an order whose trade fails at its price) if that price is published
//! after its [`OrderParams::window`] or
//! nobody executes it within a window of that price. The requester may cancel it only while
//! its delay runs, and moves no margin behind the position while an order to grow it waits.
//! One order per account and segment, at most [`Config::MaxOrdersPerSegment`] orders for new
//! risk per segment.
//!
//! ## Rejected prices
//!
//! The breaker judges every oracle update ([`PriceVerdict`](segment_interface::PriceVerdict)).
//! While it rejects the latest one, no value moves at it: no order opens or grows a position
//! at it and no margin is removed and nobody is deleveraged ([`Error::PriceRejected`]), the
//! pool is not valued for LP deposits or withdrawals while it has open interest, a decrease or
//! close that fills at it is valued at whichever of the oracle's and the last accepted price
//! is worse for the trader, and a liquidation judges a position at the last accepted price and
//! settles it at a price no better for its owner than a close's.
//!
//! ## Interface
//!
//! Uses [`MarginLedger`](segment_interface::MarginLedger) (silos) for every movement of margin, [`SegmentHealth`](segment_interface::SegmentHealth) (breaker)
//! before new risk, [`PriceFeed`](segment_interface::PriceFeed) for prices, and reports oracle updates to [`PriceMonitor`](segment_interface::PriceMonitor)
//! (breaker) through [`Pallet::note_price`], which the runtime calls when its oracle publishes.

#![cfg_attr(not(feature = "std"), no_std)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub mod math;
pub mod migrations;
mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{
		pallet_prelude::*,
		traits::{Contains, DefensiveSaturating, UnixTime},
	};
	use frame_system::pallet_prelude::*;
	use segment_interface::{
		views::{AdlEntry, PositionView},
		Balance, Fee, LpOrderTerms, MarginLedger, MarketStatus, Moment, OracleKey, OrderPricing,
		OrderTiming, Pnl, PoolExposure, PoolFactors, PoolRisk, Price, PriceFeed, PriceMonitor,
		PricePoint, PriceVerdict, SegmentHealth, SegmentId, SegmentStatus, Settlement,
		SettlementOutcome, SiloDirectory, SiloId,
	};
	use sp_runtime::{
		traits::{Saturating, Zero},
		ArithmeticError, PerThing, Permill, Perquintill, Rounding, SaturatedConversion,
	};
	use sp_runtime::{FixedI128, FixedPointNumber, FixedU128};

	/// The layout of this pallet's storage; [`migrations`] takes a chain from each version to
	/// the next.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(5);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// May create segments and set their risk parameters.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The silos' books (collateral silos).
		type Silos: MarginLedger<Self::AccountId>;
		/// The breaker's verdict on each segment.
		type Health: SegmentHealth;
		/// Told of every oracle update for a segment (the breaker).
		type PriceMonitor: PriceMonitor;
		/// Where prices come from (the runtime's oracle).
		type Prices: PriceFeed;
		/// The current time, to judge how old a price is.
		type Time: UnixTime;
		/// Most segments that may trade on one oracle feed.
		#[pallet::constant]
		type MaxSegmentsPerOracle: Get<u32>;
		/// Blocks in a year: turns the yearly borrowing rates of [`PoolParams`] into rates per
		/// block.
		#[pallet::constant]
		type BlocksPerYear: Get<u32>;
		/// Most orders pending in one segment at once (each account has at most one there).
		#[pallet::constant]
		type MaxOrdersPerSegment: Get<u32>;
		/// How many of its latest oracle prices each segment keeps for its orders to fill at.
		#[pallet::constant]
		type MaxPriceRounds: Get<u32>;
		/// How orders are timed in a segment whose admin set nothing else.
		#[pallet::constant]
		type DefaultOrderParams: Get<OrderParams>;
		/// Most accounts one [`Pallet::settle_positions`] call settles.
		#[pallet::constant]
		type MaxSettleBatch: Get<u32>;
		/// Weights of this pallet's calls and of [`Pallet::note_price`].
		type WeightInfo: WeightInfo;
		/// Gives the benchmarks silos, margin and prices.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper<Self::AccountId>;
	}

	/// Every segment.
	// Twox64Concat is safe: segment ids are chosen by the admin, not by users.
	#[pallet::storage]
	pub type Segments<T: Config> =
		StorageMap<_, Twox64Concat, SegmentId, SegmentInfo<BlockNumberFor<T>>, OptionQuery>;

	/// Each trader's position in each segment.
	// Blake2_128Concat for the account: users choose their accounts.
	#[pallet::storage]
	pub type Positions<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SegmentId,
		Blake2_128Concat,
		T::AccountId,
		Position,
		OptionQuery,
	>;

	/// Each segment's auto-deleveraging queue, one per side: every position, keyed so that
	/// iterating a side visits the most profitable relative to size first (the lowest entry
	/// price for longs, the highest for shorts). Kept up to date as positions open, grow and
	/// close, so the head is one read away and no call ranks positions by visiting them.
	// Twox64Concat for the segment and the side (admin-chosen, two values); Identity for the
	// rank, which must keep its byte order to sort (an oracle-given price, not chosen by
	// users); Blake2_128Concat for the account, which users choose.
	#[pallet::storage]
	pub type AdlQueue<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, SegmentId>,
			NMapKey<Twox64Concat, Side>,
			NMapKey<Identity, [u8; 16]>,
			NMapKey<Blake2_128Concat, T::AccountId>,
		),
		(),
		OptionQuery,
	>;

	/// The segments trading on each oracle feed, to tell the breaker of each update.
	// Blake2_128Concat: keys are admin-chosen but arbitrary bytes.
	#[pallet::storage]
	pub type SegmentsByOracle<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		OracleKey,
		BoundedVec<SegmentId, T::MaxSegmentsPerOracle>,
		ValueQuery,
	>;

	/// Each trader's pending order in each segment: at most one.
	// Blake2_128Concat for the account: users choose their accounts.
	#[pallet::storage]
	pub type Orders<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SegmentId,
		Blake2_128Concat,
		T::AccountId,
		Order,
		OptionQuery,
	>;

	/// How many orders are pending in each segment, at most [`Config::MaxOrdersPerSegment`].
	#[pallet::storage]
	pub type OrderCount<T: Config> = StorageMap<_, Twox64Concat, SegmentId, u32, ValueQuery>;

	/// Each segment's latest oracle prices, as its breaker judged them: what orders fill at.
	#[pallet::storage]
	pub type PriceRounds<T: Config> =
		StorageMap<_, Twox64Concat, SegmentId, RecentPrices<T::MaxPriceRounds>, ValueQuery>;

	/// How each segment's orders are timed; [`Config::DefaultOrderParams`] until the admin sets
	/// it.
	#[pallet::storage]
	pub type OrderSettings<T: Config> =
		StorageMap<_, Twox64Concat, SegmentId, OrderParams, ValueQuery, T::DefaultOrderParams>;

	/// Each segment's market, where it is not [`MarketStatus::Live`]: settling at a price, or
	/// delisted.
	#[pallet::storage]
	pub type Markets<T: Config> = StorageMap<_, Twox64Concat, SegmentId, MarketStatus, ValueQuery>;

	/// What an ending market owes its winners: their claims, and what share of them it pays.
	#[pallet::storage]
	pub type Settlements<T: Config> =
		StorageMap<_, Twox64Concat, SegmentId, SettlementBook, OptionQuery>;

	/// The publication time of the newest price any position of each segment was opened,
	/// changed or closed at (by an order, a liquidation or deleveraging). An LP order priced at
	/// an older price no longer fills: its pool would be marked at a price older than some of
	/// its positions ([`PoolRisk::exposure_for_order`]).
	#[pallet::storage]
	pub type RepricedAt<T: Config> = StorageMap<_, Twox64Concat, SegmentId, Moment, ValueQuery>;

	/// Each winner's profit at an ending market's settlement price, paid (at the market's
	/// payout) once it is delisted.
	// Blake2_128Concat for the account: users choose their accounts.
	#[pallet::storage]
	pub type Claims<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		SegmentId,
		Blake2_128Concat,
		T::AccountId,
		Balance,
		OptionQuery,
	>;

	/// Segments that exist from block 0. Their silos must exist first (the silos pallet
	/// builds before this one).
	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(segment, silo, oracle_key, risk)`.
		pub segments: Vec<(SegmentId, SiloId, OracleKey, RiskParams)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (segment, silo, key, risk) in &self.segments {
				Pallet::<T>::do_create_segment(*segment, *silo, key.clone(), *risk)
					.expect("genesis segment must be creatable");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A segment was created on `silo`, trading on `oracle_key`.
		SegmentCreated { segment: SegmentId, silo: SiloId, oracle_key: OracleKey, risk: RiskParams },
		/// The admin changed a segment's risk parameters.
		RiskParamsSet { segment: SegmentId, risk: RiskParams },
		/// A new position was opened at `entry_price`.
		PositionOpened {
			segment: SegmentId,
			who: T::AccountId,
			side: Side,
			size: Balance,
			margin: Balance,
			entry_price: Price,
		},
		/// A position grew by `added_size` at `price`; it is now `size` at `entry_price`.
		PositionIncreased {
			segment: SegmentId,
			who: T::AccountId,
			added_size: Balance,
			added_margin: Balance,
			price: Price,
			size: Balance,
			entry_price: Price,
		},
		/// A position shrank by `size` at `price`, realizing `pnl` (funding included); the
		/// trader got `returned` back as free margin.
		PositionDecreased {
			segment: SegmentId,
			who: T::AccountId,
			size: Balance,
			price: Price,
			pnl: Pnl,
			returned: Balance,
		},
		/// A position was closed at `price`.
		PositionClosed {
			segment: SegmentId,
			who: T::AccountId,
			size: Balance,
			price: Price,
			pnl: Pnl,
			returned: Balance,
		},
		/// `who` requested `order`, escrowing its margin and execution fee.
		OrderRequested { segment: SegmentId, who: T::AccountId, order: Order },
		/// `who`'s order filled at the oracle's `price`, published at `published`; `executor`
		/// was paid its execution fee. The trade's own events follow.
		OrderExecuted {
			segment: SegmentId,
			who: T::AccountId,
			executor: T::AccountId,
			price: Price,
			published: Moment,
		},
		/// `who`'s order ended unfilled, for `reason`; its margin went back to `who`, and its
		/// execution fee to the segment's LPs (back to `who` when cancelled). `executor` ended it.
		OrderEnded {
			segment: SegmentId,
			who: T::AccountId,
			executor: Option<T::AccountId>,
			reason: OrderEnd,
		},
		/// The admin changed how a segment's orders are timed.
		OrderParamsSet { segment: SegmentId, params: OrderParams },
		/// Margin was added behind a position.
		MarginAdded { segment: SegmentId, who: T::AccountId, amount: Balance },
		/// Margin was taken from behind a position back to free margin.
		MarginRemoved { segment: SegmentId, who: T::AccountId, amount: Balance },
		/// A trade filled at `fill_price` (valued at `oracle_price`, the oracle's price or, while
		/// the breaker rejects it, the worse for the trader of it and the last accepted one;
		/// the difference is its skew price impact) and paid a position fee of `fee` on `notional`, `to_insurance` of
		/// it to the insurance fund and the rest to the LPs. A decrease or close also settled
		/// `borrowing` owed to the LPs.
		TradeCharged {
			segment: SegmentId,
			who: T::AccountId,
			notional: Balance,
			oracle_price: Price,
			fill_price: Price,
			fee: Balance,
			to_insurance: Balance,
			borrowing: Balance,
		},
		/// Auto-deleveraging closed `size` of `who`'s position at the oracle `price`, realizing
		/// `pnl`, because the segment's pending trader profit was above its trigger.
		PositionAutoDeleveraged {
			segment: SegmentId,
			who: T::AccountId,
			size: Balance,
			price: Price,
			pnl: Pnl,
			returned: Balance,
		},
		/// A position below maintenance margin was liquidated at `price`; the liquidator earned
		/// `fee` (the position's keeper deposit and its liquidation fee), and `bad_debt` was
		/// left for the insurance fund and then the silo's LPs.
		PositionLiquidated {
			segment: SegmentId,
			who: T::AccountId,
			liquidator: T::AccountId,
			size: Balance,
			price: Price,
			fee: Balance,
			bad_debt: Balance,
		},
		/// The market is settling: every position settles at `price`, the breaker's
		/// time-weighted `reference` (or, while it rejected the latest price, the last one it
		/// accepted) bounded so that the pool pays every winner in full.
		MarketSettling { segment: SegmentId, price: Price, reference: Price },
		/// `who`'s position was settled at the market's settlement price by `settler`: `pnl`
		/// (funding and borrowing to the settlement included), a loss paid at once (`bad_debt`
		/// of it left for the insurance fund and then the LPs), a profit kept as `who`'s claim,
		/// paid once the market is delisted. `who` got `returned` back as free margin; a
		/// settler other than `who` earned its keeper deposit.
		PositionSettled {
			segment: SegmentId,
			who: T::AccountId,
			settler: T::AccountId,
			size: Balance,
			price: Price,
			pnl: Pnl,
			returned: Balance,
			bad_debt: Balance,
		},
		/// `who`'s position could not be settled (`error`); the rest of the batch was.
		SettlementFailed { segment: SegmentId, who: T::AccountId, error: DispatchError },
		/// The market's last position was settled (at `price`): its silo takes nothing new,
		/// pays `payout` of every winner's claim (all of it unless the losses that came in left
		/// the pool short) and its LPs the rest.
		MarketDelisted { segment: SegmentId, price: Price, payout: Perquintill },
		/// `who`'s `claim` was paid: `paid` of it, at the market's payout.
		ClaimPaid { segment: SegmentId, who: T::AccountId, claim: Balance, paid: Balance },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// A segment with this id exists already.
		SegmentExists,
		/// No segment has this id.
		UnknownSegment,
		/// The silo does not exist or was created for another segment.
		SiloNotForSegment,
		/// Maintenance margin must be above zero and below initial margin, the liquidation fee
		/// within maintenance, leverage at least 1, and the OI share, oracle age and minimum
		/// position size above zero; the pool parameters in range and ordered as
		/// [`PoolParams`] documents (PnL factors below 100%, the withdrawal factor at most the
		/// trading one, fees and impact bounds ordered, a skew scale and keeper deposit above
		/// zero, a kink inside (0, 100%), the ADL floor below its trigger).
		InvalidRiskParams,
		/// The oracle key is empty.
		InvalidOracleKey,
		/// This oracle feed already serves as many segments as allowed.
		TooManySegmentsOnOracle,
		/// The segment's breaker has severed it: no new risk until it recovers.
		SegmentSevered,
		/// The segment is recovering: reduce-only until its probation ends.
		ReduceOnly,
		/// The oracle has no price for this segment, or a price of zero.
		PriceUnavailable,
		/// The oracle's price is older than the segment's `max_oracle_age`.
		StalePrice,
		/// A position of size zero.
		ZeroSize,
		/// An amount of zero.
		ZeroAmount,
		/// The trader holds a position on the other side; close or decrease it first.
		OppositeSideOpen,
		/// The trader has no position in this segment.
		NoPosition,
		/// The position's size would exceed its margin times the segment's maximum leverage.
		LeverageTooHigh,
		/// The position's equity would be below the initial margin its size needs, or the
		/// margin to remove is more than the position has.
		InsufficientMargin,
		/// The side's open interest would pass the segment's absolute cap or its share of the
		/// silo's liquidity.
		OpenInterestCapExceeded,
		/// The decrease is larger than the position.
		DecreaseExceedsSize,
		/// The position's equity is at or above its maintenance margin.
		NotLiquidatable,
		/// The position would be smaller than the segment's `min_position_size`: open at least
		/// that much, and decrease to zero (close) or leave at least that much.
		PositionBelowMinimum,
		/// After the open, open interest would reserve more than the segment's reserve factor
		/// of its pool's value or liquidity, the smaller.
		ReserveExceeded,
		/// The margin does not cover the position fee and the keeper deposit.
		MarginBelowCharges,
		/// Net capped pending trader profit is not above the segment's ADL trigger: there is
		/// nothing to deleverage.
		AdlNotTriggered,
		/// The position is not first in its side's ADL queue: deleverage the queue's head
		/// (the runtime API shows it).
		NotFirstInAdlQueue,
		/// The position holds no profit to realize.
		NotInProfit,
		/// The circuit breaker rejected the oracle's latest price for this segment (it tripped
		/// on it): nothing opens and no pool share is priced until it accepts a later price or
		/// the segment is reset. Closing, adding margin and liquidations keep working.
		PriceRejected,
		/// The caller has an order pending in this segment already: one at a time. And while an
		/// order to grow a position waits, no margin moves in or out behind it.
		OrderPending,
		/// The segment has as many orders pending as it may.
		TooManyOrders,
		/// The execution fee is below the segment's keeper deposit.
		ExecutionFeeTooLow,
		/// The oracle's latest price is already worse than the order's acceptable price.
		AcceptablePriceViolated,
		/// The trade's fill price (impact included) is worse than the order's acceptable price.
		AcceptablePriceMissed,
		/// No such order.
		NoOrder,
		/// No price has been published after the order's delay yet, and its window is open:
		/// execute it after the next price.
		OrderNotReady,
		/// The order's delay has passed: it waits for its price, and only executes or expires.
		OrderCommitted,
		/// A window of zero, or a delay or window above an hour.
		InvalidOrderParams,
		/// The market is settling or delisted: nothing opens, no order fills, and margin moves
		/// only out of settled positions.
		MarketNotLive,
		/// The market is live: positions settle only once root ends it
		/// ([`Pallet::settle_market`]).
		MarketLive,
		/// The market is settling: its pool is priced again once every position is settled.
		MarketSettling,
		/// The breaker has no reference price for the segment yet: its oracle never published.
		NoReferencePrice,
		/// None of the accounts given holds a position, an order or a claim in the ended
		/// market.
		NothingToSettle,
		/// A position was opened, changed or closed at a price published after the LP order's
		/// price: the pool can no longer be valued at that price (it would mark that position
		/// at a price older than its own). Keepers execute LP orders before later trades.
		PriceSuperseded,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxSegmentsPerOracle::get() > 0, "MaxSegmentsPerOracle must be above zero");
			assert!(T::MaxPriceRounds::get() > 0, "MaxPriceRounds must be above zero");
			assert!(T::MaxOrdersPerSegment::get() > 0, "MaxOrdersPerSegment must be above zero");
			assert!(T::DefaultOrderParams::get().is_valid(), "DefaultOrderParams must be valid");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Create segment `segment`, trading on `oracle_key`, backed by `silo` (which must have
		/// been created for this segment).
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::SegmentCreated`].
		/// Errors: [`Error::SegmentExists`], [`Error::SiloNotForSegment`],
		/// [`Error::InvalidRiskParams`], [`Error::InvalidOracleKey`],
		/// [`Error::TooManySegmentsOnOracle`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_segment())]
		pub fn create_segment(
			origin: OriginFor<T>,
			segment: SegmentId,
			silo: SiloId,
			oracle_key: OracleKey,
			risk: RiskParams,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_create_segment(segment, silo, oracle_key, risk)
		}

		/// Replace a segment's risk parameters. Funding so far accrues at the old rate.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::RiskParamsSet`].
		/// Errors: [`Error::UnknownSegment`], [`Error::InvalidRiskParams`],
		/// [`Error::MarketNotLive`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_risk_params())]
		pub fn set_risk_params(
			origin: OriginFor<T>,
			segment: SegmentId,
			risk: RiskParams,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_risk_params(segment, risk)
		}

		/// Request an order: open or increase a position, decrease it, or close it. The order
		/// fills later, at the first price the oracle combines once a majority of its operators
		/// have fed at least the segment's [`OrderParams::min_delay`] after this request: a price
		/// nobody could see when the order was made. Its margin and `execution_fee` (at least the segment's keeper deposit) are
		/// escrowed in the segment's silo until it fills or ends. `acceptable_price` is the
		/// worst fill price (impact included) the caller takes: the most a buy pays (a long
		/// opening, a short closing), the least a sell receives. One order per account and
		/// segment, and at most [`Config::MaxOrdersPerSegment`] orders for new risk per segment.
		///
		/// Origin: signed. Emits [`Event::OrderRequested`]. Errors: [`Error::UnknownSegment`],
		/// [`Error::MarketNotLive`], [`Error::OrderPending`], [`Error::TooManyOrders`], [`Error::ExecutionFeeTooLow`],
		/// [`Error::ZeroSize`], [`Error::SegmentSevered`] and [`Error::ReduceOnly`] (opening),
		/// [`Error::OppositeSideOpen`], [`Error::NoPosition`] and
		/// [`Error::DecreaseExceedsSize`] (decreasing), [`Error::AcceptablePriceViolated`], and
		/// the silo's `InsufficientFreeMargin`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::request_order())]
		pub fn request_order(
			origin: OriginFor<T>,
			segment: SegmentId,
			kind: OrderKind,
			acceptable_price: Price,
			execution_fee: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_request_order(segment, &who, kind, acceptable_price, execution_fee)
		}

		/// Execute `who`'s order in `segment`: anyone may, and earns its execution fee. It
		/// fills at the first price a majority fed for after its delay, once that price's block
		/// is over, whoever executes it and whenever. An opening fills only if the breaker accepted that price; a decrease or
		/// close at a price the breaker rejected is valued at whichever of it and the last
		/// accepted price is worse for the trader. The order ends unfilled, its margin back to
		/// `who`, when that price came after its window, when it is executed more than a window
		/// after that price, or when its trade fails at that price ([`Event::OrderEnded`] says
		/// why: the acceptable price missed, margin, caps, the breaker). In a market that is
		/// settling or delisted it ends with everything escrowed back to `who`
		/// ([`OrderEnd::MarketEnded`]).
		///
		/// Origin: signed (anyone). Emits [`Event::OrderExecuted`] and the trade's events, or
		/// [`Event::OrderEnded`]. Errors: [`Error::NoOrder`], [`Error::UnknownSegment`],
		/// [`Error::OrderNotReady`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::execute_order_open().max(T::WeightInfo::execute_order_close()))]
		pub fn execute_order(
			origin: OriginFor<T>,
			segment: SegmentId,
			who: T::AccountId,
		) -> DispatchResult {
			let executor = ensure_signed(origin)?;
			Self::do_execute_order(segment, &who, &executor)
		}

		/// Cancel the caller's order while its delay runs (or at any time once the market is
		/// settling or delisted); everything escrowed comes back. After the delay the order
		/// waits for its price, and only executes or expires.
		///
		/// Origin: signed. Emits [`Event::OrderEnded`]. Errors: [`Error::NoOrder`],
		/// [`Error::OrderCommitted`].
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::cancel_order())]
		pub fn cancel_order(origin: OriginFor<T>, segment: SegmentId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_order(segment, &who)
		}

		/// Set how `segment`'s orders are timed. Pending orders keep the timing they were
		/// requested under.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::OrderParamsSet`]. Errors:
		/// [`Error::UnknownSegment`], [`Error::MarketNotLive`], [`Error::InvalidOrderParams`].
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::set_order_params())]
		pub fn set_order_params(
			origin: OriginFor<T>,
			segment: SegmentId,
			params: OrderParams,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(Segments::<T>::contains_key(segment), Error::<T>::UnknownSegment);
			Self::ensure_live(segment)?;
			ensure!(params.is_valid(), Error::<T>::InvalidOrderParams);
			OrderSettings::<T>::insert(segment, params);
			Self::deposit_event(Event::OrderParamsSet { segment, params });
			Ok(())
		}

		/// End `segment`'s market: from now on every position settles at one price, the
		/// breaker's time-weighted reference price moved (if it must be) to the nearest price
		/// at which the pool pays every winner in full (see [`Pallet::settlement_price`]).
		/// Funding and borrowing stop here, the segment follows its oracle no more, nothing
		/// opens and no order fills; anyone may then settle positions
		/// ([`Pallet::settle_positions`]). A market without positions is delisted at once.
		///
		/// While the breaker rejects the latest price (whose pull the reference carries), the
		/// last price it accepted stands in for the reference.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::MarketSettling`] (and
		/// [`Event::MarketDelisted`]). Errors: [`Error::UnknownSegment`],
		/// [`Error::MarketNotLive`], [`Error::NoReferencePrice`] (a market with positions that
		/// never had a price).
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::settle_market())]
		pub fn settle_market(origin: OriginFor<T>, segment: SegmentId) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_settle_market(segment)
		}

		/// Settle what `accounts` hold in an ended market. While it settles: each position
		/// closes at the settlement price with no fee or price impact, a loss paid at once, a
		/// profit kept as the account's claim ([`Claims`]); settling someone else's position
		/// earns its keeper deposit, as a liquidation does. When the last position is settled
		/// the market is delisted, and the share of every claim it pays is fixed
		/// ([`SettlementBook::payout`]): once delisted, this pays the accounts' claims. Either
		/// way pending orders end with everything escrowed back. Accounts with nothing to
		/// settle are skipped, and one that cannot be settled does not stop the others
		/// ([`Event::SettlementFailed`]).
		///
		/// Origin: signed (anyone). Emits [`Event::PositionSettled`], [`Event::ClaimPaid`],
		/// [`Event::OrderEnded`], [`Event::SettlementFailed`] (and [`Event::MarketDelisted`]).
		/// Errors: [`Error::UnknownSegment`], [`Error::MarketLive`], [`Error::NothingToSettle`].
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::settle_positions(accounts.len() as u32))]
		pub fn settle_positions(
			origin: OriginFor<T>,
			segment: SegmentId,
			accounts: BoundedVec<T::AccountId, T::MaxSettleBatch>,
		) -> DispatchResult {
			let settler = ensure_signed(origin)?;
			Self::do_settle_positions(segment, &settler, &accounts)
		}

		/// Lock `amount` more of the caller's free margin behind their position. Works while
		/// severed or recovering, and without a price.
		///
		/// Origin: signed. Emits [`Event::MarginAdded`]. Errors: [`Error::NoPosition`],
		/// [`Error::ZeroAmount`], [`Error::OrderPending`] (an order to grow the position waits),
		/// [`Error::MarketNotLive`], and the silo's `InsufficientFreeMargin`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::add_margin())]
		pub fn add_margin(
			origin: OriginFor<T>,
			segment: SegmentId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_add_margin(segment, &who, amount)
		}

		/// Take `amount` of margin from behind the caller's position back to free margin, if
		/// the position still meets initial margin and leverage afterwards. New risk: refused
		/// unless the segment is normal.
		///
		/// Origin: signed. Emits [`Event::MarginRemoved`]. Errors: [`Error::UnknownSegment`],
		/// [`Error::NoPosition`], [`Error::ZeroAmount`], [`Error::MarketNotLive`],
		/// [`Error::OrderPending`], [`Error::SegmentSevered`], [`Error::ReduceOnly`],
		/// [`Error::PriceUnavailable`], [`Error::StalePrice`], [`Error::PriceRejected`],
		/// [`Error::InsufficientMargin`], [`Error::LeverageTooHigh`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::remove_margin())]
		pub fn remove_margin(
			origin: OriginFor<T>,
			segment: SegmentId,
			amount: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove_margin(segment, &who, amount)
		}

		/// Liquidate `who`'s position, which must be below maintenance margin at the oracle's
		/// price (or while the breaker rejects that price, at the last one it accepted, and
		/// then it settles at a price no better for the owner than a close's); the caller earns the
		/// segment's liquidation fee out of what the position has left. Works while severed or
		/// recovering.
		///
		/// Origin: signed (anyone). Emits [`Event::PositionLiquidated`]. Errors:
		/// [`Error::UnknownSegment`], [`Error::NoPosition`], [`Error::MarketNotLive`] (a
		/// settling market settles positions instead), [`Error::NotLiquidatable`],
		/// [`Error::PriceUnavailable`], [`Error::StalePrice`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::liquidate())]
		pub fn liquidate(
			origin: OriginFor<T>,
			segment: SegmentId,
			who: T::AccountId,
		) -> DispatchResult {
			let liquidator = ensure_signed(origin)?;
			Self::do_liquidate(segment, &who, &liquidator)
		}

		/// Close all or part of `who`'s position at the oracle price (refused while the breaker
		/// rejects it) because the segment's net
		/// pending trader profit (each side capped at its max PnL factor) is above the ADL
		/// trigger share of its pool's value. `who` must be first in its side's ADL queue (the
		/// most profitable relative to size: the runtime API shows the head) and in profit; the
		/// part closed realizes just enough profit to bring the ratio down to the ADL floor,
		/// and no fee or price impact is charged. Inside this segment's silo only. Works while
		/// severed or recovering.
		///
		/// Origin: signed (anyone). Emits [`Event::PositionAutoDeleveraged`]. Errors:
		/// [`Error::UnknownSegment`], [`Error::NoPosition`], [`Error::MarketNotLive`],
		/// [`Error::PriceUnavailable`], [`Error::StalePrice`], [`Error::PriceRejected`],
		/// [`Error::AdlNotTriggered`],
		/// [`Error::NotFirstInAdlQueue`], [`Error::NotInProfit`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::auto_deleverage())]
		pub fn auto_deleverage(
			origin: OriginFor<T>,
			segment: SegmentId,
			who: T::AccountId,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_auto_deleverage(segment, &who)
		}
	}

	impl<T: Config> Pallet<T> {
		/// Tell the breaker of every segment trading on `key` that its oracle published
		/// `point`, and remember it, as the breaker judged it, for the segment's orders to fill
		/// at. The runtime calls this from its oracle's on-new-data hook, and adds
		/// [`WeightInfo::note_price`] to the weight of each value its oracle is fed.
		///
		/// Returns whether any segment trades on `key` (as [`Self::trades`] would, from the one
		/// read of the feed's segments), so that the hook need not read them again.
		pub fn note_price(key: &OracleKey, point: PricePoint) -> bool {
			let Ok(segments) = SegmentsByOracle::<T>::try_get(key) else {
				// No entry, or one that no longer decodes (a bound lowered with no migration):
				// say what `trades` says, which the oracle's combiner asks.
				return Self::trades(key);
			};
			let published = Self::now_ms();
			for segment in segments {
				let accepted = match T::PriceMonitor::note_price(segment, point.price) {
					PriceVerdict::Accepted => point.price,
					PriceVerdict::Rejected { last_accepted } => last_accepted,
				};
				PriceRounds::<T>::mutate(segment, |recent| {
					recent.note(PriceRound {
						price: point.price,
						timestamp: point.timestamp,
						published,
						accepted,
					})
				});
			}
			true
		}

		/// Whether a segment trades on `key`: the runtime keeps oracle values only for such keys.
		pub fn trades(key: &OracleKey) -> bool {
			SegmentsByOracle::<T>::contains_key(key)
		}

		/// The current time in milliseconds.
		pub(crate) fn now_ms() -> Moment {
			T::Time::now().as_millis().saturated_into::<Moment>()
		}

		fn segment(segment: SegmentId) -> Result<SegmentInfo<BlockNumberFor<T>>, Error<T>> {
			Segments::<T>::get(segment).ok_or(Error::<T>::UnknownSegment)
		}

		fn position(segment: SegmentId, who: &T::AccountId) -> Result<Position, Error<T>> {
			Positions::<T>::get(segment, who).ok_or(Error::<T>::NoPosition)
		}

		/// New risk only while the breaker says normal.
		fn ensure_new_risk_allowed(segment: SegmentId) -> Result<(), Error<T>> {
			match T::Health::status(segment) {
				SegmentStatus::Normal => Ok(()),
				SegmentStatus::Severed => Err(Error::<T>::SegmentSevered),
				SegmentStatus::Recovering => Err(Error::<T>::ReduceOnly),
			}
		}

		/// The segment's oracle price, if there is one, above zero and no older than allowed.
		pub fn fresh_price(info: &SegmentInfo<BlockNumberFor<T>>) -> Result<Price, Error<T>> {
			Self::check_fresh(info, T::Prices::price(&info.oracle_key))
		}

		/// The oracle's fresh price for `segment` (see [`Pallet::fresh_price`]) and the
		/// breaker's verdict on it.
		fn judged_price(
			segment: SegmentId,
			info: &SegmentInfo<BlockNumberFor<T>>,
		) -> Result<(Price, PriceVerdict), Error<T>> {
			Ok((Self::fresh_price(info)?, T::PriceMonitor::verdict(segment)))
		}

		/// The oracle's fresh price for `segment`, which must be one the breaker accepts: what
		/// new risk and pool shares are priced at.
		fn accepted_price(
			segment: SegmentId,
			info: &SegmentInfo<BlockNumberFor<T>>,
		) -> Result<Price, Error<T>> {
			match Self::judged_price(segment, info)? {
				(price, PriceVerdict::Accepted) => Ok(price),
				(_, PriceVerdict::Rejected { .. }) => Err(Error::<T>::PriceRejected),
			}
		}

		/// What a liquidation judges `p` at, and what it settles it at. While the breaker
		/// accepts the oracle's fresh price, that price, twice. While it rejects it, `p` is
		/// judged at the last accepted price, and settled at the price between the two that is
		/// nearest where its equity runs out (its bankruptcy price): never a better price for
		/// the owner than a close's (nobody leaves through their own liquidation at the
		/// accepted price), and never with bad debt the last accepted price would not have
		/// left. (A liquidation, then as always, charges no position fee or impact.)
		fn liquidation_prices(
			segment: SegmentId,
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
		) -> Result<(Price, Price), DispatchError> {
			let (oracle, verdict) = Self::judged_price(segment, info)?;
			let PriceVerdict::Rejected { last_accepted } = verdict else {
				return Ok((oracle, oracle));
			};
			let worse = Self::worse_for(p.side, oracle, last_accepted);
			let owed = Self::owed(info, p)?;
			let bankrupt = math::liquidation_price(
				p.side,
				p.size,
				p.margin,
				p.entry_price,
				owed,
				Permill::zero(),
			)
			// Rounded down: one unit up keeps a long's equity there at zero or above. (`None`:
			// a long never runs out, a short always has; either way the bound below decides.)
			.map_or(Price::zero(), |price| match p.side {
				Side::Long => price.saturating_add(Price::from_inner(1)),
				Side::Short => price,
			});
			let (low, high) = (worse.min(last_accepted), worse.max(last_accepted));
			Ok((last_accepted, bankrupt.clamp(low, high)))
		}

		/// Of `a` and `b`, the price worse for a trader on `side`: the lower for a long.
		fn worse_for(side: Side, a: Price, b: Price) -> Price {
			match side {
				Side::Long => a.min(b),
				Side::Short => a.max(b),
			}
		}

		/// `point`, if there is one, above zero and no older than `info` allows.
		fn check_fresh(
			info: &SegmentInfo<BlockNumberFor<T>>,
			point: Option<PricePoint>,
		) -> Result<Price, Error<T>> {
			let point = point.ok_or(Error::<T>::PriceUnavailable)?;
			ensure!(!point.price.is_zero(), Error::<T>::PriceUnavailable);
			let now = Self::now_ms();
			ensure!(
				now.saturating_sub(point.timestamp) <= info.risk.max_oracle_age,
				Error::<T>::StalePrice
			);
			Ok(point.price)
		}

		/// Bring the segment's funding index and each side's borrowing index up to this block;
		/// `pool` is its silo's LP liquidity, which the borrowing rates are utilization of.
		fn accrue(info: &mut SegmentInfo<BlockNumberFor<T>>, pool: Balance) -> DispatchResult {
			let now = frame_system::Pallet::<T>::block_number();
			// Only ever set to a past or the current block; a later one is a broken invariant.
			let blocks =
				now.defensive_saturating_sub(info.funding_updated).saturated_into::<u128>();
			if blocks > 0 {
				let rate = math::funding_rate(info.long_oi, info.short_oi, info.risk.funding_rate)
					.ok_or(ArithmeticError::Overflow)?;
				info.funding_index = math::accrue(info.funding_index, rate, blocks)
					.ok_or(ArithmeticError::Overflow)?;
				for side in [Side::Long, Side::Short] {
					let yearly =
						Self::borrowing_rate(info, side, pool).ok_or(ArithmeticError::Overflow)?;
					let rate = math::per_block(yearly, T::BlocksPerYear::get())
						.ok_or(ArithmeticError::Overflow)?;
					let book = Self::book(info, side);
					book.borrow_index = math::accrue(book.borrow_index, rate, blocks)
						.ok_or(ArithmeticError::Overflow)?;
				}
			}
			info.funding_updated = now;
			Ok(())
		}

		/// Bring the funding index alone up to `now`: what the v2 migration does before
		/// borrowing starts. An overflow leaves the index where it was, for `try_state` to
		/// report.
		pub fn accrue_funding_only(
			info: &mut SegmentInfo<BlockNumberFor<T>>,
			now: BlockNumberFor<T>,
		) {
			let blocks = now.saturating_sub(info.funding_updated).saturated_into::<u128>();
			if let Some(index) =
				math::funding_rate(info.long_oi, info.short_oi, info.risk.funding_rate)
					.and_then(|rate| math::accrue(info.funding_index, rate, blocks))
			{
				info.funding_index = index;
			}
			info.funding_updated = now;
		}

		/// The yearly borrowing rate `side` pays now on a pool of `pool` liquidity.
		pub fn borrowing_rate(
			info: &SegmentInfo<BlockNumberFor<T>>,
			side: Side,
			pool: Balance,
		) -> Option<FixedU128> {
			let params = &info.risk.pool;
			let oi = match side {
				Side::Long => info.long_oi,
				Side::Short => info.short_oi,
			};
			math::borrowing_rate(
				math::utilization(oi, pool),
				params.borrow_kink,
				params.borrow_rate_at_kink,
				params.borrow_rate_max,
			)
		}

		fn side_oi(info: &mut SegmentInfo<BlockNumberFor<T>>, side: Side) -> &mut Balance {
			match side {
				Side::Long => &mut info.long_oi,
				Side::Short => &mut info.short_oi,
			}
		}

		fn book(info: &mut SegmentInfo<BlockNumberFor<T>>, side: Side) -> &mut SideBook {
			match side {
				Side::Long => &mut info.longs,
				Side::Short => &mut info.shorts,
			}
		}

		fn side_book(info: &SegmentInfo<BlockNumberFor<T>>, side: Side) -> &SideBook {
			match side {
				Side::Long => &info.longs,
				Side::Short => &info.shorts,
			}
		}

		/// Add `p` to its side's open interest and sums (`add`), or take it out again. A
		/// position takes out exactly what it added, so the sums stay exact.
		pub(crate) fn tally(
			info: &mut SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
			add: bool,
		) -> DispatchResult {
			let overflow = ArithmeticError::Overflow;
			let units = math::units_of(p.size, p.oracle_entry).ok_or(overflow)?;
			let funding = math::index_weight(p.size, p.funding_index).ok_or(overflow)?;
			let borrow = math::index_weight(p.size, p.borrow_index).ok_or(overflow)?;
			let oi = Self::side_oi(info, p.side);
			*oi = if add { oi.checked_add(p.size) } else { oi.checked_sub(p.size) }
				.ok_or(overflow)?;
			let book = Self::book(info, p.side);
			if add {
				book.units = book.units.checked_add(units).ok_or(overflow)?;
				book.funding_entry = book.funding_entry.checked_add(funding).ok_or(overflow)?;
				book.borrow_entry = book.borrow_entry.checked_add(borrow).ok_or(overflow)?;
			} else {
				book.units = book.units.checked_sub(units).ok_or(overflow)?;
				book.funding_entry = book.funding_entry.checked_sub(funding).ok_or(overflow)?;
				book.borrow_entry = book.borrow_entry.checked_sub(borrow).ok_or(overflow)?;
			}
			Ok(())
		}

		/// Where a position entered at `entry` sorts in its side's ADL queue: ascending bytes
		/// put the lowest long entry and the highest short entry first.
		pub fn adl_rank(side: Side, entry: Price) -> [u8; 16] {
			let inner = entry.into_inner();
			match side {
				Side::Long => inner.to_be_bytes(),
				Side::Short => (u128::MAX - inner).to_be_bytes(),
			}
		}

		/// The entry price a rank was made from.
		fn rank_price(side: Side, rank: [u8; 16]) -> Price {
			let value = u128::from_be_bytes(rank);
			Price::from_inner(match side {
				Side::Long => value,
				Side::Short => u128::MAX - value,
			})
		}

		/// Move `who`'s place in the ADL queue from `old` to `new` (either may be none).
		fn requeue(
			segment: SegmentId,
			who: &T::AccountId,
			old: Option<&Position>,
			new: Option<&Position>,
		) {
			let key = |p: &Position| (segment, p.side, Self::adl_rank(p.side, p.entry_price));
			if old.map(key) == new.map(key) {
				return;
			}
			if let Some(p) = old {
				AdlQueue::<T>::remove((
					segment,
					p.side,
					Self::adl_rank(p.side, p.entry_price),
					who,
				));
			}
			if let Some(p) = new {
				AdlQueue::<T>::insert(
					(segment, p.side, Self::adl_rank(p.side, p.entry_price), who),
					(),
				);
			}
		}

		/// Long minus short open interest.
		fn skew(info: &SegmentInfo<BlockNumberFor<T>>) -> Result<i128, DispatchError> {
			let long = i128::try_from(info.long_oi).map_err(|_| ArithmeticError::Overflow)?;
			let short = i128::try_from(info.short_oi).map_err(|_| ArithmeticError::Overflow)?;
			Ok(long - short)
		}

		/// The skew before and after a trade that moves it by `delta` (a long opening or a short
		/// closing is positive): what its fill price and its fee are computed from.
		fn skew_change(
			info: &SegmentInfo<BlockNumberFor<T>>,
			delta: i128,
		) -> Result<(i128, i128), DispatchError> {
			let before = Self::skew(info)?;
			Ok((before, before.checked_add(delta).ok_or(ArithmeticError::Overflow)?))
		}

		/// What a trade taking the skew from `before` to `after` fills at: the oracle price with
		/// the skew premium, bounded.
		fn fill_price(
			info: &SegmentInfo<BlockNumberFor<T>>,
			oracle: Price,
			(before, after): (i128, i128),
		) -> Result<Price, DispatchError> {
			let params = &info.risk.pool;
			let premium = math::skew_premium(before, after, params.skew_scale)
				.ok_or(ArithmeticError::Overflow)?;
			math::fill_price(
				oracle,
				premium,
				after > before,
				params.max_impact_worse,
				params.max_impact_better,
			)
			.ok_or_else(|| ArithmeticError::Overflow.into())
		}

		/// The position fee on a trade of `notional` taking the skew from `before` to `after`,
		/// split between the LPs and the insurance fund.
		fn trade_fee(
			info: &SegmentInfo<BlockNumberFor<T>>,
			(before, after): (i128, i128),
			notional: Balance,
		) -> Result<Fee, DispatchError> {
			let params = &info.risk.pool;
			let total = math::position_fee_across(
				notional,
				before,
				after,
				params.fee_reducing,
				params.fee_increasing,
			)
			.ok_or(ArithmeticError::Overflow)?;
			Ok(Fee::split(total, params.fee_insurance_share))
		}

		/// `size` as a change of the skew: positive for a long, negative for a short.
		fn signed(side: Side, size: Balance) -> Result<i128, DispatchError> {
			let size = i128::try_from(size).map_err(|_| ArithmeticError::Overflow)?;
			Ok(match side {
				Side::Long => size,
				Side::Short => -size,
			})
		}

		/// The pool factors the segment sets for its silo.
		fn factors(info: &SegmentInfo<BlockNumberFor<T>>) -> PoolFactors {
			let params = &info.risk.pool;
			PoolFactors {
				max_pnl_deposits: params.max_pnl_factor,
				max_pnl_withdrawals: params.max_pnl_factor_withdrawals,
				reserve: params.reserve_factor,
			}
		}

		/// Each side's pending PnL at `mark` and the value reserved, from the side sums alone.
		pub fn exposure_at(
			info: &SegmentInfo<BlockNumberFor<T>>,
			mark: Price,
		) -> Result<PoolExposure, DispatchError> {
			let overflow = ArithmeticError::Overflow;
			let signed = |v: Balance| i128::try_from(v).map_err(|_| overflow);
			let long_value =
				math::value_of_units(info.longs.units, mark, Rounding::Down).ok_or(overflow)?;
			let short_value =
				math::value_of_units(info.shorts.units, mark, Rounding::Up).ok_or(overflow)?;
			let long_funding =
				math::owed_through(info.funding_index, info.long_oi, info.longs.funding_entry)
					.ok_or(overflow)?;
			// Shorts receive what the index says longs pay.
			let short_funding =
				math::owed_through(info.funding_index, info.short_oi, info.shorts.funding_entry)
					.ok_or(overflow)?;
			let long_borrowing =
				math::owed_through(info.longs.borrow_index, info.long_oi, info.longs.borrow_entry)
					.ok_or(overflow)?;
			let short_borrowing = math::owed_through(
				info.shorts.borrow_index,
				info.short_oi,
				info.shorts.borrow_entry,
			)
			.ok_or(overflow)?;
			let long_pnl = signed(long_value)?
				.checked_sub(signed(info.long_oi)?)
				.and_then(|v| v.checked_sub(long_funding))
				.and_then(|v| v.checked_sub(long_borrowing))
				.ok_or(overflow)?;
			let short_pnl = signed(info.short_oi)?
				.checked_sub(signed(short_value)?)
				.and_then(|v| v.checked_add(short_funding))
				.and_then(|v| v.checked_sub(short_borrowing))
				.ok_or(overflow)?;
			Ok(PoolExposure {
				long_pnl,
				short_pnl,
				// Each side reserves on its own: longs gain as the price rises, shorts as it
				// falls, and the larger claim is what the pool must be able to meet.
				reserved: long_value.max(info.short_oi),
				factors: Self::factors(info),
			})
		}

		/// What `p` owes in funding and borrowing to the segment's current indices.
		fn carry(
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
			part: Balance,
		) -> Result<(i128, Balance), DispatchError> {
			let funding = math::funding_owed(p.side, part, p.funding_index, info.funding_index)
				.ok_or(ArithmeticError::Overflow)?;
			// Borrowing only ever grows, and is owed the way a long owes funding.
			let index = Self::side_book(info, p.side).borrow_index;
			let borrowing = math::funding_owed(Side::Long, part, p.borrow_index, index)
				.ok_or(ArithmeticError::Overflow)?;
			Ok((funding, borrowing.max(0).unsigned_abs()))
		}

		/// A position's equity at `price`: margin plus price PnL, less the funding and
		/// borrowing it owes to the segment's current indices.
		fn equity_at(
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
			price: Price,
		) -> Result<i128, DispatchError> {
			let owed = Self::owed(info, p)?;
			Ok(math::equity(p.side, p.size, p.margin, p.entry_price, price, owed)
				.ok_or(ArithmeticError::Overflow)?)
		}

		/// What all of `p` owes in funding and borrowing to the segment's current indices, as
		/// one signed amount (negative: funding it receives).
		fn owed(
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
		) -> Result<i128, DispatchError> {
			let (funding, borrowing) = Self::carry(info, p, p.size)?;
			let borrowing = i128::try_from(borrowing).map_err(|_| ArithmeticError::Overflow)?;
			Ok(funding.checked_add(borrowing).ok_or(ArithmeticError::Overflow)?)
		}

		/// `p` at `price`, funding to the segment's index included: what `liquidate` and the
		/// views judge a position by.
		fn health_at(
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
			price: Price,
		) -> Result<PositionHealth, DispatchError> {
			let value =
				math::notional_at(p.size, p.entry_price, price).ok_or(ArithmeticError::Overflow)?;
			Ok(PositionHealth {
				value,
				maintenance: math::share_up(value, info.risk.maintenance_margin),
				equity: Self::equity_at(info, p, price)?,
			})
		}

		/// Whether `p` meets the segment's initial margin and leverage at `price`.
		fn ensure_initial_margin(
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
			price: Price,
		) -> DispatchResult {
			let max_size = p
				.margin
				.checked_mul(info.risk.max_leverage.into())
				.ok_or(ArithmeticError::Overflow)?;
			ensure!(p.size <= max_size, Error::<T>::LeverageTooHigh);
			let needed =
				math::required_margin(p.size, p.entry_price, price, info.risk.initial_margin)
					.ok_or(ArithmeticError::Overflow)?;
			ensure!(
				Self::equity_at(info, p, price)? >= needed as i128,
				Error::<T>::InsufficientMargin
			);
			Ok(())
		}

		pub(crate) fn do_create_segment(
			segment: SegmentId,
			silo: SiloId,
			oracle_key: OracleKey,
			risk: RiskParams,
		) -> DispatchResult {
			ensure!(!Segments::<T>::contains_key(segment), Error::<T>::SegmentExists);
			ensure!(T::Silos::segment_of(silo) == Some(segment), Error::<T>::SiloNotForSegment);
			ensure!(risk.is_valid(), Error::<T>::InvalidRiskParams);
			ensure!(!oracle_key.is_empty(), Error::<T>::InvalidOracleKey);
			SegmentsByOracle::<T>::try_mutate(&oracle_key, |segments| {
				segments.try_push(segment).map_err(|_| Error::<T>::TooManySegmentsOnOracle)
			})?;
			Segments::<T>::insert(
				segment,
				SegmentInfo {
					silo,
					oracle_key: oracle_key.clone(),
					risk,
					long_oi: 0,
					short_oi: 0,
					funding_index: Default::default(),
					funding_updated: frame_system::Pallet::<T>::block_number(),
					longs: SideBook::default(),
					shorts: SideBook::default(),
				},
			);
			Self::deposit_event(Event::SegmentCreated { segment, silo, oracle_key, risk });
			Ok(())
		}

		pub(crate) fn do_set_risk_params(segment: SegmentId, risk: RiskParams) -> DispatchResult {
			ensure!(risk.is_valid(), Error::<T>::InvalidRiskParams);
			let mut info = Self::segment(segment)?;
			// Funding and borrowing stopped with the market, and what it settles by is fixed.
			Self::ensure_live(segment)?;
			Self::accrue(&mut info, T::Silos::pool_liquidity(segment))?;
			info.risk = risk;
			Segments::<T>::insert(segment, info);
			Self::deposit_event(Event::RiskParamsSet { segment, risk });
			Ok(())
		}

		/// Open or increase `who`'s position in `segment` (whose market is `info`, as stored) at
		/// the oracle price `oracle`, which the breaker accepted, filling no worse than
		/// `acceptable`.
		#[allow(clippy::too_many_arguments)]
		pub(crate) fn do_open_position(
			segment: SegmentId,
			mut info: SegmentInfo<BlockNumberFor<T>>,
			who: &T::AccountId,
			side: Side,
			size: Balance,
			margin: Balance,
			oracle: Price,
			acceptable: Price,
		) -> DispatchResult {
			ensure!(size > 0, Error::<T>::ZeroSize);
			Self::ensure_new_risk_allowed(segment)?;
			let pool = T::Silos::pool_liquidity(segment);
			Self::accrue(&mut info, pool)?;
			let skew = Self::skew_change(&info, Self::signed(side, size)?)?;
			let (fill, fee) =
				(Self::fill_price(&info, oracle, skew)?, Self::trade_fee(&info, skew, size)?);
			ensure!(
				Self::acceptable(side == Side::Long, fill, acceptable),
				Error::<T>::AcceptablePriceMissed
			);

			let existing = Positions::<T>::get(segment, who);
			// The size the position will have must meet the minimum before anything is charged.
			let new_size = existing
				.map_or(Some(size), |p| p.size.checked_add(size))
				.ok_or(ArithmeticError::Overflow)?;
			ensure!(new_size >= info.risk.min_position_size, Error::<T>::PositionBelowMinimum);
			// A new position locks the keeper deposit; the fee is paid out of the margin too.
			let deposit = if existing.is_none() { info.risk.pool.keeper_deposit } else { 0 };
			let charges = fee
				.total()
				.and_then(|f| f.checked_add(deposit))
				.ok_or(ArithmeticError::Overflow)?;
			let added = margin.checked_sub(charges).ok_or(Error::<T>::MarginBelowCharges)?;
			let position = match existing {
				Some(p) => {
					ensure!(p.side == side, Error::<T>::OppositeSideOpen);
					let book = Self::side_book(&info, side);
					Position {
						side,
						size: p.size.checked_add(size).ok_or(ArithmeticError::Overflow)?,
						entry_price: math::averaged_entry(p.size, p.entry_price, size, fill)
							.ok_or(ArithmeticError::Overflow)?,
						margin: p.margin.checked_add(added).ok_or(ArithmeticError::Overflow)?,
						funding_index: math::averaged_index(
							p.size,
							p.funding_index,
							size,
							info.funding_index,
						)
						.ok_or(ArithmeticError::Overflow)?,
						borrow_index: math::averaged_index(
							p.size,
							p.borrow_index,
							size,
							book.borrow_index,
						)
						.ok_or(ArithmeticError::Overflow)?,
						oracle_entry: math::averaged_entry(p.size, p.oracle_entry, size, oracle)
							.ok_or(ArithmeticError::Overflow)?,
						keeper_deposit: p.keeper_deposit,
					}
				},
				None => Position {
					side,
					size,
					entry_price: fill,
					margin: added,
					funding_index: info.funding_index,
					borrow_index: Self::side_book(&info, side).borrow_index,
					oracle_entry: oracle,
					keeper_deposit: deposit,
				},
			};
			ensure!(position.size >= info.risk.min_position_size, Error::<T>::PositionBelowMinimum);
			Self::ensure_initial_margin(&info, &position, oracle)?;

			let cap = info.risk.max_oi_share.mul_floor(pool).min(info.risk.max_open_interest);
			if let Some(p) = &existing {
				Self::tally(&mut info, p, false)?;
			}
			Self::tally(&mut info, &position, true)?;
			ensure!(*Self::side_oi(&mut info, side) <= cap, Error::<T>::OpenInterestCapExceeded);
			// The pool's value after the open must cover what open interest reserves.
			let exposure = Self::exposure_at(&info, oracle)?;
			let value = exposure.pool_value(pool, info.risk.pool.max_pnl_factor);
			ensure!(
				exposure.reserved <= exposure.reserve_cap(pool, value),
				Error::<T>::ReserveExceeded
			);

			if margin > 0 {
				T::Silos::lock_margin(segment, who, margin, fee)?;
			}
			Segments::<T>::insert(segment, info);
			Positions::<T>::insert(segment, who, position);
			Self::requeue(segment, who, existing.as_ref(), Some(&position));
			let who = who.clone();
			Self::deposit_event(Event::TradeCharged {
				segment,
				who: who.clone(),
				notional: size,
				oracle_price: oracle,
				fill_price: fill,
				fee: fee.to_lps + fee.to_insurance,
				to_insurance: fee.to_insurance,
				borrowing: 0,
			});
			Self::deposit_event(match existing {
				None => Event::PositionOpened {
					segment,
					who: who.clone(),
					side,
					size,
					margin: added,
					entry_price: fill,
				},
				Some(_) => Event::PositionIncreased {
					segment,
					who: who.clone(),
					added_size: size,
					added_margin: added,
					price: fill,
					size: position.size,
					entry_price: position.entry_price,
				},
			});
			Ok(())
		}

		/// Settle `part` of `position`'s size at `price` inside the silo: its share of the
		/// margin (and the keeper deposit with the last part), its PnL, funding and borrowing,
		/// `fee`, and `reward` for a liquidator. Profit is scaled down when its side holds more
		/// than the pool pays out (the segment's max PnL factor of `pool`). Returns the PnL
		/// settled, the margin released, the borrowing paid and the silo's outcome.
		#[allow(clippy::too_many_arguments)]
		fn settle_part(
			segment: SegmentId,
			info: &SegmentInfo<BlockNumberFor<T>>,
			who: &T::AccountId,
			position: &Position,
			part: Balance,
			price: Price,
			pool: Balance,
			fee: Fee,
			reward: Option<(T::AccountId, Balance)>,
		) -> Result<(Pnl, Balance, Balance, SettlementOutcome), DispatchError> {
			let overflow = ArithmeticError::Overflow;
			let (margin, keeper_deposit) = if part == position.size {
				(position.margin, position.keeper_deposit)
			} else {
				let margin = sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
					position.margin,
					part,
					position.size,
					Rounding::Down,
				)
				.ok_or(overflow)?;
				(margin, 0)
			};
			let (net, borrowing) = Self::net_pnl(info, position, part, price)?;
			let pnl = if net > 0 {
				let exposure = Self::exposure_at(info, price)?;
				let side_profit = match position.side {
					Side::Long => exposure.long_pnl,
					Side::Short => exposure.short_pnl,
				};
				let limit = info.risk.pool.max_pnl_factor.mul_floor(pool);
				let paid = math::capped_profit(
					net.unsigned_abs(),
					side_profit.max(0).unsigned_abs(),
					limit,
				)
				.ok_or(overflow)?;
				Pnl::Profit(paid)
			} else {
				math::to_pnl(net)
			};
			let outcome = T::Silos::settle(
				segment,
				who,
				Settlement { margin, pnl, fee, keeper_deposit, reward },
			)?;
			Ok((pnl, margin, borrowing, outcome))
		}

		/// `position` after `part` of it settled with `margin` released, re-tallied in `info`;
		/// `None` once nothing is left.
		fn shrink(
			info: &mut SegmentInfo<BlockNumberFor<T>>,
			position: &Position,
			part: Balance,
			margin: Balance,
		) -> Result<Option<Position>, DispatchError> {
			Self::tally(info, position, false)?;
			if part == position.size {
				return Ok(None);
			}
			let mut left = *position;
			left.size -= part;
			left.margin = left.margin.checked_sub(margin).ok_or(ArithmeticError::Underflow)?;
			Self::tally(info, &left, true)?;
			Ok(Some(left))
		}

		/// Write what is left of `who`'s position (or remove it) and its place in the queue.
		fn store_position(
			segment: SegmentId,
			who: &T::AccountId,
			old: &Position,
			left: Option<Position>,
		) {
			match &left {
				Some(p) => Positions::<T>::insert(segment, who, p),
				None => Positions::<T>::remove(segment, who),
			}
			Self::requeue(segment, who, Some(old), left.as_ref());
		}

		/// Decrease by `size`, or close when `None`, at the oracle's price in `round` (or while
		/// the breaker rejected it, whichever of it and the last accepted price is worse for
		/// the trader: a loss can be cut at a rejected price, no profit taken), filling no
		/// worse than `acceptable`. `info` is the segment's market, as stored.
		pub(crate) fn do_decrease_position(
			segment: SegmentId,
			mut info: SegmentInfo<BlockNumberFor<T>>,
			who: &T::AccountId,
			size: Option<Balance>,
			round: &PriceRound,
			acceptable: Price,
		) -> DispatchResult {
			let position = Self::position(segment, who)?;
			let part = size.unwrap_or(position.size);
			ensure!(part > 0, Error::<T>::ZeroSize);
			ensure!(part <= position.size, Error::<T>::DecreaseExceedsSize);
			let left = position.size - part;
			ensure!(
				left == 0 || left >= info.risk.min_position_size,
				Error::<T>::PositionBelowMinimum
			);
			let oracle = Self::worse_for(position.side, round.price, round.accepted);
			let pool = T::Silos::pool_liquidity(segment);
			Self::accrue(&mut info, pool)?;
			// Closing a long sells, closing a short buys: the skew moves against the side.
			let delta = Self::signed(position.side, part)?
				.checked_neg()
				.ok_or(ArithmeticError::Overflow)?;
			let skew = Self::skew_change(&info, delta)?;
			let fill = Self::fill_price(&info, oracle, skew)?;
			ensure!(
				Self::acceptable(position.side == Side::Short, fill, acceptable),
				Error::<T>::AcceptablePriceMissed
			);
			let notional = math::notional_at(part, position.entry_price, fill)
				.ok_or(ArithmeticError::Overflow)?;
			let fee = Self::trade_fee(&info, skew, notional)?;

			let (pnl, margin, borrowing, outcome) =
				Self::settle_part(segment, &info, who, &position, part, fill, pool, fee, None)?;
			let left = Self::shrink(&mut info, &position, part, margin)?;
			Segments::<T>::insert(segment, info);
			Self::store_position(segment, who, &position, left);
			Self::deposit_event(Event::TradeCharged {
				segment,
				who: who.clone(),
				notional,
				oracle_price: oracle,
				fill_price: fill,
				fee: outcome.fee_paid.to_lps + outcome.fee_paid.to_insurance,
				to_insurance: outcome.fee_paid.to_insurance,
				borrowing,
			});
			let returned = outcome.returned;
			Self::deposit_event(if left.is_none() {
				Event::PositionClosed {
					segment,
					who: who.clone(),
					size: part,
					price: fill,
					pnl,
					returned,
				}
			} else {
				Event::PositionDecreased {
					segment,
					who: who.clone(),
					size: part,
					price: fill,
					pnl,
					returned,
				}
			});
			Ok(())
		}

		/// Margin moves in or out of a position only while no order to grow it waits: whether
		/// that order fills (margin and leverage are checked on the position it makes) must not
		/// be the trader's to decide once its price is out.
		fn ensure_no_increase_pending(segment: SegmentId, who: &T::AccountId) -> DispatchResult {
			ensure!(
				!Orders::<T>::get(segment, who).is_some_and(|o| o.is_increase()),
				Error::<T>::OrderPending
			);
			Ok(())
		}

		/// Whether a trade that buys (`buy`) or sells fills at `fill` within `acceptable`.
		fn acceptable(buy: bool, fill: Price, acceptable: Price) -> bool {
			if buy {
				fill <= acceptable
			} else {
				fill >= acceptable
			}
		}

		pub(crate) fn do_request_order(
			segment: SegmentId,
			who: &T::AccountId,
			kind: OrderKind,
			acceptable_price: Price,
			execution_fee: Balance,
		) -> DispatchResult {
			let info = Self::segment(segment)?;
			Self::ensure_live(segment)?;
			ensure!(!Orders::<T>::contains_key(segment, who), Error::<T>::OrderPending);
			// Only orders for new risk count: a decrease or close is bounded by the position it
			// reduces, and must never find the segment full.
			let count = match kind {
				OrderKind::Increase { .. } => {
					let count = OrderCount::<T>::get(segment);
					ensure!(count < T::MaxOrdersPerSegment::get(), Error::<T>::TooManyOrders);
					count
				},
				OrderKind::Decrease { .. } | OrderKind::Close => 0,
			};
			ensure!(execution_fee >= info.risk.pool.keeper_deposit, Error::<T>::ExecutionFeeTooLow);
			let position = Positions::<T>::get(segment, who);
			// Whether the order buys, and the margin it escrows beside its fee.
			let (buy, margin) = match kind {
				OrderKind::Increase { side, size, margin } => {
					ensure!(size > 0, Error::<T>::ZeroSize);
					Self::ensure_new_risk_allowed(segment)?;
					ensure!(position.is_none_or(|p| p.side == side), Error::<T>::OppositeSideOpen);
					// An order sure to fail would hold a place in the segment's bound for little:
					// the size and the keeper deposit, which no price changes, are checked now, as
					// the fill checks them.
					let new_size = position
						.map_or(Some(size), |p| p.size.checked_add(size))
						.ok_or(ArithmeticError::Overflow)?;
					ensure!(
						new_size >= info.risk.min_position_size,
						Error::<T>::PositionBelowMinimum
					);
					let deposit =
						if position.is_none() { info.risk.pool.keeper_deposit } else { 0 };
					ensure!(margin >= deposit, Error::<T>::MarginBelowCharges);
					(side == Side::Long, margin)
				},
				OrderKind::Decrease { size } => {
					let p = position.ok_or(Error::<T>::NoPosition)?;
					ensure!(size > 0, Error::<T>::ZeroSize);
					ensure!(size <= p.size, Error::<T>::DecreaseExceedsSize);
					(p.side == Side::Short, 0)
				},
				OrderKind::Close => {
					let p = position.ok_or(Error::<T>::NoPosition)?;
					(p.side == Side::Short, 0)
				},
			};
			// An order the latest price already fails would only wait to be refused.
			if let Some(point) = T::Prices::price(&info.oracle_key) {
				ensure!(
					Self::acceptable(buy, point.price, acceptable_price),
					Error::<T>::AcceptablePriceViolated
				);
			}
			let escrow = margin.checked_add(execution_fee).ok_or(ArithmeticError::Overflow)?;
			T::Silos::lock_margin(segment, who, escrow, Fee::ZERO)?;
			let OrderTiming { requested_at, fills_from, expires_at } = Self::timing(segment);
			let order = Order {
				kind,
				acceptable_price,
				execution_fee,
				requested_at,
				fills_from,
				expires_at,
			};
			Orders::<T>::insert(segment, who, order);
			if order.is_increase() {
				OrderCount::<T>::insert(segment, count + 1);
			}
			Self::deposit_event(Event::OrderRequested { segment, who: who.clone(), order });
			Ok(())
		}

		pub(crate) fn do_execute_order(
			segment: SegmentId,
			who: &T::AccountId,
			executor: &T::AccountId,
		) -> DispatchResult {
			let order = Orders::<T>::get(segment, who).ok_or(Error::<T>::NoOrder)?;
			let info = Self::segment(segment)?;
			if !Markets::<T>::get(segment).is_live() {
				// No price fills it any more, through no doing of its owner's.
				return Self::end_with_market(segment, who, &order, executor);
			}
			let round = Self::order_round(segment, &info, &order.timing(), Self::now_ms())?;
			// The escrowed margin goes back to free margin, where the fill takes it from.
			Self::end_order(segment, who, &order, FeeTo::Held)?;
			let Some(round) = round else {
				Self::pay_execution_fee(segment, who, &order, FeeTo::Lps)?;
				Self::deposit_event(Event::OrderEnded {
					segment,
					who: who.clone(),
					executor: Some(executor.clone()),
					reason: OrderEnd::Expired,
				});
				return Ok(());
			};
			// A trade that fails at the order's price changes nothing but the order.
			let filled = frame_support::storage::with_storage_layer(|| {
				Self::deposit_event(Event::OrderExecuted {
					segment,
					who: who.clone(),
					executor: executor.clone(),
					price: round.price,
					published: round.published,
				});
				Self::fill_order(segment, info, who, &order, &round)?;
				Self::note_repriced(segment, round.published);
				Ok(())
			});
			// The executor is paid for a fill. An order that ends unfilled pays its fee to the
			// LPs: whether it fills must never be a free choice of its owner's once its price is
			// out (by executing it or not, or by a change that fails it).
			match filled {
				Ok(()) => Self::pay_execution_fee(segment, who, &order, FeeTo::Executor(executor)),
				Err(error) => {
					Self::pay_execution_fee(segment, who, &order, FeeTo::Lps)?;
					Self::deposit_event(Event::OrderEnded {
						segment,
						who: who.clone(),
						executor: Some(executor.clone()),
						reason: OrderEnd::Failed(error),
					});
					Ok(())
				},
			}
		}

		/// When an order requested now in `segment` may fill.
		fn timing(segment: SegmentId) -> OrderTiming {
			let params = OrderSettings::<T>::get(segment);
			let requested_at = Self::now_ms();
			let fills_from = requested_at.saturating_add(params.min_delay);
			OrderTiming {
				requested_at,
				fills_from,
				expires_at: fills_from.saturating_add(params.window),
			}
		}

		/// The price an order made at `timing` fills at in `segment` (whose market is `info`),
		/// executed at `now`: [`Error::OrderNotReady`] while it is not out or not final,
		/// `None` once the order has expired.
		fn order_round(
			segment: SegmentId,
			info: &SegmentInfo<BlockNumberFor<T>>,
			timing: &OrderTiming,
			now: Moment,
		) -> Result<Option<PriceRound>, Error<T>> {
			// How long the order waits for its price, and then for an executor.
			let window = timing.expires_at.saturating_sub(timing.fills_from);
			let first =
				PriceRounds::<T>::get(segment).first_after(timing.requested_at, timing.fills_from);
			match first {
				// A round is final once its block is: not in the block that noted it.
				FirstPrice::Found(round) if round.published >= now => {
					Err(Error::<T>::OrderNotReady)
				},
				FirstPrice::Found(round)
					if round.published <= timing.expires_at
						&& now - round.published <= window.min(info.risk.max_oracle_age) =>
				{
					Ok(Some(round))
				},
				FirstPrice::NotYet if now <= timing.expires_at => Err(Error::<T>::OrderNotReady),
				// Its price came after its window, or it was executed too long after it, or its
				// price has been forgotten since: which price was first is no longer known.
				FirstPrice::Found(_) | FirstPrice::NotYet | FirstPrice::Forgotten => Ok(None),
			}
		}

		/// A position of `segment` changed at a price published at `published`.
		fn note_repriced(segment: SegmentId, published: Moment) {
			RepricedAt::<T>::mutate(segment, |at| *at = (*at).max(published));
		}

		/// A position of `segment` changed at the oracle's latest price, as liquidations and
		/// deleveraging act: the newest price the segment noted.
		fn note_repriced_now(segment: SegmentId) {
			let published = PriceRounds::<T>::get(segment)
				.rounds
				.last()
				.map_or_else(Self::now_ms, |round| round.published);
			Self::note_repriced(segment, published);
		}

		/// `order`'s trade at `round`, in `segment` (whose market is `info`, as stored).
		fn fill_order(
			segment: SegmentId,
			info: SegmentInfo<BlockNumberFor<T>>,
			who: &T::AccountId,
			order: &Order,
			round: &PriceRound,
		) -> DispatchResult {
			ensure!(!round.price.is_zero(), Error::<T>::PriceUnavailable);
			match order.kind {
				OrderKind::Increase { side, size, margin } => {
					// New risk only at a price the breaker accepted, and not while it rejects the
					// latest one.
					ensure!(round.is_accepted(), Error::<T>::PriceRejected);
					ensure!(
						T::PriceMonitor::verdict(segment) == PriceVerdict::Accepted,
						Error::<T>::PriceRejected
					);
					Self::do_open_position(
						segment,
						info,
						who,
						side,
						size,
						margin,
						round.price,
						order.acceptable_price,
					)
				},
				OrderKind::Decrease { size } => Self::do_decrease_position(
					segment,
					info,
					who,
					Some(size),
					round,
					order.acceptable_price,
				),
				OrderKind::Close => Self::do_decrease_position(
					segment,
					info,
					who,
					None,
					round,
					order.acceptable_price,
				),
			}
		}

		pub(crate) fn do_cancel_order(segment: SegmentId, who: &T::AccountId) -> DispatchResult {
			let order = Orders::<T>::get(segment, who).ok_or(Error::<T>::NoOrder)?;
			// Once a price may fill it, cancelling would be an option on that price; an ended
			// market fills nothing.
			ensure!(
				Self::now_ms() < order.fills_from || !Markets::<T>::get(segment).is_live(),
				Error::<T>::OrderCommitted
			);
			Self::end_order(segment, who, &order, FeeTo::Owner)?;
			Self::deposit_event(Event::OrderEnded {
				segment,
				who: who.clone(),
				executor: None,
				reason: OrderEnd::Cancelled,
			});
			Ok(())
		}

		/// End `who`'s `order` in a market that ended: everything escrowed back to `who`.
		fn end_with_market(
			segment: SegmentId,
			who: &T::AccountId,
			order: &Order,
			executor: &T::AccountId,
		) -> DispatchResult {
			Self::end_order(segment, who, order, FeeTo::Owner)?;
			Self::deposit_event(Event::OrderEnded {
				segment,
				who: who.clone(),
				executor: Some(executor.clone()),
				reason: OrderEnd::MarketEnded,
			});
			Ok(())
		}

		/// Remove `who`'s `order`: its margin back to `who`'s free margin, and its execution fee
		/// back to `who` (`FeeTo::Owner`) or held in escrow for [`Pallet::pay_execution_fee`].
		fn end_order(
			segment: SegmentId,
			who: &T::AccountId,
			order: &Order,
			fee: FeeTo<'_, T::AccountId>,
		) -> DispatchResult {
			let margin = match order.kind {
				OrderKind::Increase { margin, .. } => margin,
				OrderKind::Decrease { .. } | OrderKind::Close => 0,
			};
			let refund = match fee {
				FeeTo::Owner => margin.checked_add(order.execution_fee),
				_ => Some(margin),
			}
			.ok_or(ArithmeticError::Overflow)?;
			if refund > 0 {
				T::Silos::release_margin(segment, who, refund)?;
			}
			Orders::<T>::remove(segment, who);
			if order.is_increase() {
				match OrderCount::<T>::get(segment).defensive_saturating_sub(1) {
					0 => OrderCount::<T>::remove(segment),
					left => OrderCount::<T>::insert(segment, left),
				}
			}
			Ok(())
		}

		/// Pay `order`'s escrowed execution fee out of `who`'s locked margin: to an executor, or
		/// to the segment's LPs.
		fn pay_execution_fee(
			segment: SegmentId,
			who: &T::AccountId,
			order: &Order,
			to: FeeTo<'_, T::AccountId>,
		) -> DispatchResult {
			let fee = order.execution_fee;
			let settlement = match to {
				FeeTo::Executor(executor) => Settlement {
					margin: 0,
					pnl: Pnl::Loss(0),
					fee: Fee::ZERO,
					keeper_deposit: fee,
					reward: Some((executor.clone(), 0)),
				},
				FeeTo::Lps => Settlement {
					margin: fee,
					pnl: Pnl::Loss(0),
					fee: Fee { to_lps: fee, to_insurance: 0 },
					keeper_deposit: 0,
					reward: None,
				},
				FeeTo::Owner | FeeTo::Held => return Ok(()),
			};
			T::Silos::settle(segment, who, settlement).map(|_| ())
		}

		pub(crate) fn do_add_margin(
			segment: SegmentId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			// A position exists only in an existing segment: no need to read the segment.
			let mut position = Self::position(segment, who)?;
			Self::ensure_live(segment)?;
			Self::ensure_no_increase_pending(segment, who)?;
			position.margin =
				position.margin.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
			T::Silos::lock_margin(segment, who, amount, Fee::ZERO)?;
			Positions::<T>::insert(segment, who, position);
			Self::deposit_event(Event::MarginAdded { segment, who: who.clone(), amount });
			Ok(())
		}

		pub(crate) fn do_remove_margin(
			segment: SegmentId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let mut info = Self::segment(segment)?;
			let mut position = Self::position(segment, who)?;
			Self::ensure_live(segment)?;
			Self::ensure_no_increase_pending(segment, who)?;
			Self::ensure_new_risk_allowed(segment)?;
			let price = Self::accepted_price(segment, &info)?;
			Self::accrue(&mut info, T::Silos::pool_liquidity(segment))?;
			position.margin =
				position.margin.checked_sub(amount).ok_or(Error::<T>::InsufficientMargin)?;
			Self::ensure_initial_margin(&info, &position, price)?;
			T::Silos::release_margin(segment, who, amount)?;
			Positions::<T>::insert(segment, who, position);
			Self::deposit_event(Event::MarginRemoved { segment, who: who.clone(), amount });
			Ok(())
		}

		pub(crate) fn do_liquidate(
			segment: SegmentId,
			who: &T::AccountId,
			liquidator: &T::AccountId,
		) -> DispatchResult {
			let mut info = Self::segment(segment)?;
			let position = Self::position(segment, who)?;
			// A settling market settles every position at its one price instead.
			Self::ensure_live(segment)?;
			let pool = T::Silos::pool_liquidity(segment);
			Self::accrue(&mut info, pool)?;
			let (mark, price) = Self::liquidation_prices(segment, &info, &position)?;
			let health = Self::health_at(&info, &position, mark)?;
			ensure!(health.below_maintenance(), Error::<T>::NotLiquidatable);
			let fee = info.risk.liquidation_fee.mul_floor(health.value);
			let (_, _, _, outcome) = Self::settle_part(
				segment,
				&info,
				who,
				&position,
				position.size,
				price,
				pool,
				Fee::ZERO,
				Some((liquidator.clone(), fee)),
			)?;
			Self::tally(&mut info, &position, false)?;
			Segments::<T>::insert(segment, info);
			Self::store_position(segment, who, &position, None);
			Self::note_repriced_now(segment);
			Self::deposit_event(Event::PositionLiquidated {
				segment,
				who: who.clone(),
				liquidator: liquidator.clone(),
				size: position.size,
				price,
				fee: outcome.reward_paid,
				bad_debt: outcome.bad_debt,
			});
			Ok(())
		}

		pub(crate) fn do_auto_deleverage(segment: SegmentId, who: &T::AccountId) -> DispatchResult {
			let mut info = Self::segment(segment)?;
			let position = Self::position(segment, who)?;
			Self::ensure_live(segment)?;
			// Deleveraging forces a close on its owner: not at a price the breaker rejected.
			let price = Self::accepted_price(segment, &info)?;
			let pool = T::Silos::pool_liquidity(segment);
			Self::accrue(&mut info, pool)?;
			let params = info.risk.pool;
			let exposure = Self::exposure_at(&info, price)?;
			// GMX's PnL-to-pool factor, per side: the side's pending profit, capped, over the
			// pool's liquidity.
			let side_pnl = match position.side {
				Side::Long => exposure.long_pnl,
				Side::Short => exposure.short_pnl,
			};
			let uncapped = side_pnl.max(0).unsigned_abs();
			let capped = uncapped.min(params.max_pnl_factor.mul_floor(pool));
			ensure!(
				capped > 0 && capped > params.adl_trigger.mul_floor(pool),
				Error::<T>::AdlNotTriggered
			);
			let head = AdlQueue::<T>::iter_key_prefix((segment, position.side)).next();
			let rank = Self::adl_rank(position.side, position.entry_price);
			ensure!(head.is_some_and(|(first, _)| first == rank), Error::<T>::NotFirstInAdlQueue);
			let equity = Self::equity_at(&info, &position, price)?;
			let margin = i128::try_from(position.margin).map_err(|_| ArithmeticError::Overflow)?;
			let profit = equity.checked_sub(margin).ok_or(ArithmeticError::Overflow)?;
			ensure!(profit > 0, Error::<T>::NotInProfit);
			// Realizing `r` of profit takes it out of the side's pending profit, and out of the
			// pool what the close pays: all of it while the side's profit P is within the cap
			// (c * L), the share c * L / P of it above. The ratio (P - r) / (L - r * k), with
			// k = min(P, c * L) / P, is the floor f at r = (P - f * L) / (1 - f * k).
			let excess = uncapped.saturating_sub(params.adl_floor.mul_floor(pool));
			let floor_of_paid = params.adl_floor.mul_floor(capped);
			let target = sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
				excess,
				uncapped,
				uncapped.checked_sub(floor_of_paid).ok_or(ArithmeticError::Underflow)?,
				Rounding::Up,
			)
			.ok_or(ArithmeticError::Overflow)?;
			let part = math::adl_part(
				position.size,
				profit.unsigned_abs(),
				target,
				info.risk.min_position_size,
			)
			.ok_or(ArithmeticError::Overflow)?;

			let (pnl, margin, _, outcome) = Self::settle_part(
				segment,
				&info,
				who,
				&position,
				part,
				price,
				pool,
				Fee::ZERO,
				None,
			)?;
			let left = Self::shrink(&mut info, &position, part, margin)?;
			Segments::<T>::insert(segment, info);
			Self::store_position(segment, who, &position, left);
			Self::note_repriced_now(segment);
			Self::deposit_event(Event::PositionAutoDeleveraged {
				segment,
				who: who.clone(),
				size: part,
				price,
				pnl,
				returned: outcome.returned,
			});
			Ok(())
		}
	}

	/// Ending a market: settling it, its positions, and delisting it.
	impl<T: Config> Pallet<T> {
		/// Nothing new in a market that is settling or delisted.
		fn ensure_live(segment: SegmentId) -> Result<(), Error<T>> {
			ensure!(Markets::<T>::get(segment).is_live(), Error::<T>::MarketNotLive);
			Ok(())
		}

		pub(crate) fn do_settle_market(segment: SegmentId) -> DispatchResult {
			let mut info = Self::segment(segment)?;
			Self::ensure_live(segment)?;
			let empty = info.long_oi == 0 && info.short_oi == 0;
			// Not at a reference the breaker's rejected prices pulled along: while it rejects
			// the latest price, the market ends at the last price it accepted (also when the
			// oracle has gone quiet since, and no reset could accept a later one). A market
			// nobody ever priced and nobody holds anything in ends at zero.
			let reference =
				match (T::PriceMonitor::verdict(segment), T::PriceMonitor::reference(segment)) {
					(PriceVerdict::Rejected { last_accepted }, _) => last_accepted,
					(PriceVerdict::Accepted, Some(reference)) => reference,
					(PriceVerdict::Accepted, None) if empty => Price::zero(),
					(PriceVerdict::Accepted, None) => {
						return Err(Error::<T>::NoReferencePrice.into())
					},
				};
			let pool = T::Silos::pool_liquidity(segment);
			// What positions owe in funding and borrowing stops growing with trading.
			Self::accrue(&mut info, pool)?;
			let price = Self::settlement_price(&info, reference, pool);
			// The market follows its oracle no more: no round fills an order, no update reaches
			// its breaker, and the feed has room for another segment.
			let mut listed = SegmentsByOracle::<T>::get(&info.oracle_key);
			listed.retain(|s| *s != segment);
			if listed.is_empty() {
				SegmentsByOracle::<T>::remove(&info.oracle_key);
			} else {
				SegmentsByOracle::<T>::insert(&info.oracle_key, listed);
			}
			PriceRounds::<T>::remove(segment);
			T::PriceMonitor::market_ended(segment);
			let book = SettlementBook {
				floor: pool.saturating_sub(info.risk.pool.max_pnl_factor.mul_floor(pool)),
				claims: 0,
				payout: None,
			};
			Segments::<T>::insert(segment, info);
			Markets::<T>::insert(segment, MarketStatus::Settling { price });
			Self::deposit_event(Event::MarketSettling { segment, price, reference });
			if empty {
				Self::delist(segment, price, book)
			} else {
				Settlements::<T>::insert(segment, book);
				Ok(())
			}
		}

		/// The price a market whose breaker's reference price is `reference` settles at:
		/// `reference` itself if the pool (of liquidity `pool`) pays every winner there in full,
		/// that is if each side's pending profit, and both sides' together, are within the
		/// segment's max PnL factor of the pool (funding and borrowing included, as
		/// [`Pallet::exposure_at`] counts them); otherwise the nearest price at which they are,
		/// as Drift bounds its expiry price. Where no price does that (both sides far in
		/// profit), `reference`: the winners then share what the pool pays
		/// ([`SettlementBook::payout`]).
		pub fn settlement_price(
			info: &SegmentInfo<BlockNumberFor<T>>,
			reference: Price,
			pool: Balance,
		) -> Price {
			use core::cmp::Ordering;
			let limit =
				info.risk.pool.max_pnl_factor.mul_floor(pool).min(i128::MAX as u128) as i128;
			// Which limits a price keeps: the longs', the shorts' and the net. A price at which
			// the exposure overflows keeps none.
			let within = |price: Price| {
				Self::exposure_at(info, price).map_or((false, false, false), |e| {
					let net = e.long_pnl.saturating_add(e.short_pnl);
					(e.long_pnl <= limit, e.short_pnl <= limit, net <= limit)
				})
			};
			// The traders' net profit rises with the price when the longs hold more units.
			let slope = info.longs.units.cmp(&info.shorts.units);
			let (longs, shorts, net) = within(reference);
			if longs && shorts && net {
				return reference;
			}
			// A lower price relaxes the longs' limit, and the net one if it rises with the
			// price; a higher price the shorts' (and the net one if it falls).
			let down = match (longs, shorts, slope) {
				(false, true, _) | (true, true, Ordering::Greater) => true,
				(true, false, _) | (true, true, Ordering::Less) => false,
				_ => return reference,
			};
			let relaxed = |price: Price| {
				let (longs, shorts, net) = within(price);
				let net_relaxes = slope == if down { Ordering::Greater } else { Ordering::Less };
				(if down { longs } else { shorts }) && (net || !net_relaxes)
			};
			match math::nearest(reference, down, relaxed) {
				Some(price) if within(price) == (true, true, true) => price,
				_ => reference,
			}
		}

		pub(crate) fn do_settle_positions(
			segment: SegmentId,
			settler: &T::AccountId,
			accounts: &[T::AccountId],
		) -> DispatchResult {
			let mut info = Self::segment(segment)?;
			let market = Markets::<T>::get(segment);
			let price = match market {
				MarketStatus::Live => return Err(Error::<T>::MarketLive.into()),
				MarketStatus::Settling { price } | MarketStatus::Delisted { price } => price,
			};
			let kept = Settlements::<T>::get(segment);
			let mut book = kept.unwrap_or_default();
			let mut settled = 0u32;
			let mut first_error = None;
			for who in accounts {
				// One account that cannot be settled does not hold up the others.
				let attempt = frame_support::storage::with_storage_layer(|| {
					let (mut info, mut book) = (info.clone(), book);
					let done = Self::settle_account(
						segment, &mut info, &mut book, market, price, who, settler,
					)?;
					Ok::<_, DispatchError>((info, book, done))
				});
				match attempt {
					Ok((after, book_after, done)) => {
						(info, book) = (after, book_after);
						settled += u32::from(done);
					},
					Err(error) => {
						first_error.get_or_insert(error);
						Self::deposit_event(Event::SettlementFailed {
							segment,
							who: who.clone(),
							error,
						})
					},
				}
			}
			// A batch that settled nothing fails: with the first account's error if one failed.
			if settled == 0 {
				return Err(first_error.unwrap_or_else(|| Error::<T>::NothingToSettle.into()));
			}
			let empty = info.long_oi == 0 && info.short_oi == 0;
			Segments::<T>::insert(segment, info);
			if empty && matches!(market, MarketStatus::Settling { .. }) {
				return Self::delist(segment, price, book);
			}
			if kept.is_some() {
				Self::store_book(segment, book);
			}
			Ok(())
		}

		/// Settle what `who` holds in `segment`'s ended `market` (whose settlement price is
		/// `price`): its pending order ends with everything escrowed back; while settling, its
		/// position closes at `price` (a loss paid now, a profit kept as a claim); once
		/// delisted, its claim is paid at the market's payout. Whether there was anything.
		#[allow(clippy::too_many_arguments)]
		fn settle_account(
			segment: SegmentId,
			info: &mut SegmentInfo<BlockNumberFor<T>>,
			book: &mut SettlementBook,
			market: MarketStatus,
			price: Price,
			who: &T::AccountId,
			settler: &T::AccountId,
		) -> Result<bool, DispatchError> {
			let mut done = false;
			if let Some(order) = Orders::<T>::get(segment, who) {
				Self::end_with_market(segment, who, &order, settler)?;
				done = true;
			}
			let delisted = matches!(market, MarketStatus::Delisted { .. });
			if let Some(claim) = delisted.then(|| Claims::<T>::take(segment, who)).flatten() {
				// A claim lives only in a book (`try_state`), fixed at delisting.
				let payout = book.payout.ok_or(Error::<T>::NothingToSettle)?;
				let paid = payout.mul_floor(claim);
				book.claims = book.claims.checked_sub(claim).ok_or(ArithmeticError::Underflow)?;
				let settlement = Settlement {
					margin: 0,
					pnl: Pnl::Profit(paid),
					fee: Fee::ZERO,
					keeper_deposit: 0,
					reward: None,
				};
				let paid = T::Silos::settle(segment, who, settlement)?.returned;
				Self::deposit_event(Event::ClaimPaid { segment, who: who.clone(), claim, paid });
				return Ok(true);
			}
			let Some(position) = Positions::<T>::get(segment, who) else { return Ok(done) };
			let (net, _) = Self::net_pnl(info, &position, position.size, price)?;
			// A winner is paid once every loss is in, at one payout for all winners: what it is
			// paid never depends on who settles first.
			let claim = if net > 0 { net.unsigned_abs() } else { 0 };
			let settlement = Settlement {
				margin: position.margin,
				pnl: if net > 0 { Pnl::Profit(0) } else { math::to_pnl(net) },
				fee: Fee::ZERO,
				keeper_deposit: position.keeper_deposit,
				reward: (who != settler).then(|| (settler.clone(), 0)),
			};
			let outcome = T::Silos::settle(segment, who, settlement)?;
			if claim > 0 {
				book.claims = book.claims.checked_add(claim).ok_or(ArithmeticError::Overflow)?;
				Claims::<T>::insert(segment, who, claim);
			}
			Self::tally(info, &position, false)?;
			Self::store_position(segment, who, &position, None);
			Self::deposit_event(Event::PositionSettled {
				segment,
				who: who.clone(),
				settler: settler.clone(),
				size: position.size,
				price,
				pnl: math::to_pnl(net),
				returned: outcome.returned,
				bad_debt: outcome.bad_debt,
			});
			Ok(true)
		}

		/// The market's last position is settled, at `price`: every loss is in, so what the
		/// pool pays its winners is known. It pays their claims in full if it holds that much
		/// above its `floor`, and otherwise the same share of each.
		fn delist(segment: SegmentId, price: Price, mut book: SettlementBook) -> DispatchResult {
			let payable = T::Silos::pool_liquidity(segment).saturating_sub(book.floor);
			let payout = if book.claims <= payable {
				Perquintill::one()
			} else {
				Perquintill::from_rational_with_rounding(payable, book.claims, Rounding::Down)
					.map_err(|_| ArithmeticError::Overflow)?
			};
			book.payout = Some(payout);
			Markets::<T>::insert(segment, MarketStatus::Delisted { price });
			OrderSettings::<T>::remove(segment);
			Self::store_book(segment, book);
			Self::deposit_event(Event::MarketDelisted { segment, price, payout });
			Ok(())
		}

		/// Keep `book` while it holds claims or its market settles; a delisted market whose
		/// claims are all paid needs it no more.
		fn store_book(segment: SegmentId, book: SettlementBook) {
			if book.payout.is_some() && book.claims == 0 {
				Settlements::<T>::remove(segment);
			} else {
				Settlements::<T>::insert(segment, book);
			}
		}

		/// What `part` of `p` realizes at `price`: its price PnL less the funding and
		/// borrowing it owes to the segment's indices; and that borrowing.
		fn net_pnl(
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
			part: Balance,
			price: Price,
		) -> Result<(i128, Balance), DispatchError> {
			let pnl = math::price_pnl(p.side, part, p.entry_price, price)
				.ok_or(ArithmeticError::Overflow)?;
			let (funding, borrowing) = Self::carry(info, p, part)?;
			let net = pnl
				.checked_sub(funding)
				.and_then(|v| v.checked_sub(i128::try_from(borrowing).ok()?))
				.ok_or(ArithmeticError::Overflow)?;
			Ok((net, borrowing))
		}
	}

	/// Read-only views for the runtime API. They never write storage.
	impl<T: Config> Pallet<T> {
		/// Every segment id, ascending.
		pub fn segment_ids() -> Vec<SegmentId> {
			let mut ids: Vec<_> = Segments::<T>::iter_keys().collect();
			ids.sort_unstable();
			ids
		}

		/// Segment `segment`'s figures; `None` for an unknown segment.
		pub fn summary(segment: SegmentId) -> Option<SegmentSummary> {
			let SegmentInfo { silo, oracle_key, long_oi, short_oi, .. } =
				Segments::<T>::get(segment)?;
			Some(SegmentSummary {
				silo,
				oracle_key,
				long_oi,
				short_oi,
				market: Markets::<T>::get(segment),
			})
		}

		/// `who`'s position in `segment`, valued at the segment's oracle price (or at its entry
		/// price when the oracle has none) with funding accrued to this block.
		pub fn position_view(segment: SegmentId, who: &T::AccountId) -> Option<PositionView> {
			let market = Self::market_view(segment)?;
			Self::value_position(&market, &Positions::<T>::get(segment, who)?)
		}

		/// Up to `max` accounts whose positions in `segment` are below maintenance margin at a
		/// fresh price: the ones `liquidate` would accept now. Empty without a fresh price.
		pub fn liquidatable(segment: SegmentId, max: u32) -> Vec<T::AccountId> {
			// An ended market settles positions; it liquidates none.
			if !Markets::<T>::get(segment).is_live() {
				return Vec::new();
			}
			let Some(market) = Self::market_view(segment).filter(|m| m.fresh) else {
				return Vec::new();
			};
			Positions::<T>::iter_prefix(segment)
				.filter(|(_, p)| Self::value_position(&market, p).is_some_and(|v| v.liquidatable))
				.map(|(who, _)| who)
				.take(max as usize)
				.collect()
		}

		/// A segment as the views value it: funding accrued to this block on a copy (nothing is
		/// stored), the oracle read once.
		fn market_view(segment: SegmentId) -> Option<MarketView<BlockNumberFor<T>>> {
			let mut info = Segments::<T>::get(segment)?;
			// An ended market's positions owe nothing more, and are worth what they settle at.
			if let MarketStatus::Settling { price } = Markets::<T>::get(segment) {
				return Some(MarketView { info, mark: Some(price), fresh: true });
			}
			Self::accrue(&mut info, T::Silos::pool_liquidity(segment)).ok()?;
			let point = T::Prices::price(&info.oracle_key);
			let fresh = Self::check_fresh(&info, point).is_ok();
			// While the breaker rejects the oracle's price, positions are marked (and
			// liquidated) at the last price it accepted.
			let mark = match T::PriceMonitor::verdict(segment) {
				PriceVerdict::Accepted => point.map(|p| p.price),
				PriceVerdict::Rejected { last_accepted } => Some(last_accepted),
			}
			.filter(|price| !price.is_zero());
			Some(MarketView { info, mark, fresh })
		}

		/// One position's view in `market`, by the same rules `liquidate` applies.
		fn value_position(
			market: &MarketView<BlockNumberFor<T>>,
			p: &Position,
		) -> Option<PositionView> {
			let MarketView { info, mark, fresh } = market;
			let price = mark.unwrap_or(p.entry_price);
			let owed = Self::owed(info, p).ok()?;
			let health = Self::health_at(info, p, price).ok()?;
			let equity = health.equity;
			let margin_ratio = i128::try_from(health.value)
				.ok()
				.filter(|v| *v > 0)
				.and_then(|v| FixedI128::checked_from_rational(equity, v));
			Some(PositionView {
				side: p.side,
				size: p.size,
				entry_price: p.entry_price,
				margin: p.margin,
				mark_price: *mark,
				unrealized_pnl: equity.checked_sub(i128::try_from(p.margin).ok()?)?,
				equity,
				margin_ratio,
				maintenance_margin: health.maintenance,
				liquidation_price: math::liquidation_price(
					p.side,
					p.size,
					p.margin,
					p.entry_price,
					owed,
					info.risk.maintenance_margin,
				),
				liquidatable: *fresh && health.below_maintenance(),
			})
		}
	}

	/// The segment's side of its pool, for the runtime API. Reads only.
	impl<T: Config> Pallet<T> {
		/// Segment `segment`'s pool figures: its exposure at the oracle price (`None` without a
		/// fresh price while it has open interest), its ADL bounds, each side's borrowing rate,
		/// and the first `max` entries of each side's ADL queue. `None` for an unknown segment.
		pub fn pool_view(segment: SegmentId, max: u32) -> Option<SegmentPool<T::AccountId>> {
			let mut info = Segments::<T>::get(segment)?;
			let pool = T::Silos::pool_liquidity(segment);
			let exposure = match Markets::<T>::get(segment) {
				// At the settlement price, funding stopped.
				MarketStatus::Settling { price } => Self::exposure_at(&info, price).ok(),
				// What the LPs' pool still owes on claims.
				MarketStatus::Delisted { .. } => <Self as PoolRisk>::exposure(segment).ok(),
				MarketStatus::Live => {
					Self::accrue(&mut info, pool).ok()?;
					if info.long_oi == 0 && info.short_oi == 0 {
						Some(PoolExposure::none(Self::factors(&info)))
					} else {
						Self::accepted_price(segment, &info)
							.ok()
							.and_then(|mark| Self::exposure_at(&info, mark).ok())
					}
				},
			};
			let mut queue = Vec::new();
			for side in [Side::Long, Side::Short] {
				queue.extend(
					AdlQueue::<T>::iter_key_prefix((segment, side)).take(max as usize).map(
						|(rank, who)| AdlEntry {
							who,
							side,
							entry_price: Self::rank_price(side, rank),
						},
					),
				);
			}
			Some(SegmentPool {
				silo: info.silo,
				exposure,
				max_pnl_factor: info.risk.pool.max_pnl_factor,
				adl_trigger: info.risk.pool.adl_trigger,
				adl_floor: info.risk.pool.adl_floor,
				borrowing_rate_long: Self::borrowing_rate(&info, Side::Long, pool)
					.unwrap_or_default(),
				borrowing_rate_short: Self::borrowing_rate(&info, Side::Short, pool)
					.unwrap_or_default(),
				adl_queue: queue,
			})
		}
	}

	impl<T: Config> PoolRisk for Pallet<T> {
		fn exposure(segment: SegmentId) -> Result<PoolExposure, DispatchError> {
			Self::exposure_in(segment, Markets::<T>::get(segment), Segments::<T>::get(segment))
		}

		fn market(segment: SegmentId) -> MarketStatus {
			Markets::<T>::get(segment)
		}

		fn lp_order_terms(segment: SegmentId) -> LpOrderTerms {
			LpOrderTerms {
				timing: Self::timing(segment),
				min_fee: Segments::<T>::get(segment)
					.map_or(0, |info| info.risk.pool.keeper_deposit),
			}
		}

		fn exposure_for_order(
			segment: SegmentId,
			timing: &OrderTiming,
		) -> Result<OrderPricing, DispatchError> {
			let now = Self::now_ms();
			// Nothing fills before its delay is over.
			if now < timing.fills_from {
				return Ok(OrderPricing::NotReady);
			}
			let market = Markets::<T>::get(segment);
			ensure!(!matches!(market, MarketStatus::Settling { .. }), Error::<T>::MarketSettling);
			let stored = Segments::<T>::get(segment);
			// A delisted pool is worth its liquidity less the claims it still pays, and a pool
			// without open interest its liquidity, at any price: unless a position moved since
			// the request (closing the last one at a later price must not choose between the
			// two values for the order). Otherwise the order's own price values it.
			let by_price = match (&market, &stored) {
				(MarketStatus::Live, Some(info)) => {
					let repriced_at = RepricedAt::<T>::get(segment);
					let idle = info.long_oi == 0
						&& info.short_oi == 0
						&& repriced_at <= timing.requested_at;
					(!idle).then(|| (info.clone(), repriced_at))
				},
				_ => None,
			};
			let Some((mut info, repriced_at)) = by_price else {
				return Ok(if now <= timing.expires_at {
					OrderPricing::Priced(Self::exposure_in(segment, market, stored)?)
				} else {
					OrderPricing::Expired
				});
			};
			let round = match Self::order_round(segment, &info, timing, now) {
				Err(Error::<T>::OrderNotReady) => return Ok(OrderPricing::NotReady),
				Err(error) => return Err(error.into()),
				Ok(None) => return Ok(OrderPricing::Expired),
				Ok(Some(round)) => round,
			};
			ensure!(!round.price.is_zero(), Error::<T>::PriceUnavailable);
			// LPs come and go only at a price the breaker accepted, as positions open; while it
			// rejects the latest one, the order waits (its price is fixed: waiting chooses
			// nothing), until its window is over.
			ensure!(round.is_accepted(), Error::<T>::PriceRejected);
			if T::PriceMonitor::verdict(segment) != PriceVerdict::Accepted {
				return Ok(OrderPricing::NotReady);
			}
			ensure!(repriced_at <= round.published, Error::<T>::PriceSuperseded);
			Self::accrue(&mut info, T::Silos::pool_liquidity(segment))?;
			let exposure = Self::exposure_at(&info, round.price)?;
			// As for `exposure`: the blocks so far are charged at the utilization they had.
			Segments::<T>::insert(segment, info);
			Ok(OrderPricing::Priced(exposure))
		}
	}

	impl<T: Config> Pallet<T> {
		/// [`PoolRisk::exposure`] of `segment`, whose market is `market` and whose stored
		/// segment is `stored` (as read by the caller).
		fn exposure_in(
			segment: SegmentId,
			market: MarketStatus,
			stored: Option<SegmentInfo<BlockNumberFor<T>>>,
		) -> Result<PoolExposure, DispatchError> {
			match market {
				MarketStatus::Live => {},
				MarketStatus::Settling { .. } => return Err(Error::<T>::MarketSettling.into()),
				// Every position is settled: the pool owes what it pays of the claims not paid
				// yet, and nothing else. (It pays out no more than that, so no factor caps it
				// and nothing is reserved.)
				MarketStatus::Delisted { .. } => {
					let owed = Settlements::<T>::get(segment)
						.map_or(0, |book| book.payout.unwrap_or_default().mul_ceil(book.claims));
					let all = Permill::one();
					return Ok(PoolExposure {
						long_pnl: i128::try_from(owed).map_err(|_| ArithmeticError::Overflow)?,
						short_pnl: 0,
						reserved: 0,
						factors: PoolFactors {
							max_pnl_deposits: all,
							max_pnl_withdrawals: all,
							reserve: all,
						},
					});
				},
			}
			let Some(mut info) = stored else {
				// A silo whose segment is not created yet backs no position.
				let all = Permill::one();
				return Ok(PoolExposure::none(PoolFactors {
					max_pnl_deposits: all,
					max_pnl_withdrawals: all,
					reserve: all,
				}));
			};
			if info.long_oi == 0 && info.short_oi == 0 {
				return Ok(PoolExposure::none(Self::factors(&info)));
			}
			let mark = Self::accepted_price(segment, &info)?;
			Self::accrue(&mut info, T::Silos::pool_liquidity(segment))?;
			let exposure = Self::exposure_at(&info, mark)?;
			// The blocks so far are charged at the utilization they had: the silo changes its
			// liquidity next.
			Segments::<T>::insert(segment, info);
			Ok(exposure)
		}
	}

	/// A position valued at one price.
	struct PositionHealth {
		/// What it is worth at the price.
		value: Balance,
		/// The equity it must keep: the maintenance margin of `value`, rounded up.
		maintenance: Balance,
		/// Margin plus PnL less funding owed.
		equity: i128,
	}

	impl PositionHealth {
		/// Whether `liquidate` accepts it. A maintenance beyond `i128` is beyond any equity.
		fn below_maintenance(&self) -> bool {
			i128::try_from(self.maintenance).map_or(true, |m| self.equity < m)
		}
	}

	/// A segment, its mark and whether that mark is fresh, as the views see them.
	struct MarketView<BlockNumber> {
		info: SegmentInfo<BlockNumber>,
		mark: Option<Price>,
		fresh: bool,
	}

	impl<T: Config> Contains<SegmentId> for Pallet<T> {
		fn contains(segment: &SegmentId) -> bool {
			Segments::<T>::contains_key(segment)
		}
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	impl<T: Config> Pallet<T> {
		/// Each side's open interest is the sum of its positions; every position has size and
		/// belongs to a segment; the oracle index lists exactly the segments on each key.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (segment, info) in Segments::<T>::iter() {
				// Every position tallied into an empty copy must give the stored sums.
				let mut sums = info.clone();
				(sums.long_oi, sums.short_oi) = (0, 0);
				sums.longs =
					SideBook { borrow_index: info.longs.borrow_index, ..Default::default() };
				sums.shorts =
					SideBook { borrow_index: info.shorts.borrow_index, ..Default::default() };
				let mut positions = 0usize;
				for (who, p) in Positions::<T>::iter_prefix(segment) {
					ensure!(p.size > 0, "empty position kept in storage");
					Self::tally(&mut sums, &p, true).map_err(|_| "side sums overflow")?;
					ensure!(
						AdlQueue::<T>::contains_key((
							segment,
							p.side,
							Self::adl_rank(p.side, p.entry_price),
							&who
						)),
						"position missing from its ADL queue"
					);
					positions += 1;
				}
				ensure!(sums.long_oi == info.long_oi, "long open interest does not add up");
				ensure!(sums.short_oi == info.short_oi, "short open interest does not add up");
				ensure!(sums.longs == info.longs, "long side sums do not add up");
				ensure!(sums.shorts == info.shorts, "short side sums do not add up");
				ensure!(
					AdlQueue::<T>::iter_key_prefix((segment,)).count() == positions,
					"ADL queue holds entries without positions"
				);
				let market = Markets::<T>::get(segment);
				ensure!(
					SegmentsByOracle::<T>::get(&info.oracle_key).contains(&segment)
						== market.is_live(),
					"the oracle index does not list exactly the live segments"
				);
				if let MarketStatus::Delisted { .. } = market {
					ensure!(positions == 0, "positions in a delisted market");
				}
				ensure!(info.risk.is_valid(), "stored risk parameters are invalid");
			}
			for (segment, _, _) in Positions::<T>::iter() {
				ensure!(Segments::<T>::contains_key(segment), "position in an unknown segment");
			}
			let now = Self::now_ms();
			for (segment, count) in OrderCount::<T>::iter() {
				ensure!(count > 0, "an order count of zero kept in storage");
				ensure!(
					Orders::<T>::iter_prefix_values(segment).filter(Order::is_increase).count()
						== count as usize,
					"order count does not add up"
				);
				ensure!(count <= T::MaxOrdersPerSegment::get(), "more orders than allowed");
			}
			for (segment, _, order) in Orders::<T>::iter() {
				ensure!(Segments::<T>::contains_key(segment), "order in an unknown segment");
				ensure!(
					!order.is_increase() || OrderCount::<T>::get(segment) > 0,
					"order not counted"
				);
				ensure!(
					order.requested_at <= now
						&& order.requested_at <= order.fills_from
						&& order.fills_from <= order.expires_at,
					"order timed out of order"
				);
			}
			for (segment, market) in Markets::<T>::iter() {
				ensure!(Segments::<T>::contains_key(segment), "market of an unknown segment");
				ensure!(!market.is_live(), "a live market kept in storage");
				let book = Settlements::<T>::get(segment);
				match market {
					MarketStatus::Settling { .. } => {
						ensure!(
							book.is_some_and(|b| b.payout.is_none()),
							"a settling market's book"
						)
					},
					_ => ensure!(
						book.is_none_or(|b| b.payout.is_some()),
						"a delisted market's payout"
					),
				}
			}
			for (segment, book) in Settlements::<T>::iter() {
				ensure!(!Markets::<T>::get(segment).is_live(), "claims on a live market");
				let claims = Claims::<T>::iter_prefix_values(segment)
					.try_fold(0u128, |sum, c| sum.checked_add(c))
					.ok_or("claims overflow")?;
				ensure!(claims == book.claims, "claims do not add up");
			}
			for (segment, _, claim) in Claims::<T>::iter() {
				ensure!(claim > 0, "a claim of zero kept in storage");
				ensure!(Settlements::<T>::contains_key(segment), "a claim without its book");
			}
			for (segment, params) in OrderSettings::<T>::iter() {
				ensure!(Segments::<T>::contains_key(segment), "order timing of an unknown segment");
				ensure!(params.is_valid(), "stored order timing is invalid");
			}
			for (_, recent) in PriceRounds::<T>::iter() {
				for pair in recent.rounds.windows(2) {
					ensure!(
						pair[0].published < pair[1].published
							&& pair[0].timestamp <= pair[1].timestamp,
						"remembered prices out of order"
					);
				}
				ensure!(
					recent.rounds.first().is_none_or(|r| recent.forgotten <= r.timestamp),
					"a forgotten price newer than one remembered"
				);
			}
			for (key, segments) in SegmentsByOracle::<T>::iter() {
				for segment in segments {
					ensure!(
						Segments::<T>::get(segment).map(|i| i.oracle_key) == Some(key.clone()),
						"oracle index names the wrong segment"
					);
				}
			}
			Ok(())
		}
	}
}
