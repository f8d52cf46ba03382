// End-to-end: a real `bulkhead-node --dev --tmp`, driven with @polkadot/api 16.5.6.
// Every test asserts events, errors and storage, not only that calls went through.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect, devAccounts, feedMajority, fixedPrice, findEvent, oracleKey, send, trade } from '../scripts/lib/chain.js';
import { rpc, startNode } from './harness.js';

const BTC = 1;
const ETH = 2;
const DOT = 3;
const USDC = 10n ** 6n;

let node;
let api;
let who;

/** Ask the dev node to seal `n` empty blocks, each finalized at once. */
async function sealBlocks(n) {
  for (let i = 0; i < n; i++) await rpc(node.port, 'engine_createBlock', [true, true, null]);
}

/** Alice and Bob, a majority of the oracle operators, feed `prices` ({ 'BTC/USD': 60000, ... }). */
async function feed(prices) {
  const values = Object.entries(prices).map(([key, price]) => [oracleKey(key), fixedPrice(price)]);
  return feedMajority(api, values, who);
}

const margin = async (silo, account) => (await api.query.collateralSilos.accounts(silo, account.address)).toJSON().margin;

/** `account` opens (or grows) a position through an order it executes itself (so it gets its execution fee back). */
const open = (account, segment, side, size, margin) =>
  trade(api, account, account, segment, { Increase: { side, size, margin } }, { operators: who });

