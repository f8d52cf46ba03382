//! The runtime's integration tests, as one test binary: each file beside this one is a module
//! of it, so the runtime and everything it depends on are linked into one executable, not one
//! per file (eleven files took 50 to 94 s each to build on a cold run, 4 December, most of it
//! linking the same code). Run one file's tests by its module: `cargo test --release --locked
//! --workspace --test runtime economics::`. A new file here runs only once it is declared below
//! (`autotests = false` in runtime/Cargo.toml: cargo no longer makes a binary of every file).

mod common;

mod breakers;
mod economics;
mod fuzz;
mod integration;
mod lp_orders;
mod oracle;
mod orders;
mod permissions;
mod properties;
mod settlement;
mod upgrade;
