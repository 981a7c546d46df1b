// Leases of auto ports: no two live stack instances of this user ever get the same `port: "auto"`,
// across workers and across concurrent runs. A "free port" probe alone races (eight processes probing
// one port all saw it free here); a lease in the user's private registry does not.
//
// A claim is a file of its own, `ports/<port>/<lease id>.json`, naming who holds it. To claim a port:
// write your file, then look at the port's directory; any other file whose holder is alive means the
// port is taken, and you withdraw yours and try another. Of two processes claiming one port at once,
// at least one sees the other's file (each looks only after writing its own), so at most one keeps
// it; both may withdraw, and both try again elsewhere. Files are never rewritten, so removing a dead
// holder's file can never remove a live claim.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { debuglog } from 'node:util';
import { REGISTRY_PORTS_DIR } from '../config/names.js';
import { isDead } from '../processes/process-info.js';
import type { ProcessSource } from '../processes/process-source.js';
import { ReaperError } from '../errors.js';
import { checkPrivateDir, ensurePrivateDir, userDir } from './private-dir.js';
import type { Holder } from './instances.js';

const debug = debuglog('mcp-reaper');

/**
 * Where auto ports are chosen: below the ephemeral range of Linux (32768-60999) and macOS
 * (49152-65535), which the kernel hands to outgoing connections and to port-0 binds, and above the
 * ports dev servers and databases use by default.
 */
export const AUTO_PORT_RANGE = { min: 20000, max: 32767 } as const;
/** How many candidates one lease tries before it gives up (each taken, leased or lost to a race). */
const MAX_CANDIDATES = 200;

export interface LeaseOwner {
  runId: string;
  instance: string;
  service: string;
  /** The process the lease lives as long as (the run's owner). */
  holder: Holder;
}

interface LeaseFile extends LeaseOwner {
  version: 1;
  port: number;
}

export interface PortLease {
  port: number;
  /** Withdraws the claim. Safe to call twice. */
  release(): void;
}

function randomPort(): number {
  return AUTO_PORT_RANGE.min + (randomBytes(4).readUInt32BE(0) % (AUTO_PORT_RANGE.max - AUTO_PORT_RANGE.min + 1));
}

function portDir(port: number): string {
  return path.join(userDir(), REGISTRY_PORTS_DIR, String(port));
}

/** Whether a bind to the port succeeds now (on every address, as a server's default bind does). */
function bindable(port: number): Promise<boolean> {
  const attempt = (host: string) =>
    new Promise<boolean | 'no-family'>((resolve) => {
      const server = net.createServer();
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EAFNOSUPPORT' || error.code === 'EADDRNOTAVAIL' ? 'no-family' : false));
      // `::` with ipv6Only false takes IPv4 too: any listener on the port, on any address, makes it fail.
      server.listen({ port, host, ipv6Only: false, exclusive: true }, () => server.close(() => resolve(true)));
    });
  return attempt('::').then((ok) => (ok === 'no-family' ? attempt('0.0.0.0').then((v) => v === true) : ok));
}

function readLease(file: string): LeaseFile | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LeaseFile>;
    return value?.version === 1 && typeof value.holder?.pid === 'number' ? (value as LeaseFile) : undefined;
  } catch {
    return undefined; // being written: counted as a claim below
  }
}

/** Whether a holder still runs: the same pid with the same start time. */
async function holderAlive(holder: Holder, source: ProcessSource, cache: Map<number, string | undefined>): Promise<boolean> {
  if (!cache.has(holder.pid)) {
    const info = (await source.probe([holder.pid])).get(holder.pid);
    cache.set(holder.pid, isDead(info) ? undefined : info!.startKey);
  }
  return cache.get(holder.pid) === holder.startKey;
}

/**
 * Claims a free port for `owner`: one no live lease of this user holds and nothing listens on. The
 * port is still only free "now": a stranger (another user, a program not started by mcp-reaper) may
 * bind it before the service does; the stack then starts the service again on another lease.
 */
export async function leasePort(
  owner: LeaseOwner,
  source: ProcessSource,
  avoid: ReadonlySet<number> = new Set(),
  /** The candidates, in order. Default: random ports of AUTO_PORT_RANGE. For tests. */
  pick: () => number = randomPort,
): Promise<PortLease> {
  ensurePrivateDir(REGISTRY_PORTS_DIR);
  const alive = new Map<number, string | undefined>();
  for (let attempt = 0; attempt < MAX_CANDIDATES; attempt += 1) {
    const port = pick();
    if (avoid.has(port)) continue;
    const dir = portDir(port);
    const mine = path.join(dir, `${randomBytes(6).toString('hex')}.json`);
    try {
      fs.mkdirSync(dir, { mode: 0o700, recursive: true });
      fs.writeFileSync(mine, JSON.stringify({ version: 1, port, ...owner } satisfies LeaseFile), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      debug('port %d: cannot claim (%s)', port, (error as NodeJS.ErrnoException).code);
      continue; // the port's dir was removed as we wrote (it was empty): another candidate
    }
    const release = () => {
      fs.rmSync(mine, { force: true });
      try {
        fs.rmdirSync(dir); // only when no other claim is in it
      } catch {
        // another claim, live or dead
      }
    };
    let taken = false;
    for (const name of fs.readdirSync(dir)) {
      const file = path.join(dir, name);
      if (file === mine) continue;
      const other = readLease(file);
      if (other === undefined || (await holderAlive(other.holder, source, alive))) {
        taken = true;
        break;
      }
      fs.rmSync(file, { force: true }); // a dead holder's: removing it cannot hurt a live claim
    }
    if (!taken && (await bindable(port))) {
      debug('leased port %d for %s/%s %s', port, owner.runId, owner.instance, owner.service);
      let released = false;
      return {
        port,
        release() {
          if (released) return;
          released = true;
          release();
        },
      };
    }
    release();
  }
  throw new ReaperError('EPORTHELD', `No free port for stack service "${owner.service}" after ${MAX_CANDIDATES} tries in ${AUTO_PORT_RANGE.min}-${AUTO_PORT_RANGE.max}: the range is leased or in use. Stop the stacks you do not need (\`mcp-reaper\` sweeps dead runs' leases).`);
}

/**
 * Removes the leases of `runId` (all of its instances, or one), and any lease whose holder is gone.
 * What a run's end and its watchdog call; a lease is only ever removed as a whole file.
 */
export async function releaseLeases(source: ProcessSource, filter: { runId?: string; instance?: string } = {}): Promise<void> {
  if (checkPrivateDir(REGISTRY_PORTS_DIR).problem) return;
  const root = path.join(userDir(), REGISTRY_PORTS_DIR);
  let ports: string[];
  try {
    ports = fs.readdirSync(root);
  } catch {
    return;
  }
  const alive = new Map<number, string | undefined>();
  for (const port of ports) {
    const dir = path.join(root, port);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const lease = readLease(file);
      if (!lease) continue;
      const ours = filter.runId !== undefined && lease.runId === filter.runId && (filter.instance === undefined || lease.instance === filter.instance);
      if (ours || !(await holderAlive(lease.holder, source, alive))) fs.rmSync(file, { force: true });
    }
    try {
      fs.rmdirSync(dir);
    } catch {
      // a claim is still in it
    }
  }
}
