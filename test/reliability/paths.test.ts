// Reliability, hostile paths: links are removed as links (never followed), directories and other
// users' files are never removed, a socket someone listens on is never removed, and a daemon's
// --socket-path is removed only when it is a socket, wherever it points.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'vitest';
import { sweep, type SweepOptions } from '../../packages/core/src/index.js';
import { waitFor } from '../helpers/wait.js';
import { createScene, type Scene } from './harness/scene.js';
import { itNeeds, needs, type Need } from '../helpers/needs.js';

const FAMILY = 'paths';
const NOBODY = 65534;
/** sun_path holds 108 bytes with its NUL: a longer path cannot be connected to or bound by name. */
const SUN_PATH_MAX = 107;

interface Row {
  title: string;
  /** What the row needs beyond a Linux machine (root, to give files to another user). */
  needs?: readonly Need[];
  /** Builds the scene; may return options that replace the sweep's `dir`. */
  build(scene: Scene): Promise<Partial<SweepOptions> | void>;
}

const mkdir = (dir: string) => fs.mkdirSync(dir, { recursive: true });
const write = (file: string, content: string) => {
  mkdir(path.dirname(file));
  fs.writeFileSync(file, content);
};

/** A Unix socket nobody listens on any more (bound, then closed without unlinking). */
async function staleSocket(file: string): Promise<void> {
  mkdir(path.dirname(file));
  const cwd = process.cwd();
  // A path too long to bind by name is bound relative to its directory (process.chdir is per worker).
  const long = file.length > SUN_PATH_MAX;
  if (long) process.chdir(path.dirname(file));
  try {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(long ? path.basename(file) : file, resolve));
    // Closing a listening server unlinks its path in Node: a hard link keeps the socket file, and
    // takes the original name back once the server is closed.
    const keepName = `${file}.keep`;
    fs.linkSync(long ? path.basename(file) : file, long ? path.basename(keepName) : keepName);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.renameSync(long ? path.basename(keepName) : keepName, long ? path.basename(file) : file);
  } finally {
    if (long) process.chdir(cwd);
  }
}

/** A leftover daemon that ignores SIGTERM, so SIGKILL leaves its socket and pid file behind. */
const stubborn = { FAKE_MCP_IGNORE_TERM: '1' };

