//! A sliding-window rate meter, kept as two fixed buckets.
//!
//! The gateway limits what a route carries per window; the breaker measures a silo's net outflow
//! per window. Both need "how much moved in the last `length` blocks" without storing every
//! movement. Like Cloudflare's rate limiter, the window keeps the bucket in progress and the one
//! before it, and counts the previous bucket by the share of it that still lies inside the window.
//! That estimate is exact at bucket boundaries and never undercounts by more than the previous
//! bucket's slope; it rounds up, so a limit is never exceeded because of rounding.
//!
//! Everything here is pure arithmetic: no storage, no panics.

use crate::Balance;
use codec::{Decode, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding, traits::AtLeast32BitUnsigned, Rounding,
	SaturatedConversion,
};

/// Two buckets of `length` blocks each; the bucket in progress started at `bucket_start`.
#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen, Default)]
pub struct SlidingWindow<BlockNumber> {
	/// First block of the bucket in progress.
	pub bucket_start: BlockNumber,
	/// What was recorded in the bucket in progress.
	pub current: Balance,
	/// What was recorded in the bucket before it.
	pub previous: Balance,
}

impl<N: AtLeast32BitUnsigned + Copy> SlidingWindow<N> {
	/// Move the buckets forward so that the bucket in progress contains `now`.
	///
	/// A zero `length` means "no window": everything recorded is forgotten at once.
	pub fn roll(&mut self, now: N, length: N) {
		if length.is_zero() {
			*self = Self { bucket_start: now, current: 0, previous: 0 };
			return;
		}
		// `bucket_start` is never after `now` (the gateway's and the breaker's `try_state` check
		// it); were it, the bucket would count as just begun.
		let elapsed = now.saturating_sub(self.bucket_start);
		if elapsed < length {
			return;
		}
		// Buckets passed since `bucket_start`, and where the one holding `now` starts.
		let passed = elapsed / length;
		let start = now.saturating_sub(elapsed % length);
		self.previous = if passed == N::one() { self.current } else { 0 };
		self.current = 0;
		self.bucket_start = start;
	}

	/// What moved in the `length` blocks up to and including `now`, rounded up.
	pub fn usage(&self, now: N, length: N) -> Balance {
		let mut rolled = *self;
		rolled.roll(now, length);
		if length.is_zero() {
			return 0;
		}
		let length_u = length.saturated_into::<u128>();
		let into_bucket = now.saturating_sub(rolled.bucket_start).saturated_into::<u128>();
		// The share of the previous bucket that still lies inside the window.
		let remaining = length_u.saturating_sub(into_bucket);
		let carried =
			multiply_by_rational_with_rounding(rolled.previous, remaining, length_u, Rounding::Up)
				.unwrap_or(rolled.previous);
		rolled.current.saturating_add(carried)
	}

	/// Whether `amount` more fits under `limit` at `now`.
	pub fn has_room(&self, now: N, length: N, amount: Balance, limit: Balance) -> bool {
		self.usage(now, length).saturating_add(amount) <= limit
	}

	/// Record `amount` at `now`.
	pub fn record(&mut self, now: N, length: N, amount: Balance) {
		self.roll(now, length);
		if !length.is_zero() {
			self.current = self.current.saturating_add(amount);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	type Window = SlidingWindow<u32>;

	#[test]
	fn records_add_up_inside_one_bucket() {
		let mut w = Window::default();
		w.record(1, 10, 5);
		w.record(9, 10, 7);
		assert_eq!(w.usage(9, 10), 12);
	}

	#[test]
	fn previous_bucket_fades_linearly() {
		let mut w = Window::default();
		w.record(0, 10, 100);
		// At the boundary the whole previous bucket is still inside the window.
		assert_eq!(w.usage(10, 10), 100);
		// Halfway through the next bucket, half of it is.
		assert_eq!(w.usage(15, 10), 50);
		// Rounds up: 100 * 1/10.
		assert_eq!(w.usage(19, 10), 10);
		// Two buckets later it is gone.
		assert_eq!(w.usage(20, 10), 0);
	}

	#[test]
	fn long_silence_forgets_everything() {
		let mut w = Window::default();
		w.record(0, 10, 100);
		w.record(1_000, 10, 1);
		assert_eq!(w, Window { bucket_start: 1_000, current: 1, previous: 0 });
	}

	#[test]
	fn zero_length_window_holds_nothing() {
		let mut w = Window::default();
		w.record(3, 0, 100);
		assert_eq!(w.usage(3, 0), 0);
		assert!(w.has_room(3, 0, Balance::MAX, Balance::MAX));
	}

	#[test]
	fn has_room_is_inclusive_and_saturates() {
		let mut w = Window::default();
		w.record(0, 10, 60);
		assert!(w.has_room(0, 10, 40, 100));
		assert!(!w.has_room(0, 10, 41, 100));
		assert!(!w.has_room(0, 10, Balance::MAX, Balance::MAX - 1));
	}

	#[test]
	fn max_values_do_not_wrap() {
		let mut w = Window::default();
		w.record(0, 10, Balance::MAX);
		w.record(0, 10, Balance::MAX);
		assert_eq!(w.usage(0, 10), Balance::MAX);
		w.record(u32::MAX, 10, 1);
		assert_eq!(w.usage(u32::MAX, 10), 1);
	}

	proptest! {
		/// Usage is never below what the bucket in progress holds, never above both buckets, and
		/// never grows while nothing is recorded.
		#[test]
		fn usage_is_bounded_and_fades(
			steps in proptest::collection::vec((0u32..25, 0u128..1_000_000), 1..40),
			length in 1u32..20,
		) {
			let mut w = Window::default();
			let mut now = 0u32;
			for (gap, amount) in steps {
				now += gap;
				w.record(now, length, amount);
				let usage = w.usage(now, length);
				prop_assert!(usage >= w.current);
				prop_assert!(usage <= w.current + w.previous);
				// Without new records, usage only falls, and is gone two lengths later.
				let mut last = usage;
				for later in now..=now + 2 * length {
					let u = w.usage(later, length);
					prop_assert!(u <= last);
					last = u;
				}
				prop_assert_eq!(w.usage(now + 2 * length, length), 0);
			}
		}

		/// Whatever was recorded in the last `length` blocks is counted in full: the estimate
		/// never lets more through than an exact window would.
		#[test]
		fn never_undercounts_the_last_bucket(
			amounts in proptest::collection::vec(0u128..1_000, 1..30),
			length in 1u32..10,
		) {
			let mut w = Window::default();
			let mut exact: Vec<(u32, u128)> = Vec::new();
			for (i, amount) in amounts.into_iter().enumerate() {
				let now = i as u32;
				w.record(now, length, amount);
				exact.push((now, amount));
				// Everything recorded since the start of the bucket in progress is counted.
				let since_bucket: u128 =
					exact.iter().filter(|(t, _)| *t >= w.bucket_start).map(|(_, a)| a).sum();
				prop_assert!(w.usage(now, length) >= since_bucket);
			}
		}
	}
}
