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
//              `//bench//keeper//<n>` with 10 BULK to execute them; then, past the orders'
//              delay, the price that fills them, fed by a majority of the oracle's operators
//              in the last block.
// The paths are runtime/src/block_benchmarks.rs's. Each group must hold more accounts than a
// block fits transactions (the benchmark says which ran out). The node is stopped at the end,
// its database left in `--base-path`.
//
// Usage: node scripts/benchmark-block-state.js --base-path DIR [--transfers 3200]
//                                              [--requests 2400] [--orders 1800]
// Prints one JSON object on stdout (what it built); progress goes to stderr.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { rpc as call, startNode } from '../e2e/harness.js';
import { fixedPrice, oracleKey } from './lib/chain.js';
import { RawRpc, phase, signAll, submitAll, watchBlocks } from './lib/load.js';

const USDC = 1_000_000n;
const BULK = 1_000_000_000_000n;
const BTC = 1;

function options(argv) {
  const o = { basePath: null, transfers: 3200, requests: 2400, orders: 1800, batch: 200, connections: 4 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const key = { '--base-path': 'basePath', '--transfers': 'transfers', '--requests': 'requests', '--orders': 'orders' }[flag];
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
  const [alice, bob] = ['//Alice', '//Bob'].map((uri) => keyring.addFromUri(uri));
  const senders = group('//bench//transfer', o.transfers);
  const recipients = group('//bench//recipient', o.transfers);
  const requesters = group('//bench//request', o.requests);
  const holders = group('//bench//order', o.orders);
  const keepers = group('//bench//keeper', o.orders);
  // Every transaction of a phase waits in the pool at once: Alice alone funds 16,000 accounts.
  const node = await startNode(
    ['--dev', '--sealing', 'manual', '--pool-limit', '40000', '--pool-kbytes', '200000'],
    { name: 'benchmark-state', basePath: o.basePath },
  );
  // Blocks only when asked, so that the chain's clock, which moves a slot a block, stands still
  // between the last price and the export.
  let sealing = true;
  const sealer = (async () => {
    while (sealing) {
      await call(node.port, 'engine_createBlock', [true, true, null]);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const stopSealing = async () => {
    sealing = false;
    await sealer;
  };
  try {
    const api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const rpc = Array.from({ length: o.connections }, () => new RawRpc(node.url));
    await Promise.all(rpc.map((c) => c.open));
    const watch = watchBlocks(api);
    await watch.ready;

    let aliceNonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    let bobNonce = (await api.rpc.system.accountNextIndex(bob.address)).toNumber();
    const feedBtc = () => {
      const tx = api.tx.oracle.feedValues([[oracleKey('BTC/USD'), fixedPrice(60_000)]]);
      return [{ tx, pair: alice, nonce: aliceNonce++ }, { tx, pair: bob, nonce: bobNonce++ }];
    };
    const fund = (a, bulk, usdc) => [
      { tx: api.tx.balances.transferKeepAlive(a.address, bulk * BULK), pair: alice, nonce: aliceNonce++ },
      ...(usdc ? [{ tx: api.tx.assets.transfer(1, a.address, usdc * USDC), pair: alice, nonce: aliceNonce++ }] : []),
    ];
    const funding = [
      ...senders.flatMap((a) => fund(a, 10n, 0n)),
      ...recipients.flatMap((a) => fund(a, 1n, 0n)),
      ...[...requesters, ...holders].flatMap((a) => fund(a, 10n, 150n)),
      ...keepers.flatMap((a) => fund(a, 10n, 0n)),
      ...feedBtc(),
    ];
    await phase(api, rpc, watch, 'funding', ['balances.transferKeepAlive', 'assets.transfer', 'oracle.feedValues'], funding, o);
    const deposits = [...requesters, ...holders].map((a) => ({ tx: api.tx.collateralSilos.depositMargin(BTC, 100n * USDC), pair: a, nonce: 0 }));
    await phase(api, rpc, watch, 'deposits', ['collateralSilos.depositMargin'], deposits, o);

    const fee = (await api.query.executionSegments.segments(BTC)).unwrap().risk.pool.keeperDeposit.toBigInt();
    const orders = holders.map((a, i) => {
      const side = i % 2 ? 'Short' : 'Long';
      const kind = { Increase: { side, size: 200n * USDC, margin: 40n * USDC } };
      return { tx: api.tx.executionSegments.requestOrder(BTC, kind, i % 2 ? 0n : (1n << 128n) - 1n, fee), pair: a, nonce: 1 };
    });
    await phase(api, rpc, watch, 'orders', ['executionSegments.requestOrder'], orders, o);
    const lastOrder = Math.max(...watch.blocks.filter((b) => b.calls.some((c) => c.call === 'executionSegments.requestOrder')).map((b) => b.number));
    const delayBlocks = Math.ceil(Number((await api.query.executionSegments.orderSettings(BTC)).minDelay.toBigInt()) / 6_000);
    while ((await api.rpc.chain.getHeader()).number.toNumber() < lastOrder + delayBlocks) {
      await new Promise((r) => setTimeout(r, 250));
    }

    // The price that fills the orders, alone in the last block.
    await stopSealing();
    await submitAll(rpc, await signAll(api, feedBtc()), o.batch);
    await call(node.port, 'engine_createBlock', [true, true, null]);
    const header = await api.rpc.chain.getHeader();
    const last = await api.rpc.chain.getBlock(header.hash);
    const feeds = last.block.extrinsics.filter((x) => x.method.section === 'oracle').length;
    if (feeds !== 2) throw new Error(`the last block holds ${feeds} price feeds, expected Alice's and Bob's`);
    const waiting = (await api.query.executionSegments.orders.entries(BTC)).length;
    if (waiting !== o.orders) throw new Error(`${waiting} orders wait in BTC-PERP, expected ${o.orders}`);
    await watch.stop();
    const failed = watch.blocks.flatMap((b) => b.calls).filter((c) => c.failed).length;
    if (failed) throw new Error(`${failed} transactions failed while building the state`);
    rpc.forEach((c) => c.close());
    await api.disconnect();
    console.log(JSON.stringify({
      block: header.number.toNumber(),
      transfer_senders: senders.length,
      transfer_recipients: recipients.length,
      requesters: requesters.length,
      orders_waiting: waiting,
      keepers: keepers.length,
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
