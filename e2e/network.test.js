// End-to-end: two validators, Alice and Bob, on `--chain local` over loopback. They peer,
// author with Aura and finalize with GRANDPA; both see the same finalized blocks.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { rpc, startNode, waitFor } from './harness.js';

// Fixed node keys, so Bob can name Alice's peer id as his bootnode.
const ALICE_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000001';
const ALICE_PEER_ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp';
const BOB_NODE_KEY = '0000000000000000000000000000000000000000000000000000000000000002';

const nodes = [];

after(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
});

async function finalizedNumber(node) {
  const hash = await rpc(node.port, 'chain_getFinalizedHead');
  const header = await rpc(node.port, 'chain_getHeader', [hash]);
  return { number: parseInt(header.number, 16), hash };
}

test('two validators peer, author and finalize together', { timeout: 240_000 }, async () => {
  const alice = await startNode(['--chain', 'local', '--alice', '--tmp', '--node-key', ALICE_NODE_KEY], { name: 'alice' });
  nodes.push(alice);
  const bob = await startNode(
    ['--chain', 'local', '--bob', '--tmp', '--node-key', BOB_NODE_KEY,
      '--bootnodes', `/ip4/127.0.0.1/tcp/${alice.p2pPort}/p2p/${ALICE_PEER_ID}`],
    { name: 'bob' },
  );
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
});
