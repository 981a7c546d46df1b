// The emulation server: answers the bash stand-ins (bin/ps, bin/lsof, through standin.bash) with the
// same emulation the stand-in would run in a Node process of its own, without paying ~100 ms to start
// one per call. Started by start-server.mjs with an empty environment (so no TZ: "the
// machine's zone" is the same here as in a caller that has none), it prints `PORT:TOKEN` and exits when
// its stdin closes: when whoever started it stops it or dies, however it dies.
//
// A request is NUL-terminated fields: token, the client's pid, tool, argc, the arguments. The answer is
// `STATUS FD\n` then the bytes for that fd (the emulation writes stdout or stderr, never both), or
// `fallback\n` when the caller cannot be observed from here: the client then runs the emulation itself.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { answer } from './answer.mjs';

const token = crypto.randomBytes(16).toString('hex');
const MAX_REQUEST = 4 << 20; // more than ARG_MAX: no stand-in's arguments come close

function read(file) {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return undefined; // the client is gone
  }
}

/** A /proc file of NUL-terminated strings (cmdline, environ), as raw bytes in latin1 strings. */
function nulFields(file) {
  const raw = read(file);
  if (raw === undefined) return undefined;
  return raw === '' ? [] : raw.replace(/\0$/, '').split('\0');
}

const utf8 = (latin1) => Buffer.from(latin1, 'latin1').toString('utf8');

/**
 * What the emulation reads of the process that runs the stand-in, read from that process: its
 * environment as Node's process.env would hold it (UTF-8, split at the first `=`) and its real uid.
 * Undefined unless the pid runs `…/TOOL ARGS…`: a client in another pid namespace names someone else.
 */
function observe(pid, tool, args) {
  const argv = nulFields(`/proc/${pid}/cmdline`) ?? [];
  const script = argv[argv.length - args.length - 1] ?? '';
  const ranWith = argv.slice(argv.length - args.length);
  if (!(script === tool || script.endsWith(`/${tool}`)) || ranWith.some((arg, i) => arg !== args[i])) return undefined;
  const environ = nulFields(`/proc/${pid}/environ`);
  const uid = /^Uid:\s+(\d+)/m.exec(read(`/proc/${pid}/status`) ?? '')?.[1];
  if (environ === undefined || uid === undefined) return undefined;
  const env = {};
  for (const entry of environ) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[utf8(entry.slice(0, eq))] ??= utf8(entry.slice(eq + 1));
  }
  return { env, uid: Number(uid) };
}

/** The answer to a request: undefined while more of it is to come, null when it is not one of ours. */
function reply(request) {
  const fields = request.toString('latin1').split('\0').slice(0, -1); // the last is unterminated
  if (fields.length < 4 || fields.length < 4 + Number(fields[3])) return undefined;
  const [given, pid, tool, argc] = fields;
  const args = fields.slice(4, 4 + Number(argc));
  if (given !== token || !/^\d+$/.test(pid) || !['ps', 'lsof'].includes(tool) || !/^\d+$/.test(argc)) return null;
  const caller = observe(Number(pid), tool, args);
  if (caller === undefined) return Buffer.from('fallback\n');
  try {
    const { status, fd, body } = answer(tool, args.map(utf8), caller);
    return Buffer.concat([Buffer.from(`${status} ${fd}\n`), body]);
  } catch (error) {
    // A bug in the emulation: the client runs it itself, and crashes as the stand-in always did.
    process.stderr.write(`darwin emulation server: ${tool} ${args.join(' ')}: ${error.stack}\n`);
    return Buffer.from('fallback\n');
  }
}

const server = net.createServer((socket) => {
  let request = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    request = Buffer.concat([request, chunk]);
    const answer = request.length > MAX_REQUEST ? null : reply(request);
    if (answer === null) socket.destroy(); // not one of ours
    else if (answer !== undefined) {
      socket.removeAllListeners('data');
      socket.end(answer);
    }
  });
  socket.on('error', () => {}); // a client killed mid-answer (a timeout): nothing to clean up
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}:${token}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
