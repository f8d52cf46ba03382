fn main() {
	#[cfg(feature = "std")]
	{
		// The wasm builder looks for the workspace's Cargo.lock above the target directory;
		// Bulkhead's lives outside the workspace (~/.cache/bulkhead/target), so name the
		// workspace here. Set for this runtime only: runtimes that dependencies build (such as
		// frame-benchmarking-cli's test runtime) keep finding their own. The manifest directory
		// is read when the script runs, not baked in when it compiles: cargo reuses one compiled
		// build script for every clone that shares the target directory.
		if std::env::var_os("WASM_BUILD_WORKSPACE_HINT").is_none() {
			let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it; qed");
			let workspace = std::path::Path::new(&manifest).join("..");
			std::env::set_var("WASM_BUILD_WORKSPACE_HINT", workspace);
		}
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
		// The same runtime with `spec_version` one higher, as its own wasm: what the
		// end-to-end upgrade test hands `system.setCode`. Only the runtime crate itself
		// compiles again for it; its dependencies are the ones built above.
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_feature("next-spec-version")
			.set_file_name("wasm_binary_next_spec_version.rs")
			.build();
	}
}
