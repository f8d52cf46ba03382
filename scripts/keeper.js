#!/usr/bin/env node
// Bulkhead keeper: watches every segment for positions below maintenance margin, through the
// runtime API `SegmentsApi.liquidatable`, and liquidates them, earning each position's keeper
// deposit and its liquidation fee; for every pool whose traders' pending profit is above its
// auto-deleveraging trigger (`SegmentsApi.pool`), deleverages the head of the queue until the
// pool is back under it; executes every pending LP order (deposit or withdrawal) and every
// pending order the oracle has published a price for since its delay (or whose window is over,
// to expire it), LP orders before any liquidation or trade (an LP order is not priced at a
// price older than one a position moved at since), earning the execution fee of each order
// that fills (an order that ends unfilled pays its fee to the LPs); passes every exit queue
// where a queued share exit's price is out, as soon as it is; and settles
// every position of a market root is ending, losers first, earning each one's keeper deposit.
//
//   node scripts/keeper.js [--url ws://127.0.0.1:9944] [--suri //Eve] [--max 50] [--once]
//
// --once scans the best block one time, executes and liquidates what it finds and exits,
// printing a JSON summary; without it the keeper scans every new block until interrupted.

import { parseArgs } from 'node:util';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { connect, describeError, lpOrderDue, lpSegmentState, orderDue, send } from './lib/chain.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'ws://127.0.0.1:9944' },
    suri: { type: 'string', default: '//Eve' },
    max: { type: 'string', default: '50' },
    once: { type: 'boolean', default: false },
  },
});

/**
 * Execute every pending trade order that may be executed now (at most `max` per pass): each
 * fills at the first price its oracle published after its delay, whoever executes it, and pays
 * the keeper its execution fee; or it ends unfilled, its margin goes back and its fee to the
 * LPs.
 */
export async function executeOrders(api, keeper, max, failed) {
  // Every order that is due, oldest first, submitted at once (an order left past its window
  // expires, so a keeper does not wait a block per order). Read at one block: the orders, each
  // segment's prices once, and the chain's time.
  const at = await api.at(await api.rpc.chain.getBlockHash());
  const pending = await at.query.executionSegments.orders.entries();
  const now = (await at.query.timestamp.now()).toBigInt();
  const rounds = new Map();
  // An order in a market that ended fills at no price: its owner takes it back.
  const ended = new Set((await at.query.executionSegments.markets.keys()).map((k) => k.args[0].toNumber()));
  const due = [];
  for (const [key, stored] of pending) {
    const [segment, who] = key.args;
    if (ended.has(segment.toNumber())) continue;
    const order = stored.unwrap();
    if (!rounds.has(segment.toNumber())) {
      rounds.set(segment.toNumber(), await at.query.executionSegments.priceRounds(segment));
    }
    if (orderDue(order, rounds.get(segment.toNumber()), now)) due.push({ segment, who, from: order.fillsFrom.toBigInt() });
  }
  due.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  let nonce = (await api.rpc.system.accountNextIndex(keeper.address)).toNumber();
  const results = await Promise.all(due.slice(0, max).map(({ segment, who }) => execute(api, keeper, segment, who, nonce++, failed)));
  return results.filter(Boolean);
}

/**
 * Execute every pending LP order (deposit or withdrawal) that may be executed now (at most
 * `max` per pass), priced as a trade's order is, and pass the exit queue of every silo where a
 * queued share exit's price is out: the LP orders oldest first, then the passes, all submitted
 * at once so a pass does not wait a block behind them. An LP order pays the keeper its fee, or ends unfilled, its escrow back
 * and its fee to the LPs; a pass pays slices. What each did, or null (in `failed`).
 */
export async function executeLpOrders(api, keeper, max, failed) {
  const at = await api.at(await api.rpc.chain.getBlockHash());
  const now = (await at.query.timestamp.now()).toBigInt();
  const segments = new Map();
  const due = await dueLpOrders(api, at, now, segments);
  const silos = await dueExitQueues(api, at, now, segments);
  let nonce = (await api.rpc.system.accountNextIndex(keeper.address)).toNumber();
  const orders = due.slice(0, max).map(({ silo, who }) => executeLp(api, keeper, silo, who, nonce++, failed));
  const passes = silos.map((silo) => {
    const tx = api.tx.collateralSilos.processExits(silo, max);
    const where = { silo: silo.toNumber(), exits: true };
    return submit(api, keeper, tx, ['collateralSilos', 'ExitPaid', 'ExitPricedAt'], where, nonce++, failed);
  });
  const [executed, exits] = await Promise.all([Promise.all(orders), Promise.all(passes)]);
  return { executed: executed.filter(Boolean), exits: exits.filter(Boolean) };
}

