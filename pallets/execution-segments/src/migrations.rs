//! Storage migrations, one module per storage version. A runtime lists the ones its chains
//! still need in `Executive`'s migrations; each runs only on a chain at the version it starts
//! from, and bumps [`StorageVersion`](frame_support::traits::StorageVersion) when it is done.
//! A migration leaves this module once every chain has run it (version 0 to 1 shipped in spec
//! 101; a chain still at version 0 upgrades through spec 101 first). `docs/upgrades.md`
//! describes how to write the next one.

/// Version 1 to 2, the pool economics: every segment's risk parameters gain [`crate::PoolParams`]
/// (`Params`), every segment its side sums ([`crate::SideBook`], computed from its positions),
/// every position a borrowing index (its side's, which starts at zero) and a keeper deposit of
/// zero (positions opened before deposits existed pay their liquidator the fee alone), and the
/// ADL queue ([`crate::AdlQueue`]) an entry per position.
///
/// It visits every position once: a chain with more positions than one block can rewrite
/// needs a multi-block migration instead.
pub mod v2 {
	use crate::{
		AdlQueue, Config, Pallet, PoolParams, Position, Positions, RiskParams, SegmentInfo,
		Segments, Side, SideBook,
	};
	use codec::{Decode, Encode};
	use core::marker::PhantomData;
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use scale_info::TypeInfo;
	use segment_interface::{Balance, Moment, OracleKey, Price, SiloId};
	use sp_runtime::{FixedI128, Perbill, Permill};
	#[cfg(feature = "try-runtime")]
	use {
		alloc::vec::Vec,
		frame_support::ensure,
		segment_interface::SegmentId,
		sp_runtime::{DispatchError, TryRuntimeError},
	};

	/// The layout version 1 stored.
	pub mod v1 {
		use super::*;

		/// Risk parameters before the pool economics.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct RiskParams {
			pub initial_margin: Permill,
			pub maintenance_margin: Permill,
			pub max_leverage: u32,
			pub liquidation_fee: Permill,
			pub max_open_interest: Balance,
			pub max_oi_share: Permill,
			pub max_oracle_age: Moment,
			pub funding_rate: Perbill,
			pub min_position_size: Balance,
		}

