//! Storage migrations, one module per storage version. A runtime lists the ones its chains
//! still need in `Executive`'s migrations; each runs only on a chain at the version it starts
//! from, and bumps [`StorageVersion`](frame_support::traits::StorageVersion) when it is done.
//! `docs/upgrades.md` describes how to write the next one.

/// Version 0 to 1: every route's limits gain [`crate::RouteLimits::max_account_share`] (a
/// value the runtime chooses), and accounts' use of routes is recorded from the upgrade on
/// ([`crate::AccountUse`] starts empty).
pub mod v1 {
	use crate::{Config, Pallet, Route, Routes};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;
	use segment_interface::{window::SlidingWindow, Balance, RouteId, SiloId};
	use sp_runtime::Permill;
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		frame_support::ensure,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 0 stored.
	pub mod v0 {
		use super::*;

		/// Route limits before the per-account share.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct RouteLimits<N> {
			pub window_limit: Balance,
			pub window_length: N,
			pub large_transfer: Balance,
			pub delay: N,
		}

		/// A route before the per-account share.
		#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct Route<N> {
			pub from: SiloId,
			pub to: SiloId,
			pub limits: RouteLimits<N>,
			pub carried: SlidingWindow<N>,
		}

		impl<N> Route<N> {
			/// The same route with `share` for one account's share of its window.
			pub fn upgraded(self, share: Permill) -> super::Route<N> {
				let Route { from, to, limits: l, carried } = self;
				super::Route {
					from,
					to,
					limits: crate::RouteLimits {
						window_limit: l.window_limit,
						window_length: l.window_length,
						large_transfer: l.large_transfer,
						max_account_share: share,
						delay: l.delay,
					},
					carried,
				}
			}
		}

		/// A route as version 0 would hold it, for tests that rewind a chain to version 0.
		impl<N> From<super::Route<N>> for Route<N> {
			fn from(route: super::Route<N>) -> Self {
				let super::Route { from, to, limits: l, carried } = route;
				Route {
					from,
					to,
					limits: RouteLimits {
						window_limit: l.window_limit,
						window_length: l.window_length,
						large_transfer: l.large_transfer,
						delay: l.delay,
					},
					carried,
				}
			}
		}

		/// [`Routes`](crate::Routes) as version 0 stored it.
		#[frame_support::storage_alias]
		pub type Routes<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			RouteId,
			Route<BlockNumberFor<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// Gives every route `Share` as its per-account share. Use [`MigrateV0ToV1`], which runs
	/// this only on a chain at version 0.
	pub struct UncheckedMigrateV0ToV1<T, Share>(PhantomData<(T, Share)>);

	impl<T: Config, Share: Get<Permill>> UncheckedOnRuntimeUpgrade
		for UncheckedMigrateV0ToV1<T, Share>
	{
		fn on_runtime_upgrade() -> Weight {
			let share = Share::get();
			let mut routes = 0u64;
			Routes::<T>::translate::<v0::Route<BlockNumberFor<T>>, _>(|_, old| {
				routes += 1;
				Some(old.upgraded(share))
			});
			T::DbWeight::get().reads_writes(routes, routes)
		}

		/// Every route as version 0 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let routes: Vec<(RouteId, v0::Route<BlockNumberFor<T>>)> =
				v0::Routes::<T>::iter().collect();
			Ok(routes.encode())
		}

		/// The same routes, each with the share and nothing else changed.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before: Vec<(RouteId, v0::Route<BlockNumberFor<T>>)> =
				Decode::decode(&mut &state[..])
					.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			ensure!(Routes::<T>::iter_keys().count() == before.len(), "routes added or lost");
			for (id, old) in before {
				let new: Route<BlockNumberFor<T>> =
					Routes::<T>::get(id).ok_or("a route was lost")?;
				ensure!(new == old.upgraded(Share::get()), "a route changed beyond its limits");
			}
			Ok(())
		}
	}

	/// Version 0 to 1, run only on a chain at version 0.
	pub type MigrateV0ToV1<T, Share> = VersionedMigration<
		0,
		1,
		UncheckedMigrateV0ToV1<T, Share>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
