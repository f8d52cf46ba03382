//! Oracle prices at genesis.
//!
//! pallet-oracle has no genesis config, so this small pallet feeds the initial prices through
//! the oracle's own root feed (`DataFeeder::feed_value(None, ..)`) while the chain is built.
//! They reach the segments and the breakers through the same `OnNewData` hook as any later
//! feed. Genesis prices carry timestamp 0, so trading still needs a fresh feed: that is the
//! point of an oracle age limit. The pallet has no calls and no storage.

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use pallet_oracle::DataFeeder;
	use segment_interface::{OracleKey, Price};

	#[pallet::config]
	pub trait Config:
		frame_system::Config + pallet_oracle::Config<OracleKey = OracleKey, OracleValue = Price>
	{
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// `(key, price)` fed by the oracle's root feed at genesis.
		pub prices: Vec<(OracleKey, Price)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for (key, price) in &self.prices {
				<pallet_oracle::Pallet<T> as DataFeeder<_, _, _>>::feed_value(
					None,
					key.clone(),
					*price,
				)
				.expect("the root feed is always permitted");
			}
		}
	}
}