const rows: Row[] = [
  {
    title: 'daemon.pid is a symlink to a file elsewhere naming a bystander',
    async build(scene) {
      const bystander = await scene.bystander('the process the link target names');
      const elsewhere = path.join(scene.sb.root, 'elsewhere', 'important.pid');
      write(elsewhere, String(bystander));
      mkdir(scene.sb.stateDir);
      fs.symlinkSync(elsewhere, scene.sb.pidFile);
      scene.remove('pid file link', scene.sb.pidFile);
      scene.keep('link target', elsewhere);
    },
  },
  {
    title: 'mcp.sock is a symlink to a file elsewhere',
    async build(scene) {
      const elsewhere = path.join(scene.sb.root, 'elsewhere', 'precious.txt');
      write(elsewhere, 'not a socket');
      mkdir(scene.sb.stateDir);
      fs.symlinkSync(elsewhere, scene.sb.socketPath);
      scene.remove('socket link', scene.sb.socketPath);
      scene.keep('link target', elsewhere);
    },
  },
  {
    title: 'mcp.sock is a symlink to a live socket elsewhere',
    async build(scene) {
      const elsewhere = path.join(scene.sb.root, 'elsewhere', 'live.sock');
      mkdir(path.dirname(elsewhere));
      await scene.bystander('the listener on the link target', { listen: elsewhere });
      mkdir(scene.sb.stateDir);
      fs.symlinkSync(elsewhere, scene.sb.socketPath);
      scene.remove('socket link', scene.sb.socketPath);
      scene.keep('live socket the link points to', elsewhere);
    },
  },
  {
    title: 'the state dir is reached through a symlinked parent directory',
    async build(scene) {
      const real = path.join(scene.sb.root, 'real-data');
      const dir = path.join(scene.sb.root, 'linked-data', 'AIAgentPM');
      mkdir(real);
      fs.symlinkSync(real, path.dirname(dir));
      const daemon = await scene.sb.start({ env: { ...stubborn, XDG_DATA_HOME: path.dirname(dir) } });
      write(path.join(real, 'AIAgentPM', 'notes.txt'), 'kept');
      write(path.join(real, 'sibling.pid'), String(process.pid));
      scene.target('the leftover daemon', daemon.pid);
      scene.remove('socket', path.join(real, 'AIAgentPM', 'mcp.sock'));
      scene.remove('pid file', path.join(real, 'AIAgentPM', 'daemon.pid'));
      scene.keep('another file in the state dir', path.join(real, 'AIAgentPM', 'notes.txt'));
      scene.keep('a pid file outside the state dir', path.join(real, 'sibling.pid'));
      scene.keep('the parent link', path.dirname(dir));
      return { dir };
    },
  },
  {
    title: 'a directory named mcp.sock, with a file inside',
    async build(scene) {
      write(path.join(scene.sb.socketPath, 'inside.txt'), 'kept');
      scene.keep('directory', scene.sb.socketPath);
      scene.keep('file inside it', path.join(scene.sb.socketPath, 'inside.txt'));
    },
  },
  {
    title: 'a directory named daemon.pid',
    async build(scene) {
      mkdir(scene.sb.pidFile);
      scene.keep('directory', scene.sb.pidFile);
    },
  },
  {
    title: 'a live foreign socket at mcp.sock',
    async build(scene) {
      mkdir(scene.sb.stateDir);
      await scene.bystander('a process that is not the daemon, listening', { listen: scene.sb.socketPath });
      scene.keep('live socket', scene.sb.socketPath);
    },
  },
  {
    title: "another user's stale socket and pid file",
    needs: [needs.root],
    async build(scene) {
      await staleSocket(scene.sb.socketPath);
      write(scene.sb.pidFile, 'garbage');
      fs.chownSync(scene.sb.socketPath, NOBODY, NOBODY);
      fs.chownSync(scene.sb.pidFile, NOBODY, NOBODY);
      scene.keep("another user's socket", scene.sb.socketPath);
      scene.keep("another user's pid file", scene.sb.pidFile);
    },
  },
  {
    title: 'a state dir path with spaces and non-ASCII',
    async build(scene) {
      const home = path.join(scene.sb.root, 'données de test', 'ünï côdé 日本');
      const dir = path.join(home, 'AIAgentPM');
      const daemon = await scene.sb.start({ env: { ...stubborn, XDG_DATA_HOME: home } });
      write(path.join(dir, 'keep me.txt'), 'kept');
      scene.target('the leftover daemon', daemon.pid);
      scene.remove('socket', path.join(dir, 'mcp.sock'));
      scene.remove('pid file', path.join(dir, 'daemon.pid'));
      scene.keep('another file', path.join(dir, 'keep me.txt'));
      return { dir };
    },
  },
  {
    title: 'a live socket at a path too long for a Unix socket address',
    async build(scene) {
      const dir = path.join(scene.sb.root, 'd'.repeat(120), 'AIAgentPM');
      mkdir(dir);
      await scene.bystander('the listener, bound relative to its cwd', { listen: 'mcp.sock', cwd: dir });
      scene.keep('live socket', path.join(dir, 'mcp.sock'));
      return { dir };
    },
  },
  {
    title: 'a stale socket at a path too long for a Unix socket address',
    async build(scene) {
      const dir = path.join(scene.sb.root, 'd'.repeat(120), 'AIAgentPM');
      await staleSocket(path.join(dir, 'mcp.sock'));
      scene.remove('stale socket', path.join(dir, 'mcp.sock'));
      return { dir };
    },
  },
  {
    title: '--socket-path naming a regular file outside the state dir',
    async build(scene) {
      const outside = path.join(scene.sb.root, 'outside', 'important.txt');
      write(outside, 'not a socket');
      const daemon = await scene.sb.start({ args: ['daemon', '--socket-path', outside], env: { FAKE_MCP_NO_SOCKET: '1' } });
      scene.target('the leftover daemon', daemon.pid);
      scene.keep('the file its --socket-path names', outside);
    },
  },
  {
    title: '--socket-path naming a directory outside the state dir',
    async build(scene) {
      const outside = path.join(scene.sb.root, 'outside-dir');
      write(path.join(outside, 'a.txt'), 'kept');
      const daemon = await scene.sb.start({ args: ['daemon', `--socket-path=${outside}`], env: { FAKE_MCP_NO_SOCKET: '1' } });
      scene.target('the leftover daemon', daemon.pid);
      scene.keep('the directory its --socket-path names', outside);
    },
  },
  {
    title: "--socket-path naming another process's live socket outside the state dir",
    async build(scene) {
      const outside = path.join(scene.sb.root, 'outside', 'theirs.sock');
      mkdir(path.dirname(outside));
      await scene.bystander('the live listener', { listen: outside });
      const daemon = await scene.sb.start({ args: ['daemon', '--socket-path', outside], env: { FAKE_MCP_NO_SOCKET: '1' } });
      scene.target('the leftover daemon', daemon.pid);
      scene.keep('the live socket', outside);
    },
  },
  {
    title: "--socket-path outside the state dir: the daemon's own socket, left stale",
    async build(scene) {
      const outside = path.join(scene.sb.root, 'outside', 'own.sock');
      mkdir(path.dirname(outside));
      const daemon = await scene.sb.start({ args: ['daemon', '--socket-path', outside], env: stubborn });
      scene.target('the leftover daemon', daemon.pid);
      scene.remove('its socket', outside);
    },
  },
  {
    title: 'a relative --socket-path, resolved against the daemon’s cwd and not ours',
    async build(scene) {
      const cwd = path.join(scene.sb.root, 'daemon-cwd');
      mkdir(cwd);
      const ready = path.join(scene.sb.root, 'relative-ready.json');
      const launcher = scene.sb.spawnRaw(['daemon', '--foreground', '--socket-path', 'rel.sock'], { ...stubborn, FAKE_MCP_READY_FILE: ready }, { detached: true, stdio: 'ignore', cwd });
      await waitForFile(ready);
      scene.target('the leftover daemon', launcher.pid);
      scene.remove('its socket', path.join(cwd, 'rel.sock'));
    },
  },
];

async function waitForFile(file: string): Promise<void> {
  await waitFor(() => fs.existsSync(file), { timeoutMs: 15_000, message: file });
}

describe('reliability: hostile paths', () => {
  let scene: Scene;
  beforeEach(async () => {
    scene = await createScene(FAMILY);
  });
  afterEach(() => scene.cleanup());

  for (const row of rows) {
    itNeeds(row.needs ?? [], row.title, async () => {
      await scene.bystander('an unrelated process');
      const options = (await row.build(scene)) ?? {};
      const report = await sweep({ names: [scene.name], dir: scene.sb.stateDir, ...options });
      scene.check(row.title, report);
    });
  }
});
