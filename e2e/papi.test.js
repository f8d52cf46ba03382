// @ts-check
// End-to-end with polkadot-api (PAPI) and the typed descriptors generated from this runtime
// (scripts/descriptors.sh): a client built on the new JSON-RPC spec signs a Bulkhead call, sees
// it finalized, and reads storage, events and the runtime API through types that
// `npx tsc -p e2e` checks against the runtime. PAPI follows finalized blocks (chainHead_v1), so
// this passes only because the dev node finalizes what it seals.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { bulkhead } from '@polkadot-api/descriptors';
import { CompatibilityLevel, createClient } from 'polkadot-api';
import { getPolkadotSigner } from 'polkadot-api/signer';
import { getWsProvider } from 'polkadot-api/ws';
import WebSocket from 'ws';
import { rpc, startNode } from './harness.js';

const SILO = 2;
const USDC = 10n ** 6n;

/** @type {Awaited<ReturnType<typeof startNode>>} */
let node;
/** @type {import('polkadot-api').PolkadotClient} */
let client;

before(async () => {
  node = await startNode(['--dev', '--tmp'], { name: 'papi' });
  // Node 20 has no global WebSocket; Node 22 does. `ws` implements the browser's interface
  // but not its event-target typing.
  const websocketClass = /** @type {typeof globalThis.WebSocket} */ (/** @type {unknown} */ (WebSocket));
  client = createClient(getWsProvider(node.url, { websocketClass }));
});

after(async () => {
  client?.destroy();
  await node?.stop();
});

test('the descriptors describe the runtime the node runs', async () => {
  const { compat } = await client.getTypedApi(bulkhead).getStaticApis();
  const identical = CompatibilityLevel.Identical;
  assert.ok(compat.tx.CollateralSilos.deposit_margin.isCompatible(identical), 'deposit_margin as generated');
  assert.ok(compat.query.CollateralSilos.Accounts.isCompatible(identical), 'silo accounts as generated');
  assert.ok(compat.apis.SegmentsApi.segment_health.isCompatible(identical), 'segment_health as generated');
  assert.ok(compat.event.CollateralSilos.MarginDeposited.isCompatible(identical), 'MarginDeposited as generated');
});

test('polkadot-api signs a margin deposit and sees it finalized', async () => {
  await cryptoWaitReady();
  const bob = new Keyring({ type: 'sr25519' }).addFromUri('//Bob');
  const signer = getPolkadotSigner(bob.publicKey, 'Sr25519', (payload) => bob.sign(payload));
  const api = client.getTypedApi(bulkhead);

  const before = (await api.query.CollateralSilos.Accounts.getValue(SILO, bob.address)).margin;
  const result = await api.tx.CollateralSilos.deposit_margin({ silo: SILO, amount: 1_000n * USDC }).signAndSubmit(signer);

  assert.equal(result.ok, true);
  const [deposited] = api.event.CollateralSilos.MarginDeposited.filter(result.events);
  assert.ok(deposited, 'MarginDeposited event');
  assert.deepEqual(deposited.payload, { silo: SILO, who: bob.address, amount: 1_000n * USDC });

  // signAndSubmit resolves on finality: the node agrees that the block is finalized.
  const finalizedHash = await rpc(node.port, 'chain_getFinalizedHead');
  const finalized = await rpc(node.port, 'chain_getHeader', [finalizedHash]);
  assert.ok(parseInt(finalized.number, 16) >= result.block.number);

  const after = (await api.query.CollateralSilos.Accounts.getValue(SILO, bob.address)).margin;
  assert.equal(after.free - before.free, 1_000n * USDC);

  // The runtime API's view of the silo, typed: the deposit is margin, not liquidity.
  const health = await api.apis.SegmentsApi.segment_health(SILO);
  assert.ok(health, 'segment 2 has a health view');
  assert.equal(health.lp_liquidity, 2_000_000n * USDC);
  assert.equal(health.market.type, 'Live');
});
