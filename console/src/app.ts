// Bulkhead's risk console: every segment's health, its pool and its lines, the gateway's
// routes and pending transfers, and the events of each new block, read live from a node's
// runtime API and storage through polkadot-api and the descriptors generated from this
// runtime (scripts/descriptors.sh). On a dev chain it also signs the everyday calls with a dev
// account. Numbers it could not read are shown as unknown, never as zero.

import { bulkhead } from '@polkadot-api/descriptors';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { decAnyMetadata, unifyMetadata } from '@polkadot-api/substrate-bindings';
import { Binary, Enum, createClient, type PolkadotClient, type TypedApi } from 'polkadot-api';
import { getPolkadotSigner, type PolkadotSigner } from 'polkadot-api/signer';
import { WsEvent, getWsProvider } from 'polkadot-api/ws';
import * as fmt from './format';

type Api = TypedApi<typeof bulkhead>;
type Health = NonNullable<Awaited<ReturnType<Api['apis']['SegmentsApi']['segment_health']>>>;
type Pool = Awaited<ReturnType<Api['apis']['SegmentsApi']['pool']>>;
type Blast = Awaited<ReturnType<Api['apis']['SegmentsApi']['blast_radius']>>;
type SegmentInfo = Awaited<ReturnType<Api['query']['ExecutionSegments']['Segments']['getValue']>>;

/** What the page knows of one segment at one block. */
interface SegmentState {
  id: number;
  info: SegmentInfo;
  health: Health;
  pool: Pool;
  blast: Blast;
}

/** One point of a segment's recent history, kept in the page. */
interface Point {
  block: number;
  price?: bigint;
  openInterest: bigint;
  nav?: bigint;
}

const HISTORY = 60;
const DEV_ACCOUNTS = ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
};
const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const url = new URL(location.href).searchParams.get('rpc') ?? 'ws://127.0.0.1:9944';
let client: PolkadotClient | undefined;
let api: Api;
/** Each pallet's errors' documentation, from the node's metadata: `Pallet.Error` -> docs. */
const errorDocs = new Map<string, string>();
const history = new Map<number, Point[]>();
/** Which segment each silo holds, and which segments trade on each oracle key (hex). */
const segmentOfSilo = new Map<number, number>();
const segmentsOfFeed = new Map<string, number[]>();
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const recentEvents: string[] = [];
let refreshing = false;
let pending = false;
/** Whether the socket has ever opened: a node that went away, or none at all. */
let connected = false;
let chainName = '';

// ---- connection ------------------------------------------------------------------------------

function setConnection(state: 'connecting' | 'live' | 'down' | 'wrong', text: string) {
  const badge = $('connection');
  badge.dataset.state = state;
  badge.textContent = text;
}

async function connect() {
  $('endpoint').textContent = url;
  setConnection('connecting', `connecting to ${url}`);
  client = createClient(
    getWsProvider(url, {
      onStatusChanged: (status) => {
        if (status.type === WsEvent.CONNECTED) connected = true;
        if (status.type === WsEvent.ERROR || status.type === WsEvent.CLOSE) {
          setConnection('down', connected
            ? `lost the node at ${url}, retrying: the figures below are from before it went away`
            : `no node answers at ${url}, retrying`);
          document.body.dataset.stale = 'true';
        }
      },
    }),
  );
  api = client.getTypedApi(bulkhead);
  const spec = await client.getChainSpecData();
  const { compat } = await api.getStaticApis();
  if (!compat.apis.SegmentsApi.segment_health.isCompatible()) {
    setConnection('wrong', `${spec.name} at ${url} is not a Bulkhead chain this console can read`);
    return;
  }
  await loadErrorDocs();
  chainName = spec.name;
  setConnection('live', chainName);
  document.body.dataset.stale = 'false';
  follow();
  setInterval(render, 5_000);
  await setUpActions();
}

/**
 * Every finalized block: its Bulkhead events go to the feed (each block's, however fast they
 * come), and the figures are read again at the newest (readings that would overlap are
 * coalesced). Each block is held until read, so polkadot-api does not unpin it meanwhile.
 */
