import { debuglog } from 'node:util';
import { defaultProcessSource } from '../processes/process-source.js';
import { sweepReport, type SweepReport } from '../report.js';
import { cleanFiles } from './clean-files.js';
import { stopLeftovers } from './stop-leftovers.js';
import { survey } from './survey.js';
import { resolveSweepOptions, type SweepOptions } from './sweep-options.js';

const debug = debuglog('mcp-reaper');

/**
 * Finds the leftover daemons, stops them (SIGTERM, grace, SIGKILL, verified) with their descendants,
 * and removes their stale socket and pid files. Never touches pid 1, itself, its ancestors, its own
 * process group, another user's processes and files, or (without a scope) the daemons of another
 * live run. Resolves to a report of everything it did or, with `dryRun`, would do.
 */
export async function sweep(options: SweepOptions = {}): Promise<SweepReport> {
  const startedAt = performance.now();
  const opts = resolveSweepOptions(options);
  const source = opts.source ?? defaultProcessSource();
  const { source: _source, ...shown } = opts;
  debug('sweep %j', shown);

  // Three phases: read everything while the daemons still run, stop them, then clean up their files.
  const found = await survey(opts, source);
  const processes = await stopLeftovers(found, opts, source);
  const files = await cleanFiles(found, processes, opts);

  const durationMs = Math.round((performance.now() - startedAt) * 10) / 10;
  debug('swept %s in %d ms', opts.owner ?? '(no scope)', durationMs);
  return sweepReport({ dryRun: opts.dryRun, durationMs, processes, files });
}
