// The rules of the config key `stack`: each service's shape, then what only the whole stack can
// tell (a dependency on no service, a cycle, a `${stack.NAME.port}` of a service it does not depend
// on, a `${port}` of a service with no port, a run-scoped service that waits for a worker's).
import {
  declaredFacts,
  dependencyClosure,
  findCycle,
  placeholderTexts,
  READY_KINDS,
  SCOPES,
  SERVICE_KEYS,
  stackPlaceholders,
  substitute,
  usesOwn,
  type ServiceOptions,
  type StackConfig,
} from './stack-options.js';
import { describe, environment, isRecord, path, problemsUnder, segment, wait, type Rule } from './rule-kit.js';

const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const OWN_PORT = '${port}';
/** Stand-ins for the placeholders, to check that a URL with them is a URL. */
const SAMPLE_VALUES = { port: 1, dir: '/dir', facts: new Proxy({}, { get: () => ({ port: 1, socket: '/socket', url: 'http://localhost:1/' }) }) };

const port: Rule = (value, key) =>
  value === 'auto' || (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535)
    ? undefined
    : `"${key}" must be a TCP port (1 to 65535), "auto" (mcp-reaper chooses a free one) or 0 (the service binds port 0 and mcp-reaper reads which it got), got ${describe(value)}`;

const scope: Rule = (value, key) =>
  SCOPES.includes(value as never) ? undefined : `"${key}" must be ${SCOPES.map((s) => `"${s}"`).join(' or ')} (one instance for the run, or one per runner worker), got ${describe(value)}`;

const command: Rule = (value, key) =>
  Array.isArray(value) && value.length > 0 && value.every((arg) => typeof arg === 'string' && !arg.includes('\0')) && value[0] !== ''
    ? undefined
    : `"${key}" must be the executable and its arguments, a non-empty array of strings (no shell), e.g. ["rest-server-pm", "--port", "8087"], got ${describe(value)}`;

const dependsOn: Rule = (value, key) =>
  Array.isArray(value) && value.every((name) => typeof name === 'string') ? undefined : `"${key}" must be an array of service names, got ${describe(value)}`;

function status(value: unknown): boolean {
  const codes = Array.isArray(value) ? value : [value];
  return codes.length > 0 && codes.every((code) => Number.isInteger(code) && (code as number) >= 100 && (code as number) <= 599);
}

const ready: Rule = (value, key) => {
  const kinds = isRecord(value) ? READY_KINDS.filter((kind) => value[kind] !== undefined) : [];
  if (!isRecord(value) || kinds.length !== 1) {
    return `"${key}" must hold exactly one of ${READY_KINDS.map((k) => `"${k}"`).join(', ')}, e.g. {"url": "http://localhost:8087/health"}, got ${describe(value)}`;
  }
  const kind = kinds[0]!;
  const allowed: readonly string[] = kind === 'url' ? ['url', 'status'] : kind === 'port' ? ['port', 'host'] : [kind];
  const problems = Object.keys(value)
    .filter((k) => value[k] !== undefined && !allowed.includes(k))
    .map((k) => `"${key}.${k}" does not go with "${kind}"; a ${kind} check takes ${allowed.map((a) => `"${a}"`).join(', ')}`);
  const v = value[kind];
  switch (kind) {
    case 'socket': {
      const problem = path(v, `${key}.socket`);
      if (problem) problems.push(problem as string);
      break;
    }
    case 'url': {
      let url: URL | undefined;
      try {
        url = typeof v === 'string' ? new URL(substitute(v, SAMPLE_VALUES)) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) problems.push(`"${key}.url" must be an http or https URL, got ${describe(v)}`);
      if (value.status !== undefined && !status(value.status)) problems.push(`"${key}.status" must be an HTTP status (100 to 599) or a list of them, got ${describe(value.status)}`);
      break;
    }
    case 'port':
      if (v !== OWN_PORT && (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535)) {
        problems.push(`"${key}.port" must be a TCP port (1 to 65535), or "\${port}" for the service's own, got ${describe(v)}`);
      }
      if (value.host !== undefined && (typeof value.host !== 'string' || value.host === '')) problems.push(`"${key}.host" must be a host name or address, got ${describe(value.host)}`);
      break;
    case 'line':
      try {
        if (typeof v !== 'string' || v === '') throw new Error('empty');
        new RegExp(v);
      } catch (error) {
        problems.push(`"${key}.line" must be a regular expression, got ${describe(v)}${typeof v === 'string' && v !== '' ? ` (${(error as Error).message})` : ''}`);
      }
      break;
    case 'exit':
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 255) problems.push(`"${key}.exit" must be an exit code (0 to 255), got ${describe(v)}`);
      break;
  }
  return problems;
};

