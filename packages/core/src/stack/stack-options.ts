// A stack: named services started in dependency order and torn down in reverse, each ready by a
// check of its own. Declared under the config key `stack`, or passed to `startStack()`.

/** When a service is ready. Exactly one kind. */
export type ReadyCheck =
  /** A JSON-RPC request is answered on this Unix socket (any reply with the right id), as `startDaemon()` waits. */
  | { socket: string }
  /** A GET of this http(s) URL is answered with `status` (one or a list; default: any 2xx). `localhost` tries 127.0.0.1 and ::1. */
  | { url: string; status?: number | readonly number[] }
  /** A TCP connection to this port (on `host`, default localhost: 127.0.0.1 and ::1) is accepted. */
  | { port: number; host?: string }
  /** A line of the service's output (stdout or stderr) matches this regular expression. */
  | { line: string }
  /** A one-shot task (a database seed): ready when it exited with this code; another code fails the start. */
  | { exit: number };

/** One service of a stack. `command` and `ready` are required; the rest have defaults. */
export interface ServiceOptions {
  /** The executable and its arguments, run without a shell. Arguments may use `${stack.NAME.port}`, `.socket`, `.url`. */
  command: readonly string[];
  /** Variables over the runner's environment; `${stack.NAME.port}`, `.socket`, `.url` of a dependency are replaced. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Its working directory. Default: the runner's (a config file's relative paths are relative to the file). */
  cwd?: string;
  /** Services that must be ready before this one starts. */
  dependsOn?: readonly string[];
  ready: ReadyCheck;
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
  /** File its stdout and stderr are appended to, kept. Default: a temporary file, removed when it stops. */
  logFile?: string;
}

/** The value of the config key `stack`: services by name. */
export type StackConfig = Readonly<Record<string, ServiceOptions>>;

export const SERVICE_KEYS = ['command', 'env', 'cwd', 'dependsOn', 'ready', 'readyTimeoutMs', 'graceMs', 'killWaitMs', 'name', 'logFile'] as const;
export const READY_KINDS = ['socket', 'url', 'port', 'line', 'exit'] as const;

/** What other services (and the tests) may know of a service before it starts: from its ready check. */
export interface ServiceFacts {
  port?: number;
  socket?: string;
  url?: string;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

export function factsOf(ready: ReadyCheck): ServiceFacts {
  if ('socket' in ready) return { socket: ready.socket };
  if ('port' in ready) return { port: ready.port };
  if ('url' in ready) {
    const url = new URL(ready.url);
    return { url: url.href, port: url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port) };
  }
  return {};
}

/** `${stack.NAME.FACT}` in a command argument or a variable. */
export const PLACEHOLDER = /\$\{stack\.([A-Za-z][\w-]*)\.(port|socket|url)\}/g;

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
