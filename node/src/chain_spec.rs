//! Chain specs for `--dev` and `--chain local`, built from the runtime's genesis presets.

use bulkhead_runtime::WASM_BINARY;
use sc_service::ChainType;

/// A chain spec carrying no extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// What polkadot.js shows for balances and addresses.
fn properties() -> sc_chain_spec::Properties {
	let mut properties = sc_chain_spec::Properties::new();
	properties.insert("tokenSymbol".into(), "BULK".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), 42.into());
	properties
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "the runtime's wasm was not built (SKIP_WASM_BUILD?)".to_string())
}

/// `--dev`: one node, Alice, blocks sealed and finalized as transactions arrive.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Bulkhead Development")
		.with_id("bulkhead_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: Alice and Bob as Aura + GRANDPA validators.
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Bulkhead Local Testnet")
		.with_id("bulkhead_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
