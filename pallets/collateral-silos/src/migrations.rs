//! Storage migrations, one module per storage version. A runtime lists the ones its chains
//! still need in `Executive`'s migrations; each runs only on a chain at the version it starts
//! from, and bumps [`StorageVersion`](frame_support::traits::StorageVersion) when it is done.
//! A migration leaves this module once every chain has run it (version 0 to 1 shipped in spec
//! 101; a chain still at version 0 upgrades through spec 101 first). `docs/upgrades.md`
//! describes how to write the next one.

use alloc::vec::Vec;
use segment_interface::{AccountFlow, Balance, SegmentId};

/// Where accounts' flows were kept before version 5: in the circuit breaker's own storage,
/// which only the runtime can reach (no Bulkhead pallet depends on another). The runtime
/// implements it for the migrations that seed principal there (version 3) and then move every
/// flow into the silos' account entries (version 5).
pub trait LegacyFlows<AccountId, BlockNumber> {
	/// Add `amount` to `who`'s principal in `segment`'s silo.
	fn add_principal(segment: SegmentId, who: &AccountId, amount: Balance);
	/// Every account's flow, by segment.
	fn all() -> Vec<(SegmentId, AccountId, AccountFlow<BlockNumber>)>;
	/// Forget every flow; how many there were.
	fn clear() -> u32;
}

/// A runtime without a breaker kept no flows.
impl<AccountId, BlockNumber> LegacyFlows<AccountId, BlockNumber> for () {
	fn add_principal(_: SegmentId, _: &AccountId, _: Balance) {}
	fn all() -> Vec<(SegmentId, AccountId, AccountFlow<BlockNumber>)> {
		Vec::new()
	}
	fn clear() -> u32 {
		0
	}
}

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
/// start empty, and every account's principal is seeded: what it holds in each silo (its
/// margin, free, locked and escrowed, and its LP shares at the pool's book value, liquidity
/// over shares) is added to it where flows were kept then ([`LegacyFlows`]; version 5 moves
/// them into the accounts' entries), so what accounts held before the upgrade leaves without
/// counting against the outflow line. One pass over every margin account and LP stake: a chain
/// with many accounts needs a multi-block migration instead.
pub mod v3 {
	use super::{
		v5::v4::{LpShares, Margins},
		LegacyFlows,
	};
	use crate::{Config, Pallet, Silos};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;

	/// Seeds principal in `L`. Use [`MigrateV2ToV3`], which runs this only on a chain at
	/// version 2.
	pub struct SeedPrincipal<T, L>(PhantomData<(T, L)>);

