//! Storage migrations, one module per storage version. A runtime lists the ones its chains
//! still need in `Executive`'s migrations; each runs only on a chain at the version it starts
//! from, and bumps [`StorageVersion`](frame_support::traits::StorageVersion) when it is done.
//! A migration leaves this module once every chain has run it (version 0 to 1 shipped in spec
//! 101; a chain still at version 0 upgrades through spec 101 first). `docs/upgrades.md`
//! describes how to write the next one.

/// Version 1 to 2: every silo records the position fees paid to its LPs and its insurance fund
/// ([`crate::SiloInfo::fees_to_lps`], [`crate::SiloInfo::fees_to_insurance`]), starting at zero.
pub mod v2 {
	use crate::{AssetIdOf, Books, Config, Pallet, SiloInfo, SiloStatus, Silos};
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
		alloc::vec::Vec,
		frame_support::ensure,
		segment_interface::SiloId,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 1 stored.
	pub mod v1 {
		use super::*;

		/// A silo before fee records.
		#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct SiloInfo<AssetId> {
			pub asset: AssetId,
			pub segment: SegmentId,
			pub status: SiloStatus,
			pub deposit_cap: Balance,
			pub min_deposit: Balance,
			pub books: Books,
			pub bad_debt: Balance,
		}

		impl<AssetId> SiloInfo<AssetId> {
			/// The same silo with no fees recorded yet.
			pub fn upgraded(self) -> super::SiloInfo<AssetId> {
				let SiloInfo { asset, segment, status, deposit_cap, min_deposit, books, bad_debt } =
					self;
				super::SiloInfo {
					asset,
					segment,
					status,
					deposit_cap,
					min_deposit,
					books,
					bad_debt,
					fees_to_lps: 0,
					fees_to_insurance: 0,
				}
			}
		}

		/// A silo as version 1 would hold it, for tests that rewind a chain to version 1.
		impl<AssetId> From<super::SiloInfo<AssetId>> for SiloInfo<AssetId> {
			fn from(info: super::SiloInfo<AssetId>) -> Self {
				let super::SiloInfo {
					asset,
					segment,
					status,
					deposit_cap,
					min_deposit,
					books,
					bad_debt,
					..
				} = info;
				SiloInfo { asset, segment, status, deposit_cap, min_deposit, books, bad_debt }
			}
		}

		/// [`Silos`](crate::Silos) as version 1 stored it.
		#[frame_support::storage_alias]
		pub type Silos<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			segment_interface::SiloId,
			SiloInfo<AssetIdOf<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Gives every silo empty fee records, everything else unchanged. Use [`MigrateV1ToV2`],
	/// which runs this only on a chain at version 1.
	pub struct UncheckedMigrateV1ToV2<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV1ToV2<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut silos = 0u64;
			Silos::<T>::translate::<v1::SiloInfo<AssetIdOf<T>>, _>(|_, old| {
				silos += 1;
				Some(old.upgraded())
			});
			T::DbWeight::get().reads_writes(silos, silos)
		}

		/// Every silo as version 1 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let silos: Vec<(SiloId, v1::SiloInfo<AssetIdOf<T>>)> = v1::Silos::<T>::iter().collect();
			Ok(silos.encode())
		}

		/// The same silos, each with empty fee records and nothing else changed.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(SiloId, v1::SiloInfo<AssetIdOf<T>>)> = Decode::decode(&mut &state[..])
				.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			ensure!(Silos::<T>::iter_keys().count() == before.len(), "silos were added or lost");
			for (silo, old) in before {
				let now = Silos::<T>::get(silo).ok_or("a silo was lost")?;
				ensure!(now == old.upgraded(), "a silo changed beyond its fee records");
			}
			Ok(())
		}
	}

	/// Version 1 to 2, run only on a chain at version 1.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		UncheckedMigrateV1ToV2<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 to 3: silos gain exit queues ([`crate::ExitQueues`], [`crate::Exits`]), which