function follow() {
  client?.finalizedBlock$.subscribe({
    next: (block) => {
      const release = client?.hodlBlock(block.hash);
      void api.query.System.Events.getValue({ at: block.hash })
        .then((events) => noteEvents(block.number, events))
        .catch((e) => showError(`reading the events of block #${block.number}: ${(e as Error).message}`))
        .finally(() => release?.());
      void refresh(block.hash, block.number);
    },
    error: (e) => {
      setConnection('down', `lost the block stream from ${url} (${e}); following it again`);
      setTimeout(follow, 2_000);
    },
  });
}

/** Every pallet error's documentation, read from the metadata so failures explain themselves. */
async function loadErrorDocs() {
  if (!client) return;
  const finalized = await client.getFinalizedBlock();
  const metadata = unifyMetadata(decAnyMetadata(await client.getMetadata(finalized.hash)));
  for (const pallet of metadata.pallets) {
    if (pallet.errors === undefined) continue;
    const type = metadata.lookup[pallet.errors.type];
    if (type?.def.tag !== 'variant') continue;
    for (const variant of type.def.value) {
      errorDocs.set(`${pallet.name}.${variant.name}`, variant.docs.join(' '));
    }
  }
}

// ---- reading ---------------------------------------------------------------------------------

/** What the page last read: the segments at `block`, with the chain's clock then. */
let last: { block: number; now: bigint; segments: SegmentState[] } | undefined;

async function refresh(hash: string, number: number) {
  if (refreshing) {
    pending = true;
    return;
  }
  refreshing = true;
  const release = client?.hodlBlock(hash);
  try {
    const at = { at: hash };
    const [ids, now] = await Promise.all([
      api.apis.SegmentsApi.segments(at),
      api.query.Timestamp.Now.getValue(at),
    ]);
    const segments: SegmentState[] = [];
    for (const id of ids) {
      const [info, health, pool, blast] = await Promise.all([
        api.query.ExecutionSegments.Segments.getValue(id, at),
        api.apis.SegmentsApi.segment_health(id, at),
        api.apis.SegmentsApi.pool(id, 3, at),
        api.apis.SegmentsApi.blast_radius(id, at),
      ]);
      if (!health) continue;
      segments.push({ id, info, health, pool, blast });
      segmentOfSilo.set(health.silo, id);
      if (info) {
        const key = hex(info.oracle_key);
        const trading = segmentsOfFeed.get(key) ?? [];
        if (!trading.includes(id)) segmentsOfFeed.set(key, [...trading, id]);
      }
      remember(id, {
        block: number,
        price: health.price?.price,
        openInterest: health.long_open_interest + health.short_open_interest,
        nav: pool?.marked?.value,
      });
    }
    const gateway = await readGateway(at);
    last = { block: number, now, segments };
    render();
    renderGateway(gateway, segments, number);
    $('block').textContent = `#${number}`;
    document.body.dataset.block = String(number);
    document.body.dataset.stale = 'false';
    $('problem').hidden = true;
    if ($('connection').dataset.state === 'down') setConnection('live', chainName);
  } catch (e) {
    showError(`reading block #${number}: ${(e as Error).message}`);
  } finally {
    release?.();
    refreshing = false;
    if (pending) {
      pending = false;
      const latest = await client?.getFinalizedBlock().catch(() => undefined);
      if (latest) void refresh(latest.hash, latest.number);
    }
  }
}

/** The segment cards, from the last reading; again every few seconds, so ages keep counting. */
function render() {
  if (!last) return;
  const { now, segments } = last;
  $('segments').innerHTML = segments.map((s) => segmentCard(s, now)).join('');
}

function remember(id: number, point: Point) {
  const points = history.get(id) ?? [];
  if (points.at(-1)?.block !== point.block) points.push(point);
  if (points.length > HISTORY) points.splice(0, points.length - HISTORY);
  history.set(id, points);
}

// ---- segments --------------------------------------------------------------------------------

function oracleName(info: SegmentInfo) {
  return info ? new TextDecoder().decode(info.oracle_key) : 'unknown feed';
}

