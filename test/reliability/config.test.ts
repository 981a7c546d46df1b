// Reliability, hostile configuration: a mistake in the options or the config file stops the sweep
// before it touches anything, with EINVALIDOPTION naming the key; it never sweeps with a guess.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep, type SweepOptions } from '../../packages/core/src/index.js';
import { runCli } from '../helpers/run-cli.js';
import { createScene, type Scene } from './harness/scene.js';

const FAMILY = 'config';

interface Row {
  title: string;
  /** The key the error must name. */
  key: string;
  /** Options that replace the valid ones (`names` and `dir` of the scene), or a config file's text for the CLI. */
  options?: (scene: Scene) => Record<string, unknown>;
  configFile?: (scene: Scene) => string;
}

const rows: Row[] = [
  { title: 'an unknown key (a typo of names)', key: 'nmaes', options: (s) => ({ nmaes: [s.name] }) },
  { title: 'names as a string, not an array', key: 'names', options: (s) => ({ names: s.name }) },
  { title: 'names empty', key: 'names', options: () => ({ names: [] }) },
  { title: 'a name with a slash', key: 'names', options: (s) => ({ names: [`bin/${s.name}`] }) },
  { title: 'a file name climbing out of the state dir', key: 'files', options: () => ({ files: ['../../etc/passwd'] }) },
  { title: 'a file name that is the state dir itself', key: 'files', options: () => ({ files: ['.'] }) },
  { title: 'a pid file that is a path', key: 'pidFile', options: () => ({ pidFile: '/etc/passwd' }) },
  { title: 'a negative grace', key: 'graceMs', options: () => ({ graceMs: -1 }) },
  { title: 'a huge grace (10^12 ms)', key: 'graceMs', options: () => ({ graceMs: 1e12 }) },
  { title: 'a grace that is NaN', key: 'graceMs', options: () => ({ graceMs: Number.NaN }) },
  { title: 'a grace given as a string', key: 'graceMs', options: () => ({ graceMs: '500' }) },
  { title: 'an infinite kill wait', key: 'killWaitMs', options: () => ({ killWaitMs: Number.POSITIVE_INFINITY }) },
  { title: 'an empty dir', key: 'dir', options: () => ({ dir: '' }) },
  { title: 'an owner tag with white space', key: 'owner', options: () => ({ owner: 'run 1' }) },
  { title: 'descendantsOf 0 (every process would descend from it)', key: 'descendantsOf', options: () => ({ descendantsOf: 0 }) },
  { title: 'dryRun as the string "false"', key: 'dryRun', options: () => ({ dryRun: 'false' }) },
  {
    title: 'a config file with an unknown key',
    key: 'nmaes',
    configFile: (s) => JSON.stringify({ nmaes: [s.name], dir: s.sb.stateDir }),
  },
  {
    title: 'a config file with a negative grace',
    key: 'graceMs',
    configFile: (s) => JSON.stringify({ names: [s.name], dir: s.sb.stateDir, graceMs: -5 }),
  },
  {
    title: 'a config file that is not JSON',
    key: 'mcp-reaper.config.json',
    configFile: (s) => `{ names: ["${s.name}"], `,
  },
];

describe('reliability: hostile configuration', () => {
  let scene: Scene;
  beforeEach(async () => {
    scene = await createScene(FAMILY);
  });
  afterEach(() => scene.cleanup());

  for (const row of rows) {
    it(row.title, async () => {
      // A leftover the sweep would stop, and its files: with a bad config, all must stay as they are.
      const daemon = await scene.sb.start({ env: { FAKE_MCP_IGNORE_TERM: '1' } });
      scene.watch('a leftover daemon (a bad config must not sweep it)', daemon.pid);
      scene.keep('its socket', daemon.socketPath);
      scene.keep('its pid file', scene.sb.pidFile);
      await scene.bystander('an unrelated process');

      if (row.options) {
        const options = { names: [scene.name], dir: scene.sb.stateDir, ...row.options(scene) } as SweepOptions;
        const error = await sweep(options).then(
          () => undefined,
          (e: unknown) => e as { code?: string; message: string },
        );
        scene.check(row.title);
        expect(error?.code).toBe('EINVALIDOPTION');
        expect(error?.message).toContain(row.key);
      } else {
        fs.writeFileSync(path.join(scene.sb.root, 'mcp-reaper.config.json'), row.configFile!(scene));
        const { code, stderr } = await runCli([], scene.sb.root, { ...process.env, XDG_DATA_HOME: scene.sb.dataHome });
        scene.check(row.title);
        expect(code).not.toBe(0);
        expect(stderr).toContain(row.key);
      }
    });
  }
});
