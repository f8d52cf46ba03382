// End-to-end with Substrate API Sidecar, the REST service exchanges and custodians run in
// front of a node: its own @polkadot/api (a different major version from ours) decodes
// Bulkhead's blocks, events and storage, and it hands out transaction material and submits a
// transaction signed elsewhere. Whatever breaks in it is a bug here until shown otherwise.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { connect, devAccounts, send } from '../scripts/lib/chain.js';
import { freePort, startNode, waitFor } from './harness.js';

const BTC = 1;
const USDC = 10n ** 6n;

let node;
let api;
let who;
let sidecar;
let base;
const sidecarLogs = [];

/** GET (or POST `body` to) `path` on the sidecar: its JSON, or a thrown error with its answer. */
async function rest(path, body) {
  const response = await fetch(base + path, body === undefined ? {} : {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${text}`);
  return JSON.parse(text);
}

describe('Substrate API Sidecar in front of bulkhead-node --dev', () => {
  before(async () => {
    node = await startNode(['--dev', '--tmp'], { name: 'sidecar' });
    api = await connect(node.url);
    who = await devAccounts();
    const port = await freePort();
    const main = createRequire(import.meta.url).resolve('@substrate/api-sidecar/build/src/main.js');
    sidecar = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        SAS_SUBSTRATE_URL: node.url,
        SAS_EXPRESS_BIND_HOST: '127.0.0.1',
        SAS_EXPRESS_PORT: String(port),
        SAS_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk) => sidecarLogs.push(...chunk.toString().split('\n').filter(Boolean));
    sidecar.stdout.on('data', collect);
    sidecar.stderr.on('data', collect);
    base = `http://127.0.0.1:${port}`;
    await waitFor(async () => {
      if (sidecar.exitCode !== null) throw new Error(`sidecar exited:\n${sidecarLogs.join('\n')}`);
      return rest('/node/version').then(() => true, () => false);
    }, { timeoutMs: 60_000, what: 'the sidecar to answer' });
  });

  after(async () => {
    sidecar?.kill('SIGTERM');
    await api?.disconnect();
    await node?.stop();
  });

  test('it names the chain and its runtime', async () => {
    const version = await rest('/node/version');
    assert.equal(version.chain, 'Bulkhead Development');
    const spec = await rest('/runtime/spec');
    assert.equal(spec.specName, 'bulkhead');
    assert.equal(spec.specVersion, api.runtimeVersion.specVersion.toString());
    assert.equal(spec.properties.tokenSymbol[0], 'BULK');
  });

  test('a block holding a Bulkhead call comes back with the call and its events decoded', async () => {
    const { blockHash } = await send(api, api.tx.collateralSilos.depositMargin(BTC, 250n * USDC), who.dave);
    const block = await rest(`/blocks/${blockHash}`);
    const deposit = block.extrinsics.find((x) => x.method.pallet === 'collateralSilos' && x.method.method === 'depositMargin');
    assert.ok(deposit, `depositMargin in ${block.extrinsics.map((x) => `${x.method.pallet}.${x.method.method}`)}`);
    assert.equal(deposit.success, true);
    assert.equal(deposit.signature.signer.id, who.dave.address);
    assert.deepEqual(deposit.args, { silo: String(BTC), amount: String(250n * USDC) });
    const event = deposit.events.find((e) => e.method.pallet === 'collateralSilos' && e.method.method === 'MarginDeposited');
    assert.ok(event, `MarginDeposited in ${deposit.events.map((e) => `${e.method.pallet}.${e.method.method}`)}`);
    assert.deepEqual(event.data, [String(BTC), who.dave.address, String(250n * USDC)]);
    // The fee it paid, as a custodian books it, from the runtime's own event: Sidecar computes
    // fees itself only for the chains it knows (`info.error` says so for this one).
    const paid = deposit.events.find((e) => e.method.pallet === 'transactionPayment' && e.method.method === 'TransactionFeePaid');
    assert.ok(paid, 'TransactionFeePaid');
    assert.equal(paid.data[0], who.dave.address);
    assert.ok(BigInt(paid.data[1]) > 0n);
  });

  test('Bulkhead storage reads the same through the sidecar as through @polkadot/api', async () => {
    const segment = await rest(`/pallets/executionSegments/storage/Segments?keys[]=${BTC}`);
    const ours = (await api.query.executionSegments.segments(BTC)).unwrap();
    assert.equal(segment.pallet, 'executionSegments');
    assert.equal(segment.value.silo, String(BTC));
    assert.equal(segment.value.oracleKey, ours.oracleKey.toHex());
    assert.equal(segment.value.risk.pool.keeperDeposit, ours.risk.pool.keeperDeposit.toString());

    const account = await rest(`/pallets/collateralSilos/storage/Accounts?keys[]=${BTC}&keys[]=${who.dave.address}`);
    const margin = (await api.query.collateralSilos.accounts(BTC, who.dave.address)).margin;
    assert.equal(account.value.margin.free, margin.free.toString());
    assert.equal(account.value.margin.locked, margin.locked.toString());

    // The pallet's errors, with their documentation, as a wallet shows a failure.
    const errors = await rest('/pallets/executionSegments/errors');
    const zeroSize = errors.items.find((e) => e.name === 'ZeroSize');
    assert.ok(zeroSize?.docs.join(' ').length > 0, 'ZeroSize is documented');
  });

  test('a transaction signed offline with its material is submitted through the sidecar', async () => {
    const material = await rest('/transaction/material?noMeta=true');
    assert.equal(material.genesisHash, api.genesisHash.toHex());
    assert.equal(material.specVersion, api.runtimeVersion.specVersion.toString());
    assert.equal(material.txVersion, api.runtimeVersion.transactionVersion.toString());

    const before = (await api.query.collateralSilos.accounts(BTC, who.eve.address)).margin.free.toBigInt();
    const tx = api.tx.collateralSilos.depositMargin(BTC, 75n * USDC);
    await tx.signAsync(who.eve, { nonce: (await api.rpc.system.accountNextIndex(who.eve.address)).toNumber() });

    const fee = await rest('/transaction/fee-estimate', { tx: tx.toHex() });
    assert.ok(BigInt(fee.partialFee) > 0n, `a fee: ${JSON.stringify(fee)}`);

    const { hash } = await rest('/transaction', { tx: tx.toHex() });
    assert.equal(hash, tx.hash.toHex());
    await waitFor(async () => (await api.query.collateralSilos.accounts(BTC, who.eve.address)).margin.free.toBigInt() === before + 75n * USDC,
      { what: 'the deposit submitted through the sidecar to land' });
  });
});
