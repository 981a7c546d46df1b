// A stack: named services started in dependency order and torn down in reverse, each ready by a
// check of its own. Declared under the config key `stack`, or passed to `startStack()`. What a user
// writes is here, with the placeholders its strings may hold; stack/ starts it.

/** When a service is ready. Exactly one kind. Strings may hold placeholders (see PLACEHOLDER). */
export type ReadyCheck =
  /** A JSON-RPC request is answered on this Unix socket (any reply with the right id), as `startDaemon()` waits. */
  | { socket: string }
  /** A GET of this http(s) URL is answered with `status` (one or a list; default: any 2xx). `localhost` tries 127.0.0.1 and ::1. */
  | { url: string; status?: number | readonly number[] }
  /** A TCP connection to this port (`"${port}"`: the service's own) on `host` (default localhost: 127.0.0.1 and ::1) is accepted. */
  | { port: number | string; host?: string }
  /**
   * A line of the service's output (stdout or stderr) matches this regular expression. A named group
   * `(?<port>…)` or `(?<url>…)` gives a service with `port: 0` its port (or URL).
   */
  | { line: string }
  /** A one-shot task (a database seed): ready when it exited with this code; another code fails the start. */
  | { exit: number };

/** Where a service listens: a fixed port, one mcp-reaper chooses (`'auto'`), or one the service chooses and mcp-reaper discovers (`0`). */
export type PortOption = number | 'auto';

/** One instance per run, or one per runner worker. */
export type ServiceScope = 'run' | 'worker';

/** One service of a stack. `command` and `ready` are required; the rest have defaults. */
export interface ServiceOptions {
  /** The executable and its arguments, run without a shell. Arguments may use placeholders (see PLACEHOLDER). */
  command: readonly string[];
  /** Variables over the runner's environment; placeholders are replaced. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Its working directory; placeholders are replaced. Default: the runner's (a config file's relative paths are relative to the file). */
  cwd?: string;
  /** Services that must be ready before this one starts. */
  dependsOn?: readonly string[];
  ready: ReadyCheck;
  /**
   * The service's port, `${port}` in its strings. A number: that port (whoever holds it is found
   * before the start). `'auto'`: a free port chosen for this instance, leased so that no other live
   * instance of this user gets it (a stranger who takes it first makes the start try another port, up
   * to 3 times). `0`: the service binds port 0 itself; its port is read from its listening sockets or
   * from a `(?<port>…)`/`(?<url>…)` group of a `line` ready check. Default: the ready check's port, if any.
   */
  port?: PortOption;
  /** `'run'`: one instance for the run. `'worker'`: one per runner worker (Playwright's worker, Vitest's and Jest's worker slot). Default: `'run'`. */
  scope?: ServiceScope;
  /** How long it may take to be ready, in ms. Default: `10000`, as for `startDaemon()`. */
  readyTimeoutMs?: number;
  /** SIGTERM to SIGKILL when it is stopped, in ms. Default: the config's `graceMs`, else `500`. */
  graceMs?: number;
  /** How long SIGKILL may take before it is reported as survived, in ms. Default: the config's `killWaitMs`, else `2000`. */
  killWaitMs?: number;
  /**
   * The executable name that the sweep before a run looks for (a leftover of an earlier run is stopped).
   * Default: the basename of `command[0]`, unless that is an interpreter or a launcher (node, python,
   * sh, npx…): those name every script they run, so such a service is found by its tag and port only.
   */
  name?: string;
  /** File its stdout and stderr are appended to, kept. Default: `<instance dir>/logs/<service>.log`, removed with the instance's dir. */
  logFile?: string;
}

/** The value of the config key `stack`: services by name. */
export type StackConfig = Readonly<Record<string, ServiceOptions>>;

export const SERVICE_KEYS = ['command', 'env', 'cwd', 'dependsOn', 'ready', 'port', 'scope', 'readyTimeoutMs', 'graceMs', 'killWaitMs', 'name', 'logFile'] as const;
export const READY_KINDS = ['socket', 'url', 'port', 'line', 'exit'] as const;
export const SCOPES: readonly ServiceScope[] = ['run', 'worker'];

/** What other services (and the tests) know of a service once it is ready. */
export interface ServiceFacts {
  port?: number;
  socket?: string;
  url?: string;
}

/**
 * The placeholders of a service's strings (`command`, `env`, `cwd`, `logFile`, `ready`):
 * - `${port}`: its own port (it needs `port`);
 * - `${dir}`: its stack instance's private directory (mode 700, removed after a clean stop);
 * - `${stack.NAME.port}`, `.socket`, `.url`: a dependency's, once it is ready.
 */
export const PLACEHOLDER = /\$\{(?:(port|dir)|stack\.([A-Za-z][\w-]*)\.(port|socket|url))\}/g;

/** The `${stack.NAME.FACT}` placeholders of `text`, as [whole, name, fact]. */
export function stackPlaceholders(text: string): Array<[string, string, keyof ServiceFacts]> {
  return [...text.matchAll(PLACEHOLDER)].flatMap((m) => (m[2] === undefined ? [] : [[m[0], m[2], m[3] as keyof ServiceFacts]]));
}

