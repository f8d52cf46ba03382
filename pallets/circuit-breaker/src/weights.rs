//! Weights for `pallet_circuit_breaker`.
//!
//! PLACEHOLDER, NOT GENERATED. These are conservative hand-set upper bounds (a generous base
//! cost plus every storage read and write the call can make, priced at RocksDB costs) that hold
//! until the benchmarks issue replaces this file with `frame-benchmarking` output. Do not tune
//! them by hand.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_circuit_breaker`.
pub trait WeightInfo {
	fn set_thresholds() -> Weight;
	fn trip() -> Weight;
	fn reset() -> Weight;
}

/// Placeholder weights priced against the runtime's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn set_thresholds() -> Weight {
		Weight::from_parts(50_000_000, 3_600).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn trip() -> Weight {
		Weight::from_parts(50_000_000, 3_600).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn reset() -> Weight {
		Weight::from_parts(50_000_000, 3_600).saturating_add(T::DbWeight::get().reads_writes(1, 2))
	}
}

/// For tests: the same placeholders priced at RocksDB costs.
impl WeightInfo for () {
	fn set_thresholds() -> Weight {
		Weight::from_parts(50_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn trip() -> Weight {
		Weight::from_parts(50_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn reset() -> Weight {
		Weight::from_parts(50_000_000, 3_600)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 2))
	}
}
