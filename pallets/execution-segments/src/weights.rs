//! Weights for `pallet_execution_segments`.
//!
//! PLACEHOLDER, NOT GENERATED. These are conservative hand-set upper bounds (a generous base
//! cost plus every storage read and write the call can make, priced at the runtime's database
//! weights) that hold until the benchmarks issue replaces this file with `frame-benchmarking`
//! output. Do not tune them by hand.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed for `pallet_execution_segments`.
pub trait WeightInfo {
	fn create_segment() -> Weight;
	fn set_risk_params() -> Weight;
	fn open_position() -> Weight;
	fn decrease_position() -> Weight;
	fn close_position() -> Weight;
	fn add_margin() -> Weight;
	fn remove_margin() -> Weight;
	fn liquidate() -> Weight;
}

/// Placeholder weights priced against the runtime's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_segment() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(3, 2))
	}
	fn set_risk_params() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn open_position() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(8, 4))
	}
	fn decrease_position() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(8, 5))
	}
	fn close_position() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(8, 5))
	}
	fn add_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	fn remove_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(6, 3))
	}
	fn liquidate() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(9, 6))
	}
}

/// For tests: the same placeholders priced at RocksDB costs.
impl WeightInfo for () {
	fn create_segment() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 2))
	}
	fn set_risk_params() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn open_position() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 4))
	}
	fn decrease_position() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 5))
	}
	fn close_position() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(8, 5))
	}
	fn add_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(4, 3))
	}
	fn remove_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(6, 3))
	}
	fn liquidate() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(9, 6))
	}
}
