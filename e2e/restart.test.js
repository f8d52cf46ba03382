// End-to-end: a dev chain kept on disk (`--base-path`) stays up while idle, and a restart on
// the same base path carries on from the finalized head.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { connect, devAccounts, feedMajority, fixedPrice, oracleKey, send } from '../scripts/lib/chain.js';
import { rpc, startNode, waitFor } from './harness.js';

const basePath = mkdtempSync(join(tmpdir(), 'bulkhead-restart-'));
let node;

after(async () => {
  await node?.stop();
  rmSync(basePath, { recursive: true, force: true });
});

async function head(port) {
  const best = parseInt((await rpc(port, 'chain_getHeader')).number, 16);
  const finalized = parseInt((await rpc(port, 'chain_getHeader', [await rpc(port, 'chain_getFinalizedHead')])).number, 16);
  return { best, finalized };
}

test('an idle dev chain stays up, and a restart on its base path carries on', { timeout: 120_000 }, async () => {
  node = await startNode(['--dev'], { name: 'restart-1', basePath });
  // Idle at genesis for a while: the dev node must not stop by itself (see the pool choice in
  // node/src/command.rs; a node started from a shell showed it, this harness did not).
  await new Promise((r) => setTimeout(r, 12_000));
  assert.equal(node.child.exitCode, null, `the idle node exited:\n${node.logs.slice(-10).join('\n')}`);
  assert.equal((await rpc(node.port, 'system_health')).isSyncing, false);

  for (let i = 0; i < 2; i++) await rpc(node.port, 'engine_createBlock', [true, true, null]);
  assert.deepEqual(await head(node.port), { best: 2, finalized: 2 });

  await node.kill('SIGINT');
  node = await startNode(['--dev'], { name: 'restart-2', basePath });
  assert.deepEqual(await head(node.port), { best: 2, finalized: 2 });
  await rpc(node.port, 'engine_createBlock', [true, true, null]);
  assert.deepEqual(await head(node.port), { best: 3, finalized: 3 });
});

/** Every silo's books and the margin it holds, at block `hash`, as the chain stores them. */
async function silosAt(api, hash) {
  const at = await api.at(hash);
  const silos = {};
  for (const [key, info] of await at.query.collateralSilos.silos.entries()) {
    const silo = key.args[0].toNumber();
    const account = (await at.query.assets.account(1, siloAccount(api, silo))).unwrapOrDefault().balance.toBigInt();
    let margin = 0n;
    for (const [, { margin: m }] of await at.query.collateralSilos.accounts.entries(silo)) {
      margin += m.free.toBigInt() + m.locked.toBigInt() + m.escrowed.toBigInt();
    }
    const books = info.unwrap().books;
    silos[silo] = {
      lpLiquidity: books.lpLiquidity.toBigInt(),
      lpShares: books.lpShares.toBigInt(),
      insurance: books.insurance.toBigInt(),
      margin,
      account,
    };
  }
  return silos;
}

/** A silo's account: `modl`, the pallet id and the silo id, as the runtime derives it. */
function siloAccount(api, silo) {
  const id = new Uint8Array(32);
  id.set(new TextEncoder().encode('modl'));
  id.set(api.consts.collateralSilos.palletId.toU8a(), 4);
  id.set(api.createType('u32', silo).toU8a(), 12);
  return api.createType('AccountId', id);
}

