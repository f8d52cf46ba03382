//! The breaker's state machine and thresholds: plain data and pure functions of block numbers.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
pub use segment_interface::AccountFlow;
use segment_interface::{
	window::SlidingWindow, Balance, Price, PriceVerdict, SegmentStatus, TripReason,
};
use sp_runtime::{
	traits::{AtLeast32BitUnsigned, Saturating},
	Perbill, Permill, Rounding, SaturatedConversion,
};

/// The longest reference window, in blocks (about 69 days of 6-second blocks). A rejection
/// lasts up to a window, and the reference keeps `1 - 1 / window` of itself per block in a
/// `Perbill`, whose precision a much longer window would erode.
pub const MAX_REFERENCE_WINDOW: u32 = 1_000_000;

/// The lines past which a segment's breaker trips, and how it comes back.
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
pub struct Thresholds<BlockNumber> {
	/// The segment's line: what may leave its silo beyond what the takers brought in, over
	/// `outflow_window`, as a share of the silo's value. A withdrawal that would cross it is
	/// not paid, and severs the segment.
	pub max_net_outflow: Permill,
	/// The most one account may take of the line in one window; a withdrawal past it is
	/// refused (the account may queue it and be paid in slices).
	pub max_account_share: Permill,
	/// Length of the net-outflow window, in blocks.
	pub outflow_window: BlockNumber,
	/// Trip when one oracle update moves the price by more than this share.
	pub max_price_move: Permill,
	/// Trip when an oracle update strays from the reference price by more than this share:
	/// a walk of updates, each within `max_price_move`, is caught here.
	pub max_price_deviation: Permill,
	/// How slowly the reference follows the price, in blocks: an exponential average in which
	/// a price held for this many blocks counts for 63% (1 - 1/e). At most
	/// [`MAX_REFERENCE_WINDOW`]: a longer one would all but freeze the reference.
	pub reference_window: BlockNumber,
	/// Trip when the oracle has not updated for this many blocks; `None` turns the check off.
	pub stale_after: Option<BlockNumber>,
	/// Blocks a severed segment waits before it becomes reduce-only.
	pub cooldown: BlockNumber,
	/// Quiet blocks a recovering segment needs before it is normal again.
	pub probation: BlockNumber,
}

impl<N: AtLeast32BitUnsigned + Copy> Thresholds<N> {
	/// Non-zero windows, limits and waits: a zero would trip on everything or never recover.
	pub fn is_valid(&self) -> bool {
		!self.max_net_outflow.is_zero()
			&& !self.max_account_share.is_zero()
			&& !self.outflow_window.is_zero()
			&& !self.max_price_move.is_zero()
			&& !self.max_price_deviation.is_zero()
			&& !self.reference_window.is_zero()
			&& self.reference_window <= N::from(MAX_REFERENCE_WINDOW)
			&& self.stale_after.is_none_or(|s| !s.is_zero())
			&& !self.cooldown.is_zero()
			&& !self.probation.is_zero()
	}
}

/// Where a segment stands, as stored. Time moves it on: see [`BreakerState::advanced`].
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub enum BreakerState<BlockNumber> {
	/// Business as usual.
	#[default]
	Normal,
	/// Severed at block `since`, for `reason`.
	Severed { since: BlockNumber, reason: TripReason },
	/// Reduce-only since block `since`.
	Recovering { since: BlockNumber },
}

impl<N: AtLeast32BitUnsigned + Copy> BreakerState<N> {
	/// The state this one has become by block `now`: the cool-down turns `Severed` into
	/// `Recovering` when its reason clears with time ([`TripReason::clears_with_time`]; bad
	/// debt and manual trips wait for a reset), and a quiet probation turns `Recovering` into
	/// `Normal`.
	pub fn advanced(self, now: N, thresholds: &Thresholds<N>) -> Self {
		let mut state = self;
		if let BreakerState::Severed { since, reason } = state {
			let recovers_at = since.saturating_add(thresholds.cooldown);
			if reason.clears_with_time() && now >= recovers_at {
				state = BreakerState::Recovering { since: recovers_at };
			}
		}
		if let BreakerState::Recovering { since } = state {
			if now >= since.saturating_add(thresholds.probation) {
				state = BreakerState::Normal;
			}
		}
		state
	}

