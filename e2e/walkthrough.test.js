// End-to-end: docs/polkadot-js.md, followed exactly as written, in order, on a fresh
// `bulkhead-node --dev --tmp`. Each step first checks that its heading and every call it
// submits are on the page as quoted here, then submits those calls and asserts the events,
// errors and storage the page names. A change to the page or to the chain that makes them
// disagree fails here.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  connect, devAccounts, feedMajority, fixedPrice, findEvent, lpOrder, lpOrderReady, oracleKey, send, trade,
} from '../scripts/lib/chain.js';
import { rpc, startNode } from './harness.js';

const USDC = 10n ** 6n;
const page = readFileSync(new URL('../docs/polkadot-js.md', import.meta.url), 'utf8');

/** Fail unless the walkthrough page says `text`, word for word. */
function onPage(...texts) {
  for (const text of texts) assert.ok(page.includes(text), `docs/polkadot-js.md no longer says: ${text}`);
}

let node;
let api;
let who;

/** Submit `tx` as `signer` and expect it to fail with `error` (`Pallet.Error` or a kind). */
async function fails(tx, signer, error) {
  await assert.rejects(send(api, tx, signer), (e) => e.message === error);
}

const margin = async (silo, account) => (await api.query.collateralSilos.accounts(silo, account.address)).toJSON().margin;
const status = async (segment) => (await api.call.segmentsApi.segmentHealth(segment)).unwrap().status.toString();

