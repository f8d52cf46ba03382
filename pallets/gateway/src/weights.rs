//! Weights for `pallet_gateway`.
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

/// Weight functions needed for `pallet_gateway`.
pub trait WeightInfo {
	fn open_route() -> Weight;
	fn close_route() -> Weight;
	fn set_approval_threshold() -> Weight;
	fn request_transfer() -> Weight;
	fn approve_transfer() -> Weight;
	fn veto_transfer() -> Weight;
	fn execute_transfer() -> Weight;
	fn cancel_transfer() -> Weight;
}

/// Placeholder weights priced against the runtime's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn open_route() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(4, 3))
	}
	fn close_route() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(1, 2))
	}
	fn set_approval_threshold() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn request_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(9, 8))
	}
	fn approve_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(2, 1))
	}
	fn veto_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(3, 4))
	}
	fn execute_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(9, 8))
	}
	fn cancel_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(3, 4))
	}
}

/// For tests: the same placeholders priced at RocksDB costs.
impl WeightInfo for () {
	fn open_route() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(4, 3))
	}
	fn close_route() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 2))
	}
	fn set_approval_threshold() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn request_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(9, 8))
	}
	fn approve_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 1))
	}
	fn veto_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 4))
	}
	fn execute_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(9, 8))
	}
	fn cancel_transfer() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(3, 4))
	}
}