/** Whether `text` holds `${port}` (or `${dir}`). */
export function usesOwn(text: string, what: 'port' | 'dir'): boolean {
  return [...text.matchAll(PLACEHOLDER)].some((m) => m[1] === what);
}

/** Every string of a service that may hold placeholders, with where it is (for messages). */
export function placeholderTexts(service: ServiceOptions): Array<{ where: string; text: string; beforeStart: boolean }> {
  const texts: Array<{ where: string; text: string; beforeStart: boolean }> = [];
  service.command.forEach((text, i) => texts.push({ where: `command[${i}]`, text, beforeStart: true }));
  for (const [name, text] of Object.entries(service.env ?? {})) if (typeof text === 'string') texts.push({ where: `env.${name}`, text, beforeStart: true });
  if (typeof service.cwd === 'string') texts.push({ where: 'cwd', text: service.cwd, beforeStart: true });
  if (typeof service.logFile === 'string') texts.push({ where: 'logFile', text: service.logFile, beforeStart: true });
  for (const [kind, text] of Object.entries(service.ready)) if (typeof text === 'string') texts.push({ where: `ready.${kind}`, text, beforeStart: false });
  return texts;
}

/** What replaces the placeholders of one service's strings. */
export interface PlaceholderValues {
  port?: number;
  dir?: string;
  facts: Readonly<Record<string, ServiceFacts>>;
}

/** `text` with every placeholder replaced; one that has no value yet stays as written. */
export function substitute(text: string, values: PlaceholderValues): string {
  return text.replace(PLACEHOLDER, (whole, own: string | undefined, name: string | undefined, fact: keyof ServiceFacts | undefined) => {
    if (own === 'port') return values.port === undefined ? whole : String(values.port);
    if (own === 'dir') return values.dir ?? whole;
    const value = values.facts[name!]?.[fact!];
    return value === undefined ? whole : String(value);
  });
}

/** A ready check with its placeholders replaced, and `port: "${port}"` made a number. */
export function substituteReady(ready: ReadyCheck, values: PlaceholderValues): ReadyCheck {
  if ('socket' in ready) return { socket: substitute(ready.socket, values) };
  if ('url' in ready) return { ...ready, url: substitute(ready.url, values) };
  if ('line' in ready) return { line: substitute(ready.line, values) };
  if ('port' in ready) return { ...ready, port: typeof ready.port === 'number' ? ready.port : Number(substitute(ready.port, values)) };
  return ready;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

/** The facts a ready check states once its placeholders are replaced: the socket, the URL and its port, the port. */
export function factsOf(ready: ReadyCheck): ServiceFacts {
  if ('socket' in ready) return { socket: ready.socket };
  if ('port' in ready) return typeof ready.port === 'number' ? { port: ready.port } : {};
  if ('url' in ready) {
    const url = new URL(ready.url);
    return { url: url.href, port: url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port) };
  }
  return {};
}

/** A line check's regular expression gives the port or URL (a named group `port` or `url`). */
export function lineGives(ready: ReadyCheck): Array<'port' | 'url'> {
  if (!('line' in ready)) return [];
  const groups: Array<'port' | 'url'> = [];
  if (/\(\?<port>/.test(ready.line)) groups.push('port');
  if (/\(\?<url>/.test(ready.line)) groups.push('url');
  return groups;
}

/**
 * Which facts a service will have once ready, known before anything starts: what the rules check a
 * `${stack.NAME.FACT}` against, and what `baseURLFrom` needs.
 */
export function declaredFacts(service: ServiceOptions): Set<keyof ServiceFacts> {
  const facts = new Set<keyof ServiceFacts>();
  const { ready } = service;
  if ('socket' in ready) facts.add('socket');
  if ('url' in ready) facts.add('url').add('port');
  if ('port' in ready) facts.add('port');
  for (const group of lineGives(ready)) facts.add(group).add('port');
  if (service.port !== undefined) facts.add('port');
  return facts;
}

/** The services `name` depends on, directly or through others. */
export function dependencyClosure(stack: StackConfig, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const dep of stack[n]?.dependsOn ?? []) {
      if (seen.has(dep)) continue;
      seen.add(dep);
      visit(dep);
    }
  };
  visit(name);
  return seen;
}

/** A dependency cycle, as the names along it (`a → b → a`), or undefined. */
export function findCycle(stack: StackConfig): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...path.slice(path.indexOf(name)), name];
    state.set(name, 'visiting');
    path.push(name);
    for (const dep of stack[name]?.dependsOn ?? []) {
      if (!(dep in stack)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of Object.keys(stack)) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The services of `scope` (a service without one is run-scoped). */
export function servicesOf(stack: StackConfig, scope: ServiceScope): StackConfig {
  return Object.fromEntries(Object.entries(stack).filter(([, service]) => (service.scope ?? 'run') === scope));
}