	/// What the other pallets see.
	pub fn status(self) -> SegmentStatus {
		match self {
			BreakerState::Normal => SegmentStatus::Normal,
			BreakerState::Severed { .. } => SegmentStatus::Severed,
			BreakerState::Recovering { .. } => SegmentStatus::Recovering,
		}
	}
}

/// The last oracle price the breaker saw for a segment, and when.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct PriceObservation<BlockNumber> {
	pub price: Price,
	pub at: BlockNumber,
}

/// One segment's breaker: everything a trade, a flow or a price update reads and writes of it,
/// in one storage item.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct Breaker<BlockNumber> {
	pub state: BreakerState<BlockNumber>,
	pub thresholds: Thresholds<BlockNumber>,
	/// The latest price the breaker was told, accepted or not.
	pub last_price: Option<PriceObservation<BlockNumber>>,
	/// What left the segment's silo beyond its takers' principal, over the outflow window.
	pub outflow: SlidingWindow<BlockNumber>,
	/// What the silo was worth on average over the outflow window: the base of the line.
	pub base: LineBase<BlockNumber>,
	/// The time-weighted reference price as of `last_price.at` (see
	/// [`Breaker::reference_at`]).
	pub reference: Option<Price>,
	/// The latest price the breaker accepted: `last_price` unless that one was rejected.
	pub accepted: Option<PriceObservation<BlockNumber>>,
	/// The block the standing rejection began in: the first price rejected after `accepted`.
	/// `None` while the latest price is accepted.
	pub rejected_since: Option<BlockNumber>,
}

impl<N: AtLeast32BitUnsigned + Copy> Breaker<N> {
	/// A normal breaker with these thresholds that has seen no price yet.
	pub fn new(thresholds: Thresholds<N>) -> Self {
		Self {
			state: BreakerState::Normal,
			thresholds,
			last_price: None,
			outflow: empty_window(),
			base: LineBase::default(),
			reference: None,
			accepted: None,
			rejected_since: None,
		}
	}

	/// The reference price at `now`: an exponential average of the prices the breaker was told,
	/// each weighted by the blocks it stood (its last one, `last_price`, up to `now`). Every
	/// block a price stands moves the reference `1 / reference_window` of the way to it, so a
	/// price counts by how long it held, not by how often it was fed, and prices fed within one
	/// block do not move it at all. `None` before the first price.
	pub fn reference_at(&self, now: N) -> Option<Price> {
		let (reference, last) = (self.reference?, self.last_price?);
		let window = self.thresholds.reference_window.max(N::one());
		let blocks = now.saturating_sub(last.at).saturated_into::<u32>();
		// What is left of the old reference after `blocks` blocks: (1 - 1/window)^blocks.
		let kept =
			Perbill::from_rational(window - N::one(), window).saturating_pow(blocks as usize);
		let (old, held) = (reference.into_inner(), last.price.into_inner());
		Some(Price::from_inner(if old >= held {
			held.saturating_add(kept.mul_floor(old - held))
		} else {
			held.saturating_sub(kept.mul_floor(held - old))
		}))
	}

	/// What the breaker made of the latest price it was told: a price it tripped on (or would
	/// have) stands rejected until it accepts a later one or is reset.
	pub fn verdict(&self) -> PriceVerdict {
		match (self.last_price, self.accepted) {
			(Some(last), Some(accepted)) if last != accepted => {
				PriceVerdict::Rejected { last_accepted: accepted.price }
			},
			_ => PriceVerdict::Accepted,
		}
	}

