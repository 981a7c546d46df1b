// Reliability, hostile names and command lines: a process is the daemon only when its executable is
// (kernel name, argv[0], or argv[1] behind an interpreter, exactly), never because its arguments or
// its title mention the name, nor because its name only starts like the daemon's.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { sweep } from '../../packages/core/src/index.js';
import { FAKE_SCRIPT } from '../helpers/fake-daemon.js';
import { readStat, waitFor } from '../helpers/wait.js';
import { BYSTANDER_SCRIPT, createScene, wrapper, type Scene } from './harness/scene.js';

const FAMILY = 'names and command lines';

interface Row {
  title: string;
  /** Builds the scene; resolves to the names to sweep for (default: the scene's daemon name). */
  build(scene: Scene): Promise<string[] | void>;
}

/** `<binDir>/nap`: sleep under a name of our own, so the sandbox's cleanup finds it by its path. */
function nap(scene: Scene): string {
  const file = path.join(scene.sb.binDir, 'nap');
  if (!fs.existsSync(file)) fs.symlinkSync('/bin/sleep', file);
  return file;
}

/** Starts a daemon from `bin` in the foreground and waits until it is ready; resolves to its pid. */
async function foregroundDaemon(scene: Scene, bin: string, env: Record<string, string> = {}): Promise<number> {
  const ready = path.join(scene.sb.root, `ready-${path.basename(bin)}.json`);
  scene.sb.spawnRaw(['daemon', '--foreground'], { ...env, FAKE_MCP_READY_FILE: ready }, { command: bin, detached: true, stdio: 'ignore' });
  await waitFor(() => fs.existsSync(ready), { timeoutMs: 15_000, message: `${bin} to be ready` });
  return (JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number }).pid;
}

