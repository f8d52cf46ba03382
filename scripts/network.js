#!/usr/bin/env node
// Runs the two-validator network of e2e/two-validators.toml (Alice and Bob, `--chain local`,
// Aura + GRANDPA, spawned by zombienet with the release node) until Ctrl-C, and prints where
// to reach each validator. Node logs are in the directory it prints.
//
// Usage: node scripts/network.js

import { startTwoValidators } from '../e2e/zombienet.js';

const network = await startTwoValidators();
for (const v of [network.alice, network.bob]) console.log(`${v.name}: ${v.url}`);
console.log(`logs and base paths: ${network.dir}; Ctrl-C stops both validators`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  try {
    // Ctrl-C reaches the validators too; stopping what already ended may fail.
    await network.stop();
  } catch (e) {
    console.error(`stopping: ${e.message ?? e}`);
  } finally {
    process.exit(0);
  }
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
