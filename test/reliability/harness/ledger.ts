// The suite's ledger: every case's tally is one small JSON file in a directory that the global setup
// (../global-setup.ts) makes and reads back at the end. Test files run in separate workers, so a file
// per case is the simplest thing that adds up across them without locking.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

/** The provided key naming the ledger directory (see global-setup.ts). */
export const LEDGER_KEY = 'reliabilityLedger';

export interface Tally {
  family: string;
  title: string;
  wrongKills: number;
  wrongDeletions: number;
  survivors: number;
  /** For property-based cases: how many inputs were generated. */
  generated?: number;
}

/** Adds one case to the ledger (nothing when the suite runs without the global setup). */
export function record(tally: Tally): void {
  // Not declared on ProvidedContext: augmenting it here would change the type for the whole program.
  const dir = inject(LEDGER_KEY as never) as string | undefined;
  if (!dir) return;
  fs.writeFileSync(path.join(dir, `${process.pid}-${randomBytes(4).toString('hex')}.json`), JSON.stringify(tally));
}

/** Reads every tally in `dir`. */
export function readLedger(dir: string): Tally[] {
  return fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Tally);
}

/** The totals line, e.g. `reliability: 87 cases, 0 wrong kills, 0 wrong deletions, 0 survivors`. */
export function totalsLine(tallies: readonly Tally[]): string {
  const sum = (key: 'wrongKills' | 'wrongDeletions' | 'survivors') => tallies.reduce((n, t) => n + t[key], 0);
  const generated = tallies.reduce((n, t) => n + (t.generated ?? 0), 0);
  const inputs = generated > 0 ? ` (${generated} generated inputs)` : '';
  return `reliability: ${tallies.length} cases${inputs}, ${sum('wrongKills')} wrong kills, ${sum('wrongDeletions')} wrong deletions, ${sum('survivors')} survivors`;
}
