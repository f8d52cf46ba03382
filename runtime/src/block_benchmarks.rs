//! The blocks `bulkhead-node benchmark extrinsic` fills and times: transfers, trade requests
//! and trade executions, every transaction from an account of its own, as a busy chain carries
//! them (one sender with a thousand nonces would find its account cached after the first).
//!
//! The chain state they run on is built by `scripts/benchmark-block-state.js` on a dev node and
//! exported as the benchmark's genesis (`scripts/benchmark-block.sh`): the accounts of each
//! group below funded; the request group's with margin in the BTC silo; the execution group's
//! with an order each and, after the orders' delay, the price that fills them. The paths here
//! and there must agree.
//!
//! A block of executions fills new positions, half long and half short, each executed by a
//! keeper of its own who earns the order's fee. The weight of `execute_order` is its most
//! expensive path (an increase after ten blocks of funding and borrowing), so that block is a
//! typical one, not the worst. The block of increases is the path `execute_order` is charged
//! for, its costliest: each execution grows a position its trader already holds (averaging its
//! entry price and its funding and borrowing indices, and moving it in the ADL queue), filled
//! at the last of the sixteen prices its segment remembers.

use sp_core::{sr25519, Pair};
use sp_runtime::FixedU128;

use crate::{
	genesis_config_presets::{KEEPER_DEPOSIT, USDC_UNIT},
	AccountId, RuntimeCall, RuntimeEvent, SegmentId, UNIT,
};
use pallet_execution_segments::OrderKind;
use segment_interface::Side;

/// Derivation path of the accounts that send transfers.
pub const TRANSFER_SENDERS: &str = "//bench//transfer";
/// Derivation path of the accounts that receive them: sender `n` pays recipient `n`, an existing
/// account no other transaction of the block touches (sending to the next sender would find
/// that account already read when it signs the next transfer).
pub const TRANSFER_RECIPIENTS: &str = "//bench//recipient";
/// Derivation path of the traders that request an order.
pub const REQUESTERS: &str = "//bench//request";
/// Derivation path of the traders whose order waits to be executed.
pub const ORDER_HOLDERS: &str = "//bench//order";
/// Derivation path of the keepers: keeper `n` executes the order of trader `n`.
pub const KEEPERS: &str = "//bench//keeper";
/// Derivation path of the traders who hold a position and wait for an order that increases it.
pub const POSITION_HOLDERS: &str = "//bench//increase";
/// Derivation path of the keepers of those orders: keeper `n` executes trader `n`'s.
pub const INCREASE_KEEPERS: &str = "//bench//increase-keeper";
/// The market the trades are in: BTC-PERP, segment and silo 1.
pub const SEGMENT: SegmentId = 1;
/// What each transfer sends.
pub const TRANSFER: u128 = UNIT;
/// Each trade's notional: 200 USDC.
pub const TRADE_SIZE: u128 = 200 * USDC_UNIT;
/// Each trade's margin: 40 USDC (5x).
pub const TRADE_MARGIN: u128 = 40 * USDC_UNIT;

/// One kind of block: who signs its `n`-th transaction, what that transaction calls, and the
/// event that shows it did what it is measured for.
pub struct BlockBenchmark {
	/// The pallet, as `benchmark extrinsic --pallet` names it.
	pub pallet: &'static str,
	/// The block, as `benchmark extrinsic --extrinsic` names it.
	pub extrinsic: &'static str,
	/// The call its transactions make, as the runtime's metadata names it.
	pub function: &'static str,
	/// Derivation path of the signers: transaction `n` is signed by `{signers}//{n}`.
	pub signers: &'static str,
	/// Transaction `n`'s call; an error if an account it names cannot be derived.
	pub call: fn(u32) -> Result<RuntimeCall, &'static str>,
	/// Whether `event` shows that a transaction did its work: a transfer moved, an order was
	/// requested, an order filled (an order that ends unfilled also dispatches successfully).
	pub did_its_work: fn(&RuntimeEvent) -> bool,
}

/// The `n`-th key under `path`, from the dev phrase as `//Alice` is.
pub fn signer(path: &str, n: u32) -> Result<sr25519::Pair, &'static str> {
	sr25519::Pair::from_string(&alloc::format!("{path}//{n}"), None)
		.map_err(|_| "a benchmark account's derivation path is not a valid secret URI")
}

/// The account of the `n`-th key under `path`.
pub fn account(path: &str, n: u32) -> Result<AccountId, &'static str> {
	Ok(signer(path, n)?.public().into())
}

