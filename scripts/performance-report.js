#!/usr/bin/env node
// Writes docs/performance.md (to stdout) from what scripts/performance-report.sh measured in
// this run: the generated weight files, the raw benchmark results, the runtime's own block
// limits and dispatch weights (read from a release `--dev` node), the load tool's output and the
// build measurements. No measured number is typed in here; the only constants are the defaults
// that measurements replaced (frame-support's database and base weights, and the extension
// weight spec 111 charged), named as such.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { startNode } from '../e2e/harness.js';
import { parseWeights as parseFile } from './lib/weights.js';

const root = new URL('..', import.meta.url).pathname;
const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/bulkhead/target');
const out = join(target, 'benchmarks');

// ---- weight files ---------------------------------------------------------------------------

/** A weight file of this repository, by its path from the root. */
const parseWeights = (path) => parseFile(join(root, path));

const bulkhead = {
  pallet_collateral_silos: 'pallets/collateral-silos/src/weights.rs',
  pallet_execution_segments: 'pallets/execution-segments/src/weights.rs',
  pallet_gateway: 'pallets/gateway/src/weights.rs',
  pallet_circuit_breaker: 'pallets/circuit-breaker/src/weights.rs',
};
const weights = Object.fromEntries(Object.entries(bulkhead).map(([p, f]) => [p, parseWeights(f)]));
const balances = parseWeights('runtime/src/weights/pallet_balances.rs');
const transfer = balances.fns.transfer_keep_alive;
const segments = weights.pallet_execution_segments.fns;
const silos = weights.pallet_collateral_silos.fns;

// ---- the runtime's own numbers, from a release --dev node ----------------------------------

async function runtimeFacts() {
  await cryptoWaitReady();
  const node = await startNode(['--dev', '--tmp'], { name: 'report' });
  try {
    const api = await ApiPromise.create({ provider: new WsProvider(node.url), noInitWarn: true });
    const bw = api.consts.system.blockWeights;
    const normal = bw.perClass.normal;
    const alice = new Keyring({ type: 'sr25519' }).addFromUri('//Alice');
    const dispatch = async (tx) => {
      const info = await tx.paymentInfo(alice);
      return { ref_time: info.weight.refTime.toBigInt(), proof: info.weight.proofSize.toBigInt() };
    };
    const facts = {
      spec: api.runtimeVersion.specName.toString() + '/' + api.runtimeVersion.specVersion.toString(),
      max_block: { ref_time: bw.maxBlock.refTime.toBigInt(), proof: bw.maxBlock.proofSize.toBigInt() },
      normal_max_total: { ref_time: normal.maxTotal.unwrap().refTime.toBigInt(), proof: normal.maxTotal.unwrap().proofSize.toBigInt() },
      base_extrinsic: { ref_time: normal.baseExtrinsic.refTime.toBigInt(), proof: normal.baseExtrinsic.proofSize.toBigInt() },
      base_block: { ref_time: bw.baseBlock.refTime.toBigInt(), proof: bw.baseBlock.proofSize.toBigInt() },
      db: { read: api.consts.system.dbWeight.read.toBigInt(), write: api.consts.system.dbWeight.write.toBigInt() },
      request_order: await dispatch(api.tx.executionSegments.requestOrder(1, { Increase: { side: 'Long', size: 1_000_000_000n, margin: 200_000_000n } }, 0n, 5_000_000n)),
      execute_order: await dispatch(api.tx.executionSegments.executeOrder(1, alice.address)),
      transfer_keep_alive: await dispatch(api.tx.balances.transferKeepAlive(alice.address, 1n)),
    };
    await api.disconnect();
    return facts;
  } finally {
    await node.stop();
  }
}

const facts = await runtimeFacts();
// When the weights every signed transaction pays beside its call were measured.
const extensionsDate = parseWeights('runtime/src/weights/frame_system_extensions.rs').header.DATE;
const paymentDate = parseWeights('runtime/src/weights/pallet_transaction_payment.rs').header.DATE;
const overheadDate = readFileSync(join(root, 'runtime/src/weights/extrinsic_weights.rs'), 'utf8').match(/DATE: (\S+)/)[1];
const load = JSON.parse(readFileSync(join(out, 'load.json'), 'utf8'));
const readJson = (name) => (existsSync(join(out, name)) ? JSON.parse(readFileSync(join(out, name), 'utf8')) : null);
const network = readJson('load-network.json');
const coldRun = readJson('build-cold-run.json');
const cold = readJson('build-cold.json');
const warm = readJson('build-warm.json');
const tree = readFileSync(join(out, 'rocksdb-tree.txt'), 'utf8').trim();
const native = readFileSync(join(out, 'native-build.txt'), 'utf8').trim();
const cplusplus = readFileSync(join(out, 'cplusplus.txt'), 'utf8').trim();

// ---- formatting -----------------------------------------------------------------------------

const us = (ps) => (Number(ps) / 1e6).toFixed(1); // picoseconds -> microseconds
const ratio = (a, b) => (Number(a) / Number(b)).toFixed(2);
const kib = (b) => (Number(b) / 1024).toFixed(1);
const lines = [];
const p = (s = '') => lines.push(s);

p('# Performance');
p();
p('Generated by `scripts/performance-report.sh` on ' + new Date().toISOString().slice(0, 10) + ': the release `--dev` node, the');
p(`load tool and the weight files, measured on the machine they name (\`${weights.pallet_execution_segments.header.HOSTNAME}\`, CPU \`${weights.pallet_execution_segments.header.CPU}\`).`);
// With SKIP_BENCHMARKS=1 (or `scripts/benchmark.sh <pallet>`), some weight files are older than
// this run: say when each was measured.
const dated = [...Object.entries(bulkhead), ['pallet_balances', 'runtime/src/weights/pallet_balances.rs']]
  .map(([pallet, file]) => `${pallet} ${parseWeights(file).header.DATE}`);