/**
 * `silo`'s segment state for `lpOrderDue` at block `at`, read once per scan (`segments`
 * caches it by silo).
 */
async function siloState(api, at, silo, segments) {
  if (!segments.has(silo.toNumber())) {
    const segment = (await at.query.collateralSilos.silos(silo)).unwrap().segment;
    segments.set(silo.toNumber(), await lpSegmentState(at, segment, api));
  }
  return segments.get(silo.toNumber());
}

/**
 * Every silo whose exit queue holds a share exit whose price is out (`Exit.pricedAt`, the
 * first price after the order delay, as an LP order's) or has lapsed, read at block `at`
 * (time `now`): a pass pays its slice at once, so nobody is left to choose when within the
 * price's window it is paid (a lapsed one is priced anew). A segment whose LPs must wait
 * (severed or recovering, or a settling market) is skipped.
 */
async function dueExitQueues(api, at, now, segments) {
  const due = new Map();
  for (const [key, stored] of await at.query.collateralSilos.exits.entries()) {
    const [silo, index] = key.args;
    const exit = stored.unwrap();
    if (due.has(silo.toNumber()) || !exit.request.isLiquidity || exit.request.asLiquidity.isZero()) continue;
    // Each entry at each price once: a slice its price could not pay (the line, the reserve)
    // waits for a new price (`ExitPricedAt`) rather than cost the keeper a pass every block.
    const attempt = `${silo}:${index}:${exit.pricedAt.toString()}:${exit.request.asLiquidity}`;
    if (passed.has(attempt)) continue;
    const state = await siloState(api, at, silo, segments);
    const [, market, , , health] = state;
    if (market.isSettling || (market.isLive && health.isSome && !health.unwrap().status.isNormal)) continue;
    const timing = exit.pricedAt.isSome ? exit.pricedAt.unwrap() : undefined;
    const lapsed = !timing || now > timing.expiresAt.toBigInt();
    if (lapsed || lpOrderDue({ kind: { isWithdraw: true }, timing }, state, now)) {
      due.set(silo.toNumber(), silo);
      passed.add(attempt);
    }
  }
  return [...due.values()];
}

/** The exit entries (silo, index, price, shares left) a pass has been sent for. */
const passed = new Set();

