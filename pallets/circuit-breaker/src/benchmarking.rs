//! Benchmarks for the three calls. The breaker's hooks (flows, prices, bad debt) run inside the
//! calls of the pallets that report them, and are measured in those pallets' benchmarks.

use super::*;
use crate::Pallet as CircuitBreaker;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use segment_interface::{SegmentId, SegmentStatus, SiloMonitor};
use sp_runtime::Permill;

/// What the benchmarks need from outside this pallet: a segment.
pub trait BenchmarkHelper {
	/// A segment that exists.
	fn segment() -> SegmentId;
}

/// A segment whose silo has seen outflow beyond principal, so a reset has a window to clear.
fn flowing<T: Config>() -> SegmentId {
	let segment = T::BenchmarkHelper::segment();
	let who: T::AccountId = account("taker", 0, 0);
	let mut flow = Default::default();
	CircuitBreaker::<T>::note_outflow(segment, &who, &mut flow, 1, 1_000);
	segment
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_thresholds() -> Result<(), BenchmarkError> {
		let segment = flowing::<T>();
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut thresholds = T::DefaultThresholds::get();
		thresholds.max_net_outflow = Permill::from_percent(1);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, segment, thresholds);

		assert_eq!(CircuitBreaker::<T>::breaker(segment).thresholds, thresholds);
		Ok(())
	}

	#[benchmark]
	fn trip() -> Result<(), BenchmarkError> {
		let segment = flowing::<T>();
		let origin =
			T::GuardianOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, segment);

		assert_eq!(CircuitBreaker::<T>::state(segment).status(), SegmentStatus::Severed);
		Ok(())
	}

	/// A severed segment with flows on record.
	#[benchmark]
	fn reset() -> Result<(), BenchmarkError> {
		let segment = flowing::<T>();
		CircuitBreaker::<T>::do_manual_trip(segment).expect("normal until now; qed");
		let origin =
			T::ResetOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, segment);

		assert_eq!(CircuitBreaker::<T>::state(segment), BreakerState::Normal);
		assert_eq!(CircuitBreaker::<T>::breaker(segment).outflow, empty_window());
		Ok(())
	}

	impl_benchmark_test_suite!(CircuitBreaker, crate::mock::new_bench_ext(), crate::mock::Test);
}
