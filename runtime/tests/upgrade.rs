//! A runtime upgrade on a chain full of state, taken the way a node takes it: the first block
//! after new code sees a newer spec version than `LastRuntimeUpgrade` records, and `Executive`
//! runs every migration in `Migrations` and every pallet's upgrade hook before anything else.
//!
//! The chain is rewound to the storage layout of spec 101 (silos and segments at storage
//! version 1: no pool economics, no fee records, no keeper deposits, no ADL queue; the gateway
//! and the breaker at 0), as a chain that ran spec 101 holds it, and then upgraded. (Version 0
//! to 1 shipped in spec 101, and left the code once every chain had run it.) With the `try-runtime` feature
//! the same upgrade also runs through `Executive::try_runtime_upgrade`: each migration's own
//! pre- and post-checks, every pallet's storage version against its code, and every pallet's
//! `try_state`.

use crate::common;

use bulkhead_runtime::{
	genesis_config_presets::{demo_pool, demo_route},
	CircuitBreaker, CollateralSilos, ExecutionSegments, Gateway, Price, Runtime, System, VERSION,
};
use common::{
	chain::{begin_block, next_block_after},
	*,
};
use frame_support::{
	assert_ok,
	traits::{GetStorageVersion, PalletInfoAccess, StorageVersion},
};
use pallet_circuit_breaker::{
	migrations::{
		v1::v0 as breaker_v0, v2::v1 as breaker_v1, v3::v2 as breaker_v2, v4::v3 as breaker_v3,
	},
	Breakers,
};
use pallet_collateral_silos::{
	migrations::{v2::v1 as silos_v1, v5::v4 as silos_v4},
	Accounts, SiloOfSegment, Silos,
};
use pallet_execution_segments::{
	migrations::v2::v1 as segments_v1, AdlQueue, OrderKind, OrderSettings, Positions, Segments,
	Side,
};
use pallet_gateway::migrations::v1::v0 as gateway_v0;
use segment_interface::SiloValue;
use std::collections::BTreeMap;

/// Every kind of state a user can create: positions in all three segments, LP shares beside
/// Alice's, free and locked margin, a large gateway transfer waiting with one approval of two,
/// and a breaker a guardian tripped.
fn busy_chain() -> sp_io::TestExternalities {
	let mut ext = new_ext();
	ext.execute_with(|| {
		feed_genesis_prices();
		for (who, segment, side) in
			[(bob(), BTC, Side::Long), (charlie(), ETH, Side::Short), (dave(), DOT, Side::Long)]
		{
			assert_ok!(CollateralSilos::deposit_margin(signed(&who), segment, usdc(5_000)));
			assert_ok!(open(&who, segment, side, usdc(10_000), usdc(1_100)));
		}
		assert_ok!(provide(&eve(), BTC, usdc(50_000)));
		assert_ok!(CollateralSilos::deposit_margin(signed(&ferdie()), BTC, usdc(30_000)));
		let route = pallet_gateway::RouteByEnds::<Runtime>::get(BTC, ETH).expect("demo route");
		assert!(usdc(20_000) >= demo_route().large_transfer);
		let transfer = pallet_gateway::NextTransferId::<Runtime>::get();
		assert_ok!(Gateway::request_transfer(signed(&ferdie()), route, usdc(20_000)));
		assert_ok!(Gateway::approve_transfer(signed(&alice()), transfer));
		assert_ok!(CircuitBreaker::trip(signed(&charlie()), DOT));
		check_invariants();
	});
	ext
}

/// The storage prefixes of the pallets whose state a user creates.
fn pallet_prefixes() -> Vec<(&'static str, [u8; 16])> {
	[
		CollateralSilos::name(),
		ExecutionSegments::name(),
		Gateway::name(),
		CircuitBreaker::name(),
		bulkhead_runtime::Assets::name(),
	]
	.into_iter()
	.map(|name| (name, sp_io::hashing::twox_128(name.as_bytes())))
	.collect()
}

/// Every key and value under those pallets' prefixes.
fn user_state() -> BTreeMap<Vec<u8>, Vec<u8>> {
	let mut state = BTreeMap::new();
	for (_, prefix) in pallet_prefixes() {
		let mut key = prefix.to_vec();
		while let Some(next) = sp_io::storage::next_key(&key).filter(|k| k.starts_with(&prefix)) {
			let value = sp_io::storage::get(&next).expect("a key next_key returned has a value");
			state.insert(next.clone(), value.to_vec());
			key = next;
		}
	}
	state
}