		/// A segment before side sums.
		#[derive(Clone, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct SegmentInfo<BlockNumber> {
			pub silo: SiloId,
			pub oracle_key: OracleKey,
			pub risk: RiskParams,
			pub long_oi: Balance,
			pub short_oi: Balance,
			pub funding_index: FixedI128,
			pub funding_updated: BlockNumber,
		}

		/// A position before borrowing and keeper deposits.
		#[derive(Clone, Copy, Encode, Decode, Eq, PartialEq, Debug, TypeInfo)]
		pub struct Position {
			pub side: Side,
			pub size: Balance,
			pub entry_price: Price,
			pub margin: Balance,
			pub funding_index: FixedI128,
		}

		impl Position {
			/// The same position, owing borrowing from zero, with no keeper deposit.
			pub fn upgraded(self) -> super::Position {
				let Position { side, size, entry_price, margin, funding_index } = self;
				super::Position {
					side,
					size,
					entry_price,
					margin,
					funding_index,
					borrow_index: FixedI128::default(),
					oracle_entry: entry_price,
					keeper_deposit: 0,
				}
			}
		}

		impl<BlockNumber> SegmentInfo<BlockNumber> {
			/// The same segment with `pool` parameters and empty side sums (the migration
			/// tallies its positions into them).
			pub fn upgraded(self, pool: PoolParams) -> super::SegmentInfo<BlockNumber> {
				let SegmentInfo {
					silo,
					oracle_key,
					risk,
					long_oi,
					short_oi,
					funding_index,
					funding_updated,
				} = self;
				let r = risk;
				super::SegmentInfo {
					silo,
					oracle_key,
					risk: super::RiskParams {
						initial_margin: r.initial_margin,
						maintenance_margin: r.maintenance_margin,
						max_leverage: r.max_leverage,
						liquidation_fee: r.liquidation_fee,
						max_open_interest: r.max_open_interest,
						max_oi_share: r.max_oi_share,
						max_oracle_age: r.max_oracle_age,
						funding_rate: r.funding_rate,
						min_position_size: r.min_position_size,
						pool,
					},
					long_oi,
					short_oi,
					funding_index,
					funding_updated,
					longs: SideBook::default(),
					shorts: SideBook::default(),
				}
			}
		}

		/// A segment as version 1 would hold it, for tests that rewind a chain to version 1.
		impl<BlockNumber> From<super::SegmentInfo<BlockNumber>> for SegmentInfo<BlockNumber> {
			fn from(info: super::SegmentInfo<BlockNumber>) -> Self {
				let r = info.risk;
				SegmentInfo {
					silo: info.silo,
					oracle_key: info.oracle_key,
					risk: RiskParams {
						initial_margin: r.initial_margin,
						maintenance_margin: r.maintenance_margin,
						max_leverage: r.max_leverage,
						liquidation_fee: r.liquidation_fee,
						max_open_interest: r.max_open_interest,
						max_oi_share: r.max_oi_share,
						max_oracle_age: r.max_oracle_age,
						funding_rate: r.funding_rate,
						min_position_size: r.min_position_size,
					},
					long_oi: info.long_oi,
					short_oi: info.short_oi,
					funding_index: info.funding_index,
					funding_updated: info.funding_updated,
				}
			}
		}

		/// A position as version 1 would hold it.
		impl From<super::Position> for Position {
			fn from(p: super::Position) -> Self {
				Position {
					side: p.side,
					size: p.size,
					entry_price: p.entry_price,
					margin: p.margin,
					funding_index: p.funding_index,
				}
			}
		}

		/// [`Segments`](crate::Segments) as version 1 stored it.
		#[frame_support::storage_alias]
		pub type Segments<T: Config> = StorageMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			segment_interface::SegmentId,
			SegmentInfo<BlockNumberFor<T>>,
			frame_support::pallet_prelude::OptionQuery,
		>;

		/// [`Positions`](crate::Positions) as version 1 stored it.
		#[frame_support::storage_alias]
		pub type Positions<T: Config> = StorageDoubleMap<
			Pallet<T>,
			frame_support::Twox64Concat,
			segment_interface::SegmentId,
			frame_support::Blake2_128Concat,
			<T as frame_system::Config>::AccountId,
			Position,
			frame_support::pallet_prelude::OptionQuery,
		>;
	}

	/// What `pre_upgrade` hands `post_upgrade`: every segment as version 1 held it, and how many
	/// positions there were.
	#[cfg(feature = "try-runtime")]
	type Snapshot<BlockNumber> = (Vec<(SegmentId, v1::SegmentInfo<BlockNumber>)>, u64);

	/// Gives every segment `Params` and its side sums, every position a zero borrowing index
	/// and keeper deposit, and the ADL queue an entry per position. Use [`MigrateV1ToV2`],
	/// which runs this only on a chain at version 1.
	pub struct UncheckedMigrateV1ToV2<T, Params>(PhantomData<(T, Params)>);

	impl<T: Config, Params: Get<PoolParams>> UncheckedOnRuntimeUpgrade
		for UncheckedMigrateV1ToV2<T, Params>
	{
		fn on_runtime_upgrade() -> Weight {
			let params = Params::get();
			let mut segments = 0u64;
			// Open interest is tallied again from the positions, with the side sums.
			Segments::<T>::translate::<v1::SegmentInfo<BlockNumberFor<T>>, _>(|_, old| {
				segments += 1;
				let mut info = old.upgraded(params);
				(info.long_oi, info.short_oi) = (0, 0);
				Some(info)
			});
			let mut positions = 0u64;
			Positions::<T>::translate::<v1::Position, _>(|_, _, old| {
				positions += 1;
				Some(old.upgraded())
			});
			for (segment, who, p) in Positions::<T>::iter() {
				Segments::<T>::mutate(segment, |info| {
					if let Some(info) = info {
						// Sums that overflow are left for try_state to report.
						let _ = Pallet::<T>::tally(info, &p, true);
					}
				});
				let rank = Pallet::<T>::adl_rank(p.side, p.entry_price);
				AdlQueue::<T>::insert((segment, p.side, rank, who), ());
			}
			// Funding owed so far accrues at the old rules, and borrowing starts now: the
			// blocks before the upgrade charged none.
			let now = frame_system::Pallet::<T>::block_number();
			for segment in Segments::<T>::iter_keys().collect::<alloc::vec::Vec<_>>() {
				Segments::<T>::mutate(segment, |info| {
					if let Some(info) = info {
						Pallet::<T>::accrue_funding_only(info, now);
					}
				});
			}
			T::DbWeight::get()
				.reads_writes(2 * segments + 2 * positions, 2 * segments + 3 * positions)
		}

		/// Every segment as version 1 holds it.
		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			let segments: Vec<(SegmentId, v1::SegmentInfo<BlockNumberFor<T>>)> =
				v1::Segments::<T>::iter().collect();
			let positions = v1::Positions::<T>::iter().count() as u64;
			let snapshot: Snapshot<BlockNumberFor<T>> = (segments, positions);
			Ok(snapshot.encode())
		}

		/// The same segments with the pool parameters and every position kept; `try_state`
		/// then checks the side sums and the queue against the positions.
		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let (before, positions): Snapshot<BlockNumberFor<T>> = Decode::decode(&mut &state[..])
				.map_err(|_| DispatchError::Other("pre-upgrade state does not decode"))?;
			ensure!(
				Segments::<T>::iter_keys().count() == before.len(),
				"segments were added or lost"
			);
			ensure!(Positions::<T>::iter().count() as u64 == positions, "positions were lost");
			for (segment, old) in before {
				let now = Segments::<T>::get(segment).ok_or("a segment was lost")?;
				ensure!(now.risk.pool == Params::get(), "a segment missed its pool parameters");
				// Everything but the funding, which was brought up to this block.
				let mut expected = old;
				(expected.funding_index, expected.funding_updated) =
					(now.funding_index, now.funding_updated);
				ensure!(v1::SegmentInfo::from(now.clone()) == expected, "a segment changed");
				ensure!(
					now.funding_updated == frame_system::Pallet::<T>::block_number(),
					"funding was not brought up to the upgrade"
				);
				ensure!(now.risk.is_valid(), "migrated risk parameters are invalid");
			}
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 1 to 2, run only on a chain at version 1.
	pub type MigrateV1ToV2<T, Params> = VersionedMigration<
		1,
		2,
		UncheckedMigrateV1ToV2<T, Params>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 2 to 3, two-step orders: [`crate::Orders`], [`crate::OrderCount`],
