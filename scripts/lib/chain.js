// Small helpers over @polkadot/api shared by the keeper, the load tool and the end-to-end tests.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/** Connect to a node; fail rather than retry forever when it is not there. */
export async function connect(url, { timeoutMs = 30_000 } = {}) {
  const provider = new WsProvider(url, 1_000, {}, timeoutMs);
  const api = await ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
  await api.isReady;
  return api;
}

/** The dev accounts, by lower-case name: alice, bob, charlie, dave, eve, ferdie. */
export async function devAccounts() {
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const accounts = {};
  for (const name of ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie']) {
    accounts[name.toLowerCase()] = keyring.addFromUri(`//${name}`);
  }
  return accounts;
}

/** A dispatch error as `Pallet.Error` (or the error's kind when it is not a module error). */
export function describeError(api, dispatchError) {
  if (dispatchError.isModule) {
    const { section, name } = api.registry.findMetaError(dispatchError.asModule);
    return `${section}.${name}`;
  }
  return dispatchError.type;
}

/**
 * Sign and submit `tx`, and wait until its block is finalized (or only in a block, with
 * `{ finalized: false }`). Resolves with the extrinsic's events and block hash; rejects with
 * `Pallet.Error` when the call failed, including a sudo call's inner error. `nonce` defaults
 * to the next one the node knows of (pending transactions included); give it explicitly to
 * submit several transactions of one signer at once, with `timeoutMs`: a transaction waiting
 * behind one the pool turned away never lands, and is given up after it.
 */
