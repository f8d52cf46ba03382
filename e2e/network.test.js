// End-to-end: two validators, Alice and Bob, on `--chain local` over loopback, as zombienet
// spawns them from e2e/two-validators.toml (the network `scripts/load.js --network` measures).
// They peer, author with Aura and finalize with GRANDPA; both see the same finalized blocks.
// Then Bob freezes: Alice keeps authoring but nothing more is finalized (GRANDPA needs both of
// two voters). Bob is killed and started again on his base path, and finality resumes on the
// same chain.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { rpc, waitFor } from './harness.js';
import { startTwoValidators } from './zombienet.js';

let network;

after(async () => {
  await network?.stop();
});

async function finalizedNumber(node) {
  const hash = await rpc(node.port, 'chain_getFinalizedHead');
  const header = await rpc(node.port, 'chain_getHeader', [hash]);
  return { number: parseInt(header.number, 16), hash };
}

test('two validators finalize together, stall without one, and resume when it returns', { timeout: 420_000 }, async () => {
  network = await startTwoValidators();
  try {
    await validatorFault(network);
  } catch (e) {
    // The nodes' logs stay for whoever reads the failure.
    await network.stop({ keep: true });
    throw e;
  }
});

async function validatorFault({ alice, bob }) {
  assert.equal(await rpc(alice.port, 'system_chainType'), 'Local');
  await waitFor(async () => (await rpc(alice.port, 'system_health')).peers >= 1, { what: 'Alice and Bob to peer' });

  // GRANDPA needs both of two voters: anything finalized was finalized by both.
  const target = 4;
  await waitFor(async () => (await finalizedNumber(alice)).number >= target && (await finalizedNumber(bob)).number >= target, {
    timeoutMs: 180_000,
    intervalMs: 1_000,
    what: `block ${target} finalized on both validators`,
  });

  // Both agree on the finalized chain.
  const a = await finalizedNumber(alice);
  const hashOnBob = await rpc(bob.port, 'chain_getBlockHash', [a.number]);
  assert.equal(hashOnBob, a.hash);

  // Both authored: the finalized chain holds blocks from each Aura authority.
  const authors = new Set();
  for (let n = 1; n <= a.number; n++) {
    const hash = await rpc(alice.port, 'chain_getBlockHash', [n]);
    const header = await rpc(alice.port, 'chain_getHeader', [hash]);
    // The Aura pre-runtime digest carries the slot; slots alternate between the two.
    const preRuntime = header.digest.logs.find((log) => log.startsWith('0x06'));
    authors.add(BigInt('0x' + preRuntime.slice(14, 30).match(/../g).reverse().join('')) % 2n);
  }
  assert.equal(authors.size, 2, 'blocks from both Alice and Bob');

  // Bob freezes: a validator that holds its connections and answers nothing. Alice still
  // authors in her slots, but no block is finalized without Bob.
  await bob.pause();
  const bestNumber = async (node) => parseInt((await rpc(node.port, 'chain_getHeader')).number, 16);
  // A block past the pause first, so any vote Bob sent before it has landed.
  const bestAtPause = await bestNumber(alice);
  await waitFor(async () => (await bestNumber(alice)) > bestAtPause, {
    timeoutMs: 60_000,
    intervalMs: 1_000,
    what: 'Alice to author a block alone',
  });
  const stalled = await finalizedNumber(alice);
  const bestAtStop = await bestNumber(alice);
  await waitFor(async () => (await bestNumber(alice)) >= bestAtStop + 2, {
    timeoutMs: 60_000,
    intervalMs: 1_000,
    what: 'Alice to author two more blocks alone',
  });
  const during = await finalizedNumber(alice);
  assert.equal(during.number, stalled.number, 'a block was finalized with one of two voters');
  assert.equal(during.hash, stalled.hash);
  // Alice's new blocks build on the finalized one: no fork was finalized.
  const best = await bestNumber(alice);
  assert.ok(best > stalled.number);
  assert.equal(await rpc(alice.port, 'chain_getBlockHash', [stalled.number]), stalled.hash);

  // Bob is killed and comes back on his base path; finality resumes past the stall, on the
  // same chain.
  await bob.restart();
  await waitFor(
    async () => (await finalizedNumber(alice)).number > best && (await finalizedNumber(bob)).number > best,
    { timeoutMs: 180_000, intervalMs: 1_000, what: `finality past block ${best} on both validators` },
  );
  const resumed = await finalizedNumber(alice);
  assert.equal(await rpc(bob.port, 'chain_getBlockHash', [resumed.number]), resumed.hash);
  for (const node of [alice, bob]) {
    assert.equal(await rpc(node.port, 'chain_getBlockHash', [stalled.number]), stalled.hash);
    assert.equal(await rpc(node.port, 'chain_getBlockHash', [a.number]), a.hash);
  }
}