const rows: Row[] = [
  {
    title: '`tail -f <name>.log`',
    async build(scene) {
      const log = path.join(scene.sb.root, `${scene.name}.log`);
      fs.writeFileSync(log, '');
      await scene.command('tail of the log', 'tail', ['-f', log], 'tail');
    },
  },
  {
    title: '`tail -f <bin dir>/<name>`: the daemon binary as an argument',
    async build(scene) {
      await scene.command('tail of the binary', 'tail', ['-f', scene.sb.bin], 'tail');
    },
  },
  {
    title: '`grep <name>`',
    async build(scene) {
      await scene.command('grep', 'grep', [scene.name], 'grep', { stdio: 'pipe' });
    },
  },
  {
    title: '`bash -c "… <name> daemon …"`',
    async build(scene) {
      const log = path.join(scene.sb.root, 'bash-signals.log');
      const ready = path.join(scene.sb.root, 'bash.ready');
      const script =
        `for s in TERM HUP INT; do trap "echo SIG$s >> ${log}" $s; done; ${nap(scene)} 100000 & ` +
        `echo > ${ready}; while :; do wait $!; done; : ${scene.name} daemon --socket-path ${scene.sb.socketPath}`;
      await scene.command('bash naming the daemon', '/bin/bash', ['-c', script], 'bash');
      await waitFor(() => fs.existsSync(ready), { message: 'bash to set its traps' });
    },
  },
  {
    title: '`<name>-helper daemon`: a longer name, cut by the kernel to 15 characters',
    async build(scene) {
      await scene.bystander('the helper', { name: `${scene.name}-helper`, args: ['daemon'] });
    },
  },
  {
    title: '`<name>.js daemon` under node',
    async build(scene) {
      await scene.bystander('a script named like the daemon plus .js', { name: `${scene.name}.js`, args: ['daemon'] });
    },
  },
  {
    title: '`node -e … <name> daemon`',
    async build(scene) {
      const args = ['-e', `import(${JSON.stringify(pathToFileURL(BYSTANDER_SCRIPT).href)})`, scene.name, 'daemon'];
      await scene.bystander('node -e naming the daemon', { command: process.execPath, args });
    },
  },
  {
    title: '`npx <name> daemon`: a launcher naming the daemon',
    async build(scene) {
      await scene.bystander('npx', { name: 'npx', args: [scene.name, 'daemon'] });
    },
  },
  {
    title: '`exec -a <name> sleep`: argv[0] is the name, the executable is not',
    async build(scene) {
      await scene.command('sleep posing as the daemon', '/bin/bash', ['-c', `exec -a ${scene.name} ${nap(scene)} 100000`], 'nap');
    },
  },
  {
    title: '`exec -a disguised`: the daemon executable under another argv[0]',
    async build(scene) {
      // The daemon's executable is node under the daemon's name, so its kernel name is the name.
      const node = path.join(scene.sb.binDir, 'exe', scene.name);
      fs.mkdirSync(path.dirname(node), { recursive: true });
      fs.symlinkSync(process.execPath, node);
      const ready = path.join(scene.sb.root, 'disguised.json');
      // Started from a subshell that exits at once: an orphan, as a leftover is.
      scene.sb.spawnRaw(['-c', `(exec -a disguised ${node} ${FAKE_SCRIPT} daemon --foreground &)`], { FAKE_MCP_READY_FILE: ready }, {
        command: '/bin/bash',
        detached: true,
        stdio: 'ignore',
      });
      await waitFor(() => fs.existsSync(ready), { timeoutMs: 15_000, message: 'the disguised daemon' });
      const pid = (JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number }).pid;
      scene.sb.track(pid);
      scene.target('the disguised daemon', pid);
    },
  },
  {
    title: 'a process title that says `<name> daemon`',
    async build(scene) {
      const pid = await scene.bystander('a process titled like the daemon', { title: `${scene.name} daemon` });
      await waitFor(() => readStat(pid)?.comm.startsWith(scene.name), { message: 'the title to be set' });
    },
  },
  {
    title: 'the daemon sets its own process title to its name',
    async build(scene) {
      // Its argv becomes `<name>` and padding: only argv[0] and the kernel name are left to match.
      const bin = path.join(scene.sb.binDir, 'titled');
      fs.writeFileSync(bin, `#!${process.execPath}\nprocess.title = ${JSON.stringify(scene.name)};\nimport(${JSON.stringify(pathToFileURL(FAKE_SCRIPT).href)});\n`, { mode: 0o755 });
      const ready = path.join(scene.sb.root, 'titled.json');
      scene.sb.spawnRaw(['daemon'], { FAKE_MCP_READY_FILE: ready }, { command: bin, detached: true, stdio: 'ignore' });
      await waitFor(() => fs.existsSync(ready), { timeoutMs: 15_000, message: 'the titled daemon' });
      const pid = (JSON.parse(fs.readFileSync(ready, 'utf8')) as { pid: number }).pid;
      scene.sb.track(pid);
      scene.target('the titled daemon', pid);
    },
  },
  {
    title: 'a name longer than 15 characters: the daemon, and another program with the same 15-character cut',
    async build(scene) {
      const long = `${scene.name}-server-long`;
      const daemon = await foregroundDaemon(scene, wrapper(scene.sb.binDir, long, FAKE_SCRIPT));
      const other = await scene.bystander('same kernel name, other program', { name: `${scene.name}-server-lonely`, args: ['daemon'] });
      if (readStat(other)?.comm !== readStat(daemon)?.comm) throw new Error('the two kernel names should be the same cut');
      scene.target('the long-named daemon', daemon);
      return [long];
    },
  },
  {
    title: 'a program named exactly the 15-character cut of a longer configured name',
    async build(scene) {
      const long = `${scene.name}-server-long`;
      await scene.bystander('the program named like the cut', { name: long.slice(0, 15), args: ['daemon'] });
      return [long];
    },
  },
  {
    title: '`<name> serve` whose client (its parent) still runs',
    async build(scene) {
      await scene.bystander('a serve in use', { name: scene.name, dir: path.join(scene.sb.binDir, 'serve'), args: ['serve'] });
    },
  },
];

describe('reliability: hostile names and command lines', () => {
  let scene: Scene;
  beforeEach(async () => {
    scene = await createScene(FAMILY);
  });
  afterEach(() => scene.cleanup());

  for (const row of rows) {
    it(row.title, async () => {
      const names = (await row.build(scene)) ?? [scene.name];
      const report = await sweep({ names, dir: scene.sb.stateDir });
      scene.check(row.title, report);
    });
  }
});
