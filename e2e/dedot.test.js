// End-to-end with dedot, a typed client written apart from @polkadot/api: it builds its codecs
// from Bulkhead's metadata (runtime APIs included), reads a position from storage and through
// the runtime API, and signs and submits calls, one of which fails with a typed error.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DedotClient, WsProvider } from 'dedot';
import { connect, devAccounts, feedMajority, fixedPrice, oracleKey, send, trade } from '../scripts/lib/chain.js';
import { startNode } from './harness.js';

const BTC = 1;
const USDC = 10n ** 6n;

let node;
let api;
let who;
let client;

/** The first `Pallet.Event` in a dedot result's events, or undefined. */
const eventOf = (result, pallet, name) =>
  result.events.map((record) => record.event).find((e) => e.pallet === pallet && e.palletEvent.name === name);

describe('dedot against bulkhead-node --dev', () => {
  before(async () => {
    node = await startNode(['--dev', '--tmp'], { name: 'dedot' });
    api = await connect(node.url);
    who = await devAccounts();
    await feedMajority(api, [[oracleKey('BTC/USD'), fixedPrice(60000)]], who);
    client = await DedotClient.new(new WsProvider(node.url));
  });

  after(async () => {
    await client?.disconnect();
    await api?.disconnect();
    await node?.stop();
  });

  test('it reads an open position from storage and from the runtime API as @polkadot/api does', async () => {
    await send(api, api.tx.collateralSilos.depositMargin(BTC, 2_000n * USDC), who.charlie);
    await trade(api, who.charlie, who.charlie, BTC, { Increase: { side: 'Long', size: 6_000n * USDC, margin: 900n * USDC } }, { operators: who });
    // @polkadot/api's side, as plain JSON: its Struct has a `size` of its own (the encoded
    // length), and numbers come as numbers or, when large, hex.
    const ours = (await api.query.executionSegments.positions(BTC, who.charlie.address)).unwrap().toJSON();

    const position = await client.query.executionSegments.positions([BTC, who.charlie.address]);
    assert.ok(position, 'dedot finds the position');
    assert.equal(position.side, 'Long');
    assert.equal(position.size, 6_000n * USDC);
    for (const field of ['size', 'margin', 'entryPrice', 'oracleEntry', 'keeperDeposit']) {
      assert.equal(position[field], BigInt(ours[field]), field);
    }

    const view = await client.call.segmentsApi.position(BTC, who.charlie.address);
    const ourView = (await api.call.segmentsApi.position(BTC, who.charlie.address)).unwrap().toJSON();
    assert.ok(view, 'the runtime API answers dedot');
    for (const field of ['size', 'margin', 'markPrice', 'unrealizedPnl', 'equity', 'maintenanceMargin', 'liquidationPrice']) {
      assert.equal(view[field], BigInt(ourView[field]), field);
    }
    assert.equal(view.liquidatable, false);

    const segments = await client.call.segmentsApi.segments();
    assert.deepEqual(segments, [1, 2, 3]);
  });

  test('it signs and submits a margin deposit and sees it in events and storage', async () => {
    const before = (await client.query.collateralSilos.accounts([BTC, who.dave.address])).margin.free;
    const result = await client.tx.collateralSilos.depositMargin(BTC, 300n * USDC).signAndSend(who.dave).untilFinalized();
    assert.equal(result.dispatchError, undefined);
    const deposited = eventOf(result, 'CollateralSilos', 'MarginDeposited');
    assert.ok(deposited, 'MarginDeposited');
    assert.deepEqual(deposited.palletEvent.data, { silo: BTC, who: deposited.palletEvent.data.who, amount: 300n * USDC });
    assert.equal(deposited.palletEvent.data.who.address(), who.dave.address);
    const after = (await client.query.collateralSilos.accounts([BTC, who.dave.address])).margin.free;
    assert.equal(after - before, 300n * USDC);
  });

  test('a call that breaks the rules fails with its typed error, named and documented', async () => {
    const zero = { type: 'Increase', value: { side: 'Long', size: 0n, margin: 100n * USDC } };
    const result = await client.tx.executionSegments.requestOrder(BTC, zero, 0n, 5n * USDC).signAndSend(who.dave).untilFinalized();
    assert.ok(result.dispatchError, 'the request failed');
    const meta = client.registry.findErrorMeta(result.dispatchError);
    assert.equal(meta.pallet, 'ExecutionSegments');
    assert.equal(meta.name, 'ZeroSize');
    assert.ok(meta.docs.join(' ').length > 0, 'the error is documented');
    assert.equal(await client.query.executionSegments.orders([BTC, who.dave.address]), undefined);
  });
});