/// What a chain that ran spec 101 holds differently in meaning (not only in layout) from one
/// built by this runtime: no keeper deposits (the margin they lock is free margin there), entry
/// prices without price impact, and no fee records. Applied before the snapshot the upgrade is compared with: it is what the
/// migrations must produce. (The busy chain's positions opened in one block, so their
/// borrowing indices are zero, as the migration sets them.)
fn as_spec_101_would_hold_it() {
	// Spec 101 had no orders: none pending, and no prices remembered for them.
	assert!(pallet_execution_segments::Orders::<Runtime>::iter().next().is_none());
	let _ = pallet_execution_segments::PriceRounds::<Runtime>::clear(u32::MAX, None);
	for (segment, who, mut p) in Positions::<Runtime>::iter().collect::<Vec<_>>() {
		let deposit = core::mem::take(&mut p.keeper_deposit);
		assert_eq!(p.borrow_index, Default::default());
		// Spec 101 filled at the oracle price: no impact, so the entry is the oracle's.
		let rank = |p: &pallet_execution_segments::Position| {
			(segment, p.side, ExecutionSegments::adl_rank(p.side, p.entry_price), who.clone())
		};
		AdlQueue::<Runtime>::remove(rank(&p));
		p.entry_price = p.oracle_entry;
		AdlQueue::<Runtime>::insert(rank(&p), ());
		Positions::<Runtime>::insert(segment, &who, p);
		let silo = SiloOfSegment::<Runtime>::get(segment).expect("every segment has a silo");
		Accounts::<Runtime>::mutate(silo, &who, |a| {
			a.margin.locked -= deposit;
			a.margin.free += deposit;
		});
	}
	for (silo, mut info) in Silos::<Runtime>::iter().collect::<Vec<_>>() {
		(info.fees_to_lps, info.fees_to_insurance) = (0, 0);
		Silos::<Runtime>::insert(silo, info);
	}
	// Spec 101 kept no account's principal: the upgrade seeds it from what each account holds
	// (its margin, and its LP shares at book value), and the breakers' windows start with
	// nothing but the outflow they had.
	for (silo, who, mut account) in Accounts::<Runtime>::iter().collect::<Vec<_>>() {
		let books = Silos::<Runtime>::get(silo).expect("the account's silo").books;
		let shares = account
			.shares
			.checked_mul(books.lp_liquidity)
			.map_or(0, |v| v / books.lp_shares);
		account.flow = Default::default();
		account.flow.principal = account.margin.total().expect("margin fits a balance") + shares;
		if account.is_empty() {
			Accounts::<Runtime>::remove(silo, &who);
		} else {
			Accounts::<Runtime>::insert(silo, &who, account);
		}
	}
	// The line's base starts from what each silo holds (with the window's outflow put back),
	// sampled twice at the upgrade block.
	let now = System::block_number();
	for (segment, mut breaker) in Breakers::<Runtime>::iter().collect::<Vec<_>>() {
		let value = <CollateralSilos as SiloValue>::silo_value(segment);
		breaker.base = breaker_v1::Breaker::from(breaker_v3::Breaker::from(breaker))
			.upgraded(now, value)
			.base;
		Breakers::<Runtime>::insert(segment, breaker);
	}
	// Nor what accounts moved along routes.
	let _ = pallet_gateway::AccountUse::<Runtime>::clear(u32::MAX, None);
	as_spec_105_would_hold_it();
}

/// What a chain that ran spec 105 (breaker storage version 3) holds differently in meaning: no
/// reference price and no record of which price was accepted. The upgrade starts each
/// breaker's reference at its last price and accepts that price.
fn as_spec_105_would_hold_it() {
	for (segment, mut breaker) in Breakers::<Runtime>::iter().collect::<Vec<_>>() {
		breaker.reference = breaker.last_price.map(|p| p.price);
		breaker.accepted = breaker.last_price;
		breaker.rejected_since = None;
		Breakers::<Runtime>::insert(segment, breaker);
	}
}