/** The badge: the breaker's state, why, and what clears it. */
function statusOf(health: Health): { label: string; why: string } {
  const market = health.market;
  if (market.type !== 'Live') {
    return { label: market.type, why: `market ${market.type.toLowerCase()} at ${fmt.price(market.value.price)}` };
  }
  const breaker = health.breaker;
  switch (breaker.type) {
    case 'Normal':
      return { label: 'Normal', why: 'trading as usual' };
    case 'Recovering':
      return { label: 'Recovering', why: `reduce-only since #${breaker.value.since}, normal at #${breaker.value.normal_at}` };
    case 'Severed': {
      const clears = breaker.value.clears;
      const when =
        clears.type === 'At' ? `recovers at #${clears.value}` :
        clears.type === 'FreshPrice' ? 'waits for a fresh oracle price' :
        'waits for the reset origin (governance)';
      return { label: 'Severed', why: `${breaker.value.reason.type} since #${breaker.value.since}; ${when}` };
    }
  }
}

function row(label: string, value: string, warn = false) {
  return `<tr${warn ? ' class="warn"' : ''}><th>${escape(label)}</th><td>${escape(value)}</td></tr>`;
}

function segmentCard({ id, info, health, pool, blast }: SegmentState, now: bigint): string {
  const status = statusOf(health);
  const price = health.price;
  const maxAge = info?.risk.max_oracle_age;
  // Its age by the chain's clock at the last block, or by the wall clock when that is later: an
  // idle dev chain seals no block, and its last block's clock stops.
  const wall = BigInt(Date.now());
  const priceAge = price ? (wall > now ? wall : now) - price.timestamp : undefined;
  const stale = priceAge !== undefined && maxAge !== undefined && priceAge > maxAge;
  const marked = pool?.marked;
  const oiCap = info?.risk.max_open_interest;
  const shareCap = info ? (health.lp_liquidity * BigInt(info.risk.max_oi_share)) / 1_000_000n : undefined;
  const pnlToPool = marked?.pnl_to_pool;
  const adl = pool?.adl_trigger;
  const overAdl = pnlToPool !== undefined && adl !== undefined && fmt.above(pnlToPool, adl);
  const rows = [
    row('price', price
      ? `${fmt.price(price.price)} (${fmt.age(priceAge !== undefined && priceAge > 0n ? priceAge : 0n)} old${stale ? `, STALE: older than ${fmt.age(maxAge ?? 0n)}` : ''}${health.price_rejected ? ', rejected by the breaker' : ''})`
      : 'no price yet', stale || health.price_rejected),
    row('reference price', fmt.price(health.reference_price)),
    row('open interest long', `${fmt.usdc(health.long_open_interest)} of ${fmt.usdc(oiCap)} (${fmt.share(health.long_open_interest, shareCap)} of the pool's cap)`),
    row('open interest short', `${fmt.usdc(health.short_open_interest)} of ${fmt.usdc(oiCap)} (${fmt.share(health.short_open_interest, shareCap)} of the pool's cap)`),
    row('pool value (NAV)', marked ? fmt.usdc(marked.value) : 'unknown: no fresh price to mark it', !marked),
    row('share price', marked?.share_price !== undefined ? fmt.price(marked.share_price) : 'unknown'),
    row('LP liquidity / shares', `${fmt.usdc(health.lp_liquidity)} / ${pool ? fmt.decimal(pool.lp_shares, 6n, 2) : 'unknown'}`),
    row('reserved', marked ? `${fmt.usdc(marked.reserved)} of ${fmt.usdc(marked.reserve_cap)} (${fmt.share(marked.reserved, marked.reserve_cap)})` : 'unknown'),
    row('PnL / pool', `${pnlToPool !== undefined ? fmt.fixedPercent(pnlToPool) : 'unknown'} (ADL above ${fmt.permill(adl)})`, overAdl),
    row('insurance fund', fmt.usdc(health.insurance)),
    row('bad debt', fmt.usdc(health.bad_debt), health.bad_debt > 0n),
    row('outflow line', `${fmt.usdc(health.outflow.used)} used of ${fmt.usdc(health.outflow.limit)}, ${fmt.usdc(health.outflow.left)} left`),
    row('queued exits', String(health.queued_exits)),
    row('blast radius', blast ? `${fmt.usdc(blast.value_at_risk)} at risk; at most ${fmt.usdc(blast.contagion_bound)} can leave through its routes` : 'unknown'),
  ];
  return `<article class="segment" data-segment="${id}" data-status="${status.label}">
  <header><h3>Segment ${id} · ${escape(oracleName(info))} · silo ${health.silo}</h3>
  <span class="badge" data-badge="${status.label}" title="${escape(status.why)}">${status.label}</span></header>
  <p class="why">${escape(status.why)}</p>
  <table>${rows.join('')}</table>
  <div class="charts">${charts(id)}</div>
</article>`;
}

