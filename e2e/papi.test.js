// End-to-end with polkadot-api (PAPI): a client built on the new JSON-RPC spec sees a
// Bulkhead transaction finalized. PAPI follows finalized blocks (chainHead_v1), so this passes
// only because the dev node finalizes what it seals.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { createClient } from 'polkadot-api';
import { getPolkadotSigner } from 'polkadot-api/signer';
import { getWsProvider } from 'polkadot-api/ws';
import WebSocket from 'ws';
import { rpc, startNode } from './harness.js';

let node;
let client;

before(async () => {
  node = await startNode(['--dev', '--tmp'], { name: 'papi' });
  // Node 20 has no global WebSocket; Node 22 does.
  client = createClient(getWsProvider(node.url, { websocketClass: WebSocket }));
});

after(async () => {
  client?.destroy();
  await node?.stop();
});

test('polkadot-api signs a margin deposit and sees it finalized', async () => {
  await cryptoWaitReady();
  const bob = new Keyring({ type: 'sr25519' }).addFromUri('//Bob');
  const signer = getPolkadotSigner(bob.publicKey, 'Sr25519', (payload) => bob.sign(payload));
  const api = client.getUnsafeApi();

  const before = (await api.query.CollateralSilos.Accounts.getValue(2, bob.address)).margin;
  const result = await api.tx.CollateralSilos.deposit_margin({ silo: 2, amount: 1_000_000_000n }).signAndSubmit(signer);

  assert.equal(result.ok, true);
  const deposited = result.events.find((e) => e.type === 'CollateralSilos' && e.value.type === 'MarginDeposited');
  assert.ok(deposited, 'MarginDeposited event');
  assert.equal(deposited.value.value.amount, 1_000_000_000n);

  // signAndSubmit resolves on finality: the node agrees that the block is finalized.
  const finalizedHash = await rpc(node.port, 'chain_getFinalizedHead');
  const finalized = await rpc(node.port, 'chain_getHeader', [finalizedHash]);
  assert.ok(parseInt(finalized.number, 16) >= result.block.number);

  const after = (await api.query.CollateralSilos.Accounts.getValue(2, bob.address)).margin;
  assert.equal(after.free - before.free, 1_000_000_000n);
});
