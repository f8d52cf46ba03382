// The two-validator network of e2e/two-validators.toml, spawned by zombienet's native provider
// with the release node: what the network end-to-end test, `scripts/network.js` and
// `scripts/load.js --network` run.

import zombienet from '@zombienet/orchestrator';
import zombienetUtils from '@zombienet/utils';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeBinary, rpc, waitFor } from './harness.js';

export const NETWORK = join(dirname(fileURLToPath(import.meta.url)), 'two-validators.toml');

/** Wait until the node on `port` answers RPC (zombienet itself waits for its metrics). */
function answers(port, what) {
  const answered = () => rpc(port, 'system_health').then(() => true, () => false);
  return waitFor(answered, { timeoutMs: 120_000, what: `${what} to answer RPC on port ${port}` });
}

/**
 * Start the network and wait until both validators answer RPC. Returns `{ alice, bob, dir,
 * stop() }`; each validator is `{ name, url, port, metrics, spec, basePath, pause(), restart() }`: `pause` freezes the
 * process (SIGSTOP), `restart` kills it (SIGKILL) and, a few seconds later, starts it again with
 * the same command and base path, then waits for its RPC. `stop` ends both processes and
 * removes the network's directory (chain databases, logs) unless `keep` is set. Zombienet's
 * progress tables go to stderr, so a tool's stdout stays its own. A network that fails to start
 * ends the process (zombienet's own handling, after it prints the error and stops whatever it
 * started).
 */
export async function startTwoValidators() {
  process.env.BULKHEAD_NODE = nodeBinary();
  const config = zombienetUtils.readNetworkConfig(NETWORK);
  const log = console.log;
  console.log = console.error;
  let network;
  let stopped = false;
  const stop = async ({ keep = false } = {}) => {
    if (stopped || !network) return;
    stopped = true;
    try {
      await network.stop();
    } finally {
      if (keep) console.error(`zombienet network kept in ${network.tmpDir}`);
      else rmSync(network.tmpDir, { recursive: true, force: true });
    }
  };
  // If this process ends without `stop` (an uncaught error, zombienet's own exit), the
  // validators end with it.
  process.once('exit', () => {
    if (stopped || !network) return;
    for (const { pid } of Object.values(network.client?.processMap ?? {})) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  try {
    // `setGlobalNetwork` hands the network over before zombienet's own checks, so a start that
    // fails halfway can still be stopped.
    await zombienet.start('', config, {
      force: true,
      logType: 'silent',
      setGlobalNetwork: (n) => { network = n; },
    });
  } finally {
    console.log = log;
  }
  const validator = (name) => {
    const node = network.getNodeByName(name);
    const port = Number(new URL(node.wsUri).port);
    return {
      name,
      url: node.wsUri,
      port,
      /** Its Prometheus endpoint (`/metrics`). */
      metrics: node.prometheusUri,
      /** The chain spec it runs and its base path (its database), under the network's directory. */
      spec: join(network.tmpDir, name, 'cfg', 'local.json'),
      basePath: join(network.tmpDir, name, 'data'),
      /** Freeze the process: it holds its connections but answers nothing. */
      pause: async () => {
        if (!(await node.pause())) throw new Error(`zombienet could not pause ${name}`);
      },
      /** Kill the process; 3 s later start it again on its base path, and wait for its RPC. */
      restart: async () => {
        const out = console.log;
        console.log = console.error;
        try {
          await node.restart(3);
        } finally {
          console.log = out;
        }
        await answers(port, `${name} after its restart`);
      },
    };
  };
  const v = { alice: validator('alice'), bob: validator('bob') };
  await Promise.all([answers(v.alice.port, 'alice'), answers(v.bob.port, 'bob')]);
  return { ...v, dir: network.tmpDir, stop };
}