/// [`crate::PriceRounds`] and [`crate::OrderSettings`] are new and start empty (every segment
/// on [`crate::Config::DefaultOrderParams`]); nothing stored before changes its layout. The
/// version records that the chain's positions can only have been opened by the instant calls
/// this version removed.
pub mod v3 {
	use crate::{Config, Pallet};
	#[cfg(feature = "try-runtime")]
	use crate::{OrderCount, Orders, PriceRounds};
	use frame_support::{
		migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
	};

	/// Checks, under try-runtime, that the new items are empty; writes nothing.
	pub struct UncheckedMigrateV2ToV3<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV2ToV3<T> {
		fn on_runtime_upgrade() -> Weight {
			Weight::zero()
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			frame_support::ensure!(Orders::<T>::iter().next().is_none(), "orders before orders");
			frame_support::ensure!(OrderCount::<T>::iter().next().is_none(), "order counts");
			frame_support::ensure!(PriceRounds::<T>::iter().next().is_none(), "price rounds");
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 2 to 3, run only on a chain at version 2.
	pub type MigrateV2ToV3<T> = VersionedMigration<
		2,
		3,
		UncheckedMigrateV2ToV3<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 3 to 4, ending markets: [`crate::Markets`], [`crate::Settlements`] and
/// [`crate::Claims`] are new and start empty (every market live); nothing stored before
/// changes its layout.
pub mod v4 {
	use crate::{Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
	};

	/// Checks, under try-runtime, that no market has ended yet; writes nothing.
	pub struct UncheckedMigrateV3ToV4<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV3ToV4<T> {
		fn on_runtime_upgrade() -> Weight {
			Weight::zero()
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			frame_support::ensure!(
				crate::Markets::<T>::iter().next().is_none()
					&& crate::Settlements::<T>::iter().next().is_none()
					&& crate::Claims::<T>::iter().next().is_none(),
				"markets ended before they could"
			);
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 3 to 4, run only on a chain at version 3.
	pub type MigrateV3ToV4<T> = VersionedMigration<
		3,
		4,
		UncheckedMigrateV3ToV4<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}

/// Version 4 to 5: [`crate::RepricedAt`] is added, empty on a chain that upgrades (no LP order
/// is priced before the upgrade, so none can be priced older than a position); a chain whose
/// positions moved under this code keeps what it recorded.
pub mod v5 {
	use crate::{Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration, traits::UncheckedOnRuntimeUpgrade, weights::Weight,
	};

	/// Writes nothing; checks, under try-runtime, the pallet's state after it.
	pub struct UncheckedMigrateV4ToV5<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for UncheckedMigrateV4ToV5<T> {
		fn on_runtime_upgrade() -> Weight {
			Weight::zero()
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(_state: alloc::vec::Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			Pallet::<T>::do_try_state()
		}
	}

	/// Version 4 to 5, run only on a chain at version 4.
	pub type MigrateV4ToV5<T> = VersionedMigration<
		4,
		5,
		UncheckedMigrateV4ToV5<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