/// start empty, and the breaker learns every account's principal: what it holds in each silo
/// (its margin, free, locked and escrowed, and its LP shares at the pool's book value,
/// liquidity over shares) is reported through
/// [`SiloMonitor::note_principal`](segment_interface::SiloMonitor::note_principal), so what
/// accounts held before the upgrade leaves without counting against the outflow line. One
/// pass over every margin account and LP stake: a chain with many accounts needs a
/// multi-block migration instead.
pub mod v3 {
	use crate::{Config, LpShares, Margins, Pallet, Silos};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use segment_interface::SiloMonitor;

	/// Seeds principal. Use [`MigrateV2ToV3`], which runs this only on a chain at version 2.
	pub struct SeedPrincipal<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for SeedPrincipal<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut reads = 0u64;
			let mut noted = 0u64;
			for (silo, info) in Silos::<T>::iter() {
				reads += 1;
				for (who, margin) in Margins::<T>::iter_prefix(silo) {
					reads += 1;
					let held = margin.total().unwrap_or(Balance::MAX);
					if held > 0 {
						T::Monitor::note_principal(info.segment, &who, held);
						noted += 1;
					}
				}
				for (who, shares) in LpShares::<T>::iter_prefix(silo) {
					reads += 1;
					let value = info
						.books
						.amount_for(shares, info.books.lp_liquidity)
						.unwrap_or(Balance::MAX);
					if value > 0 {
						T::Monitor::note_principal(info.segment, &who, value);
						noted += 1;
					}
				}
			}
			// Each note reads and writes the account's principal.
			T::DbWeight::get().reads_writes(reads + noted, noted)
		}
	}

	use segment_interface::Balance;

	/// Version 2 to 3, run only on a chain at version 2.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		SeedPrincipal<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 3 to 4: every silo's exit queue is compacted and counted per account.
///
/// Version 3 left a hole for every exit cancelled or paid out of order, without bound, and
/// counted holes as places looked at. Each queue's live entries (at most
/// [`Config::MaxQueuedExits`](crate::Config::MaxQueuedExits) of them) are renumbered in order
/// from its head, with no holes between them: their indices change (announced with
/// [`Event::ExitQueued`](crate::Event::ExitQueued) under the new index, so a wallet that
/// cancels by index finds it). What each account has waiting ([`QueuedBy`](crate::QueuedBy)) is
/// counted from them. Entries an account queued beyond
/// [`Config::MaxExitsPerAccount`](crate::Config::MaxExitsPerAccount) before the bound existed
/// stay: the account queues no more until it is under it.
pub mod v4 {
	use crate::{Config, Event, ExitQueues, Exits, Pallet, QueuedBy};
	use alloc::vec::Vec;
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// Compacts and counts the queues. Use [`MigrateV3ToV4`], which runs this only on a chain
	/// at version 3.
	pub struct CompactQueues<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for CompactQueues<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut reads, mut writes) = (0u64, 0u64);
			for (silo, mut queue) in ExitQueues::<T>::iter() {
				let mut entries: Vec<_> = Exits::<T>::drain_prefix(silo).collect();
				entries.sort_by_key(|(index, _)| *index);
				reads += 1 + entries.len() as u64;
				let live = entries.len() as u32;
				for (place, (_, exit)) in entries.into_iter().enumerate() {
					let index = queue.head.saturating_add(place as u32);
					QueuedBy::<T>::mutate(silo, &exit.who, |mine| {
						// Fits: the amounts were taken out of accounts that held them.
						*mine = mine.with(exit.request).unwrap_or(*mine)
					});
					Pallet::<T>::deposit_event(Event::ExitQueued {
						silo,
						index,
						who: exit.who.clone(),
						request: exit.request,
					});
					Exits::<T>::insert(silo, index, exit);
					// The old entry removed, the new one and its owner's count written.
					reads += 1;
					writes += 3;
				}
				queue.tail = queue.head.saturating_add(live);
				queue.live = live;
				ExitQueues::<T>::insert(silo, queue);
				writes += 1;
			}
			T::DbWeight::get().reads_writes(reads, writes)
		}
	}

	/// Version 3 to 4, run only on a chain at version 3.
	pub type MigrateV3ToV4<T> = VersionedMigration<
		3,
		4,
		CompactQueues<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
