// End-to-end in a real browser: the risk console (console/, bundled by console/build.mjs and
// served by console/serve.mjs) in headless Chromium (Debian's `chromium`, driven by
// puppeteer-core), against a release dev node. It checks what the page shows against the
// runtime API, signs a deposit from the page and finds it in storage, watches a breaker tripped
// through @polkadot/api turn its segment's badge, shows a failed call with its error's docs,
// and says so when there is no node. A screenshot is saved for people to look at.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import puppeteer from 'puppeteer-core';
import { connect, devAccounts, feedMajority, fixedPrice, oracleKey, send, trade } from '../scripts/lib/chain.js';
import { freePort, startNode, waitFor } from './harness.js';

const USDC = 10n ** 6n;
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/bulkhead/target');
const output = join(target, 'e2e-output');

let node;
let api;
let who;
let server;
let browser;
let page;
let consoleUrl;

/** `value` collateral units as the console writes them: "2,000,000.00 USDC". */
function usdc(value) {
  const whole = (value / USDC).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = ((value % USDC) / 10_000n).toString().padStart(2, '0');
  return `${whole}.${cents} USDC`;
}

/** The text of row `label` in segment `id`'s card. */
async function shown(id, label) {
  return page.$eval(`[data-segment="${id}"]`, (card, label) => {
    const row = [...card.querySelectorAll('tr')].find((r) => r.querySelector('th')?.textContent === label);
    return row?.querySelector('td')?.textContent ?? null;
  }, label);
}

async function startServer() {
  const child = spawn(process.execPath, ['console/serve.mjs', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      const match = chunk.toString().match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (match) resolve(match[0]);
    });
    child.on('exit', (code) => reject(new Error(`console/serve.mjs exited with ${code}`)));
  });
  return { child, url };
}