/** Price, open interest and NAV over the blocks this page has seen, as small line charts. */
function charts(id: number): string {
  const points = history.get(id) ?? [];
  const series: [string, (p: Point) => bigint | undefined][] = [
    ['price', (p) => p.price],
    ['open interest', (p) => p.openInterest],
    ['NAV', (p) => p.nav],
  ];
  return series.map(([name, pick]) => sparkline(name, points.map(pick))).join('');
}

function sparkline(name: string, values: (bigint | undefined)[]): string {
  const known = values.filter((v): v is bigint => v !== undefined);
  if (known.length < 2) return `<figure><figcaption>${name}: ${known.length} point${known.length === 1 ? '' : 's'} so far</figcaption></figure>`;
  const [lo, hi] = [known.reduce((a, b) => (b < a ? b : a)), known.reduce((a, b) => (b > a ? b : a))];
  const span = hi - lo === 0n ? 1n : hi - lo;
  const width = 160;
  const height = 36;
  const step = width / (values.length - 1);
  const path = values
    .map((v, i) => (v === undefined ? null : `${(i * step).toFixed(1)},${(height - Number(((v - lo) * BigInt(height)) / span)).toFixed(1)}`))
    .filter(Boolean)
    .join(' ');
  return `<figure><svg viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="${name}"><polyline points="${path}"/></svg><figcaption>${name}</figcaption></figure>`;
}

// ---- gateway ---------------------------------------------------------------------------------

type Gateway = Awaited<ReturnType<typeof readGateway>>;

async function readGateway(at: { at: string }) {
  const [routes, transfers, threshold] = await Promise.all([
    api.query.Gateway.Routes.getEntries(at),
    api.query.Gateway.Transfers.getEntries(at),
    api.query.Gateway.ApprovalThreshold.getValue(at),
  ]);
  return { routes, transfers, threshold };
}

function renderGateway({ routes, transfers, threshold }: Gateway, segments: SegmentState[], block: number) {
  // Each route's window as the segment it leaves counts it: the net flow (out less in) against
  // the window's limit, what it may still carry, and whether both ends let it carry anything.
  const capacity = new Map(segments.flatMap((s) => (s.blast?.routes ?? []).map((c) => [c.route, c] as const)));
  $('routes').innerHTML = routes.length === 0 ? '<p>No routes are open.</p>' : `<table>
  <tr><th>route</th><th>from → to</th><th>net this window</th><th>window limit</th><th>may still carry</th><th>large from</th></tr>
  ${routes.map(({ keyArgs: [id], value: r }) => {
    const c = capacity.get(id);
    const carry = c === undefined ? 'unknown' : c.open ? fmt.usdc(c.remaining) : 'nothing: an end is not Normal';
    return `<tr data-route="${id}"><td>${id}</td><td>silo ${r.from} → silo ${r.to}</td>
    <td>${c ? `${fmt.usdc(c.net)} (${fmt.share(c.net, c.window_limit)})` : 'unknown'}</td>
    <td>${fmt.usdc(r.limits.window_limit)} per ${r.limits.window_length} blocks</td>
    <td>${carry}</td><td>${fmt.usdc(r.limits.large_transfer)}</td></tr>`;
  }).join('')}
</table>`;
  $('transfers').innerHTML = transfers.length === 0 ? '<p>No large transfer is pending.</p>' : `<table>
  <tr><th>transfer</th><th>who</th><th>route</th><th>amount</th><th>approvals</th><th>delay left</th><th></th></tr>
  ${transfers.map(({ keyArgs: [id], value: t }) => {
    const left = t.executable_at > block ? `${t.executable_at - block} blocks` : 'over: executable once approved';
    return `<tr data-transfer="${id}"><td>${id}</td><td title="${t.who}">${t.who.slice(0, 8)}…</td><td>${t.route}</td>
      <td>${fmt.usdc(t.amount)}</td><td>${t.approvals.length} of ${threshold ?? 'all guardians'}</td><td>${left}</td>
      <td><button data-act="approve" data-id="${id}">approve</button> <button data-act="veto" data-id="${id}">veto</button></td></tr>`;
  }).join('')}
</table>`;
}

