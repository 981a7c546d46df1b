import { ReaperError } from '../errors.js';
import type { ProcessReport } from '../report.js';
import type { SweepOptions } from '../sweep/sweep-options.js';
import { sweep } from '../sweep/sweep.js';

/**
 * The daemons of one owner (or below one process) that are still running, without stopping them:
 * what a test or worker left behind. A scoped dry run of `sweep()`; stop them with the same options.
 */
export async function findLeaks(options: SweepOptions): Promise<ProcessReport[]> {
  if (options.owner === undefined && options.descendantsOf === undefined) {
    throw new ReaperError(
      'EINVALIDOPTION',
      'findLeaks() needs "owner" or "descendantsOf": without a scope every daemon on the machine would count as a leak.',
    );
  }
  const report = await sweep({ ...options, dryRun: true });
  return report.processes.filter((p) => p.action === 'would-kill');
}
