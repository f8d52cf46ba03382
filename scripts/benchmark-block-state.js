#!/usr/bin/env node
// Builds the chain state `bulkhead-node benchmark extrinsic` times full blocks on
// (scripts/benchmark-block.sh exports it as the benchmark's genesis). On a release `--dev` node
// with its database in `--base-path`, sealing only when this script asks:
//   transfers  `--transfers` accounts `//bench//transfer//<n>` with 10 BULK, each to send to
//              `//bench//recipient//<n>`, an account with 1 BULK;
//   requests   `--requests` traders `//bench//request//<n>` with 10 BULK and 100 USDC of margin
//              in the BTC silo, each about to request an order;
//   executions `--orders` traders `//bench//order//<n>` with the same, each with an order
//              waiting (200 USDC at 5x, half long, half short), and as many keepers
//              `//bench//keeper//<n>` with 10 BULK to execute them;
//   increases  `--increases` traders `//bench//increase//<n>` with the same, each holding a
//              position (200 USDC at 5x, half long, half short) opened at least ten blocks
//              of funding and borrowing earlier, and an order waiting to increase it as much;
//              as many keepers `//bench//increase-keeper//<n>` with 10 BULK;
// then, past the orders' delay, the price that fills them, fed by a majority of the oracle's
// operators in the last block, 1% above the price the positions opened at (so each increase
// moves its position's entry price, and its place in the ADL queue). Bob and Charlie feed a
// price every block from the deposits on, until the last orders are requested: the segment
// remembers sixteen prices, as a live chain's does, and the last, which fills the orders, is
// the sixteenth its executions look through.
//
// The benchmark builds block 1 on this state (scripts/benchmark-block.sh sets its block number
// back to 0), so each segment's last funding accrual is set back to block 0 too (`overrides`
// in the output, which that script applies): the block's first execution accrues one block of
// funding and borrowing, as a live chain's first trade of a block does, where a stamp in the
// block's future would break the invariant `accrue` checks.
// The paths are runtime/src/block_benchmarks.rs's. Each group must hold more accounts than a
// block fits transactions (the benchmark says which ran out). The node is stopped at the end,
// its database left in `--base-path`.
//
// Usage: node scripts/benchmark-block-state.js --base-path DIR [--transfers 3200]
//                                              [--requests 2400] [--orders 1800]
//                                              [--increases 0]
// A group of 0 is left out. BTC-PERP holds at most 4,096 orders waiting (MaxOrdersPerSegment):
// the requests, the orders and the increases do not all fit in one state, so
// scripts/benchmark-block.sh builds the increases (1,800) on a state of their own.
// Prints one JSON object on stdout (what it built); progress goes to stderr.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { rpc as call, startNode, waitFor } from '../e2e/harness.js';
import { fixedPrice, oracleKey } from './lib/chain.js';
import { RawRpc, phase, signAll, submitAll, watchBlocks } from './lib/load.js';

const USDC = 1_000_000n;
const BULK = 1_000_000_000_000n;
const BTC = 1;

function options(argv) {
  const o = { basePath: null, transfers: 3200, requests: 2400, orders: 1800, increases: 0, batch: 200, connections: 4 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const key = { '--base-path': 'basePath', '--transfers': 'transfers', '--requests': 'requests', '--orders': 'orders', '--increases': 'increases' }[flag];
    if (!key || value === undefined) throw new Error(`unknown or incomplete option ${flag}`);
    o[key] = key === 'basePath' ? value : Number(value);
  }
  if (!o.basePath) throw new Error('--base-path is required: the state is left there');
  return o;
}