/** Every LP order that may be executed now, oldest first, read at block `at` (time `now`). */
async function dueLpOrders(api, at, now, segments) {
  const due = [];
  for (const [key, stored] of await at.query.collateralSilos.lpOrders.entries()) {
    const [silo, who] = key.args;
    const order = stored.unwrap();
    if (lpOrderDue(order, await siloState(api, at, silo, segments), now)) {
      due.push({ silo, who, from: order.timing.fillsFrom.toBigInt() });
    }
  }
  return due.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

/** Execute `who`'s LP order in `silo` with `nonce`; what happened, or null (in `failed`). */
function executeLp(api, keeper, silo, who, nonce, failed) {
  const tx = api.tx.collateralSilos.executeLpOrder(silo, who);
  const where = { silo: silo.toNumber(), who: who.toString(), lp: true };
  return submit(api, keeper, tx, ['collateralSilos', 'LpOrderExecuted', 'LpOrderEnded'], where, nonce, failed);
}

/** Execute `who`'s order in `segment` with `nonce`; what happened, or null (in `failed`). */
function execute(api, keeper, segment, who, nonce, failed) {
  const tx = api.tx.executionSegments.executeOrder(segment, who);
  const where = { segment: segment.toNumber(), who: who.toString() };
  return submit(api, keeper, tx, ['executionSegments', 'OrderExecuted', 'OrderEnded'], where, nonce, failed);
}

/**
 * Submit the execution `tx` with `nonce`: `where` the order was, whether it filled (its event
 * `executed` of `section`, and its price if it has one) or why it `ended`; null if the
 * submission failed (in `failed`: another keeper may have been faster).
 */
async function submit(api, keeper, tx, [section, executed, ended], where, nonce, failed) {
  try {
    const { events } = await send(api, tx, keeper, { finalized: false, nonce, timeoutMs: 60_000 });
    const filled = events.find((e) => e.section === section && e.method === executed);
    const reason = events.find((e) => e.section === section && e.method === ended)?.data.reason;
    return {
      ...where,
      filled: Boolean(filled),
      price: filled?.data.price?.toString(),
      ended: reason && (reason.isFailed ? describeError(api, reason.asFailed) : reason.type),
    };
  } catch (error) {
    failed.push({ ...where, error: error.message });
    return null;
  }
}

/**
 * Settle what is left in every market root ended (`SegmentHealthView.market`), in batches of
 * the runtime's `MaxSettleBatch`: while it settles, every position (losers first, though the
 * order changes nobody's pay: winners' claims are paid at one payout once the last position
 * is settled), each of another's earning its keeper deposit; once delisted, in the same pass,
 * every claim, to its owner; and any order left behind, its escrow back to its owner. Returns
 * what was settled and paid, and the segments still live.
 */
export async function settleMarkets(api, keeper, failed) {
  const settled = [];
  const live = [];
  const batch = api.consts.executionSegments.maxSettleBatch.toNumber();
  for (const segment of (await api.call.segmentsApi.segments()).map((s) => s.toNumber())) {
    // Settling, then (once the last position is settled) paying the claims: two rounds.
    for (let round = 0; round < 2; round += 1) {
      const health = await api.call.segmentsApi.segmentHealth(segment);
      if (health.isNone) break;
      const market = health.unwrap().market;
      if (market.isLive) {
        live.push(segment);
        break;
      }
      let accounts;
      if (market.isSettling) {
        const price = market.asSettling.price.toBigInt();
        // A long entered above the price loses, a short below it (funding aside).
        const loses = (p) => (p.side.isLong ? p.entryPrice.toBigInt() > price : p.entryPrice.toBigInt() < price);
        accounts = (await api.query.executionSegments.positions.entries(segment))
          .map(([key, p]) => ({ who: key.args[1].toString(), loses: loses(p.unwrap()) }))
          .sort((a, b) => Number(b.loses) - Number(a.loses))
          .map((p) => p.who);
      } else {
        accounts = (await api.query.executionSegments.claims.keys(segment)).map((key) => key.args[1].toString());
      }
      // Orders left behind end with their escrow back to their owners.
      for (const key of await api.query.executionSegments.orders.keys(segment)) {
        const who = key.args[1].toString();
        if (!accounts.includes(who)) accounts.push(who);
      }
      if (accounts.length === 0) break;
      for (let i = 0; i < accounts.length; i += batch) {
        const chunk = accounts.slice(i, i + batch);
        try {
          const { events } = await send(api, api.tx.executionSegments.settlePositions(segment, chunk), keeper, {
            finalized: false,
          });
          for (const e of events.filter((e) => e.section === 'executionSegments')) {
            if (e.method === 'PositionSettled') settled.push({ segment, who: e.data.who.toString(), pnl: e.data.pnl.toString() });
            if (e.method === 'ClaimPaid') settled.push({ segment, who: e.data.who.toString(), paid: e.data.paid.toString() });
            if (e.method === 'SettlementFailed') failed.push({ segment, who: e.data.who.toString(), error: describeError(api, e.data.error) });
          }
        } catch (error) {
          failed.push({ segment, who: chunk.join(','), error: error.message });
        }
      }
      if (market.isDelisted) break;
    }
  }
  return { settled, live };
}

/**
 * One pass over every segment: settle the positions of markets that are ending, liquidate what
 * the runtime says is liquidatable now,
 * deleverage pools past their trigger, then execute the orders that are due.
 */
export async function scan(api, keeper, max) {
  const done = [];
  const failed = [];
  // Ended markets first; only live ones liquidate and deleverage.
  const { settled, live: segments } = await settleMarkets(api, keeper, failed);
  // LP orders before anything that moves a position: a liquidation at a newer price would
  // leave them priced older than a position (`PriceSuperseded`).
  // Queued share exits likewise, as soon as their price is out.
  const { executed: lpExecuted, exits } = await executeLpOrders(api, keeper, max, failed);
  for (const segment of segments) {
    const accounts = await api.call.segmentsApi.liquidatable(segment, max);
    for (const who of accounts) {
      try {
        const { events } = await send(api, api.tx.executionSegments.liquidate(segment, who), keeper, {
          finalized: false,
        });
        const event = events.find((e) => e.section === 'executionSegments' && e.method === 'PositionLiquidated');
        done.push({
          segment,
          who: who.toString(),
          fee: event?.data.fee.toString(),
          badDebt: event?.data.badDebt.toString(),
        });
      } catch (error) {
        // Someone else may have been faster, or the price moved back: report and go on.
        failed.push({ segment, who: who.toString(), error: error.message });
      }
    }
  }
  const deleveraged = [];
  for (const segment of segments) {
    // Each auto-deleverage realizes profit down to the floor; a second is needed only when
    // the head did not hold enough. A few rounds at most per pass.
    for (let round = 0; round < 5; round += 1) {
      const view = await api.call.segmentsApi.pool(segment, 1);
      if (view.isNone) break;
      const pool = view.unwrap();
      if (pool.marked.isNone) break;
      const marked = pool.marked.unwrap();
      const ratio = marked.pnlToPool.isSome ? marked.pnlToPool.unwrap().toBigInt() : 0n;
      // Permill parts to 18-decimal fixed point.
      if (ratio <= pool.adlTrigger.toBigInt() * 10n ** 12n) break;
      // The side ahead is the one past the trigger; its queue's head goes first.
      const longAhead = marked.longPnl.toBigInt() >= marked.shortPnl.toBigInt();
      const head = pool.adlQueue.find((entry) => entry.side.isLong === longAhead);
      if (!head) break;
      try {
        const { events } = await send(api, api.tx.executionSegments.autoDeleverage(segment, head.who), keeper, {
          finalized: false,
        });
        const event = events.find((e) => e.section === 'executionSegments' && e.method === 'PositionAutoDeleveraged');
        deleveraged.push({ segment, who: head.who.toString(), size: event?.data.size_.toString() });
      } catch (error) {
        failed.push({ segment, who: head.who.toString(), error: error.message });
        break;
      }
    }
  }
  // Trade orders last: a submission the pool turns away delays the ones after it (up to their
  // timeout), never a liquidation. (LP orders went first, and only those the runtime will take
  // now: a withdrawal waits out a severed segment, any order a rejected price.)
  const executed = [...lpExecuted, ...(await executeOrders(api, keeper, max, failed))];
  return { executed, exits, liquidated: done, deleveraged, settled, failed };
}

async function main() {
  await cryptoWaitReady();
  const keeper = new Keyring({ type: 'sr25519' }).addFromUri(args.suri);
  const api = await connect(args.url);
  const max = Number(args.max);
  if (args.once) {
    console.log(JSON.stringify(await scan(api, keeper, max)));
    await api.disconnect();
    return;
  }
  console.log(`keeper ${keeper.address} watching ${args.url}`);
  let busy = false;
  await api.rpc.chain.subscribeNewHeads(async (header) => {
    if (busy) return;
    busy = true;
    try {
      const { executed, exits, liquidated, deleveraged, settled, failed } = await scan(api, keeper, max);
      for (const o of executed) {
        const what = o.filled ? (o.lp ? 'filled' : `filled at ${o.price}`) : `ended: ${o.ended}`;
        const where = o.lp ? `LP order of ${o.who} in silo ${o.silo}` : `order of ${o.who} in segment ${o.segment}`;
        console.log(`#${header.number} executed the ${where}: ${what}`);
      }
      for (const e of exits) console.log(`#${header.number} passed the exit queue of silo ${e.silo}: ${e.filled ? 'paid a slice' : 'nothing paid'}`);
      for (const l of liquidated) console.log(`#${header.number} liquidated ${l.who} in segment ${l.segment}: fee ${l.fee}, bad debt ${l.badDebt}`);
      for (const s of settled) {
        const what = s.paid === undefined ? `settled at ${s.pnl}` : `paid its claim, ${s.paid}`;
        console.log(`#${header.number} ${s.who} in segment ${s.segment}: ${what}`);
      }
      for (const d of deleveraged) console.log(`#${header.number} auto-deleveraged ${d.size} of ${d.who} in segment ${d.segment}`);
      for (const f of failed) {
        const where = f.silo === undefined ? `segment ${f.segment}` : `silo ${f.silo}`;
        console.log(`#${header.number} could not act on ${f.who} in ${where}: ${f.error}`);
      }
    } catch (error) {
      console.error(`#${header.number} scan failed: ${error.message}`);
    } finally {
      busy = false;
    }
  });
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
