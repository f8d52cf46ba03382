#!/usr/bin/env node
// A chain spec whose genesis state is the size of a busy Bulkhead chain, for `benchmark storage`
// (scripts/benchmark-storage.sh): the dev genesis plus, for `--accounts` fresh accounts, a BULK
// account, a USDC account, free and locked margin in one of the three demo silos, and for every
// `--positions-every`th of them an open position with its ADL queue entry and LP shares. The
// extra entries are written as raw storage, each key built and each value encoded with the
// runtime's own metadata (read from a `--dev --tmp` node this script starts and stops), so every
// key sits where the runtime would put it and every value has its real encoded size. Balances
// are not reconciled with the totals: nothing executes on this state, it is only read and
// written by the benchmark.
//
// Usage: node scripts/benchmark-state.js <raw dev spec in> <spec out>
//                                        [--accounts 100000] [--positions-every 3]
// Prints a JSON summary (entries written per storage item) on stdout.

import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { u8aToHex } from '@polkadot/util';
import { startNode } from '../e2e/harness.js';
import { connect } from './lib/chain.js';

const [input, output, ...rest] = process.argv.slice(2);
if (!input || !output) throw new Error('usage: benchmark-state.js <raw spec in> <spec out> [options]');
const o = { accounts: 100_000, positionsEvery: 3 };
for (let i = 0; i < rest.length; i += 2) {
  const key = { '--accounts': 'accounts', '--positions-every': 'positionsEvery' }[rest[i]];
  if (!key || rest[i + 1] === undefined) throw new Error(`unknown or incomplete option ${rest[i]}`);
  o[key] = Number(rest[i + 1]);
}

const USDC_ASSET = 1;
const SEGMENTS = [1, 2, 3]; // the demo segments, each backed by the silo with the same id
const USDC = 1_000_000n;

const node = await startNode(['--dev', '--tmp'], { name: 'benchmark-state' });
const api = await connect(node.url);
try {
  const spec = JSON.parse(readFileSync(input, 'utf8'));
  const top = spec.genesis.raw.top;
  const before = Object.keys(top).length;
  const written = {};
  const put = (entry, name, keyArgs, value) => {
    const { meta } = entry.creator;
    const type = api.registry.createLookupType(meta.type.asMap.value);
    top[entry.key(...keyArgs)] = api.createType(type, value).toHex();
    written[name] = (written[name] ?? 0) + 1;
  };
  const q = api.query;
  for (let i = 0; i < o.accounts; i++) {
    const who = u8aToHex(randomBytes(32));
    const segment = SEGMENTS[i % SEGMENTS.length];
    put(q.system.account, 'System.Account', [who], {
      providers: 1,
      sufficients: 1,
      data: { free: 1_000n * 1_000_000_000_000n },
    });
    put(q.assets.account, 'Assets.Account', [USDC_ASSET, who], {
      balance: 10_000n * USDC,
      status: 'Liquid',
      reason: 'Sufficient',
    });
    const account = { margin: { free: 1_000n * USDC, locked: 2_000n * USDC } };
    if (i % o.positionsEvery !== 0) {
      put(q.collateralSilos.accounts, 'CollateralSilos.Accounts', [segment, who], account);
      continue;
    }
    const side = i % 2 ? 'Short' : 'Long';
    const entry = BigInt(50_000 + (i % 20_000)) * 10n ** 18n;
    put(q.executionSegments.positions, 'ExecutionSegments.Positions', [segment, who], {
      side,
      size: 10_000n * USDC,
      entryPrice: entry,
      margin: 2_000n * USDC,
      oracleEntry: entry,
      keeperDeposit: 5n * USDC,
    });
    const rank = api.createType('u128', side === 'Long' ? entry : (1n << 128n) - 1n - entry).toU8a();
    put(q.executionSegments.adlQueue, 'ExecutionSegments.AdlQueue', [segment, side, rank.reverse(), who], null);
    put(q.collateralSilos.accounts, 'CollateralSilos.Accounts', [segment, who], { ...account, shares: 1_000n * USDC });
  }
  spec.name = `${spec.name} (benchmark state)`;
  spec.id = `${spec.id}_benchmark_state`;
  writeFileSync(output, JSON.stringify(spec));
  console.log(JSON.stringify({ accounts: o.accounts, keysBefore: before, keysAfter: Object.keys(top).length, written }, null, 2));
} finally {
  await api.disconnect();
  await node.stop();
}
