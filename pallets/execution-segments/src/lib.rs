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
//! - [`Pallet::create_segment`], [`Pallet::set_risk_params`] (admin origin)
//! - [`Pallet::open_position`], [`Pallet::remove_margin`]: new risk. Refused unless the
//!   segment's breaker says normal, and without a fresh oracle price.
//! - [`Pallet::decrease_position`], [`Pallet::close_position`], [`Pallet::add_margin`],
//!   [`Pallet::liquidate`]: reduce risk, so they keep working while the segment is severed or
//!   recovering, and the silo can stay solvent.
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
		views::PositionView, Balance, MarginLedger, OracleKey, Pnl, Price, PriceFeed, PriceMonitor,
		PricePoint, SegmentHealth, SegmentId, SegmentStatus, Settlement, SettlementOutcome,
		SiloDirectory, SiloId,
	};
	use sp_runtime::{traits::Zero, ArithmeticError, SaturatedConversion};
	use sp_runtime::{FixedI128, FixedPointNumber};

	/// The layout of this pallet's storage; [`migrations`] takes a chain from each version to
	/// the next.
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

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
		/// Margin was added behind a position.
		MarginAdded { segment: SegmentId, who: T::AccountId, amount: Balance },
		/// Margin was taken from behind a position back to free margin.
		MarginRemoved { segment: SegmentId, who: T::AccountId, amount: Balance },
		/// A position below maintenance margin was liquidated at `price`; the liquidator earned
		/// `fee`, and `bad_debt` was left for the insurance fund and then the silo's LPs.
		PositionLiquidated {
			segment: SegmentId,
			who: T::AccountId,
			liquidator: T::AccountId,
			size: Balance,
			price: Price,
			fee: Balance,
			bad_debt: Balance,
		},
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
		/// position size above zero.
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
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxSegmentsPerOracle::get() > 0, "MaxSegmentsPerOracle must be above zero");
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
		/// Errors: [`Error::UnknownSegment`], [`Error::InvalidRiskParams`].
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

		/// Open a position of `size` (notional) on `side`, locking `margin` of the caller's free
		/// margin in the segment's silo; on the side already held, increase it.
		///
		/// Origin: signed. Emits [`Event::PositionOpened`] or [`Event::PositionIncreased`].
		/// Errors: [`Error::UnknownSegment`], [`Error::SegmentSevered`], [`Error::ReduceOnly`],
		/// [`Error::PriceUnavailable`], [`Error::StalePrice`], [`Error::ZeroSize`],
		/// [`Error::PositionBelowMinimum`], [`Error::OppositeSideOpen`], [`Error::LeverageTooHigh`],
		/// [`Error::InsufficientMargin`], [`Error::OpenInterestCapExceeded`], and the silo's
		/// `InsufficientFreeMargin`.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::open_position())]
		pub fn open_position(
			origin: OriginFor<T>,
			segment: SegmentId,
			side: Side,
			size: Balance,
			margin: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_open_position(segment, &who, side, size, margin)
		}

		/// Decrease the caller's position by `size` of notional, realizing that part's PnL and
		/// funding and releasing its share of the margin. Works while severed or recovering.
		///
		/// Origin: signed. Emits [`Event::PositionDecreased`] (or [`Event::PositionClosed`] for
		/// the whole size). Errors: [`Error::UnknownSegment`], [`Error::NoPosition`],
		/// [`Error::ZeroSize`],
		/// [`Error::DecreaseExceedsSize`], [`Error::PositionBelowMinimum`],
		/// [`Error::PriceUnavailable`], [`Error::StalePrice`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::decrease_position())]
		pub fn decrease_position(
			origin: OriginFor<T>,
			segment: SegmentId,
			size: Balance,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_decrease_position(segment, &who, Some(size))
		}

		/// Close the caller's whole position. Works while severed or recovering.
		///
		/// Origin: signed. Emits [`Event::PositionClosed`]. Errors: [`Error::UnknownSegment`],
		/// [`Error::NoPosition`], [`Error::PriceUnavailable`], [`Error::StalePrice`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::close_position())]
		pub fn close_position(origin: OriginFor<T>, segment: SegmentId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_decrease_position(segment, &who, None)
		}

		/// Lock `amount` more of the caller's free margin behind their position. Works while
		/// severed or recovering, and without a price.
		///
		/// Origin: signed. Emits [`Event::MarginAdded`]. Errors: [`Error::NoPosition`],
		/// [`Error::ZeroAmount`], and the silo's `InsufficientFreeMargin`.
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
		/// [`Error::NoPosition`], [`Error::ZeroAmount`], [`Error::SegmentSevered`], [`Error::ReduceOnly`],
		/// [`Error::PriceUnavailable`], [`Error::StalePrice`], [`Error::InsufficientMargin`],
		/// [`Error::LeverageTooHigh`].
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

		/// Liquidate `who`'s position, which must be below maintenance margin; the caller earns
		/// the segment's liquidation fee out of what the position has left. Works while severed
		/// or recovering.
		///
		/// Origin: signed (anyone). Emits [`Event::PositionLiquidated`]. Errors:
		/// [`Error::UnknownSegment`], [`Error::NoPosition`], [`Error::NotLiquidatable`], [`Error::PriceUnavailable`],
		/// [`Error::StalePrice`].
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
	}

	impl<T: Config> Pallet<T> {
		/// Tell the breaker of every segment trading on `key` that its oracle published
		/// `price`. The runtime calls this from its oracle's on-new-data hook, and adds
		/// [`WeightInfo::note_price`] to the weight of each value its oracle is fed.
		pub fn note_price(key: &OracleKey, price: Price) {
			for segment in SegmentsByOracle::<T>::get(key) {
				T::PriceMonitor::note_price(segment, price);
			}
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

		/// `point`, if there is one, above zero and no older than `info` allows.
		fn check_fresh(
			info: &SegmentInfo<BlockNumberFor<T>>,
			point: Option<PricePoint>,
		) -> Result<Price, Error<T>> {
			let point = point.ok_or(Error::<T>::PriceUnavailable)?;
			ensure!(!point.price.is_zero(), Error::<T>::PriceUnavailable);
			let now = T::Time::now().as_millis().saturated_into::<u64>();
			ensure!(
				now.saturating_sub(point.timestamp) <= info.risk.max_oracle_age,
				Error::<T>::StalePrice
			);
			Ok(point.price)
		}

		/// Bring the segment's funding index up to this block.
		fn accrue_funding(info: &mut SegmentInfo<BlockNumberFor<T>>) -> DispatchResult {
			let now = frame_system::Pallet::<T>::block_number();
			// Only ever set to a past or the current block; a later one is a broken invariant.
			let blocks =
				now.defensive_saturating_sub(info.funding_updated).saturated_into::<u128>();
			if blocks > 0 {
				let rate = math::funding_rate(info.long_oi, info.short_oi, info.risk.funding_rate)
					.ok_or(ArithmeticError::Overflow)?;
				info.funding_index = math::accrue(info.funding_index, rate, blocks)
					.ok_or(ArithmeticError::Overflow)?;
			}
			info.funding_updated = now;
			Ok(())
		}

		fn side_oi(info: &mut SegmentInfo<BlockNumberFor<T>>, side: Side) -> &mut Balance {
			match side {
				Side::Long => &mut info.long_oi,
				Side::Short => &mut info.short_oi,
			}
		}

		/// A position's equity at `price`, funding owed to the segment's current index
		/// included.
		fn equity_at(
			info: &SegmentInfo<BlockNumberFor<T>>,
			p: &Position,
			price: Price,
		) -> Result<i128, DispatchError> {
			let funding = math::funding_owed(p.side, p.size, p.funding_index, info.funding_index)
				.ok_or(ArithmeticError::Overflow)?;
			Ok(math::equity(p.side, p.size, p.margin, p.entry_price, price, funding)
				.ok_or(ArithmeticError::Overflow)?)
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
				},
			);
			Self::deposit_event(Event::SegmentCreated { segment, silo, oracle_key, risk });
			Ok(())
		}

		pub(crate) fn do_set_risk_params(segment: SegmentId, risk: RiskParams) -> DispatchResult {
			ensure!(risk.is_valid(), Error::<T>::InvalidRiskParams);
			let mut info = Self::segment(segment)?;
			Self::accrue_funding(&mut info)?;
			info.risk = risk;
			Segments::<T>::insert(segment, info);
			Self::deposit_event(Event::RiskParamsSet { segment, risk });
			Ok(())
		}

		pub(crate) fn do_open_position(
			segment: SegmentId,
			who: &T::AccountId,
			side: Side,
			size: Balance,
			margin: Balance,
		) -> DispatchResult {
			ensure!(size > 0, Error::<T>::ZeroSize);
			let mut info = Self::segment(segment)?;
			Self::ensure_new_risk_allowed(segment)?;
			let price = Self::fresh_price(&info)?;
			Self::accrue_funding(&mut info)?;

			let existing = Positions::<T>::get(segment, who);
			let position = match existing {
				Some(p) => {
					ensure!(p.side == side, Error::<T>::OppositeSideOpen);
					Position {
						side,
						size: p.size.checked_add(size).ok_or(ArithmeticError::Overflow)?,
						entry_price: math::averaged_entry(p.size, p.entry_price, size, price)
							.ok_or(ArithmeticError::Overflow)?,
						margin: p.margin.checked_add(margin).ok_or(ArithmeticError::Overflow)?,
						funding_index: math::averaged_index(
							p.size,
							p.funding_index,
							size,
							info.funding_index,
						)
						.ok_or(ArithmeticError::Overflow)?,
					}
				},
				None => Position {
					side,
					size,
					entry_price: price,
					margin,
					funding_index: info.funding_index,
				},
			};
			ensure!(position.size >= info.risk.min_position_size, Error::<T>::PositionBelowMinimum);
			Self::ensure_initial_margin(&info, &position, price)?;

			let pool = T::Silos::pool_liquidity(segment);
			let cap = info.risk.max_oi_share.mul_floor(pool).min(info.risk.max_open_interest);
			let oi = Self::side_oi(&mut info, side);
			*oi = oi.checked_add(size).ok_or(ArithmeticError::Overflow)?;
			ensure!(*oi <= cap, Error::<T>::OpenInterestCapExceeded);

			if margin > 0 {
				T::Silos::lock_margin(segment, who, margin)?;
			}
			Segments::<T>::insert(segment, info);
			Positions::<T>::insert(segment, who, position);
			let who = who.clone();
			Self::deposit_event(match existing {
				None => {
					Event::PositionOpened { segment, who, side, size, margin, entry_price: price }
				},
				Some(_) => Event::PositionIncreased {
					segment,
					who,
					added_size: size,
					added_margin: margin,
					price,
					size: position.size,
					entry_price: position.entry_price,
				},
			});
			Ok(())
		}

		/// Settle `part` of `position`'s size at `price` inside the silo: its share of the
		/// margin, its PnL and its funding, and `reward` for a liquidator.
		fn settle_part(
			segment: SegmentId,
			info: &SegmentInfo<BlockNumberFor<T>>,
			who: &T::AccountId,
			position: &Position,
			part: Balance,
			price: Price,
			reward: Option<(T::AccountId, Balance)>,
		) -> Result<(Pnl, Balance, SettlementOutcome), DispatchError> {
			let margin = if part == position.size {
				position.margin
			} else {
				sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
					position.margin,
					part,
					position.size,
					sp_runtime::Rounding::Down,
				)
				.ok_or(ArithmeticError::Overflow)?
			};
			let pnl = math::price_pnl(position.side, part, position.entry_price, price)
				.ok_or(ArithmeticError::Overflow)?;
			let funding =
				math::funding_owed(position.side, part, position.funding_index, info.funding_index)
					.ok_or(ArithmeticError::Overflow)?;
			let pnl = math::to_pnl(pnl.checked_sub(funding).ok_or(ArithmeticError::Overflow)?);
			let outcome = T::Silos::settle(segment, who, Settlement { margin, pnl, reward })?;
			Ok((pnl, margin, outcome))
		}

		/// Decrease by `size`, or close when `None`.
		pub(crate) fn do_decrease_position(
			segment: SegmentId,
			who: &T::AccountId,
			size: Option<Balance>,
		) -> DispatchResult {
			let mut info = Self::segment(segment)?;
			let mut position = Self::position(segment, who)?;
			let part = size.unwrap_or(position.size);
			ensure!(part > 0, Error::<T>::ZeroSize);
			ensure!(part <= position.size, Error::<T>::DecreaseExceedsSize);
			let left = position.size - part;
			ensure!(
				left == 0 || left >= info.risk.min_position_size,
				Error::<T>::PositionBelowMinimum
			);
			let price = Self::fresh_price(&info)?;
			Self::accrue_funding(&mut info)?;

			let (pnl, margin, outcome) =
				Self::settle_part(segment, &info, who, &position, part, price, None)?;
			let oi = Self::side_oi(&mut info, position.side);
			*oi = oi.checked_sub(part).ok_or(ArithmeticError::Underflow)?;
			position.size -= part;
			position.margin =
				position.margin.checked_sub(margin).ok_or(ArithmeticError::Underflow)?;
			Segments::<T>::insert(segment, info);
			let who = who.clone();
			let returned = outcome.returned;
			if position.size == 0 {
				Positions::<T>::remove(segment, &who);
				Self::deposit_event(Event::PositionClosed {
					segment,
					who,
					size: part,
					price,
					pnl,
					returned,
				});
			} else {
				Positions::<T>::insert(segment, &who, position);
				Self::deposit_event(Event::PositionDecreased {
					segment,
					who,
					size: part,
					price,
					pnl,
					returned,
				});
			}
			Ok(())
		}

		pub(crate) fn do_add_margin(
			segment: SegmentId,
			who: &T::AccountId,
			amount: Balance,
		) -> DispatchResult {
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			// A position exists only in an existing segment: no need to read the segment.
			let mut position = Self::position(segment, who)?;
			position.margin =
				position.margin.checked_add(amount).ok_or(ArithmeticError::Overflow)?;
			T::Silos::lock_margin(segment, who, amount)?;
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
			Self::ensure_new_risk_allowed(segment)?;
			let price = Self::fresh_price(&info)?;
			Self::accrue_funding(&mut info)?;
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
			let price = Self::fresh_price(&info)?;
			Self::accrue_funding(&mut info)?;
			let health = Self::health_at(&info, &position, price)?;
			ensure!(health.below_maintenance(), Error::<T>::NotLiquidatable);
			let fee = info.risk.liquidation_fee.mul_floor(health.value);
			let (_, _, outcome) = Self::settle_part(
				segment,
				&info,
				who,
				&position,
				position.size,
				price,
				Some((liquidator.clone(), fee)),
			)?;
			let oi = Self::side_oi(&mut info, position.side);
			*oi = oi.checked_sub(position.size).ok_or(ArithmeticError::Underflow)?;
			Segments::<T>::insert(segment, info);
			Positions::<T>::remove(segment, who);
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
			Some(SegmentSummary { silo, oracle_key, long_oi, short_oi })
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
			Self::accrue_funding(&mut info).ok()?;
			let point = T::Prices::price(&info.oracle_key);
			let fresh = Self::check_fresh(&info, point).is_ok();
			let mark = point.map(|p| p.price).filter(|price| !price.is_zero());
			Some(MarketView { info, mark, fresh })
		}

		/// One position's view in `market`, by the same rules `liquidate` applies.
		fn value_position(
			market: &MarketView<BlockNumberFor<T>>,
			p: &Position,
		) -> Option<PositionView> {
			let MarketView { info, mark, fresh } = market;
			let price = mark.unwrap_or(p.entry_price);
			let funding = math::funding_owed(p.side, p.size, p.funding_index, info.funding_index)?;
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
					funding,
					info.risk.maintenance_margin,
				),
				liquidatable: *fresh && health.below_maintenance(),
			})
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
				let (mut long, mut short) = (0u128, 0u128);
				for (_, p) in Positions::<T>::iter_prefix(segment) {
					ensure!(p.size > 0, "empty position kept in storage");
					match p.side {
						Side::Long => long = long.saturating_add(p.size),
						Side::Short => short = short.saturating_add(p.size),
					}
				}
				ensure!(long == info.long_oi, "long open interest does not add up");
				ensure!(short == info.short_oi, "short open interest does not add up");
				ensure!(
					SegmentsByOracle::<T>::get(&info.oracle_key).contains(&segment),
					"segment missing from its oracle index"
				);
				ensure!(info.risk.is_valid(), "stored risk parameters are invalid");
			}
			for (segment, _, _) in Positions::<T>::iter() {
				ensure!(Segments::<T>::contains_key(segment), "position in an unknown segment");
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
