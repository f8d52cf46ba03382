//! Storage migrations, one module per storage version. A runtime lists the ones its chains
//! still need in `Executive`'s migrations; each runs only on a chain at the version it starts
//! from, and bumps [`StorageVersion`](frame_support::traits::StorageVersion) when it is done.
//! `docs/upgrades.md` describes how to write the next one.

/// Version 0 to 1: every silo gains a minimum deposit ([`crate::SiloInfo::min_deposit`]), and
/// the zero `LpShares` entries version 0 kept for LPs who had withdrawn everything are removed.
pub mod v1 {
	use crate::{AssetIdOf, Books, Config, LpShares, Pallet, SiloInfo, SiloStatus, Silos};
	use alloc::vec::Vec;
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use scale_info::TypeInfo;
	use segment_interface::{Balance, SegmentId};
	#[cfg(feature = "try-runtime")]
	use {
		frame_support::ensure,
		segment_interface::SiloId,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 0 stored.
	pub mod v0 {
		use super::*;

		/// A silo before minimum deposits.
		#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct SiloInfo<AssetId> {
			pub asset: AssetId,
			pub segment: SegmentId,
			pub status: SiloStatus,
			pub deposit_cap: Balance,
			pub books: Books,
			pub bad_debt: Balance,
		}

		impl<AssetId> SiloInfo<AssetId> {
			/// The same silo with `min_deposit`.
			pub fn upgraded(self, min_deposit: Balance) -> super::SiloInfo<AssetId> {
				let SiloInfo { asset, segment, status, deposit_cap, books, bad_debt } = self;
				super::SiloInfo {
					asset,
					segment,
					status,
					deposit_cap,
					min_deposit,
					books,
					bad_debt,
				}
			}
		}

		/// A silo as version 0 would hold it, for tests that rewind a chain to version 0.
		impl<AssetId> From<super::SiloInfo<AssetId>> for SiloInfo<AssetId> {
			fn from(info: super::SiloInfo<AssetId>) -> Self {
				let super::SiloInfo {
					asset, segment, status, deposit_cap, books, bad_debt, ..
				} = info;
				SiloInfo { asset, segment, status, deposit_cap, books, bad_debt }
			}
		}

		/// [`Silos`](crate::Silos) as version 0 stored it.
		#[frame_support::storage_alias]
		pub type Silos<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			segment_interface::SiloId,
			SiloInfo<AssetIdOf<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Gives every silo `MinDeposit` as its minimum deposit, whatever else it holds unchanged,
	/// and removes LP entries without shares. Use [`MigrateV0ToV1`], which runs this only on a
	/// chain at version 0.
	pub struct UncheckedMigrateV0ToV1<T, MinDeposit>(PhantomData<(T, MinDeposit)>);

	impl<T: Config, MinDeposit: Get<Balance>> UncheckedMigrateV0ToV1<T, MinDeposit> {
		/// The minimum every migrated silo gets: never zero, which no silo may have.
		fn min_deposit() -> Balance {
			MinDeposit::get().max(1)
		}
	}

	impl<T: Config, MinDeposit: Get<Balance>> UncheckedOnRuntimeUpgrade
		for UncheckedMigrateV0ToV1<T, MinDeposit>
	{
		fn on_runtime_upgrade() -> Weight {
			let min_deposit = Self::min_deposit();
			let mut silos = 0u64;
			Silos::<T>::translate::<v0::SiloInfo<AssetIdOf<T>>, _>(|_, old| {
				silos += 1;
				Some(old.upgraded(min_deposit))
			});
			// Version 0 stored a zero for an LP who withdrew everything; version 1 removes it.
			let mut entries = 0u64;
			let empty: Vec<_> = LpShares::<T>::iter()
				.inspect(|_| entries += 1)
				.filter(|(_, _, shares)| *shares == 0)
				.map(|(silo, who, _)| (silo, who))
				.collect();
			for (silo, who) in &empty {
				LpShares::<T>::remove(silo, who);
			}
			T::DbWeight::get().reads_writes(silos + entries, silos + empty.len() as u64)
		}

		/// Every silo as version 0 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let silos: Vec<(SiloId, v0::SiloInfo<AssetIdOf<T>>)> = v0::Silos::<T>::iter().collect();
			Ok(silos.encode())
		}

		/// The same silos, each with the minimum and nothing else changed.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(SiloId, v0::SiloInfo<AssetIdOf<T>>)> = Decode::decode(&mut &state[..])
				.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			ensure!(Silos::<T>::iter_keys().count() == before.len(), "silos were added or lost");
			ensure!(
				LpShares::<T>::iter_values().all(|shares| shares > 0),
				"an empty LP entry stayed"
			);
			for (silo, old) in before {
				let now = Silos::<T>::get(silo).ok_or("a silo was lost")?;
				ensure!(
					now == old.upgraded(Self::min_deposit()),
					"a silo changed beyond its minimum"
				);
			}
			Ok(())
		}
	}

	/// Version 0 to 1, run only on a chain at version 0: every silo gets `MinDeposit`.
	pub type MigrateV0ToV1<T, MinDeposit> = VersionedMigration<
		0,
		1,
		UncheckedMigrateV0ToV1<T, MinDeposit>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
