// Reliability, hostile pid files: whatever daemon.pid holds, a sweep signals nothing it names unless
// that is a live daemon, and removes the file only when it is stale and a file (or a link, as a link).
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweep, type SweepOptions, type SweepReport } from '../../packages/core/src/index.js';
import { createScene, type Scene } from './harness/scene.js';
import { itNeeds, needs, type Need } from '../helpers/needs.js';

const FAMILY = 'pid files';
const NOBODY = 65534;
const AS_ROOT = process.getuid?.() === 0;
const DIST = new URL('../../packages/core/dist/index.js', import.meta.url).href;
const run = promisify(execFile);

/** A sweep run by another user: a child process with that uid, running the built library. */
async function sweepAs(uid: number, options: SweepOptions): Promise<SweepReport> {
  const code = `const { sweep } = await import(${JSON.stringify(DIST)}); console.log(JSON.stringify(await sweep(${JSON.stringify(options)})));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', code], { uid, gid: uid, cwd: '/' });
  return JSON.parse(stdout) as SweepReport;
}

interface Row {
  title: string;
  /** What the row needs beyond a Linux machine (root: to read any file, to sweep as another user). */
  needs?: readonly Need[];
  /** Sweep as this uid (in a child process running the built library), for what root cannot see. */
  asUid?: number;
  /** The sweeper may not read the file: it is there, and which pid it names cannot be known, so it is reported `skipped`. */
  unreadable?: boolean;
  /** Writes the pid file, starts what the row needs, and gives every process and file its role. */
  build(scene: Scene, bystander: number): Promise<void> | void;
}

const write = (scene: Scene, content: string | Buffer) => {
  fs.mkdirSync(scene.sb.stateDir, { recursive: true });
  fs.writeFileSync(scene.sb.pidFile, content);
};

/** A corrupt pid file is removed, and nothing it could be read as is signalled. */
const corrupt = (content: (scene: Scene, bystander: number) => string | Buffer) => (scene: Scene, bystander: number) => {
  write(scene, content(scene, bystander));
  scene.remove('corrupt pid file', scene.sb.pidFile);
};

const rows: Row[] = [
  { title: '-1 (kill(-1) would signal every process)', build: corrupt(() => '-1') },
  { title: '0 (kill(0) would signal our own process group)', build: corrupt(() => '0') },
  {
    title: '1 (init)',
    build: (scene) => {
      scene.watch('pid 1', 1);
      corrupt(() => '1')(scene, 0);
    },
  },
  {
    title: 'minus a live process group (kill(-pgid) would signal the whole group)',
    build: corrupt((_, bystander) => `-${bystander}`),
  },
  {
    title: 'our own pid',
    build: (scene) => {
      write(scene, String(process.pid));
      scene.remove('pid file naming the sweeper', scene.sb.pidFile);
    },
  },
  {
    title: "our parent's pid",
    build: (scene) => {
      write(scene, String(process.ppid));
      scene.remove("pid file naming the sweeper's parent", scene.sb.pidFile);
    },
  },
  {
    title: 'an unrelated live pid',
    build: (scene, bystander) => {
      write(scene, String(bystander));
      scene.remove('pid file naming a bystander', scene.sb.pidFile);
    },
  },
  {
    title: 'a reused pid: now a process of the same name that started after the file was written',
    build: async (scene) => {
      // `<name> serve` owned by a live parent (this worker) is a match the sweep keeps: only its start
      // time, later than the file's, tells that the file is not its.
      const reused = await scene.bystander('a `serve` holding the reused pid', { name: scene.name, dir: path.join(scene.sb.binDir, 'serve'), args: ['serve'] });
      write(scene, String(reused));
      const anHourAgo = new Date(Date.now() - 3_600_000);
      fs.utimesSync(scene.sb.pidFile, anHourAgo, anHourAgo);
      scene.remove('pid file older than its pid', scene.sb.pidFile);
    },
  },
  {
    title: 'a live daemon pid with white space around it',
    build: async (scene) => {
      const daemon = await scene.sb.start();
      write(scene, `  ${daemon.pid}\n\n`);
      scene.target('the leftover daemon', daemon.pid);
      scene.remove('pid file', scene.sb.pidFile);
      scene.remove('socket', daemon.socketPath);
    },
  },
  { title: 'white space only', build: corrupt(() => ' \n\t \n') },
  { title: 'two numbers', build: corrupt((_, bystander) => `${bystander} ${process.pid}`) },
  { title: 'hexadecimal', build: corrupt((_, bystander) => `0x${bystander.toString(16)}`) },
  { title: 'a sign or an exponent', build: corrupt((_, bystander) => `+${bystander}`) },
  { title: 'a huge number', build: corrupt(() => '99999999999999999999999999') },
  { title: 'one more than pid_max', build: corrupt(() => String(Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1)) },
  { title: 'binary, with a pid in front of a NUL', build: corrupt((_, bystander) => Buffer.from([...Buffer.from(String(bystander)), 0, 0xff, 0xfe, 1])) },
  { title: 'empty', build: corrupt(() => '') },
  { title: '100 kB of digits', build: corrupt(() => '7'.repeat(100_000)) },
  {
    title: 'mode 000 (root reads it all the same) naming a bystander',
    needs: [needs.root],
    build: (scene, bystander) => {
      write(scene, String(bystander));
      fs.chmodSync(scene.sb.pidFile, 0o000);
      scene.remove('unreadable pid file', scene.sb.pidFile);
    },
  },
  {
    title: 'unreadable: mode 000, swept by its owner, who may not read it',
    // Root reads any file: as root the sweep runs as another user who owns the file; an ordinary
    // user sweeps its own file directly.
    asUid: AS_ROOT ? NOBODY : undefined,
    unreadable: true,
    build: (scene, bystander) => {
      write(scene, String(bystander));
      if (AS_ROOT) {
        // The other user must reach the state dir and own the file.
        for (const dir of [scene.sb.root, scene.sb.dataHome, scene.sb.stateDir]) fs.chmodSync(dir, 0o755);
        fs.chownSync(scene.sb.stateDir, NOBODY, NOBODY);
        fs.chownSync(scene.sb.pidFile, NOBODY, NOBODY);
      }
      fs.chmodSync(scene.sb.pidFile, 0o000);
      scene.keep('unreadable pid file (which pid it names cannot be known)', scene.sb.pidFile);
    },
  },
  {
    title: 'a fifo (reading it would block forever)',
    build: (scene) => {
      fs.mkdirSync(scene.sb.stateDir, { recursive: true });
      execFileSync('mkfifo', [scene.sb.pidFile]);
      scene.keep('fifo', scene.sb.pidFile);
    },
  },
];

describe('reliability: hostile pid files', () => {
  let scene: Scene;
  beforeEach(async () => {
    scene = await createScene(FAMILY);
  });
  afterEach(() => scene.cleanup());

  for (const row of rows) {
    itNeeds(row.needs ?? [], row.title, async () => {
      // Every row has the same witnesses: an unrelated process, this sweeper and its parent.
      const bystander = await scene.bystander('an unrelated process');
      scene.watch('the sweeper itself', process.pid);
      scene.watch("the sweeper's parent", process.ppid);
      await row.build(scene, bystander);
      const options = { names: [scene.name], dir: scene.sb.stateDir };
      const report = row.asUid === undefined ? await sweep(options) : await sweepAs(row.asUid, options);
      scene.check(row.title, report);
      // The report tells the truth about the file: `removed` only when it is gone.
      const action = report.files.find((f) => f.path === scene.sb.pidFile)?.action;
      if (row.unreadable) expect(action).toBe('skipped'); // there, and unknown: said so, not "absent"
      if (fs.existsSync(scene.sb.pidFile)) expect(action).not.toBe('removed');
      else expect(['removed', 'absent']).toContain(action);
    });
  }
});
