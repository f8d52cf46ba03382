// End-to-end: a forkless runtime upgrade of a dev chain full of state. The release node runs
// the runtime it was built with; the test fills it with positions, LP shares, margin, a pending
// gateway transfer and a tripped breaker, then Alice (sudo) sets the code to the same runtime
// built with `spec_version` one higher (runtime/build.rs builds that wasm beside the real one).
// It checks that every storage item of the Bulkhead pallets and of the assets survives to the
// byte, that the new code's first block took `Executive`'s upgrade path
// (`system.lastRuntimeUpgrade`; the migrations themselves find this chain at their target
// version and do nothing, runtime/tests/upgrade.rs runs them), that polkadot.js sees the new
// version and keeps working, and that the chain keeps trading.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { blake2AsHex, xxhashAsHex } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { connect, devAccounts, feedMajority, findEvent, fixedPrice, lpOrder, oracleKey, send, trade } from '../scripts/lib/chain.js';
import { rpc, startNode, waitFor } from './harness.js';

const USDC = 10n ** 6n;
const [BTC, ETH, DOT] = [1, 2, 3];

/** The wasm `runtime/build.rs` builds with the `next-spec-version` feature. */
function nextSpecWasm() {
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/bulkhead/target');
  const dir = join(target, 'release/wbuild/bulkhead-runtime');
  const name = existsSync(dir) && readdirSync(dir).find((f) => f.startsWith('wasm_binary_next_spec_version') && f.endsWith('.compact.compressed.wasm'));
  if (!name) throw new Error(`no next-spec-version wasm in ${dir}: build the node with cargo build --release -p bulkhead-node`);
  return readFileSync(join(dir, name));
}

let node;
let api;
let fresh;
let who;

/** Every key and value under the storage prefixes of `pallets` at `blockHash`, as raw hex. */
async function storageOf(pallets, blockHash) {
  const state = new Map();
  for (const pallet of pallets) {
    const prefix = xxhashAsHex(pallet, 128);
    let start = null;
    for (;;) {
      const keys = await rpc(node.port, 'state_getKeysPaged', [prefix, 1000, start, blockHash]);
      for (const key of keys) state.set(key, await rpc(node.port, 'state_getStorage', [key, blockHash]));
      if (keys.length < 1000) break;
      start = keys[keys.length - 1];
    }
  }
  return state;
}

/** The well-known storage key of the runtime code, `:code`. */
const CODE_KEY = '0x3a636f6465';

const USER_STATE = ['CollateralSilos', 'ExecutionSegments', 'Gateway', 'CircuitBreaker', 'Assets'];

