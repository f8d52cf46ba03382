//! # Circuit breaker
//!
//! One breaker per execution segment, watching it for the signs of an exploit, a bad oracle or a
//! bad market, and severing that one segment, automatically, inside the call that crosses the
//! line. Other segments never notice.
//!
//! ## States
//!
//! ```text
//!   Normal --(trip: auto or guardian)--> Severed --(cool-down)--> Recovering --(probation)--> Normal
//!      ^                                    |                         |
//!      +-------------(reset: reset origin)--+-------------------------+
//! ```
//!
//! Only trips that clear with time take the cool-down: a price that moved too far, a stale
//! oracle, a burst of net outflow ([`TripReason::clears_with_time`](segment_interface::TripReason::clears_with_time)).
//! Bad debt the insurance fund could not cover, and a guardian's trip, stay severed until the
//! reset origin decides.
//!
//! - **Severed**: the segment takes no new risk, its gateway routes close, LP withdrawals wait.
//!   Closing positions, adding margin and liquidations keep working.
//! - **Recovering**: reduce-only, and the net-outflow limit is halved.
//!
//! Time-based transitions are computed, not scheduled: [`Pallet::state`] answers for the current
//! block, so no hook iterates over segments and no block pays for a transition it did not ask
//! about. A trip is stored (and announced with [`Event::Tripped`]) by the call that caused it.
//!
//! ## Automatic trips
//!
//! | signal | reported by | line |
//! |---|---|---|
//! | outflow beyond the takers' principal over `outflow_window` | collateral silos ([`SiloMonitor`](segment_interface::SiloMonitor)) | `max_net_outflow` of the silo's value; the withdrawal that would cross it is not paid |
//! | oracle move between two updates | execution segments ([`PriceMonitor`](segment_interface::PriceMonitor)) | `max_price_move` |
//! | oracle price away from the reference price | execution segments ([`PriceMonitor`](segment_interface::PriceMonitor)) | `max_price_deviation` |
//! | stale oracle | time | no price for `stale_after` blocks |
//! | bad debt beyond the insurance fund | collateral silos ([`SiloMonitor`](segment_interface::SiloMonitor)) | any |
//!
//! ## Prices
//!
//! Each update is judged twice: against the last price (`max_price_move`), and against the
//! breaker's own reference price (`max_price_deviation`), an exponential average over
//! `reference_window` blocks in which each price counts for the blocks it stood
//! ([`Breaker::reference_at`]). Many small moves in a short time (a walk) pass the first test
//! and fail the second; a trend slower than the window passes both. Prices fed within one block
//! do not move the reference.
//!
//! A price that trips the breaker (or would, were it not severed already) is *rejected*
//! ([`PriceVerdict`](segment_interface::PriceVerdict), asked through
//! [`PriceMonitor::verdict`](segment_interface::PriceMonitor::verdict)): it moves no value
//! until the breaker accepts a later price, or the reset origin resets the segment. Execution
//! segments fill no trade and price no pool share at a rejected price, liquidate and
//! deleverage at the last accepted one, and close positions at whichever of the two is worse
//! for the trader. A rejected price still moves the reference for the blocks it stands, so a
//! price that holds becomes, in time, the market's.
//!
//! ## Outflow
//!
//! Measured per account ([`AccountFlow`], which the silo keeps in the account's entry beside
//! its margin and shares, so a withdrawal writes one entry of the account and one of the
//! breaker): what an account takes back of its principal (what it brought in) never counts; what it takes beyond it counts against the segment's line and the
//! account's share of it ([`Thresholds::max_account_share`]). The line is a share of its base
//! ([`LineBase`]): the lower of the silo's value now and its value averaged over the window
//! (value times blocks, observed at every deposit and withdrawal), so value counts for
//! the blocks it stays. The silo asks before it pays
//! ([`SiloMonitor::note_outflow`](segment_interface::SiloMonitor::note_outflow)); past the
//! account's share it refuses, past the line it queues the exit and the breaker severs the
//! segment in that call.
//!
//! ## Calls
//!
//! - [`Pallet::set_thresholds`] (admin origin)
//! - [`Pallet::trip`] (guardian origin: tripping needs little authority)
//! - [`Pallet::reset`] (reset origin: resetting needs more; guardians cannot reset)

