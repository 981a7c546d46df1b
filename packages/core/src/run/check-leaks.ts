import { DEFAULT_ON_LEAK, type OnLeak } from '../config/defaults.js';
import type { ProcessReport, SweepReport } from '../report.js';
import type { SweepOptions } from '../sweep/sweep-options.js';
import { sweep } from '../sweep/sweep.js';
import { leaksOf, leakVerdict, type Verdict } from './verdict.js';

export interface LeakCheck {
  /** The daemons the owner left running (each reported as stopped, or as survived). */
  leaks: ProcessReport[];
  /** The scoped sweep that stopped them. */
  report: SweepReport;
  /** What to say and whether to fail, under `onLeak` (see leakVerdict). */
  verdict: Verdict;
}

/**
 * The per-file (or per-test) leak check: stops whatever daemons `owner` left running, with their
 * children, and judges it under `onLeak`. One scoped sweep: another owner's daemons are never
 * touched or reported.
 */
export async function checkLeaks(options: SweepOptions & { owner: string; onLeak?: OnLeak; label?: string }): Promise<LeakCheck> {
  const { onLeak = DEFAULT_ON_LEAK, label = options.owner, ...sweepOptions } = options;
  const report = await sweep(sweepOptions);
  return { leaks: leaksOf(report), report, verdict: leakVerdict(report, { onLeak, label }) };
}
