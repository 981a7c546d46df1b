// Global setup of the reliability suite: makes the ledger directory the cases tally into, and at the
// very end prints the one totals line a user reads (only when some reliability case ran).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { LEDGER_KEY, readLedger, totalsLine } from './harness/ledger.js';

export default function setup(project: TestProject): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-reaper-ledger-'));
  project.provide(LEDGER_KEY as never, dir as never);
  return () => {
    try {
      const tallies = readLedger(dir);
      if (tallies.length > 0) {
        for (const t of tallies.filter((t) => t.wrongKills + t.wrongDeletions + t.survivors > 0)) {
          console.log(`reliability: FAILED ${t.family} › ${t.title}: ${t.wrongKills} wrong kills, ${t.wrongDeletions} wrong deletions, ${t.survivors} survivors`);
        }
        console.log(totalsLine(tallies));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}
