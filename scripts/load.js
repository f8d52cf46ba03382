#!/usr/bin/env node
// Load tool: how many signed trades and signed transfers a release `--dev` node includes per
// second, measured in one run on one node.
//
// It starts its own node (the release binary, `--dev --tmp --sealing manual`, a block every
// `--block-ms` and none in between: instant sealing would seal hundreds of tiny blocks, each
// moving the chain's clock a 6 s slot on, and age the oracle's price out mid-run), funds
// `--accounts` fresh accounts from Alice for transfers and `accounts * per-account / 2` traders,
// then measures:
//   transfers  `--per-account` balances.transfer_keep_alive from every account, to the next
//              account in a ring;
//   trades     a trade is two transactions, an order and its execution: every trader requests a
//              position on BTC-PERP (execution_segments.request_order, half long, half short),
//              the oracle publishes the next price after the orders' delay, and every trader
//              executes its order (execute_order). As many transactions as the transfers. A
//              trade's time is a request's and an execution's, at their sustained rates.
// Every transaction is signed before its phase starts, so the clock measures the node, not the
// signer. Transactions go out as raw `author_submitExtrinsic` calls in JSON-RPC batches of
// `--batch`, in nonce order, over `--connections` WebSockets with one batch in flight on each,
// so the node's transaction pool, not the client, sets the pace. A phase's sustained rate counts the
// transactions in every block after the first one that holds any of them, over the wall time
// between that first block and the last one, as this client saw them arrive.
//
// Usage: node scripts/load.js [--accounts 64] [--per-account 100] [--block-ms 500]
//                             [--batch 200] [--connections 4]
//                             [--url ws://... (use a running node instead)]
// Prints one JSON object on stdout; progress goes to stderr.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import WebSocket from 'ws';
import { startNode } from '../e2e/harness.js';
import { fixedPrice, oracleKey } from './lib/chain.js';

const USDC = 1_000_000n;
const BULK = 1_000_000_000_000n;
const BTC = 1;

function options(argv) {
  const o = { accounts: 64, perAccount: 100, blockMs: 500, batch: 200, connections: 4, url: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const key = {
      '--accounts': 'accounts', '--per-account': 'perAccount', '--block-ms': 'blockMs',
      '--batch': 'batch', '--connections': 'connections', '--url': 'url',
    }[flag];
    if (!key || value === undefined) throw new Error(`unknown or incomplete option ${flag}`);
    o[key] = key === 'url' ? value : Number(value);
  }
  if (o.perAccount % 2) throw new Error('--per-account must be even: a trade is two transactions');
  return o;
}

const nodeArgs = (o) => ['--dev', '--tmp', '--sealing', 'manual', '--dev-block-time', String(o.blockMs)];

const log = (...args) => console.error('[load]', ...args);

/** Raw JSON-RPC over one WebSocket, many requests in flight. */
class RawRpc {
  constructor(url) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.next = 1;
    this.pending = new Map();
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data);
      const replies = Array.isArray(msg) ? msg : [msg];
      const errors = replies.filter((r) => r.error).map((r) => r.error.message);
      const waiter = this.pending.get(Math.min(...replies.map((r) => r.id)));
      if (!waiter) return;
      this.pending.delete(replies[0].id);
      errors.length ? waiter.reject(new Error(errors.join('; '))) : waiter.resolve(replies.map((r) => r.result));
    });
    this.open = new Promise((resolve, reject) => {
      this.ws.once('open', resolve);
      this.ws.once('error', reject);
    });
  }

  /** One JSON-RPC batch of `method` over each of `paramsList`; resolves with the results. */
  batch(method, paramsList) {
    const first = this.next;
    const body = paramsList.map((params) => ({ jsonrpc: '2.0', id: this.next++, method, params }));
    return new Promise((resolve, reject) => {
      this.pending.set(first, { resolve, reject });
      this.ws.send(JSON.stringify(body));
    });
  }

  close() {
    this.ws.close();
  }
}

/** Submit signed hex extrinsics in order, a batch in flight per connection; throw on a refusal. */
async function submitAll(connections, txs, batch) {
  let index = 0;
  const worker = async (rpc) => {
    while (index < txs.length) {
      const chunk = txs.slice(index, index + batch);
      index += chunk.length;
      await rpc.batch('author_submitExtrinsic', chunk.map((tx) => [tx]));
    }
  };
  await Promise.all(connections.map(worker));
}