describe('the polkadot.js walkthrough (docs/polkadot-js.md), in order', () => {
  before(async () => {
    node = await startNode(['--dev', '--tmp'], { name: 'walkthrough' });
    api = await connect(node.url);
    who = await devAccounts();
  });

  after(async () => {
    await api?.disconnect();
    await node?.stop();
  });

  test('0. what is there from genesis, block #0', async () => {
    onPage('## 0. Start the chain and connect', 'What is there from genesis, block #0');
    assert.equal((await api.rpc.chain.getHeader()).number.toNumber(), 0, 'no block before the first transaction');
    const meta = await api.query.assets.metadata(1);
    assert.equal(meta.symbol.toUtf8(), 'USDC');
    assert.equal(meta.decimals.toNumber(), 6);
    for (const name of ['alice', 'bob', 'charlie', 'dave', 'eve', 'ferdie']) {
      const held = (await api.query.assets.account(1, who[name].address)).unwrap().balance.toBigInt();
      assert.equal(held, 1_000_000n * USDC, name);
    }
    for (const [id, key] of [[1, 'BTC/USD'], [2, 'ETH/USD'], [3, 'DOT/USD']]) {
      const segment = (await api.query.executionSegments.segments(id)).unwrap();
      assert.equal(segment.oracleKey.toUtf8(), key);
      assert.equal(segment.risk.maxLeverage.toNumber(), 10);
      assert.equal(segment.risk.minPositionSize.toBigInt(), 100n * USDC);
      const silo = (await api.query.collateralSilos.silos(id)).unwrap();
      assert.equal(silo.segment.toNumber(), id);
      assert.equal(silo.books.lpLiquidity.toBigInt(), 2_000_000n * USDC);
      assert.equal(silo.books.insurance.toBigInt(), 100_000n * USDC);
      assert.equal(silo.minDeposit.toBigInt(), 10n * USDC);
    }
    for (const [key, price] of [['BTC/USD', 60000], ['ETH/USD', 3000], ['DOT/USD', 5]]) {
      const value = (await api.query.oracle.values(oracleKey(key))).unwrap();
      assert.equal(value.value.toBigInt(), fixedPrice(price));
      assert.equal(value.timestamp.toNumber(), 0, 'genesis prices are stale');
    }
    const trio = [who.alice.address, who.bob.address, who.charlie.address].sort();
    assert.deepEqual((await api.query.oracleOperators.members()).map(String).sort(), trio);
    assert.deepEqual((await api.query.guardians.members()).map(String).sort(), trio);
    assert.equal((await api.query.gateway.approvalThreshold()).unwrap().toNumber(), 2);
    for (const [id, from, to] of [[0, 1, 2], [1, 2, 1]]) {
      const route = (await api.query.gateway.routes(id)).unwrap();
      assert.deepEqual([route.from.toNumber(), route.to.toNumber()], [from, to]);
      assert.equal(route.limits.windowLimit.toBigInt(), 100_000n * USDC);
      assert.equal(route.limits.largeTransfer.toBigInt(), 10_000n * USDC);
      assert.equal(route.limits.delay.toNumber(), 10);
    }
    assert.equal((await api.query.sudo.key()).unwrap().toString(), who.alice.address);
  });

  test('1. feed fresh prices (Alice and Bob, two of the three oracle operators)', async () => {
    onPage('## 1. Feed fresh prices (Alice and Bob, oracle operators)', '`oracle.feedValues(values)` with three items',
      'Alice alone moves no price', "until Bob's feed makes a majority",
      '| `BTC/USD` | `60000000000000000000000` |', '| `ETH/USD` | `3000000000000000000000` |', '| `DOT/USD` | `5000000000000000000` |');
    const values = [
      [oracleKey('BTC/USD'), 60000000000000000000000n],
      [oracleKey('ETH/USD'), 3000000000000000000000n],
      [oracleKey('DOT/USD'), 5000000000000000000n],
    ];
    const { events } = await send(api, api.tx.oracle.feedValues(values), who.alice);
    assert.ok(findEvent(events, 'oracle', 'NewFeedData'));
    // Alice's values alone are one of three: no price yet (genesis's expired at block 1).
    const btc = async () => (await api.query.oracle.values(oracleKey('BTC/USD'))).unwrap();
    assert.equal((await btc()).timestamp.toNumber(), 0, 'still the genesis price');
    await send(api, api.tx.oracle.feedValues(values), who.bob);
    assert.equal((await btc()).value.toBigInt(), 60000000000000000000000n);
    assert.ok((await btc()).timestamp.toNumber() > 0, 'stamped with the majority\'s time');

    onPage('The oracle keeps values only for keys a segment trades.', 'key `XAU/USD`, as **Charlie** and then as **Alice**',
      '`oracle.rawValues` and `oracle.values` show no\nentry for `XAU/USD`');
    for (const operator of [who.charlie, who.alice]) {
      const gold = await send(api, api.tx.oracle.feedValues([[oracleKey('XAU/USD'), 2000000000000000000000n]]), operator);
      assert.ok(findEvent(gold.events, 'oracle', 'NewFeedData'));
      assert.ok((await api.query.oracle.rawValues(operator.address, oracleKey('XAU/USD'))).isNone);
    }
    assert.ok((await api.query.oracle.values(oracleKey('XAU/USD'))).isNone, 'no price combined for an untraded key');
  });

  test('2. deposit margin (Bob), and the minimum deposit (Dave)', async () => {
    onPage('## 2. Deposit margin (Bob)', '`collateralSilos.depositMargin(silo: 2, amount: 10000000000)`',
      'collateralSilos.accounts(2, Bob)** now shows `margin` with `free: 10000000000`',
      'and `flow` with `principal: 10000000000`',
      "Dave's `collateralSilos.depositMargin(silo: 2, amount: 5000000)`", '`collateralSilos.DepositBelowMinimum`');
    const { events } = await send(api, api.tx.collateralSilos.depositMargin(2, 10000000000n), who.bob);
    assert.ok(findEvent(events, 'collateralSilos', 'MarginDeposited'));
    assert.equal(BigInt((await margin(2, who.bob)).free), 10000000000n);
    const bob = await api.query.collateralSilos.accounts(2, who.bob.address);
    assert.equal(bob.flow.principal.toBigInt(), 10000000000n, 'the deposit is his principal');
    await fails(api.tx.collateralSilos.depositMargin(2, 5000000n), who.dave, 'collateralSilos.DepositBelowMinimum');
    const daveKey = api.query.collateralSilos.accounts.key(2, who.dave.address);
    assert.equal(await rpc(node.port, 'state_getStorage', [daveKey]), null, 'no account opened for Dave');
  });

  test('3. order a position, and watch it fill (Bob, then a keeper)', async () => {
    onPage('## 3. Order a position, and watch it fill (Bob, then a keeper)',
      '`executionSegments.requestOrder(segment: 2, kind: Increase { side: Long, size: 30000000000,\nmargin: 5000000000 }, acceptablePrice: 3100000000000000000000, executionFee: 5000000)`',
      '`executionSegments.OrderRequested`', 'shows 5,005 locked', '`executionSegments.OrderNotReady`',
      '`3000000000000000000000` again', 'node scripts/keeper.js --url ws://127.0.0.1:9944 --suri //Eve --once',
      '`executionSegments.executeOrder(2, Bob)`', '`executionSegments.OrderExecuted { price, published }`',
      '`entryPrice` 3,000.225', '`executionSegments.TradeCharged` with `fee` 18 USDC', 'holds it with 4,977',
      'shows 4,982 locked', 'and 4,995 free', '`executionSegments.AcceptablePriceViolated`',
      '`Increase { side: Long, size: 200000000000, margin: 1000000000 }`',
      '`executionSegments.OrderEnded { reason: Failed(executionSegments.LeverageTooHigh) }`',
      'Dave deposits the minimum, `depositMargin(2, 10000000)`',
      '`Increase { side: Long, size: 50000000, margin:\n  5000000 }`', 'is refused at once with `executionSegments.PositionBelowMinimum`',
      '`cancelOrder(2)`', '`executionSegments.OrderCommitted`');
    const long = { Increase: { side: 'Long', size: 30000000000n, margin: 5000000000n } };
    const request = await send(api, api.tx.executionSegments.requestOrder(2, long, 3100000000000000000000n, 5000000n), who.bob);
    const order = findEvent(request.events, 'executionSegments', 'OrderRequested').data.order;
    assert.equal(order.fillsFrom.toBigInt() - order.requestedAt.toBigInt(), 12_000n, 'a 12 s delay');
    assert.ok((await api.query.executionSegments.orders(2, who.bob.address)).isSome);
    assert.equal(BigInt((await margin(2, who.bob)).locked), 5005n * USDC);
    await fails(api.tx.executionSegments.executeOrder(2, who.bob.address), who.eve, 'executionSegments.OrderNotReady');
    for (let i = 0; i < 2; i++) await feedMajority(api, [[oracleKey('ETH/USD'), 3000000000000000000000n]], who);
    const { events } = await send(api, api.tx.executionSegments.executeOrder(2, who.bob.address), who.eve);
    const executed = findEvent(events, 'executionSegments', 'OrderExecuted');
    assert.equal(executed.data.price.toBigInt(), fixedPrice(3000));
    assert.ok(executed.data.published.toBigInt() >= order.fillsFrom.toBigInt(), 'a price published after the delay');
    const opened = findEvent(events, 'executionSegments', 'PositionOpened');
    assert.equal(opened.data.entryPrice.toBigInt(), fixedPrice(3000) + 225n * 10n ** 15n);
    const charged = findEvent(events, 'executionSegments', 'TradeCharged');
    assert.equal(charged.data.fee.toBigInt(), 18n * USDC);
    assert.equal(charged.data.toInsurance.toBigInt(), 3_600_000n);
    assert.equal((await api.query.executionSegments.positions(2, who.bob.address)).unwrap().margin.toBigInt(), 4977n * USDC);
    const m = await margin(2, who.bob);
    assert.deepEqual([BigInt(m.locked), BigInt(m.free)], [4982n * USDC, 4995n * USDC]);
    assert.equal(BigInt((await margin(2, who.eve)).free), 5n * USDC, 'Eve earned the execution fee');

    const cheap = { Increase: { side: 'Long', size: 1000000000n, margin: 1000000000n } };
    await fails(api.tx.executionSegments.requestOrder(2, cheap, 2900000000000000000000n, 5000000n), who.bob, 'executionSegments.AcceptablePriceViolated');
    const leveraged = { Increase: { side: 'Long', size: 200000000000n, margin: 1000000000n } };
    await assert.rejects(trade(api, who.bob, who.bob, 2, leveraged, { operators: who }), (e) => e.message === 'executionSegments.LeverageTooHigh');
    assert.equal((await api.query.executionSegments.positions(2, who.bob.address)).unwrap().size_.toBigInt(), 30000000000n);
    assert.equal(BigInt((await margin(2, who.bob)).free), 4990n * USDC, 'the margin came back, the fee went to the LPs');
    await send(api, api.tx.collateralSilos.depositMargin(2, 10000000n), who.dave);
    const dust = { Increase: { side: 'Long', size: 50000000n, margin: 5000000n } };
    await assert.rejects(trade(api, who.dave, who.dave, 2, dust, { operators: who }), (e) => e.message === 'executionSegments.PositionBelowMinimum');
    assert.ok((await api.query.executionSegments.positions(2, who.dave.address)).isNone);

    // A cancelled order gives everything back.
    await send(api, api.tx.executionSegments.requestOrder(2, { Decrease: { size: 1000000000n } }, 0n, 5000000n), who.bob);
    const cancelled = await send(api, api.tx.executionSegments.cancelOrder(2), who.bob);
    assert.equal(findEvent(cancelled.events, 'executionSegments', 'OrderEnded').data.reason.toString(), 'Cancelled');
    assert.equal(BigInt((await margin(2, who.bob)).free), 4990n * USDC);
  });

  test('4. call the runtime API, and the same through JSON-RPC', async () => {
    onPage('## 4. Call the runtime API', '`segments()` → `[1, 2, 3]`', '`segmentHealth(2)` → status `Normal`',
      '`position(2, Bob)`', '`blastRadius(1)`', '`liquidatable(3, 10)`', '"method":"segments_health","params":[2]');
    assert.deepEqual((await api.call.segmentsApi.segments()).toJSON(), [1, 2, 3]);
    const health = (await api.call.segmentsApi.segmentHealth(2)).unwrap();
    assert.equal(health.status.toString(), 'Normal');
    assert.equal(health.longOpenInterest.toBigInt(), 30000000000n);
    const position = (await api.call.segmentsApi.position(2, who.bob.address)).unwrap();
    assert.equal(position.side.toString(), 'Long');
    assert.equal(position.liquidatable.isTrue, false);
    const radius = (await api.call.segmentsApi.blastRadius(1)).unwrap();
    assert.equal(radius.valueAtRisk.toBigInt(), 2_100_000n * USDC);
    assert.ok(radius.contagionBound.toBigInt() <= 100_000n * USDC);
    assert.deepEqual((await api.call.segmentsApi.liquidatable(3, 10)).toJSON(), []);
    const viaRpc = await rpc(node.port, 'segments_health', [2]);
    assert.equal(viaRpc.status, 'Normal');
  });

  test('5. watch a liquidation (Charlie, then a keeper)', async () => {
    onPage('## 5. Watch a liquidation (Charlie, then a keeper)', '`collateralSilos.depositMargin(3, 1005000000)`',
      '`executionSegments.requestOrder(3, Increase { side: Short, size: 9000000000, margin:\n   1000000000 }, 0, 5000000)`',
      '`oracle.feedValues([[DOT/USD, 5500000000000000000]])`', '`executionSegments.liquidate(3, Charlie)` as Eve',
      '`executionSegments.PositionLiquidated`');
    await send(api, api.tx.collateralSilos.depositMargin(3, 1005000000n), who.charlie);
    const short = { Increase: { side: 'Short', size: 9000000000n, margin: 1000000000n } };
    await trade(api, who.charlie, who.charlie, 3, short, { operators: who });
    const feed = await feedMajority(api, [[oracleKey('DOT/USD'), 5500000000000000000n]], who);
    assert.equal(findEvent(feed.events, 'circuitBreaker', 'Tripped'), undefined, 'exactly +10% does not trip');
    assert.deepEqual((await api.call.segmentsApi.liquidatable(3, 10)).toJSON(), [who.charlie.address]);
    const view = (await api.call.segmentsApi.position(3, who.charlie.address)).unwrap();
    assert.equal(view.liquidatable.isTrue, true);
    assert.ok(view.marginRatio.unwrap().toBigInt() < 5n * 10n ** 16n, 'margin ratio under 5%');
    const { events } = await send(api, api.tx.executionSegments.liquidate(3, who.charlie.address), who.eve);
    const liquidated = findEvent(events, 'executionSegments', 'PositionLiquidated');
    assert.equal(liquidated.data.liquidator.toString(), who.eve.address);
    assert.ok(liquidated.data.fee.toBigInt() > 0n);
  });

  test('6. watch a breaker trip, by the oracle and by a guardian, and reset both', async () => {
    onPage('## 6. Watch a breaker trip', 'Alice feeds `ETH/USD` at `4000000000000000000000` (+33%)',
      '`circuitBreaker.Tripped { segment: 2, reason: OracleMove }`', '`executionSegments.SegmentSevered`',
      'Charlie submits `circuitBreaker.trip(1)` → `Tripped { reason: Manual }`',
      "Bob's `circuitBreaker.reset(1)` fails with `BadOrigin`", '`sudo.sudo(circuitBreaker.reset(1))`',
      '`sudo.sudo(circuitBreaker.reset(2))`');
    const feed = await feedMajority(api, [[oracleKey('ETH/USD'), 4000000000000000000000n]], who);
    const tripped = findEvent(feed.events, 'circuitBreaker', 'Tripped');
    assert.deepEqual([tripped.data.segment.toNumber(), tripped.data.reason.toString()], [2, 'OracleMove']);
    assert.equal(await status(2), 'Severed');
    onPage('`priceRejected: true` and `lastAcceptedPrice` 3,000', 'the rejected 4,000: liquidations use 3,000');
    const health = (await api.call.segmentsApi.segmentHealth(2)).unwrap();
    assert.equal(health.priceRejected.toString(), 'true');
    assert.equal(health.lastAcceptedPrice.unwrap().toBigInt(), 3000000000000000000000n);
    // The reference moves a hundredth of the way to 4,000 per block the new price stands.
    const reference = health.referencePrice.unwrap().toBigInt();
    assert.ok(reference >= 3000000000000000000000n && reference < 3100000000000000000000n, `${reference}`);
    const long = { Increase: { side: 'Long', size: 1000000000n, margin: 1000000000n } };
    await fails(api.tx.executionSegments.requestOrder(2, long, (1n << 128n) - 1n, 5000000n), who.bob, 'executionSegments.SegmentSevered');
    assert.equal(await status(1), 'Normal');
    assert.equal(await status(3), 'Normal');

    const manual = await send(api, api.tx.circuitBreaker.trip(1), who.charlie);
    assert.equal(findEvent(manual.events, 'circuitBreaker', 'Tripped').data.reason.toString(), 'Manual');
    await fails(api.tx.circuitBreaker.reset(1), who.bob, 'BadOrigin');
    for (const segment of [1, 2]) {
      const { events } = await send(api, api.tx.sudo.sudo(api.tx.circuitBreaker.reset(segment)), who.alice);
      assert.equal(findEvent(events, 'circuitBreaker', 'Reset').data.segment.toNumber(), segment);
      assert.equal(await status(segment), 'Normal');
    }
  });

  test('7. approve a gateway transfer (Ferdie, then two guardians)', async () => {
    onPage('## 7. Approve a gateway transfer (Ferdie, then two guardians)', '`collateralSilos.depositMargin(1, 50000000000)`',
      '`gateway.requestTransfer(route: 0, amount: 20000000000)`', '`gateway.NotEnoughApprovals`', '`gateway.NotGuardian`',
      '`gateway.approveTransfer(transfer)` → `gateway.TransferApproved`', '`gateway.DelayNotElapsed`',
      '`gateway.TransferExecuted`: `accounts(2, Ferdie).margin.free` is 20,000 USDC,\n   `accounts(1, Ferdie).margin.free` 30,000.');
    await send(api, api.tx.collateralSilos.depositMargin(1, 50000000000n), who.ferdie);
    const request = await send(api, api.tx.gateway.requestTransfer(0, 20000000000n), who.ferdie);
    const requested = findEvent(request.events, 'gateway', 'TransferRequested');
    assert.equal(requested.data.needsApproval.isTrue, true);
    const transfer = requested.data.transfer.toBigInt();
    const executableAt = requested.data.executableAt.toNumber();
    assert.equal(BigInt((await margin(1, who.ferdie)).escrowed), 20000n * USDC);

    await fails(api.tx.gateway.executeTransfer(transfer), who.ferdie, 'gateway.NotEnoughApprovals');
    await fails(api.tx.gateway.approveTransfer(transfer), who.ferdie, 'gateway.NotGuardian');
    for (const [guardian, count] of [[who.alice, 1], [who.bob, 2]]) {
      const { events } = await send(api, api.tx.gateway.approveTransfer(transfer), guardian);
      assert.equal(findEvent(events, 'gateway', 'TransferApproved').data.approvals.toNumber(), count);
    }
    await fails(api.tx.gateway.executeTransfer(transfer), who.ferdie, 'gateway.DelayNotElapsed');
    while ((await api.rpc.chain.getHeader()).number.toNumber() + 1 < executableAt) {
      await rpc(node.port, 'engine_createBlock', [true, true, null]);
    }
    const { events } = await send(api, api.tx.gateway.executeTransfer(transfer), who.ferdie);
    assert.ok(findEvent(events, 'gateway', 'TransferExecuted'));
    assert.equal(BigInt((await margin(2, who.ferdie)).free), 20000n * USDC);
    assert.equal(BigInt((await margin(1, who.ferdie)).free), 30000n * USDC);
  });

  test('8. provide liquidity at the pool\'s value (Eve)', async () => {
    onPage("## 8. Provide liquidity at the pool's value (Eve)", '`pool(2, 5)`', '"method":"segments_pool","params":[2]',
      '`collateralSilos.requestLpOrder(2, Provide(100000000000), 5000000)`', '`collateralSilos.LpOrderRequested { order }`',
      '`collateralSilos.lpOrders(2, Eve)`', '`collateralSilos.cancelLpOrder(2)`', '`collateralSilos.executeLpOrder(2, Eve)`',
      '`collateralSilos.LiquidityProvided\n   { amount, shares, poolValue }`', '`collateralSilos.LpOrderNotReady`',
      '`collateralSilos.requestLpOrder(2, Withdraw(shares), 5000000)`', 'Failed(collateralSilos.ReserveExceeded)');
    const pool = (await api.call.segmentsApi.pool(2, 5)).unwrap();
    const marked = pool.marked.unwrap();
    assert.ok(marked.longPnl.toBigInt() > 0n, "Bob's long is in profit");
    assert.ok(marked.value.toBigInt() < pool.lpLiquidity.toBigInt());
    assert.ok(marked.reserved.toBigInt() <= marked.reserveCap.toBigInt());
    assert.ok(pool.feesToLps.toBigInt() > 0n && pool.feesToInsurance.toBigInt() > 0n);
    assert.equal(pool.adlQueue[0].who.toString(), who.bob.address);
    const viaRpc = await rpc(node.port, 'segments_pool', [2]);
    assert.equal(BigInt(viaRpc.lp_liquidity), pool.lpLiquidity.toBigInt());

    const fee = 5000000n;
    const request = () => send(api, api.tx.collateralSilos.requestLpOrder(2, { Provide: 100000000000n }, fee), who.eve);
    // (Eve holds 5 USDC of free margin there, earned executing Bob's order in step 3.)
    const freeBefore = BigInt((await margin(2, who.eve)).free);
    const requested = await request();
    const order = findEvent(requested.events, 'collateralSilos', 'LpOrderRequested').data.order;
    assert.deepEqual((await api.query.collateralSilos.lpOrders(2, who.eve.address)).unwrap().toJSON(), order.toJSON());
    assert.equal(BigInt((await margin(2, who.eve)).escrowed), 100000n * USDC + fee);
    // Taken back while its delay runs (the next block, 6 s later): everything back, as free
    // margin in the silo, which she takes out (all of it: 5 USDC alone would be under the
    // silo's minimum).
    await send(api, api.tx.collateralSilos.cancelLpOrder(2), who.eve);
    assert.ok((await api.query.collateralSilos.lpOrders(2, who.eve.address)).isNone);
    assert.equal(BigInt((await margin(2, who.eve)).free) - freeBefore, 100000n * USDC + fee);
    await send(api, api.tx.collateralSilos.withdrawMargin(2, freeBefore + 100000n * USDC + fee), who.eve);

    await request();
    await fails(api.tx.collateralSilos.executeLpOrder(2, who.eve.address), who.ferdie, 'collateralSilos.LpOrderNotReady');
    for (let i = 0; i < 6 && !(await lpOrderReady(api, 2, who.eve.address)); i += 1) {
      await feedMajority(api, [[oracleKey('ETH/USD'), (await api.query.oracle.values(oracleKey('ETH/USD'))).unwrap().value]], who);
    }
    const provided = await send(api, api.tx.collateralSilos.executeLpOrder(2, who.eve.address), who.ferdie);
    assert.ok(findEvent(provided.events, 'collateralSilos', 'LpOrderExecuted'));
    const event = findEvent(provided.events, 'collateralSilos', 'LiquidityProvided');
    const shares = event.data.shares.toBigInt();
    assert.ok(shares > 100000n * USDC, 'a share is worth less than one USDC while traders are ahead');
    assert.ok(event.data.poolValue.toBigInt() < pool.lpLiquidity.toBigInt() + 1n);
    const withdrawn = await lpOrder(api, who.eve, who.ferdie, 2, { Withdraw: shares }, { operators: who });
    const back = findEvent(withdrawn.events, 'collateralSilos', 'LiquidityWithdrawn').data.amount.toBigInt();
    // Rounded down, plus what the pool earned from Bob's borrowing and funding meanwhile.
    assert.ok(back >= 100000n * USDC - 10n && back <= 100000n * USDC + 10_000n, `back ${back}`);
  });

  test('9. leave in slices: the exit queue (Eve)', async () => {
    onPage('## 9. Leave in slices: the exit queue (Eve)', '`collateralSilos.AccountOutflowLimit`',
      '`circuitBreaker.defaultThresholds`', '`sudo.sudo(circuitBreaker.setThresholds(1, thresholds))`',
      '`maxNetOutflow: 100`', '`maxAccountShare: 500000`', '`outflowWindow: 5`',
      '`collateralSilos.requestLpOrder(1, Provide(100000000000), 5000000)`', '`collateralSilos.depositMargin(1, 20010000000)`',
      '`BTC/USD` at `60000000000000000000000`', '`executionSegments.requestOrder(1, Increase { side: Long, size: 100000000000, margin:\n   20000000000 }, …)`',
      '`BTC/USD` at `57000000000000000000000`', "Bob's `executionSegments.requestOrder(1, Close, 0, 5000000)` fills at 57,000",
      '`segmentsApi.outflowRoom(1, Eve)`', '`collateralSilos.requestLpOrder(1, Withdraw(shares), 5000000)`',
      '`collateralSilos.LpOrderEnded { reason: Failed(collateralSilos.AccountOutflowLimit) }`',
      '`collateralSilos.queueExit(1, Liquidity(shares))`', '`segmentsApi.exits(1, 10)`', '`queuedExits: 1`',
      '`collateralSilos.processExits(1, 8)`', '`collateralSilos.ExitPaid { amount, shares,\n   left }`',
      '`collateralSilos.ExitPricedAt { timing }`',
      '`collateralSilos.cancelExit(1, index)`');
    const feedBtc = (price) => feedMajority(api, [[oracleKey('BTC/USD'), price]], who);
    const defaults = api.consts.circuitBreaker.defaultThresholds.toJSON();
    const tight = { ...defaults, maxNetOutflow: 100, maxAccountShare: 500_000, outflowWindow: 5 };
    await send(api, api.tx.sudo.sudo(api.tx.circuitBreaker.setThresholds(1, tight)), who.alice);

    await lpOrder(api, who.eve, who.eve, 1, { Provide: 100000000000n }, { operators: who });
    const eveFee = BigInt((await margin(1, who.eve)).free);
    await send(api, api.tx.collateralSilos.withdrawMargin(1, eveFee), who.eve);
    await send(api, api.tx.collateralSilos.depositMargin(1, 20010000000n), who.bob);
    await feedBtc(60000000000000000000000n);
    const long = { Increase: { side: 'Long', size: 100000000000n, margin: 20000000000n } };
    await trade(api, who.bob, who.bob, 1, long, { operators: who });
    await feedBtc(57000000000000000000000n);
    const closed = await trade(api, who.bob, who.bob, 1, 'Close', { operators: who });
    assert.equal(findEvent(closed.events, 'executionSegments', 'OrderExecuted').data.price.toBigInt(), 57000000000000000000000n);

    const shares = (await api.query.collateralSilos.accounts(1, who.eve.address)).shares.toBigInt();
    const room = (await api.call.segmentsApi.outflowRoom(1, who.eve.address)).toBigInt();
    assert.ok(room > 100_000n * USDC && room < 100_400n * USDC, `principal and a share of the line: ${room}`);
    await assert.rejects(lpOrder(api, who.eve, who.ferdie, 1, { Withdraw: shares }, { operators: who }),
      (e) => e.message === 'collateralSilos.AccountOutflowLimit');
    assert.equal((await api.query.collateralSilos.accounts(1, who.eve.address)).shares.toBigInt(), shares, 'her shares back');
    const queued = await send(api, api.tx.collateralSilos.queueExit(1, { Liquidity: shares }), who.eve);
    const index = findEvent(queued.events, 'collateralSilos', 'ExitQueued').data.index.toNumber();
    // Her shares are paid at a price published after the order delay, not at the one she sees.
    const { timing } = findEvent(queued.events, 'collateralSilos', 'ExitPricedAt').data;
    const delay = (await api.query.executionSegments.orderSettings(1)).minDelay.toBigInt();
    assert.equal(timing.fillsFrom.toBigInt() - timing.requestedAt.toBigInt(), delay);
    const [entry] = (await api.call.segmentsApi.exits(1, 10)).toArray();
    assert.equal(entry.who.toString(), who.eve.address);
    assert.equal(entry.place.toNumber(), 0);
    assert.equal(entry.shares.toBigInt(), shares);
    assert.equal((await api.call.segmentsApi.segmentHealth(1)).unwrap().queuedExits.toNumber(), 1);

    // Anyone passes every few blocks; each pass pays what the window allows.
    const before = (await api.query.assets.account(1, who.eve.address)).unwrap().balance.toBigInt();
    const slices = [];
    const early = await send(api, api.tx.collateralSilos.processExits(1, 8), who.ferdie);
    assert.ok(!early.events.some((e) => e.section === 'collateralSilos' && e.method === 'ExitPaid'),
      'nothing is paid before her price is out');
    // Every third pass is the keeper's (`scripts/keeper.js --once`), which passes a queue as
    // soon as a share exit's price is out.
    let byKeeper = 0;
    for (let pass = 0; pass < 40 && (await api.query.collateralSilos.exits(1, index)).isSome; pass++) {
      if (pass % 3 === 2) {
        const run = spawnSync(process.execPath, ['scripts/keeper.js', '--url', node.url, '--suri', '//Ferdie', '--once'], {
          encoding: 'utf8',
          timeout: 120_000,
        });
        assert.equal(run.status, 0, run.stderr);
        const summary = JSON.parse(run.stdout.trim().split('\n').pop());
        byKeeper += summary.exits.filter((e) => e.silo === 1 && e.filled).length;
      } else {
        const processed = await send(api, api.tx.collateralSilos.processExits(1, 8), who.ferdie);
        for (const e of processed.events.filter((e) => e.section === 'collateralSilos' && e.method === 'ExitPaid')) {
          assert.equal(e.data.who.toString(), who.eve.address);
          slices.push(e.data.amount.toBigInt());
        }
      }
      for (let i = 0; i < 2; i++) await rpc(node.port, 'engine_createBlock', [true, true, null]);
    }
    assert.ok((await api.query.collateralSilos.exits(1, index)).isNone, 'paid in full');
    assert.ok(slices.length + byKeeper >= 3, `paid in ${slices.length} + ${byKeeper} slices`);
    assert.ok(byKeeper >= 1, 'the keeper paid a slice');
    const after = (await api.query.assets.account(1, who.eve.address)).unwrap().balance.toBigInt();
    const paid = after - before;
    assert.ok(paid > 100_000n * USDC, `Eve's principal and her part of Bob's loss: ${paid}`);
    assert.ok(paid >= slices.reduce((a, b) => a + b, 0n));
    console.log(`exit slices: ${slices.length} by Ferdie, ${byKeeper} by the keeper`);
    assert.equal((await api.query.collateralSilos.accounts(1, who.eve.address)).shares.toBigInt(), 0n);

    await send(api, api.tx.sudo.sudo(api.tx.circuitBreaker.setThresholds(1, defaults)), who.alice);
    assert.deepEqual((await api.query.circuitBreaker.breakers(1)).unwrap().thresholds.toJSON(), defaults);
  });

  test('10. end a market (Alice as root, then anyone)', async () => {
    onPage('## 10. End a market (Alice as root, then anyone)', '`collateralSilos.depositMargin(3, 2000000000)`',
      '`executionSegments.requestOrder(3, Increase { side: Short, size: 5000000000, margin:\n   1000000000 }, 0, 5000000)`',
      '`sudo.sudo(executionSegments.settleMarket(3))`', '`executionSegments.MarketSettling { segment: 3, price, reference }`',
      '`market: { Settling: { price } }`', '`executionSegments.MarketNotLive`',
      "Eve's `collateralSilos.requestLpOrder(3, Provide(100000000), 5000000)`", '`collateralSilos.MarketEnded`',
      '(`collateralSilos.MarketSettling`', '`LpOrderEnded { reason: MarketEnded }`', '`executionSegments.settlePositions(3, [Dave])`',
      '`executionSegments.PositionSettled { who: Dave, settler: Eve, price, pnl }`',
      '`node scripts/keeper.js --url ws://127.0.0.1:9944 --suri //Eve\n   --once` settles Ferdie',
      '`executionSegments.MarketDelisted { segment: 3, price, payout }`', '`market: { Delisted: { price } }`',
      '`executionSegments.claims(3, Dave)`', '`executionSegments.ClaimPaid { who: Dave, claim, paid\n   }`',
      '`collateralSilos.requestLpOrder(3, Withdraw(shares), 5000000)`', '`collateralSilos.executeLpOrder(3, Alice)`',
      '`collateralSilos.LiquidityWithdrawn`');
    const health = async () => (await api.call.segmentsApi.segmentHealth(3)).unwrap();
    for (const [trader, side] of [[who.dave, 'Short'], [who.ferdie, 'Long']]) {
      await send(api, api.tx.collateralSilos.depositMargin(3, 2000000000n), trader);
      const kind = { Increase: { side, size: 5000000000n, margin: 1000000000n } };
      await trade(api, trader, trader, 3, kind, { operators: who });
    }

    const settling = await send(api, api.tx.sudo.sudo(api.tx.executionSegments.settleMarket(3)), who.alice);
    const event = findEvent(settling.events, 'executionSegments', 'MarketSettling');
    assert.ok(event, 'sudo dispatched settleMarket');
    const price = event.data.price.toBigInt();
    // DOT's reference is still on its way from 5 to step 5's 5.5.
    assert.ok(price > 5n * 10n ** 18n && price < 55n * 10n ** 17n, `the reference: ${price}`);
    assert.equal(event.data.reference.toBigInt(), price, 'a pool this deep pays every winner at the reference');
    assert.equal((await health()).market.asSettling.price.toBigInt(), price);
    await fails(api.tx.executionSegments.requestOrder(3, 'Close', 0n, 5000000n), who.dave, 'executionSegments.MarketNotLive');
    await fails(api.tx.collateralSilos.requestLpOrder(3, { Provide: 100000000n }, 5000000n), who.eve, 'collateralSilos.MarketEnded');
    const shares = (await api.query.collateralSilos.accounts(3, who.alice.address)).shares.toBigInt();
    await fails(api.tx.collateralSilos.requestLpOrder(3, { Withdraw: shares }, 5000000n), who.alice, 'collateralSilos.MarketSettling');

    const eveFree = BigInt((await margin(3, who.eve)).free ?? 0);
    const settled = await send(api, api.tx.executionSegments.settlePositions(3, [who.dave.address]), who.eve);
    const position = findEvent(settled.events, 'executionSegments', 'PositionSettled');
    assert.equal(position.data.who.toString(), who.dave.address);
    assert.equal(position.data.settler.toString(), who.eve.address);
    assert.equal(position.data.price.toBigInt(), price);
    assert.equal(BigInt((await margin(3, who.eve)).free) - eveFree, 5n * USDC, "Dave's keeper deposit");
    assert.ok((await health()).market.isSettling, "Ferdie's position is left");
    assert.ok((await api.query.executionSegments.claims(3, who.dave.address)).isSome, "Dave's profit waits as a claim");
    const run = spawnSync(process.execPath, ['scripts/keeper.js', '--url', node.url, '--suri', '//Eve', '--once'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const summary = JSON.parse(run.stdout.trim().split('\n').pop());
    // Ferdie settled, the market delisted, and in the same pass Dave's claim paid (his short
    // was up on DOT's way to 5.5 when the market ended).
    assert.deepEqual(summary.settled.map((s) => [s.segment, s.who, s.paid === undefined]),
      [[3, who.ferdie.address, true], [3, who.dave.address, false]], run.stdout);
    assert.deepEqual(summary.failed, [], run.stdout);
    assert.equal(BigInt((await margin(3, who.eve)).free) - eveFree, 10n * USDC, "and Ferdie's");
    assert.equal((await health()).market.asDelisted.price.toBigInt(), price);
    assert.equal((await api.query.executionSegments.claims.keys(3)).length, 0, 'every claim paid');

    const liquidity = (await api.query.collateralSilos.silos(3)).unwrap().books.lpLiquidity.toBigInt();
    const alice = (await api.query.assets.account(1, who.alice.address)).unwrap().balance.toBigInt();
    const withdrawn = await lpOrder(api, who.alice, who.alice, 3, { Withdraw: shares }, { operators: who });
    assert.equal(findEvent(withdrawn.events, 'collateralSilos', 'LiquidityWithdrawn').data.amount.toBigInt(), liquidity);
    // Her wallet paid the execution fee, which came back to her as its executor, in the silo.
    const fee = 5n * USDC;
    assert.equal((await api.query.assets.account(1, who.alice.address)).unwrap().balance.toBigInt() - alice, liquidity - fee);
    assert.equal(BigInt((await margin(3, who.alice)).free), fee);
    await send(api, api.tx.collateralSilos.withdrawMargin(3, fee), who.alice);
    for (const trader of [who.dave, who.ferdie]) {
      const free = BigInt((await margin(3, trader)).free);
      await send(api, api.tx.collateralSilos.withdrawMargin(3, free), trader);
    }
  });
});
