// The built-in demo: builds a realistic mess in a temporary state directory, sweeps it with the real
// `mcp-reaper` CLI, then shows that what was not a leftover is untouched. Run by `pnpm demo`.
//
// The daemons are the project's fake mcp-server-pm, installed under the name `mcp-demo-pm` so the
// demo can never touch a real mcp-server-pm on this machine.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const NAME = 'mcp-demo-pm';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'packages/core/bin/mcp-reaper.js');
const fixture = path.join(repo, 'test/fixtures/fake-mcp-server-pm.mjs');
const runHolder = path.join(repo, 'test/fixtures/run-holder.mjs');
const coreDist = pathToFileURL(path.join(repo, 'packages/core/dist/index.js')).href;

const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-demo-')));
const bin = path.join(root, 'bin', NAME);
const dataHome = path.join(root, 'data');
const stateDir = path.join(dataHome, 'AIAgentPM');
const survivors = []; // processes that must still run after the sweep: [label, pid]
let liveRun; // the other terminal's test run: { holder, daemon }

function say(text) {
  process.stdout.write(`${text}\n`);
}

function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
  } catch {
    return false;
  }
}

async function waitForFile(file) {
  for (let waited = 0; !fs.existsSync(file); waited += 10) {
    if (waited > 15_000) throw new Error(`demo: ${file} never appeared`);
    await delay(10);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Starts the fake the way the real app does and waits until it is ready. */
async function startDaemon(label, args, env = {}) {
  const ready = path.join(root, `ready-${label.replace(/\W+/g, '-')}.json`);
  const child = spawn(bin, args, { stdio: 'ignore', env: { ...process.env, XDG_DATA_HOME: dataHome, FAKE_MCP_READY_FILE: ready, ...env } });
  child.unref();
  const info = await waitForFile(ready);
  say(`  ${label}: pid ${info.pid}${info.children.length ? ` with children ${info.children.join(', ')}` : ''}`);
  return info;
}

async function main() {
  if (process.platform !== 'linux' && process.platform !== 'darwin') throw new Error('demo: needs Linux or macOS');
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  fs.writeFileSync(bin, `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(fixture).href)});\n`, { mode: 0o755 });

  say(`mcp-reaper demo: making a mess in ${stateDir}`);
  // Another terminal's test run, still going: a run of its own (recorded as live) holding its daemon.
  const out = path.join(root, 'live-run.json');
  const orders = { dist: coreDist, names: [NAME], dir: path.join(root, 'live-run-state'), bin, dataHome: path.join(root, 'live-run-state'), sockets: [path.join(root, 'live-run.sock')], out, mode: 'hold' };
  const holder = spawn(process.execPath, [runHolder], { stdio: 'ignore', detached: true, env: { ...process.env, RUN_HOLDER: JSON.stringify(orders) } });
  holder.unref();
  const held = await waitForFile(out);
  liveRun = { holder, daemon: held.daemons[0] };
  survivors.push([`the daemon of live run ${held.runId} (another terminal's test run)`, liveRun.daemon]);
  say(`  a daemon of another test run that is still going (run ${held.runId}): pid ${liveRun.daemon}`);
  const crashed = await startDaemon('a daemon that crashed (SIGKILL), leaving mcp.sock and daemon.pid', ['daemon']);
  process.kill(crashed.pid, 'SIGKILL');
  while (fs.existsSync(`/proc/${crashed.pid}`) && alive(crashed.pid)) await delay(5);

  // Like the integration scripts: a custom socket and database, its pid file in its own data dir.
  const other = { XDG_DATA_HOME: path.join(root, 'other') };
  await startDaemon('a forked daemon from an earlier run, on /tmp-style socket uc003.sock', ['daemon', '--socket-path', path.join(root, 'uc003.sock')], {
    ...other,
    FAKE_MCP_CHILDREN: '2',
  });
  await startDaemon('a daemon whose SIGTERM handling is broken', ['daemon', '--socket-path', path.join(root, 'stubborn.sock')], {
    XDG_DATA_HOME: path.join(root, 'stubborn'),
    FAKE_MCP_IGNORE_TERM: '1',
  });

  // An editor that crashed: its stdio `serve` was re-parented to init and lives on.
  const shell = spawnSync('sh', ['-c', `"${bin}" serve </dev/null >/dev/null 2>&1 & echo $!`], {
    encoding: 'utf8',
    detached: true, // the editor ran in its own session, not in the group that runs mcp-reaper
    env: { ...process.env, XDG_DATA_HOME: dataHome, FAKE_MCP_STAY: '1' },
  });
  say(`  an orphaned \`serve\` whose editor crashed: pid ${shell.stdout.trim()}`);

  const editor = spawn(bin, ['serve'], { stdio: ['pipe', 'ignore', 'ignore'], env: { ...process.env, XDG_DATA_HOME: dataHome } });
  survivors.push([`\`${NAME} serve\` that an editor still owns (its parent is alive)`, editor.pid]);
  say(`  a \`serve\` an editor still owns: pid ${editor.pid}`);

  const log = path.join(root, `${NAME}.log`);
  fs.writeFileSync(log, 'demo log\n');
  const tail = spawn('tail', ['-f', log], { stdio: 'ignore' });
  survivors.push([`\`tail -f ${NAME}.log\` (only mentions the name)`, tail.pid]);
  say(`  a decoy that only mentions the name: tail -f ${NAME}.log, pid ${tail.pid}`);

  say(`\n$ mcp-reaper --dir ${stateDir} --name ${NAME}\n`);
  const sweep = spawnSync(process.execPath, [cli, '--dir', stateDir, '--name', NAME], { stdio: 'inherit' });

  say('\nAfterwards:');
  let ok = sweep.status === 0;
  for (const [label, pid] of survivors) {
    const running = alive(pid);
    ok &&= running;
    say(`  ${running ? 'still running' : 'GONE (wrong!)'}: ${label}, pid ${pid}`);
  }
  const left = fs.existsSync(stateDir) ? fs.readdirSync(stateDir) : [];
  ok &&= left.length === 0;
  say(`  state directory: ${left.length === 0 ? 'empty' : left.join(', ')}`);
  say(ok ? '\ndemo: ok' : '\ndemo: FAILED');
  return ok;
}

let ok = false;
try {
  ok = await main();
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
} finally {
  // The other run ends as a killed runner does: its watchdog stops its daemon.
  if (liveRun) liveRun.holder.kill('SIGKILL');
  for (const [, pid] of survivors) {
    try {
      if (pid !== liveRun?.daemon) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (let waited = 0; liveRun && alive(liveRun.daemon) && waited < 3000; waited += 10) await delay(10);
  fs.rmSync(root, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
