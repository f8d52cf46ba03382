//! Bulkhead's first rule, checked on the real crate graph: no Bulkhead pallet crate depends on
//! another Bulkhead pallet crate, in any dependency section. Each depends on `segment-interface`,
//! and `segment-interface` depends on no pallet. The runtime is the only place that joins them.

use serde_json::Value;
use std::{path::PathBuf, process::Command};

const PALLETS: [&str; 4] = [
	"pallet-collateral-silos",
	"pallet-execution-segments",
	"pallet-gateway",
	"pallet-circuit-breaker",
];
const INTERFACE: &str = "segment-interface";

/// Every way the graph breaks the rule, one line each; empty when it keeps it.
fn segmentation_violations(metadata: &Value) -> Vec<String> {
	let mut violations = Vec::new();
	let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
	for name in PALLETS.iter().chain([INTERFACE].iter()) {
		let Some(package) = packages.iter().find(|p| p["name"] == *name) else {
			violations.push(format!("{name} is not a workspace member"));
			continue;
		};
		let deps = package["dependencies"].as_array().cloned().unwrap_or_default();
		for dep in &deps {
			let dep_name = dep["name"].as_str().unwrap_or_default();
			if dep_name != *name && PALLETS.contains(&dep_name) {
				let kind = dep["kind"].as_str().unwrap_or("normal");
				violations.push(format!("{name} depends on {dep_name} ({kind})"));
			}
		}
		if *name != INTERFACE && !deps.iter().any(|d| d["name"] == INTERFACE) {
			violations.push(format!("{name} does not depend on {INTERFACE}"));
		}
	}
	violations
}

fn workspace_metadata() -> Value {
	// Read when the test runs, not baked in when it compiles: cargo reuses one test binary for
	// every clone that shares the target directory.
	let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets it");
	let manifest = PathBuf::from(crate_dir).join("../../Cargo.toml");
	let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
	let output = Command::new(cargo)
		.args(["metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path"])
		.arg(&manifest)
		.output()
		.expect("cargo metadata runs");
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

#[test]
fn no_pallet_depends_on_a_sibling_pallet() {
	let violations = segmentation_violations(&workspace_metadata());
	assert!(violations.is_empty(), "segmentation broken:\n{}", violations.join("\n"));
}

/// The check itself must be able to fail: a graph where the gateway reaches into the silos
/// pallet (here as a dev-dependency, the easiest one to slip in) is caught.
#[test]
fn a_sibling_dependency_is_caught() {
	let mut metadata = workspace_metadata();
	let gateway = metadata["packages"]
		.as_array_mut()
		.and_then(|ps| ps.iter_mut().find(|p| p["name"] == "pallet-gateway"))
		.expect("gateway is a member");
	gateway["dependencies"]
		.as_array_mut()
		.expect("dependencies is a list")
		.push(serde_json::json!({ "name": "pallet-collateral-silos", "kind": "dev" }));
	assert_eq!(
		segmentation_violations(&metadata),
		vec!["pallet-gateway depends on pallet-collateral-silos (dev)".to_string()]
	);
}

#[test]
fn a_pallet_that_bypasses_the_interface_is_caught() {
	let mut metadata = workspace_metadata();
	let breaker = metadata["packages"]
		.as_array_mut()
		.and_then(|ps| ps.iter_mut().find(|p| p["name"] == "pallet-circuit-breaker"))
		.expect("breaker is a member");
	breaker["dependencies"]
		.as_array_mut()
		.expect("dependencies is a list")
		.retain(|d| d["name"] != INTERFACE);
	assert_eq!(
		segmentation_violations(&metadata),
		vec!["pallet-circuit-breaker does not depend on segment-interface".to_string()]
	);
}
