// What the load tool and the benchmark's state builder share: raw JSON-RPC batches over
// WebSockets, a watcher that counts each block's calls and failures, and a phase that signs,
// submits and waits for a list of transactions.

import WebSocket from 'ws';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { nodeBinary, rpc } from '../../e2e/harness.js';

const tool = basename(process.argv[1] ?? 'load', '.js');
/** Progress, on stderr: stdout carries each tool's result. */
export const log = (...args) => console.error(`[${tool}]`, ...args);

/** Raw JSON-RPC over one WebSocket, many requests in flight. */
export class RawRpc {
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
  batch(method, paramsList, timeoutMs = 120_000) {
    const first = this.next;
    const body = paramsList.map((params) => ({ jsonrpc: '2.0', id: this.next++, method, params }));
    return new Promise((resolve, reject) => {
      // A reply that never comes fails the batch rather than holding its caller for good.
      const timer = setTimeout(() => {
        this.pending.delete(first);
        reject(new Error(`no reply to a batch of ${paramsList.length} ${method} in ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (f) => (x) => {
        clearTimeout(timer);
        f(x);
      };
      this.pending.set(first, { resolve: settle(resolve), reject: settle(reject) });
      this.ws.send(JSON.stringify(body));
    });
  }

  close() {
    this.ws.close();
  }
}

/** Submit signed hex extrinsics in order, a batch in flight per connection; throw on a refusal. */
export async function submitAll(connections, txs, batch) {
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

/**
 * Watch every block the node imports (forks too): per block, its calls and failures and when
 * this client heard of it; and finalized heads, to tell how long each block waited for
 * finality. What counts is the chain through the newest block (`canonical`): a block on a
 * fork the chain left is kept but not counted.
 */
export function watchBlocks(api) {
  const blocks = [];
  const finalized = [];
  // Every block heard of, never cleared (`blocks` is, between phases).
  const seen = [];
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
    .subscribeAllHeads((header) => {
      if (!stopped) track(record(header, performance.now()));
    })
    .then((u) => { unsubscribe = u; });
  let unsubscribeFinalized = () => {};
  const finalizedReady = api.rpc.chain
    .subscribeFinalizedHeads((header) => {
      if (!stopped) finalized.push({ number: header.number.toNumber(), seenAt: performance.now() });
    })
    .then((u) => { unsubscribeFinalized = u; });
  async function record(header, seenAt) {
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
    const number = header.number.toNumber();
    // Who authored it: Aura's pre-runtime digest carries the slot, and the slot's author is
    // the authority at slot modulo their count.
    const preRuntime = header.digest.logs.find((l) => l.isPreRuntime && l.asPreRuntime[0].toString() === 'aura');
    const slot = preRuntime ? api.createType('u64', preRuntime.asPreRuntime[1]).toBigInt() : null;
    blocks.push({ number, hash: hash.toHex(), parent: header.parentHash.toHex(), seenAt, calls, ended });
    seen.push({ number, hash: hash.toHex(), seenAt, extrinsics: calls.length, slot });
  }
  const stop = async () => {
    stopped = true;
    await unsubscribe();
    await unsubscribeFinalized();
    await Promise.allSettled([...pending]);
  };
  return { blocks, finalized, seen, ready: Promise.all([ready, finalizedReady]), stop };
}

/**
 * The blocks of `blocks` on the chain through the newest of them (the highest, the last heard
 * of among equals), walking back by parent hash as far as `blocks` reaches.
 */
export function canonical(blocks) {
  if (blocks.length === 0) return [];
  const byHash = new Map(blocks.map((b) => [b.hash, b]));
  let b = blocks.reduce((best, x) => (x.number > best.number || (x.number === best.number && x.seenAt > best.seenAt) ? x : best));
  const chain = [];
  for (; b; b = byHash.get(b.parent)) chain.push(b);
  return chain.reverse();
}

/** The canonical blocks that hold any of the calls `kinds`, lowest first, with how many each holds. */
function holding(blocks, kinds) {
  return canonical(blocks)
    .map((b) => ({ ...b, n: b.calls.filter((c) => kinds.includes(c.call)).length, failed: b.calls.filter((c) => kinds.includes(c.call) && c.failed).length }))
    .filter((b) => b.n > 0)
    .sort((a, b) => a.number - b.number);
}

/**
 * How long each phase's blocks waited for finality: from when this client saw each as a new
 * best block to the first finalized head at or above it (mean and worst), and how many blocks
 * the best chain was ahead of each when it was finalized (worst). Waits until the last of them
 * is final; sets `finality` on each of `results` (what `phase` returned).
 */
export async function addFinality(watch, results, timeoutMs) {
  const top = Math.max(...results.flatMap((r) => heightsOf.get(r).map((b) => b.number)));
  const deadline = Date.now() + timeoutMs;
  while (!watch.finalized.some((f) => f.number >= top)) {
    if (Date.now() > deadline) throw new Error(`block ${top} not finalized in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const result of results) {
    const lags = heightsOf.get(result).map((b) => {
      const f = watch.finalized.find((x) => x.number >= b.number);
      const bestThen = Math.max(...watch.seen.filter((x) => x.seenAt <= f.seenAt).map((x) => x.number));
      // A node may announce a block final before this client has heard of it as new.
      return { ms: Math.max(0, f.seenAt - b.seenAt), behind: Math.max(0, bestThen - b.number) };
    });
    result.finality = {
      mean_ms: Math.round(lags.reduce((s, l) => s + l.ms, 0) / lags.length),
      max_ms: Math.round(Math.max(...lags.map((l) => l.ms))),
      max_blocks_behind: Math.max(...lags.map((l) => l.behind)),
    };
  }
}

/** The median of `xs` (the upper one of an even count). */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** What each of `n` calls added to a block's import: its time over an empty block's, in µs. */
const perCallUs = (ms, emptyMs, n) => Number((((ms - emptyMs) * 1000) / n).toFixed(1));

/** A metric's value in a Prometheus text exposition (the first series of that name). */
function metric(text, name) {
  const line = text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm'));
  if (!line) throw new Error(`no ${name} in the node's metrics`);
  return Number(line[1]);
}

/**
 * How long each validator of `validators` (`{ name, port, metrics }`: RPC port, Prometheus URL)
 * takes to import the blocks it did not author: verification, execution, state root and the
 * database commit, as the node's own `substrate_block_verification_and_import_time` observes
 * them. Every `intervalMs` it reads each validator's metrics; when exactly one import was
 * observed since the last read, that import's time is the sum's growth, and the candidate block
 * is the validator's best block then. A node makes an imported block its best only if it is
 * higher than its best, and its own blocks move its best without an import: `addImports` keeps
 * a candidate only if the other validator authored it and it is on the chain. A read that fails
 * is logged and skipped (the next read starts afresh). Returns `{ imports (hash -> { by, ms }),
 * stop() }`.
 */
export function watchImports(validators, intervalMs = 500) {
  const imports = new Map();
  const last = new Map();
  let stopped = false;
  const read = async (v) => {
    try {
      const response = await fetch(v.metrics, { signal: AbortSignal.timeout(5_000) });
      const text = await response.text();
      const count = metric(text, 'substrate_block_verification_and_import_time_count');
      const sum = metric(text, 'substrate_block_verification_and_import_time_sum');
      const before = last.get(v.name);
      last.set(v.name, { count, sum });
      if (!before || count !== before.count + 1) return;
      const hash = await rpc(v.port, 'chain_getBlockHash');
      if (!imports.has(hash)) imports.set(hash, { by: v.name, ms: (sum - before.sum) * 1000 });
    } catch (e) {
      last.delete(v.name);
      log(`import watch: reading ${v.name} failed (${e.message}); skipped`);
    }
  };
  const loop = (async () => {
    while (!stopped) {
      await Promise.all(validators.map(read));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return { imports, stop: async () => { stopped = true; await loop; } };
}

/**
 * From what `watchImports` saw, per phase result: its fullest block (height, its calls of the
 * phase) and, if its import by the validator that did not author it was seen, how long that
 * took (`ms`, `by`) and, against the median import of the blocks holding only their inherents
 * (`empty_ms`), what each call added (`per_call_us`); `ms` is null when that import was not
 * seen. `authors` names the Aura authorities in order (a block's author is the authority at
 * its slot modulo their count). Sets `import` on each of `results`.
 */
export function addImports(watch, imported, results, authors) {
  const author = (b) => (b.slot === null ? null : authors[Number(b.slot % BigInt(authors.length))]);
  const byHash = new Map(watch.seen.map((b) => [b.hash, b]));
  // An import counts when the importer is not the block's author.
  const valid = new Map([...imported.imports].filter(([hash, i]) => {
    const b = byHash.get(hash);
    return b && author(b) !== null && author(b) !== i.by;
  }));
  const empty = [...valid].filter(([hash]) => byHash.get(hash).extrinsics === 1).map(([, i]) => i.ms);
  if (empty.length === 0) throw new Error('no import of an empty block seen: no baseline for the import times');
  const emptyMs = median(empty);
  for (const result of results) {
    const fullest = heightsOf.get(result).reduce((a, b) => (b.n > a.n ? b : a));
    const i = valid.get(fullest.hash);
    result.import = {
      block: fullest.number,
      hash: fullest.hash,
      calls: fullest.n,
      by: i?.by ?? null,
      ms: i ? Number(i.ms.toFixed(1)) : null,
      empty_ms: Number(emptyMs.toFixed(1)),
      empty_blocks: empty.length,
      per_call_us: i ? perCallUs(i.ms, emptyMs, fullest.n) : null,
    };
  }
}

/**
 * Import `validator`'s chain again, alone: after the network has stopped, `export-blocks` takes
 * its blocks from its database and `import-blocks` puts them into a fresh one under `dir`, on a
 * machine where nothing else runs (no pool, no peer, no load tool). The import queue logs when it
 * starts verifying each block and when that block is imported, commit included (trace target
 * `sync::import-queue`); the difference is the block's import time, to the log's millisecond.
 * The import's log goes to `logFile`. Returns a map: block number -> { ms, hash (the log's
 * shortened form, `0x1234…abcd`) }.
 */
export function importAlone(validator, dir, logFile) {
  const node = nodeBinary();
  const file = join(dir, 'blocks.bin');
  const run = (args) => {
    const r = spawnSync(node, args, { encoding: 'utf8', maxBuffer: 1 << 30, timeout: 600_000 });
    if (r.status !== 0) {
      throw new Error(`bulkhead-node ${args[0]} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').slice(-2000)}`);
    }
    return r.stderr;
  };
  // The validator's process may hold its database's lock for a moment after it was told to stop.
  const exportArgs = ['export-blocks', '--chain', validator.spec, '--base-path', validator.basePath, '--binary', file];
  for (let tries = 1; ; tries++) {
    try {
      run(exportArgs);
      break;
    } catch (e) {
      if (tries >= 60 || !/in use/.test(e.message)) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  const logs = run([
    // `--log` takes any number of values: the file goes before it.
    'import-blocks', '--chain', validator.spec, '--base-path', join(dir, 'import-alone'),
    '--binary', file, '--log', 'sync=trace',
  ]);
  writeFileSync(logFile, logs);
  const at = (line) => {
    const t = line.match(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})/);
    if (!t) throw new Error(`no timestamp on an import-queue line of ${logFile}: ${line}`);
    return Date.parse(t[1].replace(' ', 'T') + 'Z');
  };
  const started = new Map();
  const times = new Map();
  for (const line of logs.split('\n')) {
    const begin = line.match(/sync::import-queue: Block (\d+) \((0x[^)]*)\) has \d+ logs/);
    if (begin) started.set(Number(begin[1]), { at: at(line), hash: begin[2] });
    const done = line.match(/sync::import-queue: Block imported successfully Some\((\d+)\)/);
    const start = done && started.get(Number(done[1]));
    if (start) times.set(Number(done[1]), { ms: at(line) - start.at, hash: start.hash });
  }
  if (times.size === 0) throw new Error(`import-blocks logged no block import (its log: ${logFile}): was the trace target renamed?`);
  return times;
}

/** Whether the log's shortened hash (`0x1234…abcd`) is `hash`'s. */
const sameHash = (short, hash) => {
  const [head, tail] = short.split('…');
  return tail === undefined ? short === hash : hash.startsWith(head) && hash.endsWith(tail);
};

/**
 * What importing alone took (`importAlone`'s times) for each phase result's fullest block (the
 * one `import` names): sets `alone_ms` and `alone_per_call_us` on it, against the median of the
 * blocks that hold only their inherents, imported the same way (`alone_empty_ms`). Only blocks
 * of the chain that was exported count: a block is matched by its number and its hash.
 */
export function addImportsAlone(watch, times, results) {
  const empty = watch.seen
    .filter((b) => b.extrinsics === 1 && times.has(b.number) && sameHash(times.get(b.number).hash, b.hash))
    .map((b) => times.get(b.number).ms);
  if (empty.length === 0) throw new Error('no empty block among those imported alone');
  const emptyMs = median(empty);
  for (const result of results) {
    const i = result.import;
    const t = times.get(i.block);
    if (!t || !sameHash(t.hash, i.hash)) throw new Error(`block ${i.block} (${i.hash}) was not among those imported alone`);
    Object.assign(i, {
      alone_ms: t.ms,
      alone_empty_ms: emptyMs,
      alone_per_call_us: perCallUs(t.ms, emptyMs, i.calls),
    });
  }
}

/** Each phase result's blocks (height, hash, its calls of the phase, when seen), for `addFinality` and `addImports`. */
const heightsOf = new WeakMap();

/** Sustained inclusion rate of the calls `kinds` over `blocks`. */
export function rate(blocks, kinds, expected) {
  const ours = holding(blocks, kinds);
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

export async function waitUntil(blocks, kinds, expected, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = holding(blocks, kinds).reduce((s, b) => s + b.n, 0);
    if (seen >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${seen} of ${expected} ${kinds} included in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Sign every transaction of `list`. Signing is CPU work that would otherwise hold the event
 * loop for the whole list: every 100 signatures it lets pending I/O (block notifications, RPC
 * replies) through, so no call in flight meanwhile times out.
 */
export async function signAll(api, list) {
  const out = [];
  for (const [i, { tx, pair, nonce }] of list.entries()) {
    const signed = await tx.signAsync(pair, { nonce, era: 0 });
    out.push(signed.toHex());
    if (i % 100 === 99) await new Promise((r) => setImmediate(r));
  }
  return out;
}

export async function phase(api, rpc, watch, name, kinds, list, o, presigned = null) {
  log(`${name}: signing ${list.length}`);
  const signed = presigned ?? (await signAll(api, list));
  log(`${name}: submitting`);
  const start = performance.now();
  await submitAll(rpc, signed, o.batch);
  const submitted = (performance.now() - start) / 1000;
  await waitUntil(watch.blocks, kinds, list.length, 300_000);
  const result = rate(watch.blocks, kinds, list.length);
  result.submit_seconds = Number(submitted.toFixed(3));
  heightsOf.set(result, holding(watch.blocks, kinds).map(({ number, hash, n, seenAt }) => ({ number, hash, n, seenAt })));
  log(`${name}:`, JSON.stringify(result));
  return result;
}