describe('bulkhead-node --dev', () => {
  before(async () => {
    node = await startNode(['--dev', '--tmp'], { name: 'dev' });
    api = await connect(node.url);
    who = await devAccounts();
    await feed({ 'BTC/USD': 60000, 'ETH/USD': 3000, 'DOT/USD': 5 });
  });

  after(async () => {
    await api?.disconnect();
    await node?.stop();
  });

  test('the chain describes itself and starts with the demo', async () => {
    assert.deepEqual(await rpc(node.port, 'system_properties'), { ss58Format: 42, tokenDecimals: 12, tokenSymbol: 'BULK' });
    assert.equal((await api.rpc.system.chainType()).toString(), 'Development');
    assert.equal(api.runtimeVersion.specName.toString(), 'bulkhead');

    const segments = (await api.call.segmentsApi.segments()).toJSON();
    assert.deepEqual(segments, [BTC, ETH, DOT]);
    for (const segment of segments) {
      const health = (await api.call.segmentsApi.segmentHealth(segment)).unwrap();
      assert.equal(health.status.toString(), 'Normal');
      assert.equal(health.lpLiquidity.toBigInt(), 2_000_000n * USDC);
      assert.equal(health.insurance.toBigInt(), 100_000n * USDC);
    }
    const guardians = await api.query.guardians.members();
    assert.equal(guardians.length, 3);
    assert.equal((await api.query.gateway.approvalThreshold()).unwrap().toNumber(), 2);
    const usdc = await api.query.assets.account(1, who.ferdie.address);
    assert.equal(usdc.unwrap().balance.toBigInt(), 1_000_000n * USDC);
  });

  test('a transaction is finalized, not only included', async () => {
    const { blockHash } = await send(api, api.tx.system.remark('0x01'), who.bob);
    const finalized = await api.rpc.chain.getFinalizedHead();
    const [block, head] = await Promise.all([
      api.rpc.chain.getHeader(blockHash),
      api.rpc.chain.getHeader(finalized),
    ]);
    assert.ok(head.number.toNumber() >= block.number.toNumber());
  });

  test('deposit margin, open a position and read it through the runtime API and the RPC', async () => {
    const before = (await api.query.assets.account(1, who.bob.address)).unwrap().balance.toBigInt();
    const deposit = await send(api, api.tx.collateralSilos.depositMargin(ETH, 10_000n * USDC), who.bob);
    const deposited = findEvent(deposit.events, 'collateralSilos', 'MarginDeposited');
    assert.equal(deposited.data.amount.toBigInt(), 10_000n * USDC);
    const after = (await api.query.assets.account(1, who.bob.address)).unwrap().balance.toBigInt();
    assert.equal(before - after, 10_000n * USDC);

    const opening = await open(who.bob, ETH, 'Long', 30_000n * USDC, 5_000n * USDC);
    const opened = findEvent(opening.events, 'executionSegments', 'PositionOpened');
    // polkadot.js renames fields called `size` to `size_` (they clash with Map.size).
    assert.equal(opened.data.size_.toBigInt(), 30_000n * USDC);
    // The long adds to the skew: it fills 0.0075% above the oracle and pays 6 bp (18 USDC).
    assert.equal(opened.data.entryPrice.toBigInt(), fixedPrice(3000) + 225n * 10n ** 15n);
    assert.equal(findEvent(opening.events, 'executionSegments', 'TradeCharged').data.fee.toBigInt(), 18n * USDC);

    const position = (await api.query.executionSegments.positions(ETH, who.bob.address)).unwrap();
    assert.equal(position.side.toString(), 'Long');
    // 5,000 less the fee and the 5 USDC keeper deposit, which stays locked beside it.
    assert.equal(position.margin.toBigInt(), 4_977n * USDC);
    assert.equal(position.keeperDeposit.toBigInt(), 5n * USDC);
    assert.deepEqual(await margin(ETH, who.bob), { free: Number(5_000n * USDC), locked: Number(4_982n * USDC), escrowed: 0 });

    const view = (await api.call.segmentsApi.position(ETH, who.bob.address)).unwrap();
    assert.equal(view.size_.toBigInt(), 30_000n * USDC);
    assert.equal(view.liquidatable.isTrue, false);
    assert.ok(view.liquidationPrice.unwrap().toBigInt() < fixedPrice(3000));

    const json = await rpc(node.port, 'segments_position', [ETH, who.bob.address]);
    assert.equal(json.side, 'Long');
    assert.equal(BigInt(json.size), 30_000n * USDC);
    const health = await rpc(node.port, 'segments_health', [ETH]);
    assert.equal(BigInt(health.long_open_interest), 30_000n * USDC);
    assert.equal(health.status, 'Normal');
  });

  test('an order fills at the next price, executed by the keeper; one nobody prices in time expires; LP orders first', async () => {
    const keeper = async () => {
      const { spawnSync } = await import('node:child_process');
      const run = spawnSync(process.execPath, ['scripts/keeper.js', '--url', node.url, '--suri', '//Eve', '--once'], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(run.status, 0, run.stderr);
      return JSON.parse(run.stdout.trim().split('\n').pop());
    };
    // Bob orders a third of his ETH long sold: not before a price comes after its delay.
    const decrease = { Decrease: { size: 10_000n * USDC } };
    await send(api, api.tx.executionSegments.requestOrder(ETH, decrease, 0n, 5n * USDC), who.bob);
    assert.deepEqual((await keeper()).executed, []);
    await feed({ 'ETH/USD': 3000 });
    await feed({ 'ETH/USD': 3000 });
    const [executed] = (await keeper()).executed;
    assert.deepEqual([executed.who, executed.filled, BigInt(executed.price)], [who.bob.address, true, fixedPrice(3000)]);
    assert.equal((await api.query.executionSegments.positions(ETH, who.bob.address)).unwrap().size_.toBigInt(), 20_000n * USDC);
    assert.equal(BigInt((await margin(ETH, who.eve)).free), 5n * USDC, 'the keeper earned the execution fee');

    // An order no price fills within its window (60 s: ten empty blocks, a slot each) expires;
    // the keeper clears it, Bob's margin comes back, and the fee goes to the LPs.
    const before = await margin(ETH, who.bob);
    await send(api, api.tx.executionSegments.requestOrder(ETH, decrease, 0n, 5n * USDC), who.bob);
    await sealBlocks(13);
    const [expired] = (await keeper()).executed;
    assert.deepEqual([expired.filled, expired.ended], [false, 'Expired']);
    assert.equal(BigInt((await margin(ETH, who.bob)).free), BigInt(before.free) - 5n * USDC);
    assert.ok((await api.query.executionSegments.orders(ETH, who.bob.address)).isNone);

    // An LP deposit is an order too. The keeper executes it before a trade that fills at the
    // same price or later (an LP order is not priced older than a position moved since).
    const eveBefore = BigInt((await margin(ETH, who.eve)).free);
    await send(api, api.tx.collateralSilos.requestLpOrder(ETH, { Provide: 1_000n * USDC }, 5n * USDC), who.dave);
    await send(api, api.tx.executionSegments.requestOrder(ETH, decrease, 0n, 5n * USDC), who.bob);
    await feed({ 'ETH/USD': 3000 });
    await feed({ 'ETH/USD': 3000 });
    const [lp, trade] = (await keeper()).executed;
    assert.deepEqual([lp.lp, lp.silo, lp.who, lp.filled], [true, ETH, who.dave.address, true]);
    assert.deepEqual([trade.who, trade.filled], [who.bob.address, true]);
    assert.ok((await api.query.collateralSilos.accounts(ETH, who.dave.address)).shares.toBigInt() > 0n);
    assert.equal(BigInt((await margin(ETH, who.eve)).free) - eveBefore, 10n * USDC, 'both execution fees');
  });

  test('a call that breaks the rules fails with a typed error and changes nothing', async () => {
    await send(api, api.tx.collateralSilos.depositMargin(BTC, 1_000n * USDC), who.dave);
    const before = await margin(BTC, who.dave);
    // Asking for a long at most at 59,000 while BTC trades at 60,000.
    const long = { Increase: { side: 'Long', size: 20_000n * USDC, margin: 900n * USDC } };
    await assert.rejects(
      send(api, api.tx.executionSegments.requestOrder(BTC, long, fixedPrice(59000), 5n * USDC), who.dave),
      /executionSegments\.AcceptablePriceViolated/,
    );
    assert.deepEqual(await margin(BTC, who.dave), before);
    // An order past the segment's leverage is refused when it fills: its margin comes back, and
    // its fee goes to the LPs (failing one's own order is not free).
    await assert.rejects(open(who.dave, BTC, 'Long', 20_000n * USDC, 900n * USDC), /executionSegments\.LeverageTooHigh/);
    assert.deepEqual(await margin(BTC, who.dave), { ...before, free: before.free - Number(5n * USDC) });
    assert.ok((await api.query.executionSegments.positions(BTC, who.dave.address)).isNone);
    assert.ok((await api.query.executionSegments.orders(BTC, who.dave.address)).isNone);
    await assert.rejects(
      send(api, api.tx.collateralSilos.withdrawMargin(BTC, 2_000n * USDC), who.dave),
      /collateralSilos\.InsufficientFreeMargin/,
    );
  });

  test('a price move makes a position liquidatable and the keeper liquidates it', async () => {
    // 5 more for the order's execution fee, which comes back to Charlie as he executes it.
    await send(api, api.tx.collateralSilos.depositMargin(DOT, 1_005n * USDC), who.charlie);
    await open(who.charlie, DOT, 'Short', 9_000n * USDC, 1_000n * USDC);
    assert.deepEqual((await api.call.segmentsApi.liquidatable(DOT, 10)).toJSON(), []);

    const fed = await feed({ 'DOT/USD': '5.5' });
    assert.ok(findEvent(fed.events, 'oracle', 'NewFeedData'));
    const listed = await rpc(node.port, 'segments_liquidatable', [DOT, 10]);
    assert.deepEqual(listed, [who.charlie.address]);

    const { spawnSync } = await import('node:child_process');
    const keeper = spawnSync(process.execPath, ['scripts/keeper.js', '--url', node.url, '--suri', '//Eve', '--once'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(keeper.status, 0, keeper.stderr);
    const summary = JSON.parse(keeper.stdout.trim().split('\n').pop());
    assert.equal(summary.liquidated.length, 1);
    assert.equal(summary.liquidated[0].who, who.charlie.address);
    assert.ok(BigInt(summary.liquidated[0].fee) > 0n);

    assert.ok((await api.query.executionSegments.positions(DOT, who.charlie.address)).isNone);
    assert.ok(BigInt((await margin(DOT, who.eve)).free) > 0n, 'the keeper was paid');
  });

  test('a large gateway transfer needs 2 of 3 guardians and the delay', async () => {
    await send(api, api.tx.collateralSilos.depositMargin(BTC, 50_000n * USDC), who.ferdie);
    const route = (await api.query.gateway.routeByEnds(BTC, ETH)).unwrap();
    const request = await send(api, api.tx.gateway.requestTransfer(route, 20_000n * USDC), who.ferdie);
    const requested = findEvent(request.events, 'gateway', 'TransferRequested');
    assert.equal(requested.data.needsApproval.isTrue, true);
    const id = requested.data.transfer;
    assert.equal(BigInt((await margin(BTC, who.ferdie)).escrowed), 20_000n * USDC);

    await assert.rejects(send(api, api.tx.gateway.executeTransfer(id), who.ferdie), /gateway\.NotEnoughApprovals/);
    await assert.rejects(send(api, api.tx.gateway.approveTransfer(id), who.ferdie), /gateway\.NotGuardian/);
    const first = await send(api, api.tx.gateway.approveTransfer(id), who.alice);
    assert.equal(findEvent(first.events, 'gateway', 'TransferApproved').data.approvals.toNumber(), 1);
    await send(api, api.tx.gateway.approveTransfer(id), who.bob);
    await assert.rejects(send(api, api.tx.gateway.executeTransfer(id), who.ferdie), /gateway\.DelayNotElapsed/);

    const pending = (await api.query.gateway.transfers(id)).unwrap();
    const now = (await api.rpc.chain.getHeader()).number.toNumber();
    await sealBlocks(Math.max(0, pending.executableAt.toNumber() - now));
    const executed = await send(api, api.tx.gateway.executeTransfer(id), who.ferdie);
    assert.equal(findEvent(executed.events, 'gateway', 'TransferExecuted').data.amount.toBigInt(), 20_000n * USDC);
    assert.equal(BigInt((await margin(ETH, who.ferdie)).free), 20_000n * USDC);
    assert.equal(BigInt((await margin(BTC, who.ferdie)).free), 30_000n * USDC);
    assert.ok((await api.query.gateway.transfers(id)).isNone);
  });

  test('a guardian trips a breaker; only sudo resets it', async () => {
    const trip = await send(api, api.tx.circuitBreaker.trip(BTC), who.charlie);
    const tripped = findEvent(trip.events, 'circuitBreaker', 'Tripped');
    assert.equal(tripped.data.reason.toString(), 'Manual');
    const health = (await api.call.segmentsApi.segmentHealth(BTC)).unwrap();
    assert.equal(health.status.toString(), 'Severed');
    assert.ok(health.breaker.isSevered);

    await send(api, api.tx.collateralSilos.depositMargin(BTC, 1_000n * USDC), who.bob);
    const long = { Increase: { side: 'Long', size: 2_000n * USDC, margin: 500n * USDC } };
    await assert.rejects(
      send(api, api.tx.executionSegments.requestOrder(BTC, long, (1n << 128n) - 1n, 5n * USDC), who.bob),
      /executionSegments\.SegmentSevered/,
    );
    const radius = (await api.call.segmentsApi.blastRadius(BTC)).unwrap();
    assert.equal(radius.contagionBound.toBigInt(), 0n);

    await assert.rejects(send(api, api.tx.circuitBreaker.reset(BTC), who.alice), /BadOrigin/);
    const reset = await send(api, api.tx.sudo.sudo(api.tx.circuitBreaker.reset(BTC)), who.alice);
    assert.ok(findEvent(reset.events, 'circuitBreaker', 'Reset'));
    assert.equal((await api.call.segmentsApi.segmentHealth(BTC)).unwrap().status.toString(), 'Normal');
    await feed({ 'BTC/USD': 60000 });
    const opened = await open(who.bob, BTC, 'Long', 2_000n * USDC, 500n * USDC);
    assert.ok(findEvent(opened.events, 'executionSegments', 'PositionOpened'));
  });

  test('an oracle move beyond the threshold trips the breaker in the feeding call', async () => {
    const fed = await feed({ 'ETH/USD': 4000 });
    const tripped = findEvent(fed.events, 'circuitBreaker', 'Tripped');
    assert.equal(tripped.data.segment.toNumber(), ETH);
    assert.equal(tripped.data.reason.toString(), 'OracleMove');
    const health = await rpc(node.port, 'segments_health', [ETH]);
    assert.equal(health.status, 'Severed');
    // The other segments do not notice.
    assert.equal((await rpc(node.port, 'segments_health', [DOT])).status, 'Normal');
  });

  test('LPs deposit at the pool\'s marked value, and the keeper auto-deleverages a pool past its trigger', async () => {
    // Dave goes 500,000 USDC long DOT at 5.5 on a pool of about 2,000,000.
    await send(api, api.tx.collateralSilos.depositMargin(DOT, 100_005n * USDC), who.dave);
    const opened = await open(who.dave, DOT, 'Long', 500_000n * USDC, 100_000n * USDC);
    const charged = findEvent(opened.events, 'executionSegments', 'TradeCharged');
    assert.equal(charged.data.fee.toBigInt(), 300n * USDC, '6 bp of 500,000');
    // DOT x5: Dave's profit is over 90% of the pool. The breaker trips on the gap and rejects
    // the price, so nobody is deleveraged at it; root, judging the move real, resets DOT, which
    // accepts it, and deleveraging goes on.
    const gap = await feed({ 'DOT/USD': '27.5' });
    assert.equal(findEvent(gap.events, 'circuitBreaker', 'Tripped').data.reason.toString(), 'OracleMove');
    assert.equal((await api.call.segmentsApi.pool(DOT, 5)).unwrap().marked.isNone, true, 'no pool value at a rejected price');
    await send(api, api.tx.sudo.sudo(api.tx.circuitBreaker.reset(DOT)), who.alice);
    const pool = (await api.call.segmentsApi.pool(DOT, 5)).unwrap();
    const marked = pool.marked.unwrap();
    assert.ok(marked.pnlToPool.unwrap().toBigInt() > pool.adlTrigger.toBigInt() * 10n ** 12n);
    assert.equal(pool.adlQueue[0].who.toString(), who.dave.address);

    const { spawnSync } = await import('node:child_process');
    const keeper = spawnSync(process.execPath, ['scripts/keeper.js', '--url', node.url, '--suri', '//Eve', '--once'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(keeper.status, 0, keeper.stderr);
    const summary = JSON.parse(keeper.stdout.trim().split('\n').pop());
    assert.equal(summary.deleveraged.length >= 1, true, keeper.stdout);
    assert.equal(summary.deleveraged[0].who, who.dave.address);
    const after = (await api.call.segmentsApi.pool(DOT, 5)).unwrap().marked.unwrap();
    assert.ok(after.pnlToPool.unwrap().toBigInt() <= pool.adlFloor.toBigInt() * 10n ** 12n, 'back to the floor');
  });

  test('one account cannot fill a route for everyone else, and splitting a transfer still needs guardians', async () => {
    // Both ends must be normal: ETH was severed by the oracle test above.
    await send(api, api.tx.sudo.sudo(api.tx.circuitBreaker.reset(ETH)), who.alice);
    const route = (await api.query.gateway.routeByEnds(BTC, ETH)).unwrap();
    const back = (await api.query.gateway.routeByEnds(ETH, BTC)).unwrap();
    await send(api, api.tx.collateralSilos.depositMargin(BTC, 40_000n * USDC), who.charlie);
    // A quarter of the route's 100,000 per hour is the most one account may move.
    await assert.rejects(
      send(api, api.tx.gateway.requestTransfer(route, 100_000n * USDC), who.charlie),
      /gateway\.ExceedsAccountShare/,
    );
    const there = await send(api, api.tx.gateway.requestTransfer(route, 9_000n * USDC), who.charlie);
    assert.ok(findEvent(there.events, 'gateway', 'TransferExecuted'));
    await send(api, api.tx.gateway.requestTransfer(back, 9_000n * USDC), who.charlie);
    // The pair nets the two directions: the way back took 9,000 off the route's use.
    const out = (await api.call.segmentsApi.blastRadius(BTC)).unwrap().routes.find((r) => r.route.eq(route));
    assert.equal(out.carried.toBigInt() - out.net.toBigInt(), 9_000n * USDC);
    assert.equal(out.perAccount.toBigInt(), 25_000n * USDC);

    // Charlie moved 9,000 this hour: 1,000 more reaches the 10,000 threshold and waits.
    const split = await send(api, api.tx.gateway.requestTransfer(route, 1_000n * USDC), who.charlie);
    const requested = findEvent(split.events, 'gateway', 'TransferRequested');
    assert.equal(requested.data.needsApproval.isTrue, true);
    assert.ok(!findEvent(split.events, 'gateway', 'TransferExecuted'));
    await send(api, api.tx.gateway.cancelTransfer(requested.data.transfer), who.charlie);
    // Another account starts from nothing, and the route still has room for it.
    await send(api, api.tx.collateralSilos.depositMargin(BTC, 20_000n * USDC), who.dave);
    const dave = await send(api, api.tx.gateway.requestTransfer(route, 9_999n * USDC), who.dave);
    assert.ok(findEvent(dave.events, 'gateway', 'TransferExecuted'));
  });
});
