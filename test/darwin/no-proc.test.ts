// As darwin, the core never reads /proc: a sweep (dry run, then for real) of a live daemon listening
// on its socket, in a Node process that has the as-darwin preload and records every fs call that
// names /proc. Its answers come from the ps/lsof stand-ins (through an emulation server, as in the
// darwin project), which the log shows it ran.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import type { SweepReport } from '../../packages/core/src/index.js';
import { createSandbox, type Sandbox } from '../helpers/fake-daemon.js';
import { isAlive } from '../helpers/wait.js';
import { AS_DARWIN_PRELOAD, STANDIN_LOG_ENV } from './emulation/names.mjs';
import { startStandinServer, type StandinServer } from './emulation/start-server.mjs';

const DIST = new URL('../../packages/core/dist/index.js', import.meta.url).href;

let server: StandinServer;
beforeAll(async () => {
  server = await startStandinServer();
});
afterAll(() => server.stop());

let sb: Sandbox;
beforeEach(async () => {
  sb = await createSandbox();
});
afterEach(() => sb.cleanup());

// Patches the fs functions the core reads /proc with (on the shared module object, which `import fs`
// in the core sees), then sweeps.
const SCRIPT = `
import fs from 'node:fs';
const procReads = [];
for (const name of ['readFileSync', 'readdirSync', 'readlinkSync', 'existsSync', 'openSync', 'statSync', 'lstatSync']) {
  const original = fs[name];
  fs[name] = function (file, ...rest) {
    if (String(file).startsWith('/proc')) procReads.push(name + ' ' + file);
    return original.call(this, file, ...rest);
  };
}
const { sweep } = await import(process.env.DIST);
const options = JSON.parse(process.env.SWEEP);
const dry = await sweep({ ...options, dryRun: true });
const real = await sweep(options);
console.log(JSON.stringify({ platform: process.platform, procReads, dry, real }));
`;

it('sweeps a live daemon as macOS without one read of /proc', async () => {
  const daemon = await sb.start();
  const log = path.join(sb.root, 'standin.log');
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: {
      ...process.env,
      ...server.env,
      NODE_OPTIONS: `--import ${AS_DARWIN_PRELOAD}`,
      [STANDIN_LOG_ENV]: log,
      DIST,
      SWEEP: JSON.stringify({ names: [sb.name], dir: sb.stateDir }),
    },
  });
  const { platform, procReads, dry, real } = JSON.parse(stdout) as { platform: string; procReads: string[]; dry: SweepReport; real: SweepReport };
  expect(platform).toBe('darwin');
  expect(procReads).toEqual([]);

  // The dry run tells, through lsof, that the socket's listener is the daemon it would stop.
  expect(dry.processes).toEqual([expect.objectContaining({ pid: daemon.pid, action: 'would-kill' })]);
  expect(dry.files).toContainEqual(expect.objectContaining({ path: daemon.socketPath, action: 'would-remove', reason: expect.stringContaining('its listener is a daemon above') }));
  expect(real.processes).toEqual([expect.objectContaining({ pid: daemon.pid, action: 'terminated' })]);
  expect(real.files).toContainEqual(expect.objectContaining({ path: daemon.socketPath }));
  expect(fs.existsSync(daemon.socketPath)).toBe(false);
  expect(isAlive(daemon.pid)).toBe(false);

  const calls = fs.readFileSync(log, 'utf8').trim().split('\n');
  expect(calls).toContain(`ps -E -ww -o command= -p ${daemon.pid}`);
  expect(calls.some((c) => c.startsWith('lsof -a -U -p ') && c.split(' ')[4]!.split(',').includes(String(daemon.pid)))).toBe(true);
  expect(calls.filter((c) => c.startsWith('ps -axww')).length).toBeGreaterThan(0);
  console.info(`as darwin: a dry run and a sweep of one daemon ran the stand-ins ${calls.length} times: ${JSON.stringify(count(calls))}`);
});

it('the detector sees the Linux path read /proc (so an empty list above means something)', async () => {
  await sb.start();
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, NODE_OPTIONS: '', DIST, SWEEP: JSON.stringify({ names: [sb.name], dir: sb.stateDir }) },
  });
  const { platform, procReads } = JSON.parse(stdout) as { platform: string; procReads: string[] };
  expect(platform).toBe('linux');
  expect(procReads.length).toBeGreaterThan(0);
});

function count(calls: readonly string[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const call of calls) {
    const kind = call.replace(/\d+(,\d+)*/g, 'N');
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