/** Watch new blocks; count, per block, the extrinsics `matches` selects, and failures. */
function watchBlocks(api) {
  const blocks = [];
  let unsubscribe = () => {};
  let stopped = false;
  // Reads still in flight for a block: stopping waits for them, so disconnecting never
  // rejects one (a rejected read after the run is not a failure of the run).
  const pending = new Set();
  const track = (work) => {
    const settled = work.then(() => pending.delete(settled), (e) => {
      pending.delete(settled);
      if (!stopped) throw e;
    });
    pending.add(settled);
  };
  const ready = api.rpc.chain
    .subscribeNewHeads((header) => {
      if (!stopped) track(record(header));
    })
    .then((u) => { unsubscribe = u; });
  async function record(header) {
    const seenAt = performance.now();
    const hash = header.hash;
    const [block, events] = await Promise.all([
      api.rpc.chain.getBlock(hash),
      api.query.system.events.at(hash),
    ]);
    const failed = new Set(
      events
        .filter(({ event }) => api.events.system.ExtrinsicFailed.is(event))
        .map(({ phase }) => phase.asApplyExtrinsic.toNumber()),
    );
    const calls = block.block.extrinsics.map((x, i) => ({
      call: `${x.method.section}.${x.method.method}`,
      failed: failed.has(i),
    }));
    // Orders that ended unfilled, by reason.
    const ended = events
      .filter(({ event }) => event.section === 'executionSegments' && event.method === 'OrderEnded')
      .map(({ event }) => {
        const reason = event.data.reason;
        if (!reason.isFailed) return reason.type;
        const failure = reason.asFailed;
        return failure.isModule ? api.registry.findMetaError(failure.asModule).name : failure.type;
      });
    blocks.push({ number: header.number.toNumber(), seenAt, calls, ended });
  }
  const stop = async () => {
    stopped = true;
    await unsubscribe();
    await Promise.allSettled([...pending]);
  };
  return { blocks, ready, stop };
}

/** Sustained inclusion rate of the calls `kinds` over `blocks`. */
function rate(blocks, kinds, expected) {
  const ours = blocks
    .map((b) => ({ ...b, n: b.calls.filter((c) => kinds.includes(c.call)).length, failed: b.calls.filter((c) => kinds.includes(c.call) && c.failed).length }))
    .filter((b) => b.n > 0)
    .sort((a, b) => a.number - b.number);
  const included = ours.reduce((s, b) => s + b.n, 0);
  const failed = ours.reduce((s, b) => s + b.failed, 0);
  if (included !== expected) throw new Error(`expected ${expected} of ${kinds} included, saw ${included}`);
  const [first, last] = [ours[0], ours[ours.length - 1]];
  const seconds = (last.seenAt - first.seenAt) / 1000;
  const counted = included - first.n;
  return {
    included,
    failed,
    blocks: ours.length,
    max_per_block: Math.max(...ours.map((b) => b.n)),
    seconds: Number(seconds.toFixed(3)),
    per_second: seconds > 0 ? Number((counted / seconds).toFixed(1)) : null,
  };
}