export function send(api, tx, signer, { finalized = true, nonce = -1, timeoutMs = null } = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = timeoutMs && setTimeout(() => {
      unsub();
      reject(new Error(`transaction not in a block after ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (done) => (value) => {
      if (timer) clearTimeout(timer);
      done(value);
    };
    [resolve, reject] = [settle(resolve), settle(reject)];
    tx.signAndSend(signer, { nonce }, (result) => {
      const { status, events, dispatchError } = result;
      if (status.isInvalid || status.isDropped || status.isUsurped) {
        unsub();
        reject(new Error(`transaction ${status.type}`));
        return;
      }
      const done = finalized ? status.isFinalized : status.isInBlock || status.isFinalized;
      if (!done) return;
      unsub();
      if (dispatchError) {
        reject(new Error(describeError(api, dispatchError)));
        return;
      }
      const sudid = events.find(({ event }) => api.events.sudo?.Sudid?.is(event));
      if (sudid && sudid.event.data[0].isErr) {
        reject(new Error(describeError(api, sudid.event.data[0].asErr)));
        return;
      }
      const blockHash = status.isFinalized ? status.asFinalized : status.asInBlock;
      resolve({ events: events.map(({ event }) => event), blockHash });
    })
      .then((u) => { unsub = u; })
      .catch(reject);
  });
}

/**
 * Alice and Bob, two of the dev chain's three oracle operators, feed `values`, one after the
 * other: the oracle combines a price only from a majority of its operators. Resolves with both
 * feeds' events (Alice's may already combine a price, when her value and Bob's last one agree)
 * and the second's block hash.
 */
export async function feedMajority(api, values, who) {
  const first = await send(api, api.tx.oracle.feedValues(values), who.alice);
  const second = await send(api, api.tx.oracle.feedValues(values), who.bob);
  return { events: [...first.events, ...second.events], blockHash: second.blockHash };
}

/** The first event `section.method` in `events`, or undefined. */
export function findEvent(events, section, method) {
  return events.find((e) => e.section === section && e.method === method);
}

/** A price as the oracle stores it: FixedU128, 18 decimals. `price` may be fractional. */
export function fixedPrice(price) {
  const [whole, frac = ''] = String(price).split('.');
  return BigInt(whole) * 10n ** 18n + BigInt((frac + '0'.repeat(18)).slice(0, 18));
}

/** An oracle key as the runtime stores it, e.g. "BTC/USD". */
export function oracleKey(text) {
  return Array.from(new TextEncoder().encode(text));
}

/**
 * Whether `who`'s order in `segment` may be executed in the next block, from storage alone: the
 * oracle has published a price its majority fed for after the order and its delay (the order
 * fills at the first such price, final once the block that noted it is over, as it is by the
 * next block), or the order's window is over (it expires). What a keeper asks before it spends
 * a transaction.
 */
export async function orderReady(api, segment, who) {
  const stored = await api.query.executionSegments.orders(segment, who);
  if (stored.isNone) return false;
  const recent = await api.query.executionSegments.priceRounds(segment);
  const now = (await api.query.timestamp.now()).toBigInt();
  return orderDue(stored.unwrap(), recent, now);
}

/**
 * `orderReady` from what the caller read already: the order, its segment's `priceRounds` and
 * the chain's `timestamp.now`, all at one block.
 */
export function orderDue(order, recent, now) {
  const requestedAt = order.requestedAt.toBigInt();
  const fillsFrom = order.fillsFrom.toBigInt();
  const eligible = (time) => time > requestedAt && time >= fillsFrom;
  // Its first price forgotten, or found: executable either way (it expires, or fills).
  if (eligible(recent.forgotten.toBigInt())) return true;
  if (recent.rounds.some((round) => eligible(round.timestamp.toBigInt()))) return true;
  return now > order.expiresAt.toBigInt();
}

/**
 * A trade through an order, as a trader and a keeper make it: `who` requests `kind` (for
 * example `{ Increase: { side: 'Long', size, margin } }`, `{ Decrease: { size } }` or
 * `'Close'`) with `acceptable` as its worst fill price (default: any) and the segment's keeper
 * deposit as its execution fee; Alice and Bob publish `segment`'s current price again until a
 * price comes after the order's delay (on a dev chain every transaction seals a block a slot
 * later); `keeper` executes it. Resolves with the request's and the execution's events; rejects
 * with `Pallet.Error` when the request fails or the order ends unfilled.
 */
export async function trade(api, who, keeper, segment, kind, { acceptable, operators } = {}) {
  const info = (await api.query.executionSegments.segments(segment)).unwrap();
  const buy = await buys(api, segment, who.address, kind);
  acceptable ??= buy ? (1n << 128n) - 1n : 0n;
  const fee = info.risk.pool.keeperDeposit.toBigInt();
  const request = await send(api, api.tx.executionSegments.requestOrder(segment, kind, acceptable, fee), who);
  await republishUntil(api, segment, () => orderReady(api, segment, who.address), operators);
  const execution = await send(api, api.tx.executionSegments.executeOrder(segment, who.address), keeper);
  const ended = findEvent(execution.events, 'executionSegments', 'OrderEnded');
  if (ended) {
    const reason = ended.data.reason;
    throw new Error(reason.isFailed ? describeError(api, reason.asFailed) : `order ${reason.type}`);
  }
  return { request, execution, events: [...request.events, ...execution.events] };
}

/**
 * Alice and Bob (or `operators`) publish `segment`'s current price again until `ready()` says
 * an order may be executed (on a dev chain every transaction seals a block a slot later, so
 * time passes too); six rounds at most.
 */
async function republishUntil(api, segment, ready, operators) {
  const info = (await api.query.executionSegments.segments(segment)).unwrap();
  for (let i = 0; i < 6 && !(await ready()); i += 1) {
    const price = await api.query.oracle.values(info.oracleKey);
    if (price.isNone) throw new Error(`no oracle price for segment ${segment}`);
    await feedMajority(api, [[info.oracleKey, price.unwrap().value]], operators ?? (await devAccounts()));
  }
}

/**
 * Whether `who`'s LP order in `silo` may be executed in the next block, from storage alone:
 * its delay is over and, while its segment is live with open interest, its price is out as a
 * trade's order's is (`orderDue`); without open interest, or once the market has ended, no
 * price is needed. What a keeper asks before it spends a transaction.
 */
export async function lpOrderReady(api, silo, who) {
  const stored = await api.query.collateralSilos.lpOrders(silo, who);
  if (stored.isNone) return false;
  const segment = (await api.query.collateralSilos.silos(silo)).unwrap().segment;
  const segmentState = await lpSegmentState(api, segment);
  const now = (await api.query.timestamp.now()).toBigInt();
  return lpOrderDue(stored.unwrap(), segmentState, now);
}

/**
 * What `lpOrderDue` reads of `segment`: storage through `reader` (`api`, or an `api.at(...)`),
 * and the breaker's view as of now through `api`'s runtime API (`segmentHealth`).
 */
export async function lpSegmentState(reader, segment, api = reader) {
  return Promise.all([
    reader.query.executionSegments.segments(segment),
    reader.query.executionSegments.markets(segment),
    reader.query.executionSegments.priceRounds(segment),
    reader.query.executionSegments.repricedAt(segment),
    api.call.segmentsApi.segmentHealth(segment),
  ]);
}

/**
 * `lpOrderReady` from what the caller read already: the LP order, its segment's state
 * (`lpSegmentState`) and the chain's `timestamp.now`, all at one block. No price is needed
 * without a segment, once its market has ended, or with no open interest and no position moved
 * since the request. While the segment is not normal a withdrawal waits, and while the breaker
 * rejects the latest price every order on a live market waits: the runtime refuses to execute
 * them then (`SegmentNotNormal`, `LpOrderNotReady`), so a keeper does not spend a transaction.
 */
export function lpOrderDue({ kind, timing }, [info, market, recent, repricedAt, health], now) {
  if (now < timing.fillsFrom.toBigInt()) return false;
  const view = health.isSome ? health.unwrap() : undefined;
  if (market.isLive && view && !view.status.isNormal && kind.isWithdraw) return false;
  const noInterest = info.isSome && info.unwrap().longOi.isZero() && info.unwrap().shortOi.isZero();
  const idle = info.isNone || !market.isLive || (noInterest && repricedAt.toBigInt() <= timing.requestedAt.toBigInt());
  if (idle) return true;
  if (view && view.priceRejected.isTrue) return false;
  return orderDue(timing, recent, now);
}

/**
 * An LP deposit or withdrawal through an order, as an LP and a keeper make it: `who` requests
 * `kind` (`{ Provide: amount }` or `{ Withdraw: shares }`) in `silo` with its segment's keeper
 * deposit as execution fee; the segment's price is published again until the order may fill;
 * `keeper` executes it. Resolves with the request's and the execution's events; rejects with
 * `Pallet.Error` when the request fails or the order ends unfilled.
 */
export async function lpOrder(api, who, keeper, silo, kind, { operators } = {}) {
  const segment = (await api.query.collateralSilos.silos(silo)).unwrap().segment;
  const info = await api.query.executionSegments.segments(segment);
  const fee = info.isSome ? info.unwrap().risk.pool.keeperDeposit.toBigInt() : 0n;
  const request = await send(api, api.tx.collateralSilos.requestLpOrder(silo, kind, fee), who);
  await republishUntil(api, segment, () => lpOrderReady(api, silo, who.address), operators);
  const execution = await send(api, api.tx.collateralSilos.executeLpOrder(silo, who.address), keeper);
  const ended = findEvent(execution.events, 'collateralSilos', 'LpOrderEnded');
  if (ended) {
    const reason = ended.data.reason;
    throw new Error(reason.isFailed ? describeError(api, reason.asFailed) : `LP order ${reason.type}`);
  }
  return { request, execution, events: [...request.events, ...execution.events] };
}

/** Whether `kind` buys: a long opening, or a short's decrease or close. */
async function buys(api, segment, address, kind) {
  if (kind.Increase) return kind.Increase.side === 'Long';
  const position = await api.query.executionSegments.positions(segment, address);
  return position.isSome && position.unwrap().side.isShort;
}
