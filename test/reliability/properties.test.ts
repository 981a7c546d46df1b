// Reliability, properties (fast-check): the three parsers a wrong kill would start from, checked on
// thousands of generated inputs each. The pid-file parser (a pid read wrong is a process signalled
// wrong), the name matcher (a false match is a wrong kill, a missed one a survivor) and the owner-tag
// parsers (a tag found where there is none puts another owner's daemon in scope).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { parsePid, readPidFile } from '../../packages/core/src/files/pid-file.js';
import { INTERPRETER, matchDaemon } from '../../packages/core/src/processes/match.js';
import { findEnvInCommand, findEnvInEnviron, isOwnedBy, ownerTag } from '../../packages/core/src/processes/owner-tag.js';
import { OWNER_ENV } from '../../packages/core/src/config/names.js';
import { settle } from './harness/scene.js';

const FAMILY = 'properties';
const RUNS = 1000;
const PID_MAX = 4_194_304;
const COMM_MAX = 15;

/**
 * Runs a property, tallies it (a counterexample counts once, as what it would cause) and fails with
 * fast-check's report, which names the smallest counterexample.
 */
function property<Ts extends [unknown, ...unknown[]]>(title: string, risk: 'wrongKills' | 'survivors', prop: fc.IPropertyWithHooks<Ts>, numRuns = RUNS): void {
  it(title, () => {
    const details = fc.check(prop, { numRuns });
    const verdict = { wrongKills: 0, wrongDeletions: 0, survivors: 0, problems: [] as string[] };
    if (details.failed) {
      verdict[risk] = 1;
      verdict.problems.push(fc.defaultReportMessage(details) ?? 'property failed');
    }
    settle(FAMILY, title, verdict, { generated: details.numRuns });
  });
}

// What the parser must accept, said independently of its regular expression: decimal digits only,
// trimmed of the white space String#trim knows, and a value from 2 to pid_max.
const isPidText = (text: string, pidMax: number) => {
  const trimmed = text.trim();
  return /^[0-9]+$/.test(trimmed) && BigInt(trimmed) >= 2n && BigInt(trimmed) <= BigInt(pidMax);
};

const whitespace = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\u2028', '\ufeff') });
/** Strings that look like pids more often than arbitrary text would. */
const pidLike = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('0', '1', '2', '9', '-', '+', 'x', 'e', '.', ' ', '\n', '\0') }),
  fc.tuple(whitespace, fc.bigInt({ min: -10n, max: 10n ** 25n }), whitespace, fc.string({ maxLength: 2 })).map(([a, n, b, c]) => `${a}${n}${b}${c}`),
);

describe('reliability: properties of the pid-file parser', () => {
  property('any pid from 2 to pid_max, with white space around, reads back as itself', 'survivors',
    fc.property(fc.integer({ min: 2, max: PID_MAX }), whitespace, whitespace, (pid, before, after) => parsePid(`${before}${pid}${after}`, PID_MAX) === pid),
  );
  property('anything that is not exactly a decimal pid in range parses as corrupt', 'wrongKills',
    fc.property(pidLike, fc.integer({ min: 2, max: PID_MAX }), (text, pidMax) => {
      const pid = parsePid(text, pidMax);
      return isPidText(text, pidMax) ? pid === Number(text.trim()) : pid === undefined;
    }),
  );
  property('pids outside 2..pid_max never parse (-1, 0, 1, above pid_max)', 'wrongKills',
    fc.property(fc.oneof(fc.integer({ min: -1_000_000, max: 1 }), fc.integer({ min: PID_MAX + 1, max: 2 ** 31 })), (n) => parsePid(String(n), PID_MAX) === undefined),
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-pid-prop-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  property('a pid file written with any bytes reads as valid only when they are a pid', 'wrongKills',
    fc.property(fc.oneof(pidLike.map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a))), (bytes) => {
      const file = path.join(dir, 'daemon.pid');
      fs.writeFileSync(file, bytes);
      const state = readPidFile(file, PID_MAX);
      const text = bytes.toString('utf8');
      return bytes.length <= 64 && isPidText(text, PID_MAX) ? state.kind === 'valid' && state.pid === Number(text.trim()) : state.kind === 'corrupt';
    }),
    300,
  );
});

// Names as a daemon's could be: one path segment, and some of them long enough to be cut by the kernel.
const segment = fc.stringMatching(/^[a-z][a-z0-9._-]{0,21}$/);
const dirPath = fc.array(fc.stringMatching(/^[a-z0-9 ._-]{1,8}$/), { maxLength: 3 }).map((parts) => `/${parts.join('/')}`);
const comm = (file: string) => file.slice(0, COMM_MAX);
const argument = fc.oneof(fc.string({ maxLength: 12 }), segment, segment.map((s) => `--socket-path=/tmp/${s}`));