	impl<T: Config, L: LegacyFlows<T::AccountId, BlockNumberFor<T>>> UncheckedOnRuntimeUpgrade
		for SeedPrincipal<T, L>
	{
		fn on_runtime_upgrade() -> Weight {
			let mut reads = 0u64;
			let mut noted = 0u64;
			for (silo, info) in Silos::<T>::iter() {
				reads += 1;
				for (who, margin) in Margins::<T>::iter_prefix(silo) {
					reads += 1;
					let held = margin.total().unwrap_or(Balance::MAX);
					if held > 0 {
						L::add_principal(info.segment, &who, held);
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
						L::add_principal(info.segment, &who, value);
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
	pub type MigrateV2ToV3<T, L> = VersionedMigration<
		2,
		3,
		SeedPrincipal<T, L>,
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

/// Version 4 to 5: each account has one entry per silo ([`Accounts`](crate::Accounts)): its
/// margin (from `Margins`), its pool shares (from `LpShares`) and its flow, principal and what
/// it took beyond it, which the breaker kept until its own version 3 and `L` hands over. A
/// withdrawal then writes the account once, not its margin or shares and its flow apart. An
/// account with a flow but nothing held keeps an entry for the flow (what it took still counts
/// against its share of the window); a flow of a segment without a silo is dropped. One pass
/// over every account: a chain with many accounts needs a multi-block migration instead. List
/// it before the breaker's migration to its version 3, which drops the flows.
pub mod v5 {
	use super::LegacyFlows;
	use crate::{Accounts, Config, MarginAccount, Pallet, SiloAccount, SiloOfSegment};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use segment_interface::{Balance, SiloId};
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		codec::{Decode, Encode},
		frame_support::ensure,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout versions 1 to 4 stored.
	pub mod v4 {
		use super::*;

		/// Each trader's margin in each silo.
		#[frame_support::storage_alias]
		pub type Margins<T: Config> = StorageDoubleMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			SiloId,
			frame_support::Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			MarginAccount,
			frame_support::pallet_prelude::ValueQuery,
		>;

		/// Each LP's pool shares in each silo.
		#[frame_support::storage_alias]
		pub type LpShares<T: Config> = StorageDoubleMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			SiloId,
			frame_support::Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			Balance,
			frame_support::pallet_prelude::ValueQuery,
		>;
	}

	/// Merges each account's margin, shares and flow into its entry. Use [`MigrateV4ToV5`],
	/// which runs this only on a chain at version 4.
	pub struct MergeAccounts<T, L>(PhantomData<(T, L)>);

	/// What the old layout held, as the new one holds it.
	type Merged<T> = alloc::collections::BTreeMap<
		(SiloId, <T as frame_system::Config>::AccountId),
		SiloAccount<BlockNumberFor<T>>,
	>;

	impl<T: Config, L: LegacyFlows<T::AccountId, BlockNumberFor<T>>> MergeAccounts<T, L> {
		/// Every old margin account, LP stake and flow, merged per account and silo; and how
		/// many items were read.
		fn merged() -> (Merged<T>, u64) {
			let mut merged = Merged::<T>::new();
			let mut reads = 0u64;
			for (silo, who, margin) in v4::Margins::<T>::iter() {
				reads += 1;
				merged.entry((silo, who)).or_default().margin = margin;
			}
			for (silo, who, shares) in v4::LpShares::<T>::iter() {
				reads += 1;
				merged.entry((silo, who)).or_default().shares = shares;
			}
			for (segment, who, flow) in L::all() {
				reads += 2;
				if let Some(silo) = SiloOfSegment::<T>::get(segment) {
					merged.entry((silo, who)).or_default().flow = flow;
				}
			}
			merged.retain(|_, account| !account.is_empty());
			(merged, reads)
		}
	}

	impl<T: Config, L: LegacyFlows<T::AccountId, BlockNumberFor<T>>> UncheckedOnRuntimeUpgrade
		for MergeAccounts<T, L>
	{
		fn on_runtime_upgrade() -> Weight {
			let (merged, reads) = Self::merged();
			let removed = v4::Margins::<T>::clear(u32::MAX, None).unique
				+ v4::LpShares::<T>::clear(u32::MAX, None).unique
				+ L::clear();
			let written = merged.len() as u64;
			for ((silo, who), account) in merged {
				Accounts::<T>::insert(silo, who, account);
			}
			T::DbWeight::get().reads_writes(reads, written + u64::from(removed))
		}

		/// Every account as the old layout holds it, merged.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			Ok(Self::merged().0.encode())
		}

		/// Exactly those entries, and nothing left in the old layout.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Merged<T> = Decode::decode(&mut &state[..])
				.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			ensure!(Accounts::<T>::iter().count() == before.len(), "accounts added or lost");
			for ((silo, who), account) in before {
				ensure!(Accounts::<T>::get(silo, &who) == account, "an account changed");
			}
			ensure!(v4::Margins::<T>::iter().next().is_none(), "margins left behind");
			ensure!(v4::LpShares::<T>::iter().next().is_none(), "LP shares left behind");
			ensure!(L::all().is_empty(), "flows left behind");
			Ok(())
		}
	}

	/// Version 4 to 5, run only on a chain at version 4.
	pub type MigrateV4ToV5<T, L> = VersionedMigration<
		4,
		5,
		MergeAccounts<T, L>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 5 to 6: LP deposits and withdrawals became orders; [`LpOrders`](crate::LpOrders) and
/// [`LpOrderCount`](crate::LpOrderCount) are added, empty. Nothing is rewritten: the escrow an
/// order takes sits in the account's existing `escrowed` margin.
pub mod v6 {
	use crate::{Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
	};

	/// Writes nothing; checks, under try-runtime, that no LP order exists yet.
	pub struct UncheckedMigrateV5ToV6<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV5ToV6<T> {
		fn on_runtime_upgrade() -> Weight {
			Weight::zero()
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			frame_support::ensure!(
				crate::LpOrders::<T>::iter().next().is_none()
					&& crate::LpOrderCount::<T>::iter().next().is_none(),
				"LP orders before the calls existed"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 5 to 6, run only on a chain at version 5.
	pub type MigrateV5ToV6<T> = VersionedMigration<
		5,
		6,
		UncheckedMigrateV5ToV6<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 6 to 7: a queued exit records the price its next slice of shares is paid at
/// ([`crate::Exit::priced_at`]). Exits queued before hold none: margin needs none, and a share
/// exit is priced anew, as an LP order made then, when the queue next reaches it, instead of
/// at the price of whenever someone processes the queue. One pass over every queued exit,
/// which the queues' bound ([`crate::Config::MaxQueuedExits`] live per silo) keeps small.
pub mod v7 {
	use crate::{Config, ExitRequest, Exits, Pallet};
	use codec::{Decode, Encode, MaxEncodedLen};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use scale_info::TypeInfo;
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		frame_support::ensure,
		segment_interface::SiloId,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 6 stored.
	pub mod v6 {
		use super::*;

		/// A queued exit before its price was timed.
		#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo, MaxEncodedLen)]
		pub struct Exit<AccountId> {
			pub who: AccountId,
			pub request: ExitRequest,
		}

		impl<AccountId> Exit<AccountId> {
			/// The same exit, its price to be timed when the queue next reaches it.
			pub fn upgraded(self) -> crate::Exit<AccountId> {
				crate::Exit { who: self.who, request: self.request, priced_at: None }
			}
		}

		/// An exit as version 6 would hold it, for tests that rewind a chain to version 6.
		impl<AccountId> From<crate::Exit<AccountId>> for Exit<AccountId> {
			fn from(exit: crate::Exit<AccountId>) -> Self {
				Exit { who: exit.who, request: exit.request }
			}
		}

		/// [`Exits`](crate::Exits) as version 6 stored it.
		#[frame_support::storage_alias]
		pub type Exits<T: Config> = StorageDoubleMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			segment_interface::SiloId,
			frame_support::Twox64Concat,
			u32,
			Exit<<T as frame_system::Config>::AccountId>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Rewrites every queued exit with no price timed, everything else unchanged. Use
	/// [`MigrateV6ToV7`], which runs this only on a chain at version 6.
	pub struct UncheckedMigrateV6ToV7<T>(PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV6ToV7<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut exits = 0u64;
			Exits::<T>::translate::<v6::Exit<T::AccountId>, _>(|_, _, old| {
				exits += 1;
				Some(old.upgraded())
			});
			T::DbWeight::get().reads_writes(exits, exits)
		}

		/// Every queued exit as version 6 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let exits: Vec<(SiloId, u32, v6::Exit<T::AccountId>)> =
				v6::Exits::<T>::iter().collect();
			Ok(exits.encode())
		}

		/// The same exits, none with a price timed, and nothing else changed.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(SiloId, u32, v6::Exit<T::AccountId>)> =
				Decode::decode(&mut &state[..])
					.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			ensure!(Exits::<T>::iter_keys().count() == before.len(), "exits were added or lost");
			for (silo, index, old) in before {
				let now = Exits::<T>::get(silo, index).ok_or("an exit was lost")?;
				ensure!(now == old.upgraded(), "an exit changed beyond its price");
			}
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 6 to 7, run only on a chain at version 6.
	pub type MigrateV6ToV7<T> = VersionedMigration<
		6,
		7,
		UncheckedMigrateV6ToV7<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