/// Trader `n`'s trade: half long, half short, at any fill price, the keeper deposit as fee.
fn order(n: u32) -> Result<RuntimeCall, &'static str> {
	let side = if n.is_multiple_of(2) { Side::Long } else { Side::Short };
	let acceptable_price = match side {
		Side::Long => FixedU128::from_inner(u128::MAX),
		Side::Short => FixedU128::from_inner(0),
	};
	Ok(RuntimeCall::ExecutionSegments(pallet_execution_segments::Call::request_order {
		segment: SEGMENT,
		kind: OrderKind::Increase { side, size: TRADE_SIZE, margin: TRADE_MARGIN },
		acceptable_price,
		execution_fee: KEEPER_DEPOSIT,
	}))
}

/// The blocks `benchmark extrinsic` can build.
pub const BLOCK_BENCHMARKS: [BlockBenchmark; 4] = [
	BlockBenchmark {
		pallet: "balances",
		extrinsic: "transfer_keep_alive",
		function: "transfer_keep_alive",
		signers: TRANSFER_SENDERS,
		call: |n| {
			Ok(RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
				dest: account(TRANSFER_RECIPIENTS, n)?.into(),
				value: TRANSFER,
			}))
		},
		did_its_work: |event| {
			matches!(event, RuntimeEvent::Balances(pallet_balances::Event::Transfer { .. }))
		},
	},
	BlockBenchmark {
		pallet: "execution_segments",
		extrinsic: "request_order",
		function: "request_order",
		signers: REQUESTERS,
		call: order,
		did_its_work: |event| {
			matches!(
				event,
				RuntimeEvent::ExecutionSegments(
					pallet_execution_segments::Event::OrderRequested { .. }
				)
			)
		},
	},
	BlockBenchmark {
		pallet: "execution_segments",
		extrinsic: "execute_order",
		function: "execute_order",
		signers: KEEPERS,
		call: |n| execute(ORDER_HOLDERS, n),
		did_its_work: executed,
	},
	BlockBenchmark {
		pallet: "execution_segments",
		extrinsic: "execute_order_increase",
		function: "execute_order",
		signers: INCREASE_KEEPERS,
		call: |n| execute(POSITION_HOLDERS, n),
		did_its_work: executed,
	},
];

/// The execution of the order of trader `n` under `traders`.
fn execute(traders: &str, n: u32) -> Result<RuntimeCall, &'static str> {
	Ok(RuntimeCall::ExecutionSegments(pallet_execution_segments::Call::execute_order {
		segment: SEGMENT,
		who: account(traders, n)?,
	}))
}

/// An order filled (one that ended unfilled also dispatches successfully).
fn executed(event: &RuntimeEvent) -> bool {
	matches!(
		event,
		RuntimeEvent::ExecutionSegments(pallet_execution_segments::Event::OrderExecuted { .. })
	)
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::traits::GetCallMetadata;
	use sp_core::crypto::Ss58Codec;

	#[test]
	fn signers_are_the_accounts_the_state_script_funds() {
		// As `@polkadot/keyring`'s `addFromUri` derives them in scripts/benchmark-block-state.js
		// (public keys printed by it, 2026-12-04).
		let expect = |path: &str, n: u32, public: &str| {
			let public = sp_core::bytes::from_hex(public).unwrap();
			let derived = account(path, n).unwrap();
			assert_eq!(
				AsRef::<[u8]>::as_ref(&derived),
				&public[..],
				"{path}//{n}: {}",
				derived.to_ss58check()
			);
		};
		expect(KEEPERS, 3, "0xbcbb0b3ebd28ee319e9f38597c7a2b11dbcd2cf13b667d773b79ceb7bc5b987b");
		// (2026-12-05)
		expect(
			POSITION_HOLDERS,
			0,
			"0x72794dfda23000b7b239c53398c0e5634da1f6288e70f5b33605c034937f092d",
		);
		expect(
			INCREASE_KEEPERS,
			5,
			"0x7ad1ca4eec38041b13e71ad4425905364109901f6615ec5635cad0f6cf40330a",
		);
		expect(
			ORDER_HOLDERS,
			0,
			"0x5496f0dbf1d0c3595aa0ef5f381716baa122cec55238bb851c00db54b9547678",
		);
	}

	#[test]
	fn every_block_calls_what_it_names() {
		for bench in &BLOCK_BENCHMARKS {
			let call = (bench.call)(1).unwrap();
			let info = call.get_call_metadata();
			assert_eq!(info.function_name, bench.function);
			assert!(bench.extrinsic.starts_with(bench.function));
			assert_eq!(info.pallet_name.to_lowercase(), bench.pallet.replace('_', ""));
		}
	}
}