describe('reliability: properties of the name matcher', () => {
  property('a running executable named exactly a listed name matches it', 'survivors',
    fc.property(fc.uniqueArray(segment, { minLength: 1, maxLength: 4 }), fc.nat(), dirPath, fc.array(argument, { maxLength: 4 }), (names, i, dir, args) => {
      const name = names[i % names.length]!;
      const match = matchDaemon({ name: comm(name), argv: [path.posix.join(dir, name), ...args] }, new Set(names));
      return match?.name === name;
    }),
  );
  property('a match is always a listed name, at argv[0], at argv[1] behind an interpreter, or as the whole kernel name', 'wrongKills',
    fc.property(
      fc.uniqueArray(segment, { minLength: 1, maxLength: 3 }),
      fc.oneof(segment, fc.constantFrom('node', 'bash', 'python3', 'sh')),
      fc.array(fc.oneof(argument, segment.map((s) => `/opt/bin/${s}`)), { maxLength: 5 }),
      fc.boolean(),
      (names, exe, args, titled) => {
        // Sometimes argv[0] is a name from the list or the interpreter's script is: the cases to get right.
        const argv = titled ? [names[0]!, ...args] : [`/usr/bin/${exe}`, ...args];
        const info = { name: comm(exe), argv };
        const match = matchDaemon(info, new Set(names));
        if (match === undefined) return true;
        const base = (arg: string | undefined) => (arg === undefined ? undefined : path.posix.basename(arg));
        const at0 = base(argv[0]) === match.name;
        const at1 = INTERPRETER.test(base(argv[0]) ?? '') && base(argv[1]) === match.name;
        const kernel = info.name === match.name && info.name.length < COMM_MAX;
        return names.includes(match.name) && (at0 || at1 || kernel);
      },
    ),
  );
  property('a name mentioned anywhere in the arguments never makes a match', 'wrongKills',
    fc.property(fc.uniqueArray(segment, { minLength: 1, maxLength: 3 }), fc.array(argument, { maxLength: 4 }), fc.nat(), (names, args, at) => {
      // An executable that is not a listed name (nor an interpreter), whose arguments name the daemon.
      const exe = `x${names.join('')}`.slice(0, 20);
      const argv = [`/usr/bin/${exe}`, ...args];
      argv.splice(1 + (at % (args.length + 1)), 0, names[0]!, `daemon`, `/opt/${names[0]}`);
      return matchDaemon({ name: comm(exe), argv }, new Set(names)) === undefined;
    }),
  );
  property('a longer name that only starts like a listed one never matches (even when the kernel cuts both)', 'wrongKills',
    fc.property(segment, fc.stringMatching(/^[a-z0-9._-]{1,10}$/), dirPath, (name, suffix, dir) => {
      const longer = `${name}${suffix}`;
      return matchDaemon({ name: comm(longer), argv: [path.posix.join(dir, longer), 'daemon'] }, new Set([name])) === undefined;
    }),
  );
});

// Owner tags as ownerTag() builds them, and environment values without white space (what `ps -E` can show apart).
const part = fc.string({ minLength: 1, maxLength: 8 });
const tagOf = fc.array(part, { minLength: 1, maxLength: 4 }).map((parts) => ownerTag(...parts));
const envName = fc.oneof(
  fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/).filter((n) => n !== OWNER_ENV),
  fc.constantFrom(`X${OWNER_ENV}`, `${OWNER_ENV}_2`, `_${OWNER_ENV}`, OWNER_ENV.toLowerCase()),
);
const envValue = fc.string({ unit: fc.constantFrom(...'abc=/:-_.0123456789', OWNER_ENV, `${OWNER_ENV}=evil`), maxLength: 6 });

describe('reliability: properties of the owner-tag parsers', () => {
  property('a tag is owned by its own prefixes (whole parts) and by nothing that only starts the same', 'wrongKills',
    fc.property(tagOf, fc.string({ minLength: 1, maxLength: 4 }), (tag, extra) => {
      const parts = tag.split('/');
      const prefixesOwn = parts.every((_, i) => isOwnedBy(tag, parts.slice(0, i + 1).join('/')));
      const longer = `${tag}${extra}`;
      // `run-1` never owns `run-10`: only the same tag or one below it, after a "/".
      const notByLookalike = extra.startsWith('/') || !isOwnedBy(longer, tag);
      return prefixesOwn && notByLookalike;
    }),
  );
  property('/proc environ: the tag is found only as a whole variable, never inside another one', 'wrongKills',
    fc.property(fc.array(fc.tuple(envName, envValue), { maxLength: 6 }), fc.option(tagOf, { nil: undefined }), fc.nat(), (others, tag, at) => {
      const entries = others.map(([k, v]) => `${k}=${v}`);
      if (tag !== undefined) entries.splice(at % (entries.length + 1), 0, `${OWNER_ENV}=${tag}`);
      return findEnvInEnviron(`${entries.join('\0')}\0`, OWNER_ENV) === tag;
    }),
  );
  property('`ps -E` text: the tag is found only as a whole variable, never inside another one', 'wrongKills',
    fc.property(segment, fc.array(fc.tuple(envName, envValue), { maxLength: 6 }), fc.option(tagOf, { nil: undefined }), fc.nat(), (command, others, tag, at) => {
      const entries = others.map(([k, v]) => `${k}=${v}`);
      if (tag !== undefined) entries.splice(at % (entries.length + 1), 0, `${OWNER_ENV}=${tag}`);
      return findEnvInCommand(`/opt/bin/${command} daemon ${entries.join(' ')}`, OWNER_ENV) === tag;
    }),
  );
});