	/// Why `price`, told at `now`, would trip the breaker: an oracle silent for too long, a
	/// move beyond `max_price_move`, or a price beyond `max_price_deviation` from the
	/// reference. `None` accepts it; the first price always is.
	///
	/// The move is measured from the last price, or while that one stands rejected, from the
	/// reference: feeding a rejected price again (another operator's feed in the same block,
	/// or the next block's) is no move from itself, and must not get it accepted. A price that
	/// holds is accepted once the reference has come within the move bound of it.
	///
	/// A rejection lasts at most a reference window: once it has stood that long (counted from
	/// the first price it rejected, not from the last one it accepted, so a quiet spell before a
	/// jump does not shorten it), the move is measured from the last price again, so a market that jumped and
	/// kept moving is not left marked (and liquidated) at an ever older price. The deviation
	/// from the reference is checked as always.
	/// `reference` is [`Breaker::reference_at`] `now`, which the caller computes once: it
	/// stores it too.
	pub fn judge(&self, price: Price, now: N, reference: Option<Price>) -> Option<TripReason> {
		let last = self.last_price?;
		let thresholds = &self.thresholds;
		let reference = reference.unwrap_or(last.price);
		let rejection_over = self
			.rejected_since
			.is_none_or(|since| now >= since.saturating_add(thresholds.reference_window));
		let moved_from = match self.verdict() {
			PriceVerdict::Rejected { .. } if !rejection_over => reference,
			_ => last.price,
		};
		if self.is_stale_at(now) {
			Some(TripReason::StaleOracle)
		} else if price_moved_beyond(moved_from, price, thresholds.max_price_move) {
			Some(TripReason::OracleMove)
		} else if price_moved_beyond(reference, price, thresholds.max_price_deviation) {
			Some(TripReason::OracleDeviation)
		} else {
			None
		}
	}

	/// Whether the oracle has been silent for longer than `stale_after` at `now`. A segment
	/// whose oracle never reported is not stale: the segment itself refuses to trade without a
	/// price.
	pub fn is_stale_at(&self, now: N) -> bool {
		match (self.thresholds.stale_after, self.last_price) {
			(Some(after), Some(last)) => now > last.at.saturating_add(after),
			_ => false,
		}
	}

	/// The state at `now`, stale oracle included: a stale segment is severed from the block the
	/// oracle went stale in, whatever the stored state says.
	pub fn state_at(&self, now: N) -> BreakerState<N> {
		let state = self.state.advanced(now, &self.thresholds);
		if self.is_stale_at(now) && !matches!(state, BreakerState::Severed { .. }) {
			let since = match (self.thresholds.stale_after, self.last_price) {
				(Some(after), Some(last)) => last.at.saturating_add(after).saturating_add(N::one()),
				_ => now,
			};
			return BreakerState::Severed { since, reason: TripReason::StaleOracle };
		}
		state
	}

	/// The segment's line at `now` for a silo worth `silo_value`, and what of it is used: a
	/// share of the base ([`LineBase::of`]), halved while recovering, nothing while severed.
	pub fn line_at(&self, now: N, silo_value: Balance) -> OutflowLine {
		let used = self.outflow.usage(now, self.thresholds.outflow_window);
		let state = self.state_at(now);
		let limit = match state {
			BreakerState::Severed { .. } => 0,
			state => {
				// What left beyond principal is put back: an outflow does not shrink the line it
				// is measured against.
				let window = self.thresholds.outflow_window;
				let base = self.base.of(now, window, silo_value.saturating_add(used));
				let line = self.thresholds.max_net_outflow.mul_floor(base);
				if matches!(state, BreakerState::Recovering { .. }) {
					line / 2
				} else {
					line
				}
			},
		};
		OutflowLine {
			limit,
			used,
			per_account: self.thresholds.max_account_share.mul_floor(limit),
			recovering: matches!(state, BreakerState::Recovering { .. }),
		}
	}
}

/// What a segment's silo was worth on average over the last outflow window: the line's base.
///
/// The breaker observes the silo's value whenever value crosses its boundary (a deposit, a
/// withdrawal, insurance funding; between them it does not change, trades move value inside
/// the silo), and accumulates value times blocks, in the two buckets of a [`SlidingWindow`].
/// Tokens sent to the silo's account directly count from the next observation. Value counts
/// in proportion to how long it stayed: a deposit taken back in the same block adds nothing, one held for a block adds a window's share of
/// it, and only value held for the whole window counts in full. A brief withdrawal lowers the
/// average as little. The line is a share of the lower of this average and the silo's value
/// now (with what left beyond principal put back): value that left lowers it at once.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
pub struct LineBase<BlockNumber> {
	/// The block of the last observation.
	pub at: BlockNumber,
	/// The silo's value after the last observation: held since `at`.
	pub value: Balance,
	/// Value times blocks up to `at`, over the outflow window.
	pub area: SlidingWindow<BlockNumber>,
	/// Whether the silo was ever observed: before, the average is the value now.
	pub observed: bool,
}