async function waitUntil(blocks, kinds, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = blocks.reduce((s, b) => s + b.calls.filter((c) => kinds.includes(c.call)).length, 0);
    if (seen >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${seen} of ${expected} ${kinds} included in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function signAll(api, list) {
  const out = [];
  for (const { tx, pair, nonce } of list) {
    const signed = await tx.signAsync(pair, { nonce, era: 0 });
    out.push(signed.toHex());
  }
  return out;
}

async function phase(api, rpc, watch, name, kinds, list, o, presigned = null) {
  log(`${name}: signing ${list.length}`);
  const signed = presigned ?? (await signAll(api, list));
  log(`${name}: submitting`);
  const start = performance.now();
  await submitAll(rpc, signed, o.batch);
  const submitted = (performance.now() - start) / 1000;
  await waitUntil(watch.blocks, kinds, list.length, 300_000);
  const result = rate(watch.blocks, kinds, list.length);
  result.submit_seconds = Number(submitted.toFixed(3));
  log(`${name}:`, JSON.stringify(result));
  return result;
}

async function main() {
  const o = options(process.argv.slice(2));
  await cryptoWaitReady();
  const node = o.url ? null : await startNode(nodeArgs(o), { name: 'load' });
  const url = o.url ?? node.url;
  try {
    const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
    const rpc = Array.from({ length: o.connections }, () => new RawRpc(url));
    await Promise.all(rpc.map((c) => c.open));
    const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
    const alice = keyring.addFromUri('//Alice');
    const bob = keyring.addFromUri('//Bob');
    const accounts = Array.from({ length: o.accounts }, (_, i) => keyring.addFromUri(`//load//${i}`));
    const watch = watchBlocks(api);
    await watch.ready;

    // Funding, not timed: fees in BULK for everyone, USDC and 100 USDC of margin in the BTC
    // silo for each trader.
    const traders = Array.from({ length: (o.accounts * o.perAccount) / 2 }, (_, i) => keyring.addFromUri(`//load//trader//${i}`));
    let aliceNonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    let bobNonce = (await api.rpc.system.accountNextIndex(bob.address)).toNumber();
    // Alice and Bob, two of the three oracle operators: a majority, which the oracle needs to
    // combine a price.
    const feedBtc = () => {
      const tx = api.tx.oracle.feedValues([[oracleKey('BTC/USD'), fixedPrice(60_000)]]);
      return [{ tx, pair: alice, nonce: aliceNonce++ }, { tx, pair: bob, nonce: bobNonce++ }];
    };
    const funding = accounts.map((a) => ({ tx: api.tx.balances.transferKeepAlive(a.address, 1_000n * BULK), pair: alice, nonce: aliceNonce++ }));
    funding.push(...traders.flatMap((a) => [
      { tx: api.tx.balances.transferKeepAlive(a.address, 10n * BULK), pair: alice, nonce: aliceNonce++ },
      { tx: api.tx.assets.transfer(1, a.address, 200n * USDC), pair: alice, nonce: aliceNonce++ },
    ]));
    funding.push(...feedBtc());
    await phase(api, rpc, watch, 'funding', ['balances.transferKeepAlive', 'assets.transfer', 'oracle.feedValues'], funding, o);
    const deposits = traders.map((a) => ({ tx: api.tx.collateralSilos.depositMargin(BTC, 100n * USDC), pair: a, nonce: 0 }));
    await phase(api, rpc, watch, 'deposits', ['collateralSilos.depositMargin'], deposits, o);
    watch.blocks.length = 0;

    // Nonce-major order: every account's first transaction, then every account's second, ...
    const rounds = (make) => Array.from({ length: o.perAccount }, (_, k) => accounts.map((a, i) => make(a, i, k))).flat();

    const transfers = rounds((a, i, k) => ({
      tx: api.tx.balances.transferKeepAlive(accounts[(i + 1) % accounts.length].address, BULK),
      pair: a,
      nonce: k,
    }));
    const transferResult = await phase(api, rpc, watch, 'transfers', ['balances.transferKeepAlive'], transfers, o);
    watch.blocks.length = 0;

    // Orders: 200 USDC at 5x, half long, half short, any fill price, the keeper deposit as fee.
    await phase(api, rpc, watch, 'price', ['oracle.feedValues'], feedBtc(), o);
    watch.blocks.length = 0;
    const fee = (await api.query.executionSegments.segments(BTC)).unwrap().risk.pool.keeperDeposit.toBigInt();
    const requests = traders.map((a, i) => {
      const side = i % 2 ? 'Short' : 'Long';
      const kind = { Increase: { side, size: 200n * USDC, margin: 40n * USDC } };
      return { tx: api.tx.executionSegments.requestOrder(BTC, kind, i % 2 ? 0n : (1n << 128n) - 1n, fee), pair: a, nonce: 1 };
    });
    // The executions are signed now: signing takes seconds of wall time, and every block the
    // node seals meanwhile moves the chain's clock a slot, past the orders' window.
    const executions = traders.map((a) => ({ tx: api.tx.executionSegments.executeOrder(BTC, a.address), pair: a, nonce: 2 }));
    const signedExecutions = await signAll(api, executions);
    const requestResult = await phase(api, rpc, watch, 'requests', ['executionSegments.requestOrder'], requests, o);
    // The next price, in a block past every order's delay (each block moves the chain's clock at
    // least a slot), fills them all.
    const lastRequest = Math.max(...watch.blocks.map((b) => b.number));
    const delayBlocks = Math.ceil(Number((await api.query.executionSegments.orderSettings(BTC)).minDelay.toBigInt()) / 6_000);
    while ((await api.rpc.chain.getHeader()).number.toNumber() < lastRequest + delayBlocks) {
      await new Promise((r) => setTimeout(r, o.blockMs / 2));
    }
    watch.blocks.length = 0;
    await phase(api, rpc, watch, 'price', ['oracle.feedValues'], feedBtc(), o);
    watch.blocks.length = 0;
    const executionResult = await phase(api, rpc, watch, 'executions', ['executionSegments.executeOrder'], executions, o, signedExecutions);
    // Every order filled: no order is left, and every trader holds its position.
    const left = (await api.query.executionSegments.orders.entries(BTC)).length;
    const held = (await api.query.executionSegments.positions.entries(BTC)).length;
    if (left !== 0 || held < traders.length) {
      const reasons = {};
      for (const reason of watch.blocks.flatMap((b) => b.ended)) reasons[reason] = (reasons[reason] ?? 0) + 1;
      throw new Error(`${left} orders left unfilled and ${held} positions held of ${traders.length}: ended ${JSON.stringify(reasons)}`);
    }
    // A trade takes a request's time and an execution's, each at its sustained rate.
    const tradesPerSecond = 1 / (1 / requestResult.per_second + 1 / executionResult.per_second);
    const tradeResult = {
      traders: traders.length,
      requests: requestResult,
      executions: executionResult,
      per_second: Number(tradesPerSecond.toFixed(1)),
      failed: requestResult.failed + executionResult.failed,
    };

    await watch.stop();
    rpc.forEach((c) => c.close());
    await api.disconnect();
    const summary = {
      node: o.url ? url : `release bulkhead-node ${nodeArgs(o).join(' ')}`,
      accounts: o.accounts,
      per_account: o.perAccount,
      batch: o.batch,
      connections: o.connections,
      transfers: transferResult,
      trades: tradeResult,
      ratio: Number((tradeResult.per_second / transferResult.per_second).toFixed(3)),
      transactions_ratio: Number((2 * tradeResult.per_second / transferResult.per_second).toFixed(3)),
    };
    if (transferResult.failed || tradeResult.failed) {
      throw new Error(`failed transactions: ${JSON.stringify(summary)}`);
    }
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await node?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
