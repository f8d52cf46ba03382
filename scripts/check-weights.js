// Fails when a generated weight charges less than its benchmark ever took: for every benchmark
// of a weight file, at every component value it was measured at, the weight's ref time before
// storage (its formula) must be at least the fastest of the runs there. A linear fit through
// noisy runs can dip below them; such a weight under-charges a call anyone may make.
//
// One exception, reported but not failed: a stall of the machine. The component of every
// Bulkhead benchmark counts work (positions settled, exits paid, values fed), so a call never
// costs less at a larger count. When even the fastest run at one count is more than 25% slower
// than the fastest run at a larger count, every run of that step was slowed: the host stalled
// (this VM does so now and then, for a fraction of a second), and that step is no measure.
//
// Usage: node scripts/check-weights.js <weights.rs> <results.json>   (scripts/benchmark.sh runs it)

import { readFileSync } from 'node:fs';
import { parseWeights } from './lib/weights.js';

const [file, json] = process.argv.slice(2);
if (!file || !json) {
  console.error('usage: node scripts/check-weights.js <weights.rs> <results.json>');
  process.exit(2);
}
// Each weight's ref time before storage: its base, and per unit of each component.
const formulas = new Map(
  Object.entries(parseWeights(file).fns).map(([name, f]) => [name, { base: BigInt(f.ref_time), slopes: f.slopes }]),
);

const results = JSON.parse(readFileSync(json, 'utf8'));
const failures = [];
const stalls = [];
let points = 0;
for (const { benchmark, time_results: runs } of results) {
  const formula = formulas.get(benchmark);
  if (!formula) {
    failures.push(`${benchmark}: measured, but ${file} has no weight for it`);
    continue;
  }
  const fastest = new Map();
  for (const run of runs) {
    const key = JSON.stringify(run.components);
    const ns = BigInt(run.extrinsic_time);
    if (!fastest.has(key) || ns < fastest.get(key)) fastest.set(key, ns);
  }
  // Larger counts of a single component, to tell a stall from the call's cost.
  const single = runs.every((r) => r.components.length === 1);
  const count = (key) => JSON.parse(key)[0]?.[1];
  const stalled = (key) =>
    single &&
    [...fastest].some(([other, ns]) => count(other) > count(key) && fastest.get(key) * 100n > ns * 125n);
  for (const [key, ns] of fastest) {
    points += 1;
    const components = JSON.parse(key);
    const ps = components.reduce((sum, [name, value]) => sum + (formula.slopes[name] ?? 0n) * BigInt(value), formula.base);
    if (ps < ns * 1000n) {
      const at = components.map(([n, v]) => `${n}=${v}`).join(', ') || 'its one point';
      const line = `${benchmark} at ${at}: charges ${Number(ps) / 1e6} µs, the fastest run took ${Number(ns) / 1e3} µs`;
      if (stalled(key)) stalls.push(line);
      else failures.push(line);
    }
  }
}
for (const line of stalls) console.log(`${file}: a stall, not counted: ${line}`);
if (failures.length) {
  console.error(`${file}: ${failures.length} weight(s) below a measured run; measure again on an idle machine:`);
  for (const f of failures) console.error(`  ${f}`);
  process.exit(1);
}
console.log(`${file}: every weight at or above the fastest run, at all ${points} measured points`);
