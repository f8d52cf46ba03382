// Starts bulkhead-node processes on free loopback ports for the end-to-end tests, and stops
// them afterwards. The node is the release binary that `scripts/test.sh` builds.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export function nodeBinary() {
  const target = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/bulkhead/target');
  const bin = process.env.BULKHEAD_NODE ?? join(target, 'release/bulkhead-node');
  if (!existsSync(bin)) throw new Error(`${bin} not found: build it with cargo build --release -p bulkhead-node`);
  return bin;
}

/** A TCP port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Call one JSON-RPC method over HTTP (the RPC port serves both HTTP and WebSocket). */
export async function rpc(port, method, params = []) {
  const response = await fetch(`http://127.0.0.1:${port}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await response.json();
  if (body.error) throw new Error(`${method}: ${body.error.message} ${body.error.data ?? ''}`);
  return body.result;
}

/**
 * Start a node with `args` (for example `['--dev', '--tmp']`) and wait until its RPC answers.
 * Returns `{ url, port, p2pPort, logs, stop(), kill(signal) }`.
 */
export async function startNode(args, { name = 'node', basePath, p2pPort } = {}) {
  const port = await freePort();
  p2pPort ??= await freePort();
  const ownBase = !basePath && !args.includes('--tmp');
  if (ownBase) basePath = mkdtempSync(join(tmpdir(), 'bulkhead-'));
  const fullArgs = [
    ...args,
    '--rpc-port', String(port),
    '--port', String(p2pPort),
    '--no-prometheus',
    '--no-telemetry',
    '--no-mdns',
    '--name', name,
    ...(basePath ? ['--base-path', basePath] : []),
  ];
  const child = spawn(nodeBinary(), fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  const collect = (chunk) => {
    logs.push(...chunk.toString().split('\n').filter(Boolean));
    if (logs.length > 2000) logs.splice(0, logs.length - 2000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = null;
  const exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    exited = { code, signal };
    resolve(exited);
  }));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`${name} exited (${JSON.stringify(exited)}):\n${logs.slice(-30).join('\n')}`);
    try {
      await rpc(port, 'system_health');
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not answer RPC in 60 s:\n${logs.slice(-30).join('\n')}`);
      }
      await sleep(250);
    }
  }

  return {
    name,
    port,
    p2pPort,
    basePath,
    url: `ws://127.0.0.1:${port}`,
    logs,
    child,
    exit,
    /** Kill with `signal` and wait for the process to end. */
    async kill(signal = 'SIGTERM') {
      if (!exited) child.kill(signal);
      return exit;
    },
    /** Stop gracefully and remove a base path this harness made. */
    async stop() {
      if (!exited) {
        child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      if (ownBase) rmSync(basePath, { recursive: true, force: true });
    },
  };
}

/** Poll `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(check, { timeoutMs = 60_000, intervalMs = 500, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}
