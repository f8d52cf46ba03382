//! The runtime driven the way a node drives it: `Executive` starts and finishes real blocks
//! (Aura pre-digest, timestamp inherent, every pallet's hooks), and signed extrinsics pay their
//! fees, so what a test measures is what a chain would do.

use super::{genesis_ext, BLOCK_MS, GENESIS_MS};
use bulkhead_runtime::{
	tx_extension, AccountId, BlockNumber, Executive, Header, RuntimeCall, SignedPayload, System,
	UncheckedExtrinsic,
};
use codec::Encode;
use sp_consensus_aura::{Slot, AURA_ENGINE_ID};
use sp_core::{sr25519, Pair as _, H256};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{
	generic::{Digest, DigestItem},
	traits::Header as _,
	ApplyExtrinsicResult, DispatchResult,
};
use std::sync::OnceLock;

/// A state kept as raw storage, to copy into fresh externalities.
pub type Snapshot = (Vec<(Vec<u8>, (Vec<u8>, i32))>, H256);

/// Externalities holding the state `build` makes, built once per test binary (in `cell`) and
/// copied for each use.
pub fn from_snapshot(
	cell: &'static OnceLock<Snapshot>,
	build: impl FnOnce() -> sp_io::TestExternalities,
) -> sp_io::TestExternalities {
	let (raw, root) = cell.get_or_init(|| {
		let mut ext = build();
		ext.commit_all().expect("the state commits");
		ext.into_raw_snapshot()
	});
	sp_io::TestExternalities::from_raw_snapshot(raw.clone(), *root, sp_runtime::StateVersion::V1)
}

/// The development genesis, before block 1.
pub fn genesis_snapshot() -> sp_io::TestExternalities {
	static GENESIS: OnceLock<Snapshot> = OnceLock::new();
	from_snapshot(&GENESIS, genesis_ext)
}

/// proptest's configuration from the environment (`PROPTEST_CASES`, `PROPTEST_RNG_SEED`, ...),
/// with `default_cases` and a fixed `seed` unless those say otherwise: CI runs one fixed set
/// of cases, so what it covers does not vary from run to run. Failures are kept as regression
/// tests in the test files rather than in a persistence file.
pub fn proptest_config(default_cases: u32, seed: u64) -> proptest::test_runner::Config {
	let mut config = proptest::test_runner::Config::default();
	if std::env::var_os("PROPTEST_CASES").is_none() {
		config.cases = default_cases;
	}
	if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
		config.rng_seed = proptest::test_runner::RngSeed::Fixed(seed);
	}
	config.failure_persistence = None;
	config
}

/// Start block `n` on `parent` as a node would: a header carrying Aura's slot for `n`,
/// `Executive`'s initialisation (every `on_initialize`), and the timestamp inherent for that
/// slot.
pub fn begin_block(n: BlockNumber, parent: H256) {
	let slot = GENESIS_MS / BLOCK_MS + u64::from(n);
	let digest =
		Digest { logs: vec![DigestItem::PreRuntime(AURA_ENGINE_ID, Slot::from(slot).encode())] };
	// Blocks left out in between were empty: the chain goes on from `n - 1`.
	System::set_block_number(n - 1);
	let header = Header::new(n, Default::default(), Default::default(), parent, digest);
	Executive::initialize_block(&header);
	let now = RuntimeCall::Timestamp(pallet_timestamp::Call::set { now: slot * BLOCK_MS });
	Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(now))
		.expect("the timestamp inherent is valid")
		.expect("the timestamp inherent applies");
}

/// Start block 1 on the genesis block.
pub fn begin_first_block() {
	begin_block(1, System::block_hash(0));
}

/// Finish the current block through `Executive` (`on_idle`, every `on_finalize`); its hash.
pub fn end_block() -> H256 {
	Executive::finalize_block().hash()
}

/// Finish this block and start the one `1 + skip` blocks later. Nothing in this runtime acts
/// in an empty block, so skipped blocks are left out rather than run.
pub fn next_block_after(skip: BlockNumber) {
	let n = System::block_number();
	let parent = end_block();
	begin_block(n + 1 + skip, parent);
}

/// `who`'s key pair. A keyring derives it from its phrase on every use (2,048 rounds of
/// PBKDF2), which would cost more than the block it signs for; this derives each once.
pub fn pair(who: Sr25519Keyring) -> &'static sr25519::Pair {
	static PAIRS: OnceLock<Vec<(Sr25519Keyring, sr25519::Pair)>> = OnceLock::new();
	let pairs = PAIRS.get_or_init(|| Sr25519Keyring::iter().map(|k| (k, k.pair())).collect());
	&pairs
		.iter()
		.find(|(key, _)| *key == who)
		.expect("every keyring key is derived")
		.1
}

/// `who`'s account, derived once.
pub fn account_of(who: Sr25519Keyring) -> AccountId {
	pair(who).public().into()
}

/// `call` signed by `who` with their next nonce, immortal, no tip.
pub fn sign(who: Sr25519Keyring, call: RuntimeCall) -> UncheckedExtrinsic {
	let account = account_of(who);
	let extension = tx_extension(System::account_nonce(&account));
	let payload = SignedPayload::new(call, extension).expect("the extensions' implicit data");
	let signature = payload.using_encoded(|bytes| pair(who).sign(bytes));
	let (call, extension, _) = payload.deconstruct();
	UncheckedExtrinsic::new_signed(call, account.into(), signature.into(), extension)
}

/// Apply `call` as an extrinsic signed by `who`, as a block author would. Panics if the
/// transaction is invalid (bad nonce, fees unpaid): every account a test signs for can pay.
pub fn submit(who: Sr25519Keyring, call: RuntimeCall) -> DispatchResult {
	let applied: ApplyExtrinsicResult = Executive::apply_extrinsic(sign(who, call));
	applied.expect("every account a test signs for sends valid transactions")
}

/// `call` wrapped in `sudo`, for Alice (the dev chain's sudo key) to sign.
pub fn sudo(call: RuntimeCall) -> RuntimeCall {
	RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(call) })
}