const SERVICE_RULES: Readonly<Record<(typeof SERVICE_KEYS)[number], Rule>> = {
  command,
  env: environment,
  cwd: path,
  dependsOn,
  ready,
  port,
  scope,
  readyTimeoutMs: wait(1),
  graceMs: wait(0),
  killWaitMs: wait(0),
  name: segment,
  logFile: path,
};

/** The port a service is fixed to before it starts: its `port`, else its ready check's. */
function fixedPort(service: ServiceOptions): number | undefined {
  if (typeof service.port === 'number') return service.port === 0 ? undefined : service.port;
  if (service.port === 'auto') return undefined;
  const { ready } = service;
  if ('port' in ready && typeof ready.port === 'number') return ready.port;
  if ('url' in ready && !usesOwn(ready.url, 'port') && stackPlaceholders(ready.url).length === 0) {
    const url = new URL(ready.url);
    return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  }
  return undefined;
}

/** What the whole stack tells: dependencies, cycles, placeholders, ports and scopes that do not fit together. */
function stackProblems(stack: StackConfig, key: string): string[] {
  const problems: string[] = [];
  const names = Object.keys(stack);
  for (const [name, service] of Object.entries(stack)) {
    const where = `${key}.${name}`;
    for (const dep of service.dependsOn ?? []) {
      if (dep === name) problems.push(`"${where}.dependsOn" names the service itself`);
      else if (!(dep in stack)) problems.push(`"${where}.dependsOn" names "${dep}", which is not a service of the stack (${names.join(', ')})`);
      else if ((service.scope ?? 'run') === 'run' && stack[dep]!.scope === 'worker') {
        problems.push(`"${where}" is run-scoped but depends on "${dep}", which is worker-scoped: one run-wide "${name}" cannot wait for every worker's "${dep}"; make "${name}" worker-scoped too, or "${dep}" run-scoped`);
      }
    }
    const closure = dependencyClosure(stack, name);
    for (const { where: at, text, beforeStart } of placeholderTexts(service)) {
      for (const [placeholder, other, fact] of stackPlaceholders(text)) {
        if (!(other in stack)) problems.push(`"${where}.${at}" uses ${placeholder}, but the stack has no service "${other}"`);
        else if (!closure.has(other)) problems.push(`"${where}.${at}" uses ${placeholder}: add "${other}" to its dependsOn, so that it is ready first`);
        else if (!declaredFacts(stack[other]!).has(fact)) {
          problems.push(`"${where}.${at}" uses ${placeholder}, but "${other}" declares no ${fact} (neither its "port" nor its ready check gives one)`);
        }
      }
      if (usesOwn(text, 'port')) {
        if (service.port === undefined) problems.push(`"${where}.${at}" uses \${port}, but "${name}" has no "port": add "port": "auto" (mcp-reaper chooses one), a number, or 0 (the service chooses)`);
        else if (service.port === 0 && beforeStart) {
          problems.push(`"${where}.${at}" uses \${port}, but "${name}" has "port": 0: its port is known only once it listens, so \${port} may be used in "ready" alone; use "port": "auto" to pass a port in`);
        }
      }
    }
    const fixed = service.scope === 'worker' ? fixedPort(service) : undefined;
    if (fixed !== undefined) {
      problems.push(`"${where}" is worker-scoped but listens on the fixed port ${fixed}: each worker starts its own "${name}", and two cannot listen on one port; give it "port": "auto" (or 0) and use \${port}`);
    }
  }
  const cycle = findCycle(stack);
  if (cycle) problems.push(`"${key}" has a dependency cycle: ${cycle.join(' → ')}; a service cannot wait for itself`);
  return problems;
}

/** The rule of the config key `stack`. */
export const stackRule: Rule = (value, key) => {
  if (!isRecord(value) || Object.keys(value).length === 0) {
    return `"${key}" must be an object of services by name, e.g. {"rest": {"command": ["rest-server-pm"], "ready": {"port": 8087}}}, got ${describe(value)}`;
  }
  const problems: string[] = [];
  for (const [name, service] of Object.entries(value)) {
    const where = `${key}.${name}`;
    if (!SERVICE_NAME.test(name)) problems.push(`"${where}": a service name is a letter, then letters, digits, "-" or "_"`);
    if (!isRecord(service)) {
      problems.push(`"${where}" must be an object with "command" and "ready", got ${describe(service)}`);
      continue;
    }
    problems.push(...problemsUnder(service, SERVICE_RULES, SERVICE_KEYS, `${where}.`));
    for (const required of ['command', 'ready'] as const) {
      if (service[required] === undefined) problems.push(`"${where}.${required}" is required`);
    }
  }
  // The whole stack's checks need every service well formed.
  return problems.length > 0 ? problems : stackProblems(value as unknown as StackConfig, key);
};