// ---- events ----------------------------------------------------------------------------------

type EventRecord = Awaited<ReturnType<Api['query']['System']['Events']['getValue']>>[number];
const BULKHEAD = new Set(['ExecutionSegments', 'CollateralSilos', 'Gateway', 'CircuitBreaker', 'Oracle']);

/** The segment (or silo) an event belongs to, from its fields. */
function whose(value: unknown): string {
  if (value && typeof value === 'object') {
    const fields = value as Record<string, unknown>;
    // An oracle feed: the segments trading on the keys it fed.
    if (Array.isArray(fields.values)) {
      const fed = fields.values
        .map((entry) => (Array.isArray(entry) && entry[0] instanceof Uint8Array ? segmentsOfFeed.get(hex(entry[0])) ?? [] : []))
        .flat();
      if (fed.length) return `segment${fed.length > 1 ? 's' : ''} ${fed.join(', ')}`;
    }
    if (typeof fields.segment === 'number') return `segment ${fields.segment}`;
    if (typeof fields.silo === 'number') {
      const segment = segmentOfSilo.get(fields.silo);
      return segment === undefined ? `silo ${fields.silo}` : `segment ${segment}`;
    }
    if (typeof fields.route === 'number') return `route ${fields.route}`;
  }
  return 'chain';
}

function noteEvents(block: number, events: EventRecord[]) {
  for (const { event } of events) {
    if (!BULKHEAD.has(event.type)) continue;
    const inner = event.value as { type: string; value: unknown };
    recentEvents.unshift(`<li data-event="${event.type}.${inner.type}"><span>#${block}</span> <b>${escape(whose(inner.value))}</b> ${event.type}.${inner.type}</li>`);
  }
  recentEvents.splice(50);
  $('events').innerHTML = recentEvents.length ? recentEvents.join('') : '<li>No Bulkhead event yet.</li>';
}

// ---- acting (dev chains) ---------------------------------------------------------------------

let signers = new Map<string, { address: string; signer: PolkadotSigner }>();

async function setUpActions() {
  const chainType = await client?._request<string, []>('system_chainType', []).catch(() => 'unknown');
  if (chainType !== 'Development') {
    $('act').innerHTML = '<p>Signing from this page is for dev chains only: this chain is not one.</p>';
    return;
  }
  await cryptoWaitReady();
  const keyring = new Keyring({ type: 'sr25519', ss58Format: 42 });
  signers = new Map(DEV_ACCOUNTS.map((name) => {
    const pair = keyring.addFromUri(`//${name}`);
    return [name, { address: pair.address, signer: getPolkadotSigner(pair.publicKey, 'Sr25519', (data) => pair.sign(data)) }];
  }));
  $<HTMLSelectElement>('account').innerHTML = DEV_ACCOUNTS.map((n) => `<option>${n}</option>`).join('');
  $('act-form').hidden = false;
  $('act-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const action = (e as SubmitEvent).submitter?.getAttribute('name');
    if (action) void act(action);
  });
  $('transfers').addEventListener('click', (e) => {
    const button = (e.target as HTMLElement).closest('button');
    if (button?.dataset.act) void act(button.dataset.act, BigInt(button.dataset.id ?? '0'));
  });
}

