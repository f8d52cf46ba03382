//! Weights for `pallet_collateral_silos`.
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

/// Weight functions needed for `pallet_collateral_silos`.
pub trait WeightInfo {
	fn create_silo() -> Weight;
	fn set_silo_params() -> Weight;
	fn provide_liquidity() -> Weight;
	fn withdraw_liquidity() -> Weight;
	fn deposit_margin() -> Weight;
	fn withdraw_margin() -> Weight;
	fn fund_insurance() -> Weight;
}

/// Placeholder weights priced against the runtime's own database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_silo() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(2, 2))
	}
	fn set_silo_params() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(1, 1))
	}
	fn provide_liquidity() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(6, 5))
	}
	fn withdraw_liquidity() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(7, 5))
	}
	fn deposit_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(5, 4))
	}
	fn withdraw_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(6, 4))
	}
	fn fund_insurance() -> Weight {
		Weight::from_parts(100_000_000, 8_000).saturating_add(T::DbWeight::get().reads_writes(5, 3))
	}
}

/// For tests: the same placeholders priced at RocksDB costs.
impl WeightInfo for () {
	fn create_silo() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(2, 2))
	}
	fn set_silo_params() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(1, 1))
	}
	fn provide_liquidity() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(6, 5))
	}
	fn withdraw_liquidity() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(7, 5))
	}
	fn deposit_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(5, 4))
	}
	fn withdraw_margin() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(6, 4))
	}
	fn fund_insurance() -> Weight {
		Weight::from_parts(100_000_000, 8_000)
			.saturating_add(RocksDbWeight::get().reads_writes(5, 3))
	}
}