#![cfg_attr(not(feature = "std"), no_std)]
// Docs cannot drift from the code: a link to an item that is gone fails `cargo doc`.
#![deny(rustdoc::broken_intra_doc_links)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
pub mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::Contains};
	use frame_system::pallet_prelude::*;
	use segment_interface::{
		views::Clearance, AccountFlow, Balance, OutflowVerdict, Price, PriceMonitor, PriceVerdict,
		SegmentHealth, SegmentId, SegmentStatus, SiloMonitor, SiloValue, TripReason,
	};
	use sp_runtime::{traits::Zero, Saturating};

	/// The layout of this pallet's storage; [`migrations`] takes a chain from
	/// each version to the next (see `docs/upgrades.md`).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(4);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// May set a segment's thresholds.
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// May trip a breaker by hand. Lower authority than [`Config::ResetOrigin`].
		type GuardianOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// May reset a tripped breaker. Higher authority: guardians must not pass it.
		type ResetOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The segments this pallet guards (at least every execution segment; a runtime may add
		/// segments whose silo exists before the segment does).
		type Segments: Contains<SegmentId>;
		/// What each segment's silo is worth: the storage migration to version 2 starts each
		/// segment's average value from it (afterwards every deposit and withdrawal reports
		/// it).
		type Silos: SiloValue;
		/// Thresholds of a segment whose admin has not set its own.
		#[pallet::constant]
		type DefaultThresholds: Get<Thresholds<BlockNumberFor<Self>>>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Gives the benchmarks a segment.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: benchmarking::BenchmarkHelper;
	}

	/// Each segment's breaker: state, thresholds and last oracle price, in one item so that
	/// [`SegmentHealth::status`] costs one read.
	// Twox64Concat is safe: segment ids are chosen by the admin, not by users.
	#[pallet::storage]
	pub type Breakers<T: Config> =
		StorageMap<_, Twox64Concat, SegmentId, Breaker<BlockNumberFor<T>>, OptionQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// The segment's breaker tripped: it is severed from now on.
		Tripped { segment: SegmentId, reason: TripReason },
		/// The reset origin returned the segment to normal.
		Reset { segment: SegmentId },
		/// The admin set the segment's thresholds.
		ThresholdsSet { segment: SegmentId, thresholds: Thresholds<BlockNumberFor<T>> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The breaker guards no segment with this id (`Config::Segments` does not contain it:
		/// in the runtime, neither an execution segment nor a silo has it).
		UnknownSegment,
		/// A window, cool-down or probation of zero blocks, or a zero limit: it would trip on
		/// everything or never recover; or a reference window past
		/// [`MAX_REFERENCE_WINDOW`].
		InvalidThresholds,
		/// The segment is already severed for a reason that waits for a reset (bad debt or a
		/// guardian's trip).
		AlreadySevered,
		/// The segment is not tripped, and its breaker accepts the latest price: there is
		/// nothing to reset.
		NotTripped,
		/// The segment's oracle is still stale; it would sever again at once.
		OracleStillStale,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(
				T::DefaultThresholds::get().is_valid(),
				"DefaultThresholds must have non-zero windows and limits"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Set the lines past which `segment`'s breaker trips, and how it recovers.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::ThresholdsSet`].
		/// Errors: [`Error::UnknownSegment`], [`Error::InvalidThresholds`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_thresholds())]
		pub fn set_thresholds(
			origin: OriginFor<T>,
			segment: SegmentId,
			thresholds: Thresholds<BlockNumberFor<T>>,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			Self::do_set_thresholds(segment, thresholds)
		}

		/// Sever `segment` by hand, until the reset origin resets it. A segment severed for a
		/// reason that would clear with time (a price move, a stale oracle, net outflow) is held
		/// severed from now.
		///
		/// Origin: [`Config::GuardianOrigin`]. Emits [`Event::Tripped`] with
		/// [`TripReason::Manual`]. Errors: [`Error::UnknownSegment`], [`Error::AlreadySevered`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::trip())]
		pub fn trip(origin: OriginFor<T>, segment: SegmentId) -> DispatchResult {
			T::GuardianOrigin::ensure_origin(origin)?;
			Self::do_manual_trip(segment)
		}

		/// Return a severed or recovering `segment` to normal at once, and forget the outflow of
		/// its window (accounts keep their principal and their share used). The latest oracle
		/// price is accepted as the market's, rejected or not, and the reference price starts
		/// again from it.
		///
		/// Origin: [`Config::ResetOrigin`]. Emits [`Event::Reset`].
		/// Errors: [`Error::UnknownSegment`], [`Error::NotTripped`], [`Error::OracleStillStale`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::reset())]
		pub fn reset(origin: OriginFor<T>, segment: SegmentId) -> DispatchResult {
			T::ResetOrigin::ensure_origin(origin)?;
			Self::do_reset(segment)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The segment's breaker, or a normal one with the default thresholds.
		pub fn breaker(segment: SegmentId) -> Breaker<BlockNumberFor<T>> {
			Breakers::<T>::get(segment).unwrap_or_else(|| Breaker::new(T::DefaultThresholds::get()))
		}

		/// The segment's breaker state in the current block.
		pub fn state(segment: SegmentId) -> BreakerState<BlockNumberFor<T>> {
			Self::breaker(segment).state_at(frame_system::Pallet::<T>::block_number())
		}

		fn ensure_segment(segment: SegmentId) -> Result<(), Error<T>> {
			ensure!(T::Segments::contains(&segment), Error::<T>::UnknownSegment);
			Ok(())
		}

		pub(crate) fn do_set_thresholds(
			segment: SegmentId,
			thresholds: Thresholds<BlockNumberFor<T>>,
		) -> DispatchResult {
			Self::ensure_segment(segment)?;
			ensure!(thresholds.is_valid(), Error::<T>::InvalidThresholds);
			let mut breaker = Self::breaker(segment);
			let (old, new) = (breaker.thresholds.outflow_window, thresholds.outflow_window);
			if breaker.base.observed && old != new {
				// Value times blocks over the old window means nothing over the new one: the
				// average starts again from what it was, as if held for a whole new window.
				let now = frame_system::Pallet::<T>::block_number();
				let average = breaker.base.average(now, old).unwrap_or(breaker.base.value);
				let value = breaker.base.value;
				breaker.base = LineBase::seeded(now, new, average);
				breaker.base.value = value;
			}
			breaker.thresholds = thresholds;
			Breakers::<T>::insert(segment, breaker);
			Self::deposit_event(Event::ThresholdsSet { segment, thresholds });
			Ok(())
		}

		pub(crate) fn do_manual_trip(segment: SegmentId) -> DispatchResult {
			Self::ensure_segment(segment)?;
			let mut breaker = Self::breaker(segment);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(
				Self::sever(segment, &mut breaker, now, TripReason::Manual),
				Error::<T>::AlreadySevered
			);
			Breakers::<T>::insert(segment, breaker);
			Ok(())
		}

		pub(crate) fn do_reset(segment: SegmentId) -> DispatchResult {
			Self::ensure_segment(segment)?;
			let mut breaker = Self::breaker(segment);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(!breaker.is_stale_at(now), Error::<T>::OracleStillStale);
			// A segment back to normal by time may still stand on a rejected price: resetting
			// it accepts that price.
			ensure!(
				breaker.state_at(now) != BreakerState::Normal
					|| breaker.verdict() != PriceVerdict::Accepted,
				Error::<T>::NotTripped
			);
			breaker.state = BreakerState::Normal;
			breaker.outflow = empty_window();
			// The reset origin takes the latest price for the market's: it is accepted, and the
			// reference starts from it.
			breaker.accepted = breaker.last_price;
			breaker.rejected_since = None;
			breaker.reference = breaker.last_price.map(|p| p.price);
			Breakers::<T>::insert(segment, breaker);
			Self::deposit_event(Event::Reset { segment });
			Ok(())
		}

		/// Sever from `now` for `reason` and announce it, unless the breaker is already severed
		/// at `now` for a reason at least as lasting: a trip that needs a decision (bad debt, a
		/// guardian's) replaces one that would clear with time, or the decision would be lost
		/// when the cool-down ran out. Returns whether it tripped; the caller writes the breaker
		/// back.
		fn sever(
			segment: SegmentId,
			breaker: &mut Breaker<BlockNumberFor<T>>,
			now: BlockNumberFor<T>,
			reason: TripReason,
		) -> bool {
			if let BreakerState::Severed { reason: current, .. } = breaker.state_at(now) {
				if !current.clears_with_time() || reason.clears_with_time() {
					return false;
				}
			}
			breaker.state = BreakerState::Severed { since: now, reason };
			Self::deposit_event(Event::Tripped { segment, reason });
			true
		}

		/// Trip `segment` for `reason` unless it is already severed; one read, and one write only
		/// when it trips.
		fn auto_trip(segment: SegmentId, reason: TripReason) {
			let mut breaker = Self::breaker(segment);
			let now = frame_system::Pallet::<T>::block_number();
			if Self::sever(segment, &mut breaker, now, reason) {
				Breakers::<T>::insert(segment, breaker);
			}
		}

		/// `flow` at `now`, in a window of `window` blocks, emptied if it has nothing left to
		/// remember, so that the silo can drop an entry that holds nothing else.
		fn tidy(
			flow: &mut AccountFlow<BlockNumberFor<T>>,
			now: BlockNumberFor<T>,
			window: BlockNumberFor<T>,
		) {
			if flow.is_spent(now, window) {
				*flow = AccountFlow::default();
			}
		}

		/// `segment`'s silo, worth `before`, is worth `after` from now on. What genesis puts in
		/// is what the silo held before the chain began: every genesis deposit re-seeds the
		/// average with the value after it.
		fn observe_value(segment: SegmentId, before: Balance, after: Balance) {
			let now = frame_system::Pallet::<T>::block_number();
			let mut breaker = Self::breaker(segment);
			let window = breaker.thresholds.outflow_window;
			if now.is_zero() {
				breaker.base = LineBase::seeded(now, window, after);
			} else {
				breaker.base.observe(now, window, before, after);
			}
			Breakers::<T>::insert(segment, breaker);
		}

		/// `segment`'s outflow line now, for a silo worth `silo_value`.
		pub fn line(segment: SegmentId, silo_value: Balance) -> OutflowLine {
			Self::breaker(segment).line_at(frame_system::Pallet::<T>::block_number(), silo_value)
		}

		/// What ends `segment`'s trip, if it is severed now: time, a fresh price, or the reset
		/// origin.
		pub fn clearance(segment: SegmentId) -> Option<Clearance<BlockNumberFor<T>>> {
			let breaker = Self::breaker(segment);
			let now = frame_system::Pallet::<T>::block_number();
			match breaker.state_at(now) {
				BreakerState::Severed { reason, .. } if !reason.clears_with_time() => {
					Some(Clearance::ResetOrigin)
				},
				_ if breaker.is_stale_at(now) => Some(Clearance::FreshPrice),
				BreakerState::Severed { since, .. } => {
					Some(Clearance::At(since.saturating_add(breaker.thresholds.cooldown)))
				},
				_ => None,
			}
		}

		/// `segment`'s time-weighted reference price now; `None` before its first price.
		pub fn reference_price(segment: SegmentId) -> Option<Price> {
			Self::breaker(segment).reference_at(frame_system::Pallet::<T>::block_number())
		}

		/// What an account whose flow is `flow` may take out of `segment`'s silo (worth
		/// `silo_value`) now; see [`SiloMonitor::outflow_room`].
		pub fn room(
			segment: SegmentId,
			flow: &AccountFlow<BlockNumberFor<T>>,
			silo_value: Balance,
		) -> Balance {
			let now = frame_system::Pallet::<T>::block_number();
			let breaker = Self::breaker(segment);
			let line = breaker.line_at(now, silo_value);
			line.room(flow, now, breaker.thresholds.outflow_window)
		}
	}

	impl<T: Config> SegmentHealth for Pallet<T> {
		fn status(segment: SegmentId) -> SegmentStatus {
			Self::state(segment).status()
		}
	}

	impl<T: Config> SiloMonitor<T::AccountId, BlockNumberFor<T>> for Pallet<T> {
		/// One read and one write of the segment's breaker.
		fn note_inflow(
			segment: SegmentId,
			_who: &T::AccountId,
			flow: &mut AccountFlow<BlockNumberFor<T>>,
			amount: Balance,
			held: Balance,
			silo_value: Balance,
		) {
			flow.principal = flow.principal.min(held).saturating_add(amount);
			Self::observe_value(segment, silo_value, silo_value.saturating_add(amount));
		}

		/// One read and one write of the segment's breaker.
		fn note_gift(segment: SegmentId, amount: Balance, silo_value: Balance) {
			Self::observe_value(segment, silo_value, silo_value.saturating_add(amount));
		}

		/// One read of the segment's breaker, and one write when the outflow is admitted or
		/// trips; a refusal writes nothing and leaves `flow` as it was.
		fn note_outflow(
			segment: SegmentId,
			_who: &T::AccountId,
			account: &mut AccountFlow<BlockNumberFor<T>>,
			amount: Balance,
			silo_value: Balance,
		) -> OutflowVerdict {
			let now = frame_system::Pallet::<T>::block_number();
			let mut flow = *account;
			let mut breaker = Self::breaker(segment);
			let window = breaker.thresholds.outflow_window;
			let counted = flow.beyond_principal(amount);
			let line = breaker.line_at(now, silo_value);
			if counted > 0 {
				let within_share =
					flow.taken.usage(now, window).saturating_add(counted) <= line.per_account;
				// One account past its share is refused while the line has room for others; a
				// withdrawal that would cross the line itself (or finds it closed) trips it.
				if !within_share && line.left() > 0 {
					return OutflowVerdict::OverAccountShare;
				}
				if !within_share || counted > line.left() {
					// A recovering segment refuses what would cross its halved line instead of
					// severing again: the outflow that led to the trip still counts, so a trip
					// never hands out a fresh line, and one withdrawal cannot keep it severed.
					if line.recovering
						|| !Self::sever(segment, &mut breaker, now, TripReason::NetOutflow)
					{
						return OutflowVerdict::LineClosed;
					}
					Breakers::<T>::insert(segment, breaker);
					return OutflowVerdict::Tripped;
				}
				flow.taken.record(now, window, counted);
				breaker.outflow.record(now, window, counted);
			}
			flow.principal -= amount - counted;
			breaker.base.observe(now, window, silo_value, silo_value.saturating_sub(amount));
			Breakers::<T>::insert(segment, breaker);
			Self::tidy(&mut flow, now, window);
			*account = flow;
			OutflowVerdict::Admitted
		}

		fn outflow_room(
			segment: SegmentId,
			_who: &T::AccountId,
			flow: &AccountFlow<BlockNumberFor<T>>,
			silo_value: Balance,
		) -> Balance {
			Self::room(segment, flow, silo_value)
		}

		fn note_bad_debt(segment: SegmentId, uncovered: Balance) {
			if uncovered > 0 {
				Self::auto_trip(segment, TripReason::BadDebt);
			}
		}
	}

	impl<T: Config> PriceMonitor for Pallet<T> {
		/// One read and one write of the segment's breaker. A price that would trip it is
		/// rejected even when the segment is severed already, and still moves the reference
		/// for the blocks it stands: a price that holds is, in time, the market's.
		fn note_price(segment: SegmentId, price: Price) -> PriceVerdict {
			let now = frame_system::Pallet::<T>::block_number();
			let mut breaker = Self::breaker(segment);
			let reference = breaker.reference_at(now);
			let trip = breaker.judge(price, now, reference);
			let observation = PriceObservation { price, at: now };
			breaker.reference = Some(reference.unwrap_or(price));
			// The new price ends any staleness, so a stale trip is stored from this block.
			breaker.last_price = Some(observation);
			breaker.state = breaker.state.advanced(now, &breaker.thresholds);
			match trip {
				None => {
					breaker.accepted = Some(observation);
					breaker.rejected_since = None;
				},
				Some(reason) => {
					breaker.rejected_since.get_or_insert(now);
					Self::sever(segment, &mut breaker, now, reason);
				},
			}
			let verdict = breaker.verdict();
			Breakers::<T>::insert(segment, breaker);
			verdict
		}

		/// One read of the segment's breaker.
		fn verdict(segment: SegmentId) -> PriceVerdict {
			Self::breaker(segment).verdict()
		}

		/// One read of the segment's breaker.
		fn reference(segment: SegmentId) -> Option<Price> {
			Self::reference_price(segment)
		}

		/// Stops watching the segment's oracle for staleness (`stale_after` becomes `None`,
		/// announced as [`Event::ThresholdsSet`], and the breaker forgets when the oracle last
		/// published, so that thresholds set later cannot find it stale either); every other
		/// line stays. One read and one write of the segment's breaker.
		fn market_ended(segment: SegmentId) {
			let mut breaker = Self::breaker(segment);
			breaker.thresholds.stale_after = None;
			breaker.last_price = None;
			let thresholds = breaker.thresholds;
			Breakers::<T>::insert(segment, breaker);
			Self::deposit_event(Event::ThresholdsSet { segment, thresholds });
		}
	}

	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	impl<T: Config> Pallet<T> {
		/// Every stored breaker has valid thresholds and no transition from the future.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let now = frame_system::Pallet::<T>::block_number();
			for (segment, breaker) in Breakers::<T>::iter() {
				ensure!(breaker.thresholds.is_valid(), "stored thresholds are invalid");
				let since = match breaker.state {
					BreakerState::Normal => None,
					BreakerState::Severed { since, .. } | BreakerState::Recovering { since } => {
						Some(since)
					},
				};
				ensure!(since.is_none_or(|s| s <= now), "breaker state set in the future");
				ensure!(
					breaker.last_price.is_none_or(|p| p.at <= now),
					"price observed in the future"
				);
				ensure!(T::Segments::contains(&segment), "breaker for an unknown segment");
				ensure!(breaker.outflow.bucket_start <= now, "outflow window starts in the future");
				ensure!(breaker.base.at <= now, "silo value observed in the future");
				ensure!(breaker.base.area.bucket_start <= now, "value window starts in the future");
			}
			Ok(())
		}
	}
}
