// What the load tool and the benchmark's state builder share: raw JSON-RPC batches over
// WebSockets, a watcher that counts each block's calls and failures, and a phase that signs,
// submits and waits for a list of transactions.

import WebSocket from 'ws';
import { basename } from 'node:path';

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
    blocks.push({ number, hash: hash.toHex(), parent: header.parentHash.toHex(), seenAt, calls, ended });
    seen.push({ number, seenAt });
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

/** Each phase result's blocks (height, when seen), for `addFinality`. */
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
  heightsOf.set(result, holding(watch.blocks, kinds).map(({ number, seenAt }) => ({ number, seenAt })));
  log(`${name}:`, JSON.stringify(result));
  return result;
}
