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
// Every phase also reports how long its blocks waited for finality (a dev node finalizes as it
// seals, so there this is the client's own delay).
//
// `--network` measures the same on a real network instead: the two validators of
// e2e/two-validators.toml (`--chain local`, Aura in 6 s slots, GRANDPA), spawned by zombienet.
// Transactions go in through Alice's RPC and reach Bob by gossip; each validator authors in
// its own slots, the other imports; finality waits for both validators' votes. Every phase
// then also reports how long the fullest of its blocks took to import on the validator that did
// not author it (the node's own import-time metric: execution, state root and database commit),
// and what each transaction added to an empty block's import; and then the same, for the same
// block, when Alice's chain is imported again into a fresh database with nothing else running
// (`export-blocks`, `import-blocks`).
//
// Usage: node scripts/load.js [--accounts 64] [--per-account 100] [--block-ms 500]
//                             [--batch 200] [--connections 4]
//                             [--url ws://... (use a running node instead) | --network]
// Prints one JSON object on stdout; progress goes to stderr.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode } from '../e2e/harness.js';
import { fixedPrice, oracleKey } from './lib/chain.js';
import { mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { RawRpc, addFinality, addImports, addImportsAlone, importAlone, log, phase, signAll, watchBlocks, watchImports } from './lib/load.js';

const USDC = 1_000_000n;
const BULK = 1_000_000_000_000n;
const BTC = 1;

function options(argv) {
  const o = { accounts: 64, perAccount: 100, blockMs: 500, batch: 200, connections: 4, url: null, network: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--network') {
      o.network = true;
      i -= 1;
      continue;
    }
    const key = {
      '--accounts': 'accounts', '--per-account': 'perAccount', '--block-ms': 'blockMs',
      '--batch': 'batch', '--connections': 'connections', '--url': 'url',
    }[flag];
    if (!key || value === undefined) throw new Error(`unknown or incomplete option ${flag}`);
    o[key] = key === 'url' ? value : Number(value);
  }
  if (o.perAccount % 2) throw new Error('--per-account must be even: a trade is two transactions');
  if (o.network && o.url) throw new Error('--network starts its own network: leave out --url');
  return o;
}

const nodeArgs = (o) => ['--dev', '--tmp', '--sealing', 'manual', '--dev-block-time', String(o.blockMs)];

async function main() {
  const o = options(process.argv.slice(2));
  await cryptoWaitReady();
  // Every key is derived before any node or connection exists: thousands of sr25519
  // derivations hold the event loop for a minute or more, long enough for a pending RPC
  // call to time out on a chain that makes blocks meanwhile.
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const accounts = Array.from({ length: o.accounts }, (_, i) => keyring.addFromUri(`//load//${i}`));
  const traders = Array.from({ length: (o.accounts * o.perAccount) / 2 }, (_, i) => keyring.addFromUri(`//load//trader//${i}`));
  // Zombienet (and the @polkadot/api it brings) loads only for a network run.
  const network = o.network ? await (await import('../e2e/zombienet.js')).startTwoValidators() : null;
  const node = o.url || network ? null : await startNode(nodeArgs(o), { name: 'load' });
  // On the network every transaction goes in through Alice's RPC and reaches Bob's pool by
  // gossip: one sender's nonces split over two pools would arrive out of order at each.
  const url = network ? network.alice.url : o.url ?? node.url;
  try {
    const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true });
    const rpc = Array.from({ length: o.connections }, () => new RawRpc(url));
    await Promise.all(rpc.map((c) => c.open));
    const watch = watchBlocks(api);
    await watch.ready;
    // On the network, how long each validator takes to import what the other authored.
    const imported = network ? watchImports([network.alice, network.bob]) : null;

    // Funding, not timed: fees in BULK for everyone, USDC and 100 USDC of margin in the BTC
    // silo for each trader.
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
    await addFinality(watch, [transferResult, requestResult, executionResult], 300_000);
    if (imported) {
      await imported.stop();
      const names = new Map([[alice.address, 'alice'], [bob.address, 'bob']]);
      const authors = (await api.query.aura.authorities()).map((key) => names.get(keyring.encodeAddress(key)) ?? key.toHex());
      addImports(watch, imported, [transferResult, requestResult, executionResult], authors);
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
    if (network) {
      // The same blocks imported again with nothing else running: Alice's chain, out of her
      // database once both validators have stopped.
      try {
        await network.stop({ keep: true });
        log('importing the chain again, alone');
        const logFile = join(process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/bulkhead/target'), 'benchmarks', 'import-alone.log');
        mkdirSync(dirname(logFile), { recursive: true });
        addImportsAlone(watch, importAlone(network.alice, network.dir, logFile), [transferResult, requestResult, executionResult]);
      } finally {
        rmSync(network.dir, { recursive: true, force: true });
      }
    }
    const summary = {
      node: network
        ? 'two release bulkhead-node validators, --chain local (e2e/two-validators.toml, zombienet)'
        : o.url ? url : `release bulkhead-node ${nodeArgs(o).join(' ')}`,
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
    await network?.stop();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