/// Rewrite silos, segments and positions in the layout of storage version 1, drop the ADL
/// queue, set the storage versions to spec 101's, and record spec 101 as the last upgrade: the
/// chain as spec 101 left it.
fn rewind_to_spec_101_layout() {
	for (silo, info) in Silos::<Runtime>::iter().collect::<Vec<_>>() {
		silos_v1::Silos::<Runtime>::insert(silo, silos_v1::SiloInfo::from(info));
	}
	for (id, info) in Segments::<Runtime>::iter().collect::<Vec<_>>() {
		segments_v1::Segments::<Runtime>::insert(id, segments_v1::SegmentInfo::from(info));
	}
	for (segment, who, p) in Positions::<Runtime>::iter().collect::<Vec<_>>() {
		segments_v1::Positions::<Runtime>::insert(segment, who, segments_v1::Position::from(p));
	}
	let _ = AdlQueue::<Runtime>::clear(u32::MAX, None);
	for (id, route) in pallet_gateway::Routes::<Runtime>::iter().collect::<Vec<_>>() {
		gateway_v0::Routes::<Runtime>::insert(id, gateway_v0::Route::from(route));
	}
	for (segment, breaker) in Breakers::<Runtime>::iter().collect::<Vec<_>>() {
		let breaker = breaker_v0::Breaker::from(breaker_v3::Breaker::from(breaker));
		breaker_v0::Breakers::<Runtime>::insert(segment, breaker);
	}
	// Margin and shares in their own items, no principal on record: the silos' migrations
	// seed it and merge them.
	for (silo, who, account) in Accounts::<Runtime>::drain().collect::<Vec<_>>() {
		if !account.margin.is_empty() {
			silos_v4::Margins::<Runtime>::insert(silo, &who, account.margin);
		}
		if account.shares > 0 {
			silos_v4::LpShares::<Runtime>::insert(silo, &who, account.shares);
		}
	}
	StorageVersion::new(1).put::<CollateralSilos>();
	StorageVersion::new(1).put::<ExecutionSegments>();
	StorageVersion::new(0).put::<Gateway>();
	StorageVersion::new(0).put::<CircuitBreaker>();
	let mut spec_101 = VERSION;
	spec_101.spec_version = 101;
	frame_system::LastRuntimeUpgrade::<Runtime>::put(frame_system::LastRuntimeUpgradeInfo::from(
		spec_101,
	));
}

/// Each Bulkhead pallet's storage version on chain, beside the version of its code.
fn storage_versions() -> Vec<(StorageVersion, StorageVersion)> {
	vec![
		(CollateralSilos::on_chain_storage_version(), CollateralSilos::in_code_storage_version()),
		(
			ExecutionSegments::on_chain_storage_version(),
			ExecutionSegments::in_code_storage_version(),
		),
		(Gateway::on_chain_storage_version(), Gateway::in_code_storage_version()),
		(CircuitBreaker::on_chain_storage_version(), CircuitBreaker::in_code_storage_version()),
	]
}

#[test]
fn the_runtime_is_newer_than_spec_101() {
	const { assert!(VERSION.spec_version > 101, "a storage change needs a higher spec version") };
	new_ext().execute_with(|| {
		assert!(storage_versions().iter().all(|(on_chain, in_code)| on_chain == in_code));
		assert_eq!(CollateralSilos::in_code_storage_version(), StorageVersion::new(7));
		assert_eq!(ExecutionSegments::in_code_storage_version(), StorageVersion::new(5));
		assert_eq!(CircuitBreaker::in_code_storage_version(), StorageVersion::new(4));
		assert_eq!(Gateway::in_code_storage_version(), StorageVersion::new(1));
	});
}

