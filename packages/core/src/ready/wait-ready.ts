import { setTimeout as delay } from 'node:timers/promises';

/** One look at whether a started process is ready: yes, or what is still missing (for the timeout's message). */
export type ProbeResult = { ok: true } | { ok: false; problem: string };

/** Looks once; `timeLeftMs` bounds any wait of its own (a connect, a request). */
export type Probe = (timeLeftMs: number) => Promise<ProbeResult>;

export type ReadyOutcome<Exit> = { kind: 'ready' } | { kind: 'exit'; exit: Exit } | { kind: 'timeout'; lastProblem: string };

export interface WaitReadyOptions<Exit> {
  /** `performance.now()` after which it gives up. */
  deadline: number;
  /** Settles when the process exits: that ends the wait at once. */
  exited: Promise<Exit>;
  /** How it exited, if it has (checked before every look, so no probe runs after the exit). */
  exitNow: () => Exit | undefined;
  /** What is missing before the first look, for a timeout that comes first. */
  firstProblem: string;
  /** The longest pause between looks. Default: 4 ms (readiness is noticed within that of happening). */
  maxPollMs?: number;
}

/**
 * Looks (1 ms, doubling to `maxPollMs`) until the probe says ready, the process exits, or the
 * deadline passes. Short polls rather than events: what makes a service ready (a socket, a port, an
 * HTTP answer, a line in a file) has no event in common, and a look costs microseconds.
 */
export async function waitReady<Exit>(probe: Probe, options: WaitReadyOptions<Exit>): Promise<ReadyOutcome<Exit>> {
  const { deadline, exited, exitNow, maxPollMs = 4 } = options;
  let lastProblem = options.firstProblem;
  const onExit = exited.then((exit) => ({ kind: 'exit', exit }) as const);
  for (let interval = 1; ; interval = Math.min(interval * 2, maxPollMs)) {
    const exit = exitNow();
    if (exit !== undefined) return { kind: 'exit', exit };
    const left = deadline - performance.now();
    if (left <= 0) return { kind: 'timeout', lastProblem };
    const result = await Promise.race([probe(left), onExit]);
    if ('kind' in result) return result;
    if (result.ok) return { kind: 'ready' };
    lastProblem = result.problem;
    const ac = new AbortController();
    await Promise.race([delay(Math.min(interval, Math.max(0, deadline - performance.now())), undefined, { signal: ac.signal }).catch(() => {}), onExit]);
    ac.abort(); // no timer outlives the wait
  }
}