async function main() {
  const o = options(process.argv.slice(2));
  await cryptoWaitReady();
  // Every key first: deriving 12,000 of them holds the event loop for tens of seconds, which a
  // connected client would spend unable to answer the node's pings.
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const group = (path, n) => Array.from({ length: n }, (_, i) => keyring.addFromUri(`${path}//${i}`));
  const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((uri) => keyring.addFromUri(uri));
  const senders = group('//bench//transfer', o.transfers);
  const recipients = group('//bench//recipient', o.transfers);
  const requesters = group('//bench//request', o.requests);
  const holders = group('//bench//order', o.orders);
  const keepers = group('//bench//keeper', o.orders);
  const increasers = group('//bench//increase', o.increases);
  const increaseKeepers = group('//bench//increase-keeper', o.increases);
  // Every transaction of a phase waits in the pool at once: Alice alone funds 19,600 accounts.
  const node = await startNode(
    ['--dev', '--sealing', 'manual', '--pool-limit', '40000', '--pool-kbytes', '200000'],
    { name: 'benchmark-state', basePath: o.basePath },
  );
  // Blocks only when asked, so that the chain's clock, which moves a slot a block, stands still
  // between the last price and the export.
  let sealing = true;
  // While set, a price each block (see `tick`); `ticked` is the last tick, done or in flight.
  let ticking = false;
  let tick = async () => {};
  let ticked = Promise.resolve();
  let sealFailure = null;
  let sealFailed;
  // Rejects with the sealer's error: a phase raced against it stops at once, saying why.
  const sealerDied = new Promise((_, reject) => {
    sealFailed = reject;
  });
  sealerDied.catch(() => {}); // observed by the races below; never unhandled
  const sealer = (async () => {
    while (sealing) {
      if (ticking) {
        ticked = tick();
        await ticked;
      }
      await call(node.port, 'engine_createBlock', [true, true, null]);
      await new Promise((r) => setTimeout(r, 250));
    }
  })().catch((e) => {
    sealFailure = e;
    sealFailed(e);
  });
  const stopSealing = async () => {
    sealing = false;
    await sealer;
    if (sealFailure) throw sealFailure;
  };
  // Wait for `condition`, at most five minutes, and stop at once if sealing failed.
  const until = (what, condition) =>
    Promise.race([waitFor(condition, { timeoutMs: 300_000, intervalMs: 250, what }), sealerDied]);
  try {
    const api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const rpc = Array.from({ length: o.connections }, () => new RawRpc(node.url));
    await Promise.all(rpc.map((c) => c.open));
    const watch = watchBlocks(api);
    await watch.ready;

    let aliceNonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    let bobNonce = (await api.rpc.system.accountNextIndex(bob.address)).toNumber();
    let charlieNonce = (await api.rpc.system.accountNextIndex(charlie.address)).toNumber();
    // Bob and Charlie, two of the three operators: a majority. Alice's nonces fund.
    const feedBtc = (price = 60_000) => {
      const tx = api.tx.oracle.feedValues([[oracleKey('BTC/USD'), fixedPrice(price)]]);
      return [{ tx, pair: bob, nonce: bobNonce++ }, { tx, pair: charlie, nonce: charlieNonce++ }];
    };
    // Both feeds in the chain: an operator feeds once a block, so a feed waits for the last.
    const fedAll = async () => (await api.query.system.account(bob.address)).nonce.toNumber() === bobNonce
      && (await api.query.system.account(charlie.address)).nonce.toNumber() === charlieNonce;
    tick = async () => {
      if (await fedAll()) await submitAll(rpc, await signAll(api, feedBtc()), o.batch);
    };
    // Each phase counts its own calls (orders are requested twice), and none may fail; nor may
    // any other transaction (a price feed): `failures` counts every block's, cleared or not.
    let failures = 0;
    const failedIn = (blocks) => blocks.flatMap((b) => b.calls).filter((c) => c.failed).length;
    const run = async (name, kinds, list) => {
      if (!list.length) return null; // a group this state does without
      failures += failedIn(watch.blocks);
      watch.blocks.length = 0;
      const result = await Promise.race([phase(api, rpc, watch, name, kinds, list, o), sealerDied]);
      if (result.failed) throw new Error(`${result.failed} transactions of the ${name} failed`);
      return result;
    };
    const headNumber = async () => (await api.rpc.chain.getHeader()).number.toNumber();
    const waitForBlock = (number) => until(`block ${number}`, async () => (await headNumber()) >= number);
    const delayBlocks = Math.ceil(Number((await api.query.executionSegments.orderSettings(BTC)).minDelay.toBigInt()) / 6_000);
    const fee = (await api.query.executionSegments.segments(BTC)).unwrap().risk.pool.keeperDeposit.toBigInt();
    const order = (a, i, nonce) => {
      const side = i % 2 ? 'Short' : 'Long';
      const kind = { Increase: { side, size: 200n * USDC, margin: 40n * USDC } };
      return { tx: api.tx.executionSegments.requestOrder(BTC, kind, i % 2 ? 0n : (1n << 128n) - 1n, fee), pair: a, nonce };
    };
    const fund = (a, bulk, usdc) => [
      { tx: api.tx.balances.transferKeepAlive(a.address, bulk * BULK), pair: alice, nonce: aliceNonce++ },
      ...(usdc ? [{ tx: api.tx.assets.transfer(1, a.address, usdc * USDC), pair: alice, nonce: aliceNonce++ }] : []),
    ];
    const funding = [
      ...senders.flatMap((a) => fund(a, 10n, 0n)),
      ...recipients.flatMap((a) => fund(a, 1n, 0n)),
      ...[...requesters, ...holders, ...increasers].flatMap((a) => fund(a, 10n, 150n)),
      ...[...keepers, ...increaseKeepers].flatMap((a) => fund(a, 10n, 0n)),
    ];
    await run('funding', ['balances.transferKeepAlive', 'assets.transfer'], funding);
    ticking = true;
    const deposits = [...requesters, ...holders, ...increasers].map((a) => ({ tx: api.tx.collateralSilos.depositMargin(BTC, 100n * USDC), pair: a, nonce: 0 }));
    await run('deposits', ['collateralSilos.depositMargin'], deposits);

    // The positions the block of increases grows, then ten blocks of funding and borrowing on
    // them, and sixteen prices in the segment's memory.
    if (o.increases) {
      await run('positions requested', ['executionSegments.requestOrder'], increasers.map((a, i) => order(a, i, 1)));
      const opening = increaseKeepers.map((k, i) => ({ tx: api.tx.executionSegments.executeOrder(BTC, increasers[i].address), pair: k, nonce: 0 }));
      await waitForBlock((await headNumber()) + delayBlocks + 1);
      await run('positions opened', ['executionSegments.executeOrder'], opening);
    }
    const positions = (await api.query.executionSegments.positions.entries(BTC)).length;
    if (positions !== o.increases) throw new Error(`${positions} positions in BTC-PERP, expected ${o.increases}`);
    const rounds = async () => (await api.query.executionSegments.priceRounds(BTC)).rounds.length;
    const remembered = api.consts.executionSegments.maxPriceRounds.toNumber();
    const opened = await headNumber();
    await until('ten blocks and a full memory of prices', async () => (await headNumber()) >= opened + 10 && (await rounds()) >= remembered);
    ticking = false;
    await ticked;
    await until("the last ticker's feeds", fedAll);

    // The orders the blocks execute: a new position each, and an increase of each position.
    await run('orders', ['executionSegments.requestOrder'], [
      ...holders.map((a, i) => order(a, i, 1)),
      ...increasers.map((a, i) => order(a, i, 2)),
    ]);
    const lastOrder = Math.max(...watch.blocks.filter((b) => b.calls.some((c) => c.call === 'executionSegments.requestOrder')).map((b) => b.number));
    await waitForBlock(lastOrder + delayBlocks);

    // The price that fills the orders, alone in the last block.
    await stopSealing();
    await submitAll(rpc, await signAll(api, feedBtc(60_600)), o.batch);
    await call(node.port, 'engine_createBlock', [true, true, null]);
    const header = await api.rpc.chain.getHeader();
    const last = await api.rpc.chain.getBlock(header.hash);
    const feeds = last.block.extrinsics.filter((x) => x.method.section === 'oracle').length;
    if (feeds !== 2) throw new Error(`the last block holds ${feeds} price feeds, expected Bob's and Charlie's`);
    const failedFeeds = (await api.query.system.events.at(header.hash))
      .filter(({ event }) => api.events.system.ExtrinsicFailed.is(event)).length;
    if (failedFeeds) throw new Error(`${failedFeeds} transactions of the last block failed`);
    const waiting = (await api.query.executionSegments.orders.entries(BTC)).length;
    if (waiting !== o.orders + o.increases) throw new Error(`${waiting} orders wait in BTC-PERP, expected ${o.orders + o.increases}`);
    const memory = (await api.query.executionSegments.priceRounds(BTC)).rounds;
    if (memory.length !== remembered) throw new Error(`BTC-PERP remembers ${memory.length} prices, expected ${remembered}`);
    const final = memory[memory.length - 1];
    const filling = fixedPrice(60_600);
    if (final.price.toBigInt() !== filling || final.accepted.toBigInt() !== filling) {
      throw new Error(`BTC-PERP's last price is ${final.price} (accepted ${final.accepted}), expected ${filling}`);
    }
    const recent = memory.map((r) => r.timestamp.toNumber());
    const held = recent.length;
    if (recent.some((t, i) => i > 0 && t <= recent[i - 1])) throw new Error(`BTC-PERP's remembered prices are not ${remembered} distinct times: ${recent}`);
    await watch.stop();
    const failed = failures + failedIn(watch.blocks);
    if (failed) throw new Error(`${failed} transactions failed while building the state`);
    // Each segment's last accrual set back to block 0, as the block number will be (above).
    const overrides = {};
    const segmentType = api.registry.createLookupType(api.query.executionSegments.segments.creator.meta.type.asMap.value);
    for (const [key, value] of await api.query.executionSegments.segments.entries()) {
      const info = value.unwrap();
      const json = info.toJSON();
      if (!('fundingUpdated' in json)) throw new Error('a segment has no fundingUpdated: the pallet changed?');
      if (api.createType(segmentType, json).toHex() !== info.toHex()) throw new Error('a segment does not encode back as it was read');
      json.fundingUpdated = 0;
      overrides[key.toHex()] = { from: info.toHex(), to: api.createType(segmentType, json).toHex() };
    }
    rpc.forEach((c) => c.close());
    await api.disconnect();
    console.log(JSON.stringify({
      block: header.number.toNumber(),
      transfer_senders: senders.length,
      transfer_recipients: recipients.length,
      requesters: requesters.length,
      orders_waiting: waiting,
      keepers: keepers.length,
      positions_to_increase: positions,
      increase_keepers: increaseKeepers.length,
      prices_remembered: held,
      overrides,
    }, null, 2));
  } finally {
    sealing = false;
    await node.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