#[test]
fn the_first_block_after_an_upgrade_migrates_and_every_item_survives() {
	busy_chain().execute_with(|| {
		as_spec_101_would_hold_it();
		// The migration brings funding up to the block before the upgrade's (migrations run
		// before the new block is initialized) and borrowing starts from there.
		let n = System::block_number();
		for (segment, mut info) in Segments::<Runtime>::iter().collect::<Vec<_>>() {
			ExecutionSegments::accrue_funding_only(&mut info, n);
			// Spec 101 charged no borrowing: what this chain accrued since its trades (their
			// orders take blocks) starts over at the upgrade.
			info.longs.borrow_index = Default::default();
			info.shorts.borrow_index = Default::default();
			Segments::<Runtime>::insert(segment, info);
		}
		let before = user_state();
		rewind_to_spec_101_layout();
		assert_ne!(user_state(), before, "the spec 101 layout differs");

		begin_block(n + 1, System::parent_hash());

		// The migrations gave every segment the demo genesis's pool parameters and tallied its
		// positions into its side sums and ADL queue: the state is the one a chain built by
		// this runtime holds (keeper deposits and fee records aside), to the byte.
		for (segment, info) in Segments::<Runtime>::iter() {
			assert_eq!(info.risk.pool, demo_pool(), "segment {segment}");
		}
		let after = user_state();
		for (name, prefix) in pallet_prefixes() {
			let under = |state: &BTreeMap<Vec<u8>, Vec<u8>>| {
				state.iter().filter(|(k, _)| k.starts_with(&prefix)).count()
			};
			assert_eq!(under(&after), under(&before), "{name}: items added or lost");
		}
		for (key, value) in &after {
			let (name, _) = pallet_prefixes()
				.into_iter()
				.find(|(_, prefix)| key.starts_with(prefix))
				.expect("only these pallets' items");
			assert_eq!(before.get(key), Some(value), "{name}: the item at {key:02x?} changed");
		}
		assert!(storage_versions().iter().all(|(on_chain, in_code)| on_chain == in_code));
		assert_eq!(
			frame_system::LastRuntimeUpgrade::<Runtime>::get().map(|v| v.spec_version.0),
			Some(VERSION.spec_version)
		);
		check_invariants();

		// And the chain goes on trading: Bob's close fills at the next price, the pending
		// transfer completes.
		let fee = demo_pool().keeper_deposit;
		let any = Price::from_inner(0);
		assert_ok!(ExecutionSegments::request_order(
			signed(&bob()),
			BTC,
			OrderKind::Close,
			any,
			fee
		));
		next_block_after(OrderSettings::<Runtime>::get(BTC).min_delay.div_ceil(BLOCK_MS) as u32);
		feed_current();
		next_block_after(0);
		assert_ok!(ExecutionSegments::execute_order(signed(&keeper()), BTC, bob()));
		assert!(Positions::<Runtime>::get(BTC, bob()).is_none());
		let transfer = pallet_gateway::NextTransferId::<Runtime>::get() - 1;
		assert_ok!(Gateway::approve_transfer(signed(&bob()), transfer));
		// Blocks go on through `Executive`, as the upgrade's block did.
		next_block_after(demo_route().delay);
		assert_ok!(Gateway::execute_transfer(signed(&ferdie()), transfer));
		check_invariants();
	});
}

/// Rewrite the accounts in the layout spec 105 left them in (silos at storage version 4, the
/// breaker at 2): margin and pool shares in their own items, each account's flow in the
/// breaker's, and record spec 105 as the last upgrade.
fn rewind_to_spec_105_layout() {
	for (silo, who, account) in Accounts::<Runtime>::drain().collect::<Vec<_>>() {
		if !account.margin.is_empty() {
			silos_v4::Margins::<Runtime>::insert(silo, &who, account.margin);
		}
		if account.shares > 0 {
			silos_v4::LpShares::<Runtime>::insert(silo, &who, account.shares);
		}
		if !account.flow.is_empty() {
			let segment = Silos::<Runtime>::get(silo).expect("the account's silo").segment;
			breaker_v2::AccountFlows::<Runtime>::insert(segment, &who, account.flow);
		}
	}
	for (segment, breaker) in Breakers::<Runtime>::iter().collect::<Vec<_>>() {
		breaker_v3::Breakers::<Runtime>::insert(segment, breaker_v3::Breaker::from(breaker));
	}
	StorageVersion::new(4).put::<CollateralSilos>();
	StorageVersion::new(2).put::<CircuitBreaker>();
	let mut spec_105 = VERSION;
	spec_105.spec_version = 105;
	frame_system::LastRuntimeUpgrade::<Runtime>::put(frame_system::LastRuntimeUpgradeInfo::from(
		spec_105,
	));
}