const field = (id: string) => $<HTMLInputElement>(id).value;

/** Sign and submit one call with the chosen dev account; say how it ended. */
async function act(action: string, transfer?: bigint) {
  const who = signers.get(field('account'));
  if (!who) return;
  try {
    const segment = Number(field('segment'));
    const amount = () => fmt.parseUsdc(field('amount'));
    const info = await api.query.ExecutionSegments.Segments.getValue(segment);
    if (!info) throw new Error(`there is no segment ${segment}`);
    const silo = info.silo;
    const fee = info.risk.pool.keeper_deposit;
    const side = Enum(field('side') === 'Short' ? 'Short' : 'Long');
    const MAX = (1n << 128n) - 1n;
    // Closing buys back a short and sells a long: no worse price than any.
    const closeLimit = async () => {
      const position = await api.query.ExecutionSegments.Positions.getValue(segment, who.address);
      if (!position) throw new Error(`${field('account')} has no position in segment ${segment}`);
      return position.side.type === 'Short' ? MAX : 0n;
    };
    const txs = {
      deposit: async () => api.tx.CollateralSilos.deposit_margin({ silo, amount: amount() }),
      withdraw: async () => api.tx.CollateralSilos.withdraw_margin({ silo, amount: amount() }),
      open: async () => api.tx.ExecutionSegments.request_order({
        segment,
        kind: Enum('Increase', { side, size: amount() * BigInt(field('leverage') || '1'), margin: amount() }),
        acceptable_price: field('side') === 'Short' ? 0n : MAX,
        execution_fee: fee,
      }),
      close: async () => api.tx.ExecutionSegments.request_order({ segment, kind: Enum('Close'), acceptable_price: await closeLimit(), execution_fee: fee }),
      provide: async () => api.tx.CollateralSilos.request_lp_order({ silo, kind: Enum('Provide', amount()), execution_fee: fee }),
      withdrawLp: async () => api.tx.CollateralSilos.request_lp_order({ silo, kind: Enum('Withdraw', amount()), execution_fee: fee }),
      trip: async () => api.tx.CircuitBreaker.trip({ segment }),
      approve: async () => api.tx.Gateway.approve_transfer({ transfer: transfer ?? 0n }),
      veto: async () => api.tx.Gateway.veto_transfer({ transfer: transfer ?? 0n }),
    } as const;
    const make = txs[action as keyof typeof txs];
    if (!make) throw new Error(`no action ${action}`);
    say(`${field('account')}: ${action} sent…`);
    const tx = await make();
    const result = await tx.signAndSubmit(who.signer);
    if (result.ok) {
      say(`${field('account')}: ${action} in block #${result.block.number}`, 'ok');
    } else {
      const error = result.dispatchError;
      // `Module` errors name a pallet and its error; others (`Token`, `Arithmetic`, ...) a kind.
      const inner = error.value as { type?: string; value?: { type?: string } } | undefined;
      const named = error.type === 'Module'
        ? `${inner?.type}.${inner?.value?.type}`
        : [error.type, inner?.type].filter(Boolean).join('.');
      say(`${field('account')}: ${action} failed: ${named}. ${errorDocs.get(named) ?? ''}`, 'error');
    }
  } catch (e) {
    say(`${field('account')}: ${action} not sent: ${(e as Error).message}`, 'error');
  }
}

function say(text: string, kind: 'info' | 'ok' | 'error' = 'info') {
  const out = $('outcome');
  out.dataset.kind = kind;
  out.textContent = text;
}

function showError(text: string) {
  const out = $('problem');
  out.hidden = false;
  out.textContent = text;
}

void connect().catch((e) => {
  setConnection('down', `cannot reach a Bulkhead node at ${url}: ${(e as Error).message}`);
});

// For the browser test and people poking at the page from the devtools console.
Object.assign(globalThis, { bulkheadConsole: { url, errorDocs, history, Binary } });