test('SIGKILL while transactions flow loses no finalized block and no silo books', { timeout: 180_000 }, async () => {
  const crashBase = mkdtempSync(join(tmpdir(), 'bulkhead-crash-'));
  let crashNode;
  let api;
  try {
    crashNode = await startNode(['--dev', '--dev-block-time', '500'], { name: 'crash-1', basePath: crashBase });
    api = await connect(crashNode.url);
    const who = await devAccounts();
    const values = [['BTC/USD', 60000], ['ETH/USD', 3000], ['DOT/USD', 5]].map(([k, p]) => [oracleKey(k), fixedPrice(p)]);
    await feedMajority(api, values, who);

    // Traders deposit, order positions and execute their orders (or find them not yet due) in
    // all three segments. Signed up front, then submitted over plain JSON-RPC as fast as the
    // pool takes them; nothing waits for inclusion.
    const traders = [who.bob, who.charlie, who.dave, who.eve, who.ferdie];
    const USDC = 10n ** 6n;
    const queue = [];
    for (const [i, t] of traders.entries()) {
      let nonce = (await api.rpc.system.accountNextIndex(t.address)).toNumber();
      for (let round = 0; round < 90; round++) {
        const segment = 1 + ((round + i) % 3);
        const tx = [
          api.tx.collateralSilos.depositMargin(segment, 1_000n * USDC),
          api.tx.executionSegments.requestOrder(
            segment,
            { Increase: { side: i % 2 ? 'Short' : 'Long', size: 2_000n * USDC, margin: 500n * USDC } },
            i % 2 ? 0n : (1n << 128n) - 1n,
            5n * USDC,
          ),
          api.tx.executionSegments.executeOrder(segment, t.address),
        ][round % 3];
        queue.push({ round, hex: (await tx.signAsync(t, { nonce: nonce++, era: 0 })).toHex() });
      }
    }
    queue.sort((x, y) => x.round - y.round);
    let submitted = 0;
    let flowing = true;
    const flow = (async () => {
      while (flowing && queue.length) {
        for (const { hex } of queue.splice(0, traders.length)) {
          rpc(crashNode.port, 'author_submitExtrinsic', [hex]).then(() => submitted++, () => {});
        }
        // Paced so the flow outlasts the wait below (450 transactions over about 9 s).
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // Let blocks fill for a while, then record what is finalized and kill the node mid-flow.
    // The wait counts from the block the flow started at, not from genesis: the dev chain seals
    // a block every 500 ms whether or not anything is submitted, so signing the queue above
    // can take longer than eight empty blocks.
    const head = async (a) => (await a.rpc.chain.getHeader(await a.rpc.chain.getFinalizedHead())).number.toNumber();
    const start = await head(api);
    // Transactions in each finalized block (besides its timestamp), counted once per block.
    const counted = [0];
    const included = async (upTo) => {
      for (let n = counted.length; n <= upTo; n++) {
        const hash = await api.rpc.chain.getBlockHash(n);
        counted.push((await api.rpc.chain.getBlock(hash)).block.extrinsics.length - 1);
      }
      return counted.slice(start + 1, upTo + 1).reduce((a, b) => a + b, 0);
    };
    await waitFor(
      async () => {
        const now = await head(api);
        return now >= start + 8 && (await included(now)) >= 2 * traders.length;
      },
      { what: 'eight finalized blocks carrying the flow', timeoutMs: 60_000 },
    );
    const finalized = await head(api);
    const hashes = [];
    for (let n = 0; n <= finalized; n++) hashes.push((await api.rpc.chain.getBlockHash(n)).toHex());
    const books = await silosAt(api, hashes[finalized]);
    // The finalized blocks since the flow started carry the traders' transactions.
    const flowed = await included(finalized);
    assert.ok(flowed >= 2 * traders.length, `only ${flowed} transactions were finalized before the crash`);
    const extrinsics = (await api.rpc.chain.getBlock(hashes[finalized])).block.extrinsics.length;
    assert.ok(submitted > 0 && queue.length > 0, 'transactions are flowing');
    await api.disconnect();
    const exit = await crashNode.kill('SIGKILL');
    flowing = false;
    await flow;
    assert.equal(exit.signal, 'SIGKILL');

    crashNode = await startNode(['--dev', '--dev-block-time', '500'], { name: 'crash-2', basePath: crashBase });
    api = await connect(crashNode.url);
    // Every block finalized before the crash is still there, unchanged, and still finalized.
    assert.ok((await head(api)) >= finalized, 'the finalized head went back');
    for (let n = 0; n <= finalized; n++) {
      assert.equal((await api.rpc.chain.getBlockHash(n)).toHex(), hashes[n], `block ${n} changed`);
    }
    assert.equal((await api.rpc.chain.getBlock(hashes[finalized])).block.extrinsics.length, extrinsics);
    assert.deepEqual(await silosAt(api, hashes[finalized]), books, 'silo books at the last finalized block');
    // The books balance: each silo's account holds its LP liquidity, insurance and margin.
    for (const [silo, b] of Object.entries(books)) {
      assert.equal(b.account, b.lpLiquidity + b.insurance + b.margin, `silo ${silo} before the crash`);
    }

    // The chain goes on: a new transaction is included and finalized on top.
    const { events } = await send(api, api.tx.collateralSilos.depositMargin(1, 123n * USDC), who.bob);
    assert.ok(events.some((event) => event.section === 'collateralSilos' && event.method === 'MarginDeposited'));
    const after = await head(api);
    assert.ok(after > finalized, 'finality moved on after the restart');
    const now = await silosAt(api, (await api.rpc.chain.getBlockHash(after)).toHex());
    for (const [silo, b] of Object.entries(now)) {
      assert.equal(b.account, b.lpLiquidity + b.insurance + b.margin, `silo ${silo} after the restart`);
    }
  } finally {
    await api?.disconnect().catch(() => {});
    await crashNode?.stop();
    rmSync(crashBase, { recursive: true, force: true });
  }
});