p(`Weight files by the day their benchmarks ran: ${dated.join(', ')}.`);
p('Weights are the benchmark CLI\'s: measured in the wasm runtime (`--chain dev`, compiled execution,');
p(`${weights.pallet_execution_segments.header.STEPS} steps, ${weights.pallet_execution_segments.header.REPEAT} repeats; the larger of the CLI's two fits, and checked by \`scripts/check-weights.js\` to charge at least the fastest run at every measured point), storage priced at the ParityDB weights measured on this machine. Run the script`);
p('again to replace this page; do not edit it.');
p();
p('## 1. Every call beside a transfer');
p();
p('Execution is the measured time of the call in the wasm runtime; the runtime then charges every');
p(`storage read ${us(facts.db.read)} µs and every write ${us(facts.db.write)} µs (ParityDB on this machine, as \`System::DbWeight\` reports them: see`);
p('"Storage weights" below), and');
p('ref time is the sum: what a block pays. Proof size is the worst-case storage proof a');
p('parachain would carry. `x transfer` compares ref time with `pallet_balances::transfer_keep_alive`');
p('from the same run. Reads and writes count distinct keys; the caller\'s own account is not');
p('counted, for the transfer or for any call.');
p();
const total = (w) => BigInt(w.ref_time) + BigInt(w.reads) * facts.db.read + BigInt(w.writes) * facts.db.write;
p('| pallet | call | execution (µs) | reads | writes | ref time (µs) | proof (KiB) | x transfer |');
p('|---|---|---:|---:|---:|---:|---:|---:|');
p(`| pallet_balances | transfer_keep_alive | ${us(transfer.ref_time)} | ${transfer.reads} | ${transfer.writes} | ${us(total(transfer))} | ${kib(transfer.proof)} | 1.00 |`);
for (const [pallet, { fns }] of Object.entries(weights)) {
  for (const [name, w] of Object.entries(fns)) {
    p(`| ${pallet} | ${name} | ${us(w.ref_time)} | ${w.reads} | ${w.writes} | ${us(total(w))} | ${kib(w.proof)} | ${ratio(total(w), total(transfer))} |`);
  }
}
p();
// A trade is two extrinsics: the order, and its execution, charged at the heavier of an
// opening's and a closing's fill.
const execution = total(segments.execute_order_open) > total(segments.execute_order_close) ? segments.execute_order_open : segments.execute_order_close;
const pair = total(segments.request_order) + total(execution);
const pairX = Number(pair) / Number(total(transfer));
p(`**Target: a trade, \`request_order\` and \`execute_order\`, at most 4x a transfer** (issue 13: the order escrowed, then filled at the first price after its delay with the pool economics: the fill's skew impact, the fee to the pool and insurance, borrowing accrued, the reserve checked, the ADL queue kept). \`execute_order\` is charged the heavier of its two fills (${us(total(segments.execute_order_open))} µs to open, ${us(total(segments.execute_order_close))} µs to close). As calls, the weight files' execution and storage alone: ${us(total(segments.request_order))} + ${us(total(execution))} = ${us(pair)} µs, ${pairX.toFixed(2)}x, ${pairX <= 4 ? 'within 4x' : `${((pairX - 4) * 100 / 4).toFixed(1)}% above 4x`}.`);
{
  // What the sender pays and a block spends on each: its dispatch weight as the node reports it
  // (the call, and the transaction extensions every signed transaction runs) plus the base
  // weight of an extrinsic.
  const charged = (w) => w.ref_time + facts.base_extrinsic.ref_time;
  const chargedPair = charged(facts.request_order) + charged(facts.execute_order);
  const chargedX = Number(chargedPair) / Number(charged(facts.transfer_keep_alive));
  const extensions = facts.transfer_keep_alive.ref_time - total(transfer);
  p();
  p(`As transactions, the pair is two extrinsics and the transfer one, and each pays beside its call the transaction extensions (${us(extensions)} µs: nonce, era, genesis and weight checks, \`frame_system_extensions\` measured ${extensionsDate}, and the fee, \`pallet_transaction_payment\` measured ${paymentDate}) and the base weight of an extrinsic (${us(facts.base_extrinsic.ref_time)} µs, \`benchmark overhead\` ${overheadDate}). Charged so, which is what the sender pays and a block spends, the pair is ${us(charged(facts.request_order))} + ${us(charged(facts.execute_order))} = ${us(chargedPair)} µs against the transfer's ${us(charged(facts.transfer_keep_alive))} µs: **${chargedX.toFixed(2)}x**, ${chargedX <= 4 ? 'within 4x' : `${((chargedX - 4) * 100 / 4).toFixed(1)}% above 4x`}. The base weight is a whole \`System::remark\` extrinsic, so it holds the extensions' execution too, and they are charged again on their own: a constant on every extrinsic, which lowers this ratio. Counted once, inside the base weight only, the pair is ${(Number(chargedPair - 2n * extensions) / Number(charged(facts.transfer_keep_alive) - extensions)).toFixed(2)}x (${us(chargedPair - 2n * extensions)} against ${us(charged(facts.transfer_keep_alive) - extensions)} µs).`);
  const blocks = readJson('blocks.json');
  if (blocks) {
    const ns = (name) => blocks.blocks.find((b) => b.extrinsic === name)?.ns.average;
    const [req, exe, tr] = ['request_order', 'execute_order', 'transfer_keep_alive'].map(ns);
    if (req && exe && tr) {
      const x = (req + exe) / tr;
      p();
      p(`Executed, in full blocks of each on this machine (section 2, \`benchmark extrinsic\` ${blocks.date}: signature, extensions, call and storage, as a block executes them), a request and an execution take ${(req / 1000).toFixed(1)} + ${(exe / 1000).toFixed(1)} = ${((req + exe) / 1000).toFixed(1)} µs against a transfer's ${(tr / 1000).toFixed(1)} µs: **${x.toFixed(2)}x**, ${x <= 4 ? 'within 4x' : `${((x - 4) * 100 / 4).toFixed(1)}% above 4x`}. ${(() => {
        const tradeX = Number(charged(facts.request_order) + charged(facts.execute_order)) / ((req + exe) * 1000);
        const transferX = Number(charged(facts.transfer_keep_alive)) / (tr * 1000);
        return `The weights charge a trade ${tradeX.toFixed(2)}x its measured time and a transfer ${transferX.toFixed(2)}x (section 2), which is why ${tradeX > transferX ? 'the weight ratio above exceeds this one' : 'this ratio exceeds the weight ratio above'}.`;
      })()}`);
    }
  }
}
p();
p('`execute_order_open` is benchmarked as an increase of an existing position after ten blocks of');
p('funding and borrowing, filled at the last of the sixteen prices its segment remembers, its most');
p('expensive path; `execute_order_close` as the close of a position under water; the trip paths of');
p('liquidations, and a partial auto-deleveraging, are in their own rows.');
{
  const o = segments.execute_order_open;
  p();
  const written = o.storage.filter((x) => x.w > 0).map((x) => '`' + x.item + '`').join(', ');
  p(`Why: a transfer writes ${transfer.writes} counted key, a trade ${o.writes} (${written}: the market's open`);
  p('interest, indices and side sums, the position, its place in the ADL queue, the trader\'s margin, and the silo\'s');
  p('books for the fee), and at ' + us(facts.db.write) + ' µs a write the');
  p(`writes alone are ${us(BigInt(o.writes) * facts.db.write)} µs of the trade's ${us(total(o))}. Each is state the trade changes.`);
  p('Execution is ' + ratio(o.ref_time, transfer.ref_time) + 'x the transfer\'s and the ' + o.reads + ' reads add ' + us(BigInt(o.reads) * facts.db.read) + ' µs.');
}
{
  const state = readJson('storage-state.json');
  const dbWeights = readFileSync('runtime/src/weights/paritydb_weights.rs', 'utf8');
  const batchArg = dbWeights.match(/--batch-size\n\/\/\s+(\d+)/);
  if (!batchArg) throw new Error('paritydb_weights.rs names no --batch-size: rerun scripts/benchmark-storage.sh');
  const batch = Number(batchArg[1]);
  p();
  p('**Storage weights.** `scripts/benchmark-storage.sh` builds a chain state the size of a busy');
  // The state's size is what benchmark-storage.sh recorded; a target directory that never ran
  // it has no record, and the page says so rather than guess.
  p('Bulkhead chain: the dev genesis plus ' + (state ? state.accounts.toLocaleString('en-US') : 'its `ACCOUNTS` (100,000 unless set; this run holds no `storage-state.json` saying how many it used)') + ' accounts, each with BULK, USDC and margin in a');
  p('silo, a third of them with a position, its ADL queue entry and LP shares' + (state ? ` (${state.keysAfter.toLocaleString('en-US')} keys in all)` : '') + ', in ParityDB.');
  p('`benchmark storage` then reads every key with no cache, and writes every key in commits of');
  p(`${batch.toLocaleString('en-US')} keys, about what a full block writes (the cost per key falls as commits grow; the`);
  p(`script says by how much): the averages plus 10%, ${us(facts.db.read)} µs a read and ${us(facts.db.write)} µs a write, are`);
  p('`runtime/src/weights/paritydb_weights.rs`. They replace ParityDB\'s published constants from');
  p('`frame-support` (8.0 µs a read, 50.0 µs a write), measured on other hardware and another chain.');
  p(`Whether a full block executes within its weight: ${[
    readJson('blocks.json') ? '"What the machine executes" in section 2' : null,
    network?.trades?.executions?.import?.alone_ms !== undefined ? '"Imported, commit included" in section 4' : null,
  ].filter(Boolean).join(', and ') || 'not measured in this run'}.`);
}
p();
p('## 2. Trades per block');
p();
p('The runtime\'s normal-dispatch budget, divided by each call\'s dispatch weight as the runtime');
p('reports it (`payment_queryInfo` on the release node, which runs the weights above) plus the');
p('base weight every extrinsic pays. The smaller of the ref-time and proof-size counts binds.');
p();
// A solochain sets no proof-size limit: the budget is u64::MAX.
const proofLimited = facts.normal_max_total.proof < 2n ** 63n;
const perBlock = (w) => {
  const ref = facts.normal_max_total.ref_time / (w.ref_time + facts.base_extrinsic.ref_time);
  const proof = proofLimited ? facts.normal_max_total.proof / (w.proof + facts.base_extrinsic.proof) : null;
  return { ref, proof, n: proof !== null && proof < ref ? proof : ref };
};
p(`Normal-dispatch budget: ${us(facts.normal_max_total.ref_time)} µs of ref time${proofLimited ? ` and ${kib(facts.normal_max_total.proof)} KiB of proof` : ' (this solochain sets no proof-size limit)'}; every extrinsic also pays the base weight of ${us(facts.base_extrinsic.ref_time)} µs (runtime \`${facts.spec}\`). The dispatch weight includes the transaction extensions' weight (nonce, fee payment, weight checks), which every signed transaction pays alike.`);
p();
{
  // What every block and every signed transaction pays before any call, all measured here.
  const base = (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return { ns: Number(text.match(/saturating_mul\(([\d_]+)\)/)[1].replaceAll('_', '')), date: text.match(/DATE: (\S+)/)[1] };
  };
  const block = base('runtime/src/weights/block_weights.rs');
  const extrinsic = base('runtime/src/weights/extrinsic_weights.rs');
  const extensions = facts.transfer_keep_alive.ref_time - total(transfer);
  p(`**Before any call.** A block's own work (${(block.ns / 1000).toFixed(1)} µs) and an extrinsic's (${(extrinsic.ns / 1000).toFixed(1)} µs, a \`System::remark\` in a block full of them, its signature and extensions included) are \`benchmark overhead\`'s averages on this machine (${extrinsic.date}), in \`runtime/src/weights/{block,extrinsic}_weights.rs\`. They replace frame-support's defaults (431.6 µs and 108.2 µs, Parity's reference machine). The transaction extensions' weight, ${us(extensions)} µs on a transfer (nonce, era, genesis and weight checks, and the fee), is measured in this runtime too (\`frame_system_extensions\`, \`pallet_transaction_payment\`); until spec 112 it was their crates' weights, frame_system's with storage priced at RocksDB's published constants: 395.7 µs (spec 111's page).`);
}
p();
p('| call | weight file ref time (µs) | dispatch ref time (µs) | dispatch proof (KiB) | per block |');
p('|---|---:|---:|---:|---:|');
const fileWeight = { request_order: segments.request_order, execute_order: execution, transfer_keep_alive: transfer };
for (const name of ['request_order', 'execute_order', 'transfer_keep_alive']) {
  const w = facts[name];
  const b = perBlock(w);
  p(`| ${name} | ${us(total(fileWeight[name]))} | ${us(w.ref_time)} | ${kib(w.proof)} | **${b.n}** |`);
}
p();
const both = {
  ref_time: facts.request_order.ref_time + facts.execute_order.ref_time + facts.base_extrinsic.ref_time,
  proof: facts.request_order.proof + facts.execute_order.proof + facts.base_extrinsic.proof,
};
const tradeBlock = perBlock(both).n;
const transferBlock = perBlock(facts.transfer_keep_alive).n;
p(`A block holds ${tradeBlock} trades (a request and an execution each, two extrinsics) or ${transferBlock} transfers: ${ratio(tradeBlock, transferBlock)}x. At a block every 6 s that is ${(Number(tradeBlock) / 6).toFixed(0)} trades per second of weight capacity.`);
p();
{
  // What a full block really takes to execute here: scripts/benchmark-block.sh.
  const measured = readJson('blocks.json');
  p('**What the machine executes.** ' + (measured ? `\`scripts/benchmark-block.sh\` (${measured.date}) builds a chain state on the dev node, then \`benchmark extrinsic\` builds on it a block holding as many of one transaction as the weights admit, every one from an account of its own, checks that each did its work (a transfer moved, an order was requested, an order filled), and executes the block ${measured.repeat} times (after 10 warm-up runs) in the wasm runtime, without the trie cache a node keeps; the database and the OS's page cache are warm. Per transaction: the block's time less an empty block's, over the count; min and max are over the ${measured.repeat} runs. Charged is what the runtime charges the same transaction: its dispatch weight (call, storage and extensions) and the base weight of an extrinsic. The block of executions opens new positions, half long and half short, each executed by a keeper of its own; \`execute_order\` is charged its most expensive path (an increase after ten blocks of funding and borrowing, section 1), so its ratio is against a typical fill, not the worst.${measured.blocks.some((b) => b.extrinsic === 'execute_order_increase') ? ' The block of increases is that costliest path: each execution grows a position its trader has held for at least ten blocks, filled at the last of the sixteen prices the segment remembers (the oracle fed one a block before the orders) and 1% away from the price it opened at, so its entry price and its place in the ADL queue move; the block\'s first execution accrues a block of funding and borrowing. It runs on a chain state of its own, with its 1,800 traders and their keepers and none of the other blocks\' accounts (a segment holds at most 4,096 orders waiting), so it reads a smaller trie than the other blocks.' : ''} The state is a live chain's with its block number set back to 0 (the benchmark builds block 1): what is stamped with block numbers lies in its future, so no funding accrues and no breaker window rolls over in these blocks, which makes them a little cheaper than a live chain's. The goal: charged within 1.3x of measured, never below.` : 'not measured in this run (`scripts/benchmark-block.sh` measures it).'));
  p();
  if (measured) {
    const at = (name) => measured.blocks.find((b) => b.extrinsic === name);
    p('| transaction | in a full block | measured per tx (µs, mean; median; min-max) | charged per tx (µs) | charged / measured (mean) | the transactions of a full block (ms) |');
    p('|---|---:|---:|---:|---:|---:|');
    // The block of increases makes the same call as the block of executions.
    const call = (name) => (name === 'execute_order_increase' ? 'execute_order' : name);
    const charged = (name) => facts[call(name)].ref_time + facts.base_extrinsic.ref_time;
    const label = (name) => (name === 'execute_order_increase' ? 'execute_order on a held position (costliest path)' : name);
    const perTx = {};
    for (const name of ['transfer_keep_alive', 'request_order', 'execute_order', 'execute_order_increase']) {
      const b = at(name);
      if (!b) {
        if (name === 'execute_order_increase') continue; // runs before 2026-12-05 had no such block
        throw new Error(`blocks.json holds no block of ${name}: rerun scripts/benchmark-block.sh`);
      }
      perTx[name] = b.ns.average * 1000; // ns -> ps
      p(`| ${label(name)} | ${b.per_block} | ${(b.ns.average / 1000).toFixed(1)}; ${(b.ns.median / 1000).toFixed(1)}; ${(b.ns.min / 1000).toFixed(1)}-${(b.ns.max / 1000).toFixed(1)} | ${us(charged(name))} | ${ratio(charged(name), perTx[name])} | ${(b.per_block * b.ns.average / 1e6).toFixed(1)} |`);
    }
    p();
    // Every run scripts/benchmark-block.sh made, one JSON object a line: how far the means move.
    const history = existsSync(join(out, 'blocks-history.jsonl'))
      ? readFileSync(join(out, 'blocks-history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
      : [];
    const spread = history.length > 1
      ? ` Across the ${history.length} runs recorded (${[...new Set(history.map((h) => h.date))].join(', ')}), the mean per transaction ranged ${Object.keys(perTx).map((name) => {
        const means = history.map((h) => h.blocks.find((b) => b.extrinsic === name)?.ns.average).filter(Boolean);
        return `${label(name)} ${(Math.min(...means) / 1000).toFixed(1)}-${(Math.max(...means) / 1000).toFixed(1)} µs${means.length < history.length ? ` (${means.length} ${means.length > 1 ? 'runs' : 'run'})` : ''}`;
      }).join(', ')}.`
      : '';
    const ratios = Object.entries(perTx).map(([name, t]) => [name, Number(charged(name)) / t]);
    const below = ratios.filter(([, r]) => r < 1).map(([n]) => n);
    const over = ratios.filter(([, r]) => r > 1.3).map(([n]) => n);
    const belowMax = Object.keys(perTx).filter((name) => Number(charged(name)) < at(name).ns.max * 1000);
    // How fast the machine ran during these blocks against the day the weights were taken.
    const speed = measured.speed_check;
    let slower = false;
    if (speed) {
      const weights = readFileSync('runtime/src/weights/pallet_balances.rs', 'utf8');
      const fn = weights.match(/fn transfer_keep_alive\(\)[\s\S]*?Weight::from_parts\(([0-9_]+),/);
      const dated = weights.match(/DATE: (\d{4}-\d{2}-\d{2})/);
      if (!fn || !dated) throw new Error('runtime/src/weights/pallet_balances.rs: no transfer_keep_alive weight or date');
      const charged = Number(fn[1].replaceAll('_', '')) / 1e6; // ps -> µs
      const times = [speed.before_us, speed.after_us].filter((t) => t !== null);
      slower = Math.max(...times) > charged;
      const when = speed.after_us === null ? `${speed.before_us} µs just before these blocks (the check after them failed)` : `${speed.before_us} µs just before these blocks and ${speed.after_us} µs just after`;
      p(`The machine's speed: the pallet benchmark of one transfer (\`${speed.call}\`, its execution alone) took ${when}, against the ${charged.toFixed(1)} µs its weight charges (measured ${dated[1]}, on this machine)${slower ? `: the machine ran up to ${(Math.max(...times) / charged).toFixed(2)}x slower than when the weights were taken, so the ratios above are as much about the machine's state as about the weights` : ': at least as fast as when the weights were taken'}.`);
      p();
    }
    p(`Against the goal: ${below.length ? `**charged below measured for ${below.map(label).join(', ')}: a block of them takes longer than its weight says, a liveness bug**` : 'no transaction is charged below its mean'}${belowMax.length ? `, though ${belowMax.map(label).join(', ')} ${belowMax.length > 1 ? 'are' : 'is'} charged below the slowest of the runs` : ', nor below the slowest run'}; ${over.length ? `**the 1.3x goal is missed** by ${over.map(label).join(', ')}` : below.length ? 'none is charged above 1.3x' : 'every one within 1.3x'}.${spread}`);
    p();
    const budget = Number(facts.normal_max_total.ref_time);
    const executableTrades = Math.floor(budget / (perTx.request_order + perTx.execute_order));
    const executableTransfers = Math.floor(budget / perTx.transfer_keep_alive);
    const worst = Math.max(...measured.blocks.map((b) => b.per_block * b.ns.average)) / 1e6; // ms
    const worstRun = Math.max(...measured.blocks.map((b) => b.per_block * b.ns.max)) / 1e6; // ms
    const maxBlockMs = Number(facts.max_block.ref_time) / 1e9;
    p(`Trades per block: the weights admit ${tradeBlock}; executed at the measured times, the same ${(Number(facts.normal_max_total.ref_time) / 1e9).toFixed(0)} ms of normal dispatch holds ${executableTrades} (transfers: ${transferBlock} admitted, ${executableTransfers} executable). The transactions of the slowest full block measured here took ${worst.toFixed(1)} ms on average over its runs, and ${worstRun.toFixed(1)} ms in the slowest run of any block, against the ${maxBlockMs.toFixed(0)} ms a block may weigh${worstRun < maxBlockMs ? ': with the block\'s own work (section 2\'s 0.5 ms) every run executes within its time' : worst < maxBlockMs ? ': **on average within it, but its slowest run is not**, and the commit comes on top' : ': **more than a block may weigh, a liveness bug**'}. What these figures leave out is the database commit after execution, which the node does on import and the storage weights price (below).`);
    p();
    const heaviest = at('execute_order_increase');
    if (heaviest) {
      const ms = (ns) => (heaviest.per_block * ns) / 1e6;
      const chargedMs = (heaviest.per_block * Number(charged('execute_order_increase'))) / 1e9;
      p(`**A block of the costliest trade execution** (bad input: a liveness bug if its weight is too low): ${heaviest.per_block} increases of held positions, charged ${chargedMs.toFixed(1)} ms for their transactions, took ${ms(heaviest.ns.average).toFixed(1)} ms on average and ${ms(heaviest.ns.max).toFixed(1)} ms in its slowest run: ${ms(heaviest.ns.max) <= chargedMs ? 'within its charge in every run' : ms(heaviest.ns.average) <= chargedMs ? '**within its charge on average, above it in its slowest run**' : '**above its charge**'}; against the ${maxBlockMs.toFixed(0)} ms a block may weigh, ${ms(heaviest.ns.max) <= maxBlockMs ? 'every run within it' : ms(heaviest.ns.average) <= maxBlockMs ? '**its slowest run above it**' : '**above it on average**'}, and against the 6,000 ms slot, ${ms(heaviest.ns.max) <= 6000 ? 'every run within it' : '**its slowest run above it**'}.`);
      p();
    }
    const fixed = facts.base_extrinsic.ref_time + (facts.transfer_keep_alive.ref_time - total(transfer));
    if (below.length) {
      p(`Why a transaction can be charged below its time here: ${slower ? 'the weights were measured on this machine while it ran faster (the speed check above), and they carry no margin for a slower run: a validator this much slower than the machine that set the weights spends more on a full block than its weight says' : 'the weights under-charge it on this machine (no speed check says the machine ran slower than when they were taken): rerun `scripts/benchmark.sh` on an idle machine'}. The remedies are a margin for the slowest validator one supports, or weights measured on, and validators held to, reference hardware (\`benchmark machine\`).`);
      p();
    }
    p(`Where the gap comes from. Every signed transaction is charged ${us(fixed)} µs before its call: the base weight of an extrinsic (${us(facts.base_extrinsic.ref_time)} µs) and the extensions' weights (${us(facts.transfer_keep_alive.ref_time - total(transfer))} µs), ${Number(fixed) > perTx.transfer_keep_alive ? 'more than' : 'against'} a whole transfer's ${(perTx.transfer_keep_alive / 1e6).toFixed(1)} µs here. The base weight is \`benchmark overhead\`'s signed \`System::remark\`, whose extensions ran inside it, so they are charged twice (polkadot-sdk issue 9981; stable2609's benchmark CLI does not subtract them). And each storage write is priced at what \`benchmark storage\` measured for committing it to ParityDB, while \`benchmark extrinsic\` times a block up to its state root, before the node commits it: a full block's commit is real work these figures leave out, so the ratios above are not all waste${network?.trades?.executions?.import?.alone_ms !== undefined ? ': section 4 times full blocks of the same transactions as a validator imports them, commit included ("Imported, commit included")' : ''}. An execution's ${execution.writes} writes are charged ${us(BigInt(execution.writes) * facts.db.write)} µs of it, a transfer's ${transfer.writes} ${us(BigInt(transfer.writes) * facts.db.write)} µs.`);
    p();
  }
}
p('## 3. What segmentation costs');
p();
p('The storage a call touches, by who needs it. A market without segments, silos or breakers');
p('still needs the market, the position, the price, the trader\'s margin and the pool\'s');
p('liquidity for a trade, and the trader\'s margin and the token transfer for a withdrawal.');
p('What Bulkhead adds: `SiloOfSegment` (the interface resolving a segment to its one silo),');
p('`CircuitBreaker::Breakers` (the health check before new risk, and the flow windows a');
p('withdrawal feeds) and, for withdrawals, the silo\'s books. The account\'s principal and its');
p('share of the outflow line (52 bytes) ride in its silo entry, `CollateralSilos::Accounts`, beside');
p('its margin and pool shares: no read or write of their own, but a larger entry (and proof) for');
p('every call that touches the account, a trade too. A trade reads `Silos` for the');
p('pool\'s liquidity, which caps open interest and sets the borrowing rate in any design, and');
p('writes it for the fee the pool earns. Each row is from the benchmark of the call\'s most');
p('expensive path.');
p();
const added = new Set(['CollateralSilos::SiloOfSegment', 'CircuitBreaker::Breakers']);
const addedOnWithdraw = new Set([...added, 'CollateralSilos::Silos']);
function segmentation(name, w, extra) {
  const rows = w.storage.map((s) => ({ ...s, added: extra.has(s.item) }));
  const r = rows.filter((s) => s.added).reduce((a, s) => a + s.r, 0);
  const wr = rows.filter((s) => s.added).reduce((a, s) => a + s.w, 0);
  p(`**${name}** (${w.reads} reads, ${w.writes} writes in all):`);
  p();
  p('| storage | reads | writes | needed by |');
  p('|---|---:|---:|---|');
  for (const s of rows) p(`| \`${s.item}\` | ${s.r} | ${s.w} | ${s.added ? 'segmentation' : 'any market'} |`);
  p();
  return { r, w: wr };
}
const trade = segmentation('execute_order_open', segments.execute_order_open, added);
const withdrawal = segmentation('withdraw_margin', silos.withdraw_margin, addedOnWithdraw);
p(`**Targets.** A trade: at most 2 extra reads and no extra write; measured ${trade.r} extra reads and ${trade.w} extra writes: ${trade.r <= 2 && trade.w === 0 ? 'met' : 'missed'}.`);
p(`A withdrawal: at most 1 extra write; measured ${withdrawal.w} extra write${withdrawal.w === 1 ? '' : 's'} (${withdrawal.r} extra reads): ${withdrawal.w <= 1 ? 'met' : 'missed'}.`);
if (withdrawal.w <= 1) {
  p('A withdrawal writes one item for segmentation, the segment\'s breaker: what left beyond');
  p('principal, the silo\'s value averaged over the window, and, when the flow crosses the line, its');
  p('state are one item. The account\'s principal and share used ride in its silo entry');
  p('(`CollateralSilos::Accounts`, beside its margin and pool shares), which any market writes on a');
  p('withdrawal anyway. The silo is read (for its asset) but not written: traders\' margin is booked');
  p('only in their own accounts, and a trade locks margin without touching the silo either.');
} else {
  p('A withdrawal writes, for segmentation: ' + silos.withdraw_margin.storage.filter((x) => addedOnWithdraw.has(x.item) && x.w > 0).map((x) => '`' + x.item + '`').join(', ') + ':');
  p('the segment\'s breaker (what left beyond principal, and the silo\'s value averaged over the');
  p('window, which every deposit and withdrawal updates so that value counts for the blocks it');
  p('stays), and what else the benchmark shows.');
}
p();
p('## 4. End-to-end throughput');
p();
p(`\`node scripts/load.js\` against \`${load.node}\`: ${load.accounts} accounts with ${load.per_account} signed`);
p(`transfers each, and ${load.trades.traders} traders with an order and its execution each, all signed before their phase starts, submitted as JSON-RPC batches of ${load.batch}`);
p(`over ${load.connections} WebSockets. Sustained rate: transactions included after the first block that held any,`);
p('over the wall time from that block to the last one. `submit s` is how long the node took to');
p('accept the whole phase into its transaction pool: when it is about the inclusion time, the');
p('pool\'s validation (signature, nonce, fee) sets the pace, not block production.');
p();
const phaseTable = (run) => {
  p('| phase | included | failed | blocks | most in one block | submit s | inclusion s | sustained tx/s | finality wait, mean / worst ms | blocks ahead of finality, worst |');
  p('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [label, r] of [['transfers (transfer_keep_alive)', run.transfers], ['orders (request_order)', run.trades.requests], ['executions (execute_order)', run.trades.executions]]) {
    // A dev node announces a block final as it announces it sealed: either may reach the
    // client first, so a wait below zero is none.
    const z = (x) => Math.max(0, x);
    const f = r.finality ? `${z(r.finality.mean_ms)} / ${z(r.finality.max_ms)}` : 'not measured';
    p(`| ${label} | ${r.included} | ${r.failed} | ${r.blocks} | ${r.max_per_block} | ${r.submit_seconds} | ${r.seconds} | ${r.per_second} | ${f} | ${r.finality ? z(r.finality.max_blocks_behind) : ''} |`);
  }
};
phaseTable(load);
p();
p('A dev node finalizes each block as it seals it: its finality wait is this client\'s delay in');
p('hearing of it.');
p();
p(`A trade takes a request and an execution: ${load.trades.per_second} trades/s (one over the sum of a request's and an execution's time at the rates above), every order filled (the tool checks that no order is left and every trader holds its position).`);
p();
p(`**Target: trades at least 0.8x transfers.** Measured ${load.ratio}x in trades (${load.transactions_ratio}x in transactions): ${load.ratio >= 0.8 ? 'met' : `missed by ${((0.8 - load.ratio) * 100 / 0.8).toFixed(0)}%`}.`);
p('The node and the load tool share the machine\'s cores, so both rates are lower than a node');
p('alone would reach; their ratio is what this run can compare.');
p();
p('### Two validators, real slots');
p();
if (network) {
  p(`\`node scripts/load.js --network\`: ${network.node}; Aura in 6 s slots, GRANDPA finality with both`);
  p(`validators voting, the same ${network.accounts} x ${network.per_account} transfers and ${network.trades.traders} trades, over ${network.connections} WebSockets to Alice; Bob's pool hears of them by gossip.`);
  p('A block is built by one validator and imported by the other within its slot; finality waits for');
  p('both. Both validators and the load tool share the machine\'s 2 cores.');
  p();
  phaseTable(network);
  p();
  p(`${network.trades.per_second} trades/s against ${network.transfers.per_second} transfers/s: **${network.ratio}x** in trades (${network.transactions_ratio}x in transactions); target 0.8x: ${network.ratio >= 0.8 ? 'met' : `missed by ${((0.8 - network.ratio) * 100 / 0.8).toFixed(0)}%`}.`);
  const phases = [['transfer_keep_alive', network.transfers], ['request_order', network.trades.requests], ['execute_order', network.trades.executions]];
  if (phases.every(([, r]) => r.import?.alone_ms !== undefined)) {
    const e = network.transfers.import;
    p();
    p('**Imported, commit included.** What a validator really spends on a full block: verification, execution, state');
    p('root and the database commit, measured two ways for the fullest block of each phase. *On the');
    p('network*: the node\'s own import time (`substrate_block_verification_and_import_time`, read from');
    p('its metrics as each block landed) on the validator that did not author the block (its Aura');
    p('slot says who did), while the other validator and the load tool ran on the same 2 cores and both');
    p('transaction pools validated what was gossiped; the empty blocks it is set against were mostly');
    p('imported between phases, with less going on. *Alone*: once both had stopped, Alice\'s chain exported');
    p('(`export-blocks`) and imported again into a fresh database with nothing else running');
    p('(`import-blocks`; each block from the import queue\'s start on it to its import, from its trace');
    p('log, to the millisecond). Per transaction: the block\'s time less an empty block\'s (the median of');
    p(`those holding only their inherents: ${e.empty_ms} ms over ${e.empty_blocks} on the network, ${e.alone_empty_ms} ms alone), over its transactions of the phase. Charged as in section 2: dispatch weight and the base weight of an extrinsic.`);
    p();
    if (phases.some(([, r]) => r.import.ms === null)) {
      p('*Not attributed*: no import of that block seen that the run could tell was by the validator that did not author it.');
      p();
    }
    p('| transaction | fullest block (its transactions) | on the network: ms, per tx µs (importer) | alone: ms, per tx µs | charged per tx (µs) | charged / network | charged / alone |');
    p('|---|---:|---:|---:|---:|---:|---:|');
    const chargedImport = (name) => Number(facts[name].ref_time + facts.base_extrinsic.ref_time) / 1e6;
    // A per-transaction time at or below zero (an import no slower than an empty block's) is noise.
    const over = (charged, perTx) => (perTx > 0 ? (charged / perTx).toFixed(2) : 'n/a');
    for (const [name, r] of phases) {
      const i = r.import;
      const net = i.ms === null ? 'not attributed' : `${i.ms}, ${i.per_call_us} (${i.by})`;
      p(`| ${name} | #${i.block} (${i.calls}) | ${net} | ${i.alone_ms}, ${i.alone_per_call_us} | ${chargedImport(name).toFixed(1)} | ${i.ms === null ? 'n/a' : over(chargedImport(name), i.per_call_us)} | ${over(chargedImport(name), i.alone_per_call_us)} |`);
    }
    p();
    const verdict = (key, label) => {
      const attributed = phases.filter(([, r]) => r.import[key] !== null);
      if (attributed.length === 0) return `${label}: no import attributed`;
      const measured = attributed.filter(([, r]) => r.import[key] > 0);
      if (measured.length === 0) return `${label}: no transaction took longer than an empty block's import`;
      const under = measured.filter(([name, r]) => chargedImport(name) < r.import[key]).map(([name]) => name);
      const above = measured.filter(([name, r]) => chargedImport(name) > 1.3 * r.import[key]).map(([name]) => name);
      return `${label}: ${under.length ? `**charged below what importing took for ${under.join(', ')}**` : 'none charged below what importing took'}, ${above.length ? `over 1.3x: ${above.join(', ')}` : 'every one within 1.3x'}`;
    };
    // A whole block: its import against what its transactions were charged, and the slot.
    const blockLine = (key, label) => {
      const rows = phases.filter(([, r]) => r.import[key] !== null);
      if (rows.length === 0) return `${label}: no full block's import attributed`;
      const [name, r] = rows.reduce((a, b) => (b[1].import[key] > a[1].import[key] ? b : a));
      const charged = (r.import.calls * chargedImport(name)) / 1000;
      return `${label}, the slowest full block was ${r.import.calls} ${name}: ${r.import[key]} ms to import, against ${charged.toFixed(1)} ms charged for its transactions (${r.import[key] <= charged ? 'within it' : '**more than charged**'}) and the 6,000 ms slot (${r.import[key] <= 6000 ? 'within it' : '**over it**'})`;
    };
    p(`${blockLine('ms', 'On the network')}. ${blockLine('alone_ms', 'Alone')}.`);
    p();
    p(`Against the goal (charged within 1.3x of what it costs, never below): ${verdict('per_call_us', 'on the network')}; ${verdict('alone_per_call_us', 'alone')}.`);
  }
} else {
  p('Not measured in this run (`node scripts/load.js --network > $CARGO_TARGET_DIR/benchmarks/load-network.json`).');
}
p();
p('## 5. Build cost');
p();
if (coldRun) {
  const m = (sec) => `${Math.floor(sec / 60)} min ${sec % 60} s`;
  p(`What CI runs on a new machine: \`.ci/run\` in a fresh clone with an empty target directory, nothing else`);
  if (coldRun.run.complete) {
    p(`running, on ${coldRun.cores} cores, ${coldRun.date}, commit \`${coldRun.commit}\` (\`scripts/build-cost.sh cold-run\`): **${m(coldRun.seconds)}**${coldRun.seconds <= 45 * 60 ? ', within the 45 minutes asked' : ', over the 45 minutes asked'}.`);
  } else {
    const open = coldRun.run.stages[coldRun.run.stages.length - 1];
    p(`running, on ${coldRun.cores} cores, ${coldRun.date}, commit \`${coldRun.commit}\`: stopped by hand after **${m(coldRun.stopped_at)}**, already over the 45 minutes asked, in the stage "${open.stage}"; the stages after it did not run.`);
  }
  p();
  p('| stage | time |');
  p('|---|---:|');
  const closed = coldRun.run.stages.filter((st) => st.seconds !== null).reduce((a, st) => a + st.seconds, 0);
  for (const st of coldRun.run.stages) {
    p(`| ${st.stage} | ${st.seconds === null ? `${m(coldRun.stopped_at - closed)} when stopped` : m(st.seconds)} |`);
  }
  p();
  // Where each cargo stage's time went: cargo's --timings reports of that run.
  const timingsDir = join(out, 'cold-run-timings');
  const reports = existsSync(timingsDir)
    ? readdirSync(timingsDir).filter((f) => /^cargo-timing-\d.*\.html$/.test(f)).sort()
    : [];
  if (reports.length) {
    p('Inside the cargo stages (`--timings`, one report per cargo command in the order they ran;');
    p('a unit is one crate\'s compile, or one build script\'s run; on 2 cores two run at once, so');
    p('the units add up to more than the wall time):');
    p();
    // The reports come in the order of the stages that run cargo with --timings.
    const cargoStages = coldRun.run.stages.filter((st) => !/^(setup|formatting|typed)/.test(st.stage));
    p('| stage | units built (of all) | wall | units, added up | the longest units |');
    p('|---|---:|---:|---:|---|');
    for (const [index, file] of reports.entries()) {
      const html = readFileSync(join(timingsDir, file), 'utf8');
      const units = JSON.parse(html.match(/const UNIT_DATA = (\[.*?\]);\n/s)[1]);
      const wall = Number(html.match(/Total time:<\/td><td>([\d.]+)s/)[1]);
      const field = (name) => (html.match(new RegExp(`<td>${name}:</td><td>([^<]*)`)) ?? [])[1] ?? '';
      const what = (cargoStages[index]?.stage ?? file).split(/[:(]/)[0].trim();
      const sum = units.reduce((a, u) => a + u.duration, 0);
      const top = units.sort((a, b) => b.duration - a.duration).slice(0, 4)
        .map((u) => `${u.name}${u.target.includes('build-script') ? ' (build script)' : u.target.trim() ? ` ${u.target.trim()}` : ''} ${m(Math.round(u.duration))}`);
      p(`| ${what} | ${field('Dirty units')} (${field('Total units')}) | ${m(Math.round(wall))} | ${m(Math.round(sum))} | ${top.join('; ')} |`);
    }
    p();
  }
}
p();
if (cold) {
  p(`- Cold release build of the node (empty target directory, \`${cold.command}\`): **${cold.seconds} s** (${(cold.seconds / 60).toFixed(1)} min) on ${cold.cores} cores, ${cold.date}, commit \`${cold.commit}\`.`);
} else {
  p('- Cold release build: not measured in this run (`scripts/build-cost.sh cold` measures it).');
}
if (warm) {
  p(`- Warm release build after touching one pallet (\`${warm.touched}\`): **${warm.seconds} s**; with nothing changed: ${warm.noop_seconds} s. ${warm.date}, commit \`${warm.commit}\`.`);
}
p('- RocksDB: `cargo tree -p bulkhead-node -i librocksdb-sys` answers:');
p();
p('```');
p(tree);
p('```');
p();
p('- Crates in the node\'s graph that compile C or C++ at build time (they depend on `cc`), each');
p('  with what pulls it in (`cargo tree -i <crate> --depth 1`):');
p();
p('```');
p(native);
p('```');
p();
p('- Of those, C++ (what links the C++ standard library, `cargo tree -i link-cplusplus`):');
p();
p('```');
p(cplusplus);
p('```');
process.stdout.write(lines.join('\n') + '\n');
process.exit(0);