describe('a forkless runtime upgrade with sudo(system.setCode)', () => {
  let before_;
  let transfer;

  before(async () => {
    node = await startNode(['--dev', '--tmp'], { name: 'upgrade' });
    api = await connect(node.url);
    who = await devAccounts();
  });

  after(async () => {
    await fresh?.disconnect();
    await api?.disconnect();
    await node?.stop();
  });

  test('a chain full of state', async () => {
    const values = [['BTC/USD', 60000], ['ETH/USD', 3000], ['DOT/USD', 5]].map(([k, p]) => [oracleKey(k), fixedPrice(p)]);
    await feedMajority(api, values, who);
    for (const [account, segment, side] of [[who.bob, BTC, 'Long'], [who.charlie, ETH, 'Short'], [who.dave, DOT, 'Long']]) {
      await send(api, api.tx.collateralSilos.depositMargin(segment, 5_000n * USDC), account);
      await trade(api, account, account, segment, { Increase: { side, size: 10_000n * USDC, margin: 1_100n * USDC } }, { operators: who });
    }
    await lpOrder(api, who.eve, who.eve, BTC, { Provide: 50_000n * USDC }, { operators: who });
    await send(api, api.tx.collateralSilos.depositMargin(BTC, 30_000n * USDC), who.ferdie);
    const request = await send(api, api.tx.gateway.requestTransfer(0, 20_000n * USDC), who.ferdie);
    transfer = findEvent(request.events, 'gateway', 'TransferRequested').data.transfer.toBigInt();
    await send(api, api.tx.gateway.approveTransfer(transfer), who.alice);
    await send(api, api.tx.circuitBreaker.trip(DOT), who.charlie);
    assert.equal((await api.call.segmentsApi.segmentHealth(DOT)).unwrap().status.toString(), 'Severed');
    assert.ok((await api.query.gateway.transfers(transfer)).isSome);
  });

  test('sudo sets the code of a higher spec version, and every item survives to the byte', async () => {
    const oldVersion = api.runtimeVersion.specVersion.toNumber();
    const head = (await api.rpc.chain.getFinalizedHead()).toHex();
    before_ = await storageOf(USER_STATE, head);
    assert.ok(before_.size > 30, `the chain holds state (${before_.size} items)`);

    const code = nextSpecWasm();
    const { blockHash } = await send(api, api.tx.sudo.sudo(api.tx.system.setCode(u8aToHex(code))), who.alice);
    // The block that set the code holds it. (Its events are not read here: polkadot.js decodes
    // a block's events with the metadata of the code in that block's state, the new one.)
    const stored = await rpc(node.port, 'state_getStorageHash', [CODE_KEY, blockHash.toHex()]);
    assert.equal(stored, blake2AsHex(code, 256), 'the setCode block stores the new code');

    // The new code runs from the next block on; its first block runs the migrations.
    await rpc(node.port, 'engine_createBlock', [true, true, null]);
    const version = await api.rpc.state.getRuntimeVersion();
    assert.equal(version.specName.toString(), 'bulkhead');
    assert.equal(version.specVersion.toNumber(), oldVersion + 1);
    // polkadot.js notices the new version by itself and reloads the metadata; the same
    // connection goes on querying storage and signing transactions (below). It reloads through
    // state_getMetadata (metadata v14), which describes no runtime APIs, so `api.call` loses
    // `segmentsApi` until the client reconnects: docs/upgrades.md says so.
    await waitFor(() => api.runtimeVersion.specVersion.toNumber() === oldVersion + 1,
      { timeoutMs: 30_000, what: 'polkadot.js to see the new version' });
    fresh = await connect(node.url);
    assert.equal(fresh.runtimeVersion.specVersion.toNumber(), oldVersion + 1);
    assert.ok(fresh.call.segmentsApi, 'a new connection has the runtime APIs');
    const upgraded = (await api.query.system.lastRuntimeUpgrade()).unwrap();
    assert.equal(upgraded.specVersion.toNumber(), oldVersion + 1, 'Executive took the upgrade path');

    const after = await storageOf(USER_STATE, (await api.rpc.chain.getFinalizedHead()).toHex());
    assert.equal(after.size, before_.size, 'items added or lost');
    for (const [key, value] of before_) assert.equal(after.get(key), value, `item ${key} changed`);
  });

  test('the upgraded chain keeps trading', async () => {
    // Positions, the pending transfer and the tripped breaker are where they were.
    assert.equal((await fresh.call.segmentsApi.segmentHealth(DOT)).unwrap().status.toString(), 'Severed');
    assert.equal((await rpc(node.port, 'segments_health', [DOT])).status, 'Severed');
    const position = (await fresh.call.segmentsApi.position(BTC, who.bob.address)).unwrap();
    assert.equal(position.size_.toBigInt(), 10_000n * USDC);

    // A second guardian approves the transfer made before the upgrade; after its delay it moves.
    const approved = await send(api, api.tx.gateway.approveTransfer(transfer), who.bob);
    assert.equal(findEvent(approved.events, 'gateway', 'TransferApproved').data.approvals.toNumber(), 2);
    const executableAt = (await api.query.gateway.transfers(transfer)).unwrap().executableAt.toNumber();
    while ((await api.rpc.chain.getHeader()).number.toNumber() + 1 < executableAt) {
      await rpc(node.port, 'engine_createBlock', [true, true, null]);
    }
    const executed = await send(api, api.tx.gateway.executeTransfer(transfer), who.ferdie);
    assert.ok(findEvent(executed.events, 'gateway', 'TransferExecuted'));
    assert.equal(BigInt((await api.query.collateralSilos.accounts(ETH, who.ferdie.address)).toJSON().margin.free), 20_000n * USDC);

    // Trades open and close on the new runtime; root resets the breaker tripped before it.
    await feedMajority(api, [[oracleKey('BTC/USD'), fixedPrice(60000)]], who);
    const closed = await trade(api, who.bob, who.eve, BTC, 'Close', { operators: who });
    assert.ok(findEvent(closed.events, 'executionSegments', 'PositionClosed'));
    const short = { Increase: { side: 'Short', size: 5_000n * USDC, margin: 1_000n * USDC } };
    const opened = await trade(api, who.bob, who.eve, BTC, short, { operators: who });
    assert.ok(findEvent(opened.events, 'executionSegments', 'PositionOpened'));
    const reset = await send(api, api.tx.sudo.sudo(api.tx.circuitBreaker.reset(DOT)), who.alice);
    assert.ok(findEvent(reset.events, 'circuitBreaker', 'Reset'));
  });
});
