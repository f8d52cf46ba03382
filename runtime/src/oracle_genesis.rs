//! Oracle prices at genesis.
//!
//! pallet-oracle has no genesis config, so this small pallet feeds the initial prices as every
//! oracle operator (`DataFeeder::feed_value(Some(operator), ..)`), so that a majority combines
//! them, while the chain is built (through the root feed on a chain without operators). The
//! operators' membership must be built first: it comes before this pallet in the runtime.
//! They reach the segments and the breakers through the same `OnNewData` hook as any later
//! feed, so a price for a key no segment trades is dropped as any such feed is: the segments
//! are built first too. Genesis prices carry timestamp 0, so trading still needs a fresh feed:
//! that is the point of an oracle age limit. The pallet has no calls and no storage.

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_support::traits::SortedMembers;
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
		/// `(key, price)` fed by every operator at genesis.
		pub prices: Vec<(OracleKey, Price)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// Every operator feeds it, so a majority combines it; without operators, the
			// root feed does.
			let operators = <T as pallet_oracle::Config>::Members::sorted_members();
			let feeders: Vec<Option<T::AccountId>> = if operators.is_empty() {
				alloc::vec![None]
			} else {
				operators.into_iter().map(Some).collect()
			};
			for (key, price) in &self.prices {
				for feeder in &feeders {
					<pallet_oracle::Pallet<T> as DataFeeder<_, _, _>>::feed_value(
						feeder.clone(),
						key.clone(),
						*price,
					)
					.expect("operators, and the root feed, may always feed");
				}
			}
		}
	}
}