describe('the risk console in headless Chromium', () => {
  before(async () => {
    if (!existsSync(chromium)) throw new Error(`${chromium} not found: scripts/setup.sh installs Debian's chromium`);
    const bundle = spawnSync(process.execPath, ['console/build.mjs'], { encoding: 'utf8' });
    assert.equal(bundle.status, 0, `console/build.mjs: ${bundle.stderr}`);
    node = await startNode(['--dev', '--tmp'], { name: 'console' });
    api = await connect(node.url);
    who = await devAccounts();
    await feedMajority(api, [[oracleKey('BTC/USD'), fixedPrice(60000)], [oracleKey('ETH/USD'), fixedPrice(3000)], [oracleKey('DOT/USD'), fixedPrice(5)]], who);
    ({ child: server, url: consoleUrl } = await startServer());
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // Root in a container has no user namespace to sandbox into.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1000 });
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${consoleUrl}?rpc=${encodeURIComponent(node.url)}`);
    await page.waitForSelector('[data-segment]', { timeout: 60_000 }).catch((e) => {
      throw new Error(`no segment rendered (${problems.join('; ')}): ${e.message}`);
    });
  });

  after(async () => {
    await browser?.close();
    server?.kill();
    await api?.disconnect();
    await node?.stop();
  });

  test('the three demo segments render with the numbers the runtime API returns', async () => {
    // A position, so that open interest, reserves and the pool's PnL are not all zero.
    await send(api, api.tx.collateralSilos.depositMargin(1, 3_000n * USDC), who.charlie);
    const { execution } = await trade(api, who.charlie, who.charlie, 1, { Increase: { side: 'Long', size: 10_000n * USDC, margin: 2_000n * USDC } }, { operators: who });
    const block = (await api.rpc.chain.getHeader(execution.blockHash)).number.toNumber();
    await page.waitForFunction((b) => Number(document.body.dataset.block) >= b, { timeout: 30_000 }, block);
    assert.equal((await page.$$('[data-segment]')).length, 3);
    assert.equal(await page.$eval('#connection', (e) => e.dataset.state), 'live');
    for (const id of [1, 2, 3]) {
      const health = (await api.call.segmentsApi.segmentHealth(id)).unwrap();
      const marked = (await api.call.segmentsApi.pool(id, 3)).unwrap().marked.unwrap();
      const price = health.price.unwrap().price.toBigInt();
      const cap = (await api.query.executionSegments.segments(id)).unwrap().risk.maxOpenInterest.toBigInt();
      assert.equal(await page.$eval(`[data-segment="${id}"]`, (e) => e.dataset.status), 'Normal');
      assert.match(await shown(id, 'price'), new RegExp(`^${(price / 10n ** 18n).toLocaleString('en-US')}\\.\\d\\d \\(\\d+ (s|min|h) old\\)$`));
      assert.match(await shown(id, 'open interest long'), new RegExp(`^${usdc(health.longOpenInterest.toBigInt())} of ${usdc(cap)} `));
      assert.match(await shown(id, 'open interest short'), new RegExp(`^${usdc(health.shortOpenInterest.toBigInt())} of `));
      assert.equal(await shown(id, 'pool value (NAV)'), usdc(marked.value.toBigInt()));
      assert.match(await shown(id, 'reserved'), new RegExp(`^${usdc(marked.reserved.toBigInt())} of ${usdc(marked.reserveCap.toBigInt())} `));
      assert.equal(await shown(id, 'insurance fund'), usdc(health.insurance.toBigInt()));
      assert.equal(await shown(id, 'bad debt'), usdc(health.badDebt.toBigInt()));
      assert.match(await shown(id, 'LP liquidity / shares'), new RegExp(`^${usdc(health.lpLiquidity.toBigInt())} / `));
    }
    assert.match(await shown(1, 'open interest long'), /^10,000\.00 USDC of /, 'the position opened above');
    assert.notEqual(await shown(1, 'reserved'), await shown(2, 'reserved'), 'the open segment reserves more');
  });

  test('a deposit signed in the page lands in storage', async () => {
    await page.waitForSelector('#act-form:not([hidden]) #account option', { timeout: 30_000 });
    const before = (await api.query.collateralSilos.accounts(2, who.dave.address)).margin.free.toBigInt();
    await page.select('#account', 'Dave');
    await page.$eval('#segment', (e) => { e.value = '2'; });
    await page.$eval('#amount', (e) => { e.value = '123.45'; });
    await page.click('button[name="deposit"]');
    await page.waitForFunction(() => document.querySelector('#outcome')?.dataset.kind !== 'info', { timeout: 60_000 });
    assert.match(await page.$eval('#outcome', (e) => e.textContent), /Dave: deposit in block #\d+/);
    const after = (await api.query.collateralSilos.accounts(2, who.dave.address)).margin.free.toBigInt();
    assert.equal(after - before, 123_450_000n);
  });

  test('a failed call shows its error and the error\'s documentation', async () => {
    await page.select('#account', 'Ferdie');
    await page.$eval('#segment', (e) => { e.value = '1'; });
    await page.$eval('#amount', (e) => { e.value = '5000'; });
    await page.click('button[name="withdraw"]');
    await page.waitForFunction(() => document.querySelector('#outcome')?.dataset.kind === 'error', { timeout: 60_000 });
    const text = await page.$eval('#outcome', (e) => e.textContent);
    assert.match(text, /withdraw failed: CollateralSilos\.InsufficientFreeMargin\. The trader's free margin in this silo is less than the amount\./);
  });

  test('a breaker tripped through the API turns its badge with the block that tripped it', async () => {
    assert.equal(await page.$eval('[data-segment="3"]', (e) => e.dataset.status), 'Normal');
    const { blockHash } = await send(api, api.tx.circuitBreaker.trip(3), who.alice);
    const tripBlock = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
    await page.waitForFunction(
      (block) => Number(document.body.dataset.block) >= block,
      { timeout: 30_000 },
      tripBlock,
    );
    // The first block the page shows at or after the trip already shows it.
    assert.equal(await page.$eval('[data-segment="3"]', (e) => e.dataset.status), 'Severed');
    assert.match(await page.$eval('[data-segment="3"] .why', (e) => e.textContent), /^Manual since #\d+; waits for the reset origin/);
    assert.equal(await page.$eval('[data-segment="1"]', (e) => e.dataset.status), 'Normal');
    const events = await page.$eval('#events', (e) => e.textContent);
    assert.match(events, new RegExp(`#${tripBlock} segment 3 CircuitBreaker\\.Tripped`));

    mkdirSync(output, { recursive: true });
    const screenshot = join(output, 'console.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);
  });

  test('with no node at its address the page says so, and shows no figures', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${consoleUrl}?rpc=${encodeURIComponent(`ws://127.0.0.1:${await freePort()}`)}`);
      await other.waitForFunction(() => document.querySelector('#connection')?.dataset.state === 'down', { timeout: 30_000 });
      assert.match(await other.$eval('#connection', (e) => e.textContent), /127\.0\.0\.1/);
      assert.equal((await other.$$('[data-segment]')).length, 0);
    } finally {
      await other.close();
    }
  });
});