/// What live chains hold: flows with a window of what accounts took beyond principal, one of
/// them of an account that holds nothing else (Eve took 7 USDC beyond her principal out of
/// ETH's silo and left). Each flow lands in its account's entry, beside its margin and shares, to
/// the byte; nothing is left in the old items.
#[test]
fn an_upgrade_from_spec_105_moves_every_flow_into_its_account_entry() {
	busy_chain().execute_with(|| {
		let n = System::block_number();
		let window = CircuitBreaker::breaker(BTC).thresholds.outflow_window;
		Accounts::<Runtime>::mutate(BTC, bob(), |a| a.flow.taken.record(n, window, usdc(3)));
		assert!(!Accounts::<Runtime>::contains_key(ETH, eve()));
		Accounts::<Runtime>::mutate(ETH, eve(), |a| a.flow.taken.record(n, window, usdc(7)));
		let flows = Accounts::<Runtime>::iter().filter(|(_, _, a)| !a.flow.is_empty()).count();
		assert!(flows >= 5, "principal of every depositor, and the two windows");
		as_spec_105_would_hold_it();
		let before = user_state();
		rewind_to_spec_105_layout();
		assert_eq!(breaker_v2::AccountFlows::<Runtime>::iter().count(), flows);
		assert_ne!(user_state(), before, "the spec 105 layout differs");

		begin_block(n + 1, System::parent_hash());

		assert!(user_state() == before, "every account entry as this runtime builds it");
		assert_eq!(breaker_v2::AccountFlows::<Runtime>::iter().count(), 0);
		assert_eq!(silos_v4::Margins::<Runtime>::iter().count(), 0);
		assert_eq!(silos_v4::LpShares::<Runtime>::iter().count(), 0);
		assert!(storage_versions().iter().all(|(on_chain, in_code)| on_chain == in_code));
		check_invariants();
		// Eve's window still counts against her share: her room is her share less 7 USDC.
		let line = CircuitBreaker::line(ETH, CollateralSilos::summary(ETH).unwrap().value);
		let left = line.per_account.saturating_sub(usdc(7)).min(line.left());
		assert!(left < line.per_account.min(line.left()));
		assert_eq!(CollateralSilos::outflow_room(ETH, &eve()), Some(left));
	});
}

#[test]
fn a_chain_already_at_the_new_layout_is_left_alone() {
	busy_chain().execute_with(|| {
		let before = user_state();
		let mut older = VERSION;
		older.spec_version -= 1;
		frame_system::LastRuntimeUpgrade::<Runtime>::put(
			frame_system::LastRuntimeUpgradeInfo::from(older),
		);
		begin_block(System::block_number() + 1, System::parent_hash());
		assert!(user_state() == before, "a migration ran twice");
		check_invariants();
	});
}

/// `try-runtime`'s own checks, as `try-runtime-cli on-runtime-upgrade` runs them against a
/// live chain's state: every migration's pre- and post-upgrade checks, every pallet's storage
/// version against its code, and every pallet's `try_state`.
#[cfg(feature = "try-runtime")]
#[test]
fn try_runtime_checks_pass_on_the_upgrade_from_spec_101() {
	use frame_try_runtime::UpgradeCheckSelect;
	busy_chain().execute_with(|| {
		as_spec_101_would_hold_it();
		rewind_to_spec_101_layout();
		let weight = bulkhead_runtime::Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.expect("every migration's checks and every pallet's try_state pass");
		assert!(weight.ref_time() > 0, "the migrations did work");
		assert!(storage_versions().iter().all(|(on_chain, in_code)| on_chain == in_code));
		check_invariants();
	});
}

/// Without the migrations the upgrade is refused by `try-runtime`: the check that would stop
/// a release that forgot one.
#[cfg(feature = "try-runtime")]
#[test]
fn try_runtime_refuses_an_upgrade_that_leaves_a_pallet_behind() {
	use frame_support::traits::OnRuntimeUpgrade;
	busy_chain().execute_with(|| {
		as_spec_101_would_hold_it();
		rewind_to_spec_101_layout();
		// The pallets' own hooks alone, without `Migrations`: the storage versions stay at 1.
		let checked = bulkhead_runtime::AllPalletsWithSystem::try_on_runtime_upgrade(true);
		assert!(checked.is_err(), "a pallet left at version 1 must fail the checks");
	});
}