impl<N: AtLeast32BitUnsigned + Copy> Default for LineBase<N> {
	/// A base that has observed nothing yet.
	fn default() -> Self {
		Self { at: N::zero(), value: 0, area: empty_window(), observed: false }
	}
}

impl<N: AtLeast32BitUnsigned + Copy> LineBase<N> {
	/// A base that has seen the silo worth `value` for a whole window of `window` blocks
	/// before `now`: the first observation, and a migration's seed.
	pub fn seeded(now: N, window: N, value: Balance) -> Self {
		let into = now % window.max(N::one());
		let per_block = |blocks: N| value.saturating_mul(blocks.saturated_into::<u128>());
		Self {
			at: now,
			value,
			area: SlidingWindow {
				bucket_start: now.saturating_sub(into),
				current: per_block(into),
				previous: per_block(window),
			},
			observed: true,
		}
	}

	/// The silo, worth `before` until now (what the first observation assumes it held for a
	/// whole window), is worth `after` from `now` on: what it held since the last observation
	/// is accumulated for the blocks it stayed (a window's worth at most: older blocks have
	/// left the window).
	pub fn observe(&mut self, now: N, window: N, before: Balance, after: Balance) {
		if !self.observed {
			*self = Self::seeded(now, window, before);
		}
		let blocks = now.saturating_sub(self.at).min(window).saturated_into::<u128>();
		self.area.record(now, window, self.value.saturating_mul(blocks));
		self.at = now;
		self.value = after;
	}

	/// The silo's average value over the window up to `now`: value times blocks up to the
	/// last observation, and the last value since, over the window's length.
	pub fn average(&self, now: N, window: N) -> Option<Balance> {
		if !self.observed || window.is_zero() {
			return None;
		}
		let since = now.saturating_sub(self.at).min(window).saturated_into::<u128>();
		let area = self.area.usage(now, window).saturating_add(self.value.saturating_mul(since));
		Some(area / window.saturated_into::<u128>())
	}

	/// The base at `now` for a silo worth `current`: the lower of `current` and the average.
	pub fn of(&self, now: N, window: N, current: Balance) -> Balance {
		self.average(now, window).map_or(current, |average| average.min(current))
	}
}

/// A segment's outflow line at one moment.
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub struct OutflowLine {
	/// What may leave over the window, beyond principal.
	pub limit: Balance,
	/// What has left over the window, beyond principal.
	pub used: Balance,
	/// What one account may take of `limit`.
	pub per_account: Balance,
	/// The segment is recovering: crossing the (halved) line is refused, not tripped.
	pub recovering: bool,
}

impl OutflowLine {
	/// What may still leave in this window.
	pub fn left(&self) -> Balance {
		self.limit.saturating_sub(self.used)
	}

	/// What an account whose flow is `flow` may take out at `now`, in a window of `window`
	/// blocks: its principal, and its share of what is left of the line.
	pub fn room<N: AtLeast32BitUnsigned + Copy>(
		&self,
		flow: &AccountFlow<N>,
		now: N,
		window: N,
	) -> Balance {
		let share_left = self.per_account.saturating_sub(flow.taken.usage(now, window));
		flow.principal.saturating_add(share_left.min(self.left()))
	}
}

/// An empty window that starts at block zero.
pub fn empty_window<N: AtLeast32BitUnsigned + Copy>() -> SlidingWindow<N> {
	SlidingWindow { bucket_start: N::zero(), current: 0, previous: 0 }
}

/// Whether going from `last` to `price` moves more than `bound` of `last`.
pub fn price_moved_beyond(last: Price, price: Price, bound: Permill) -> bool {
	let (last, price) = (last.into_inner(), price.into_inner());
	let diff = last.abs_diff(price);
	let allowed = sp_runtime::helpers_128bit::multiply_by_rational_with_rounding(
		last,
		bound.deconstruct().into(),
		1_000_000,
		Rounding::Down,
	)
	.unwrap_or(u128::MAX);
	diff > allowed
}
