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
 * `Pallet.Error` when the call failed, including a sudo call's inner error.
 */
export function send(api, tx, signer, { finalized = true } = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    tx.signAndSend(signer, { nonce: -1 }, (result) => {
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
