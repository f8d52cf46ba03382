// End-to-end: two validators, Alice and Bob, on `--chain local` over loopback. They peer,
// author with Aura and finalize with GRANDPA; both see the same finalized blocks. Then Bob
// stops: Alice keeps authoring but nothing more is finalized (GRANDPA needs both of two
// voters), and when Bob comes back on his base path, finality resumes on the same chain.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { rpc, startNode, waitFor } from './harness.js';

// Fixed node keys, so Bob can name Alice's peer id as his bootnode.
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const BOB_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000002';

const nodes = [];
const bobBase = mkdtempSync(join(tmpdir(), 'bulkhead-bob-'));

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  rmSync(bobBase, { recursive: true, force: true });
});

async function finalizedNumber(node) {
  const hash = await rpc(node.port, 'chain_getFinalizedHead');
  const header = await rpc(node.port, 'chain_getHeader', [hash]);
  return { number: parseInt(header.number, 16), hash };
}

test('two validators finalize together, stall without one, and resume when it returns', { timeout: 420_000 }, async () => {
  // Alice forces authoring: a validator with no peers does not author otherwise
  // (sc-consensus-slots waits for the network), and this test wants her chain to grow alone.
  const alice = await startNode(
    ['--chain', 'local', '--alice', '--tmp', '--node-key', ALICE_NODE_KEY, '--force-authoring'],
    { name: 'alice' },
  );
  nodes.push(alice);
  const bobArgs = ['--chain', 'local', '--bob', '--node-key', BOB_NODE_KEY,
    '--bootnodes', `/ip4/127.0.0.1/tcp/${alice.p2pPort}/p2p/${ALICE_PEER_ID}`];
  let bob = await startNode(bobArgs, { name: 'bob', basePath: bobBase });
  nodes.push(bob);

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

  // Bob stops. Alice still authors in her slots, but no block is finalized without Bob.
  await bob.stop();
  nodes.splice(nodes.indexOf(bob), 1);
  const stalled = await finalizedNumber(alice);
  const bestNumber = async (node) => parseInt((await rpc(node.port, 'chain_getHeader')).number, 16);
  const bestAtStop = await bestNumber(alice);
  await waitFor(async () => (await bestNumber(alice)) >= bestAtStop + 2, {
    timeoutMs: 60_000,
    intervalMs: 1_000,
    what: 'Alice to author two blocks alone',
  });
  const during = await finalizedNumber(alice);
  assert.equal(during.number, stalled.number, 'a block was finalized with one of two voters');
  assert.equal(during.hash, stalled.hash);
  // Alice's new blocks build on the finalized one: no fork was finalized.
  const best = await bestNumber(alice);
  assert.ok(best > stalled.number);
  assert.equal(await rpc(alice.port, 'chain_getBlockHash', [stalled.number]), stalled.hash);

  // Bob returns on his base path; finality resumes past the stall, on the same chain.
  bob = await startNode(bobArgs, { name: 'bob-again', basePath: bobBase });
  nodes.push(bob);
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
});
