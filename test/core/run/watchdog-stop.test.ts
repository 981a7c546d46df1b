// Regression: stopping the watchdog must keep Node alive until it has exited. It is unref'd so
// that it never holds a runner open, and a teardown that awaited it let Node exit 0 mid-way.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { describeNeeds, needs } from '../../helpers/needs.js';

const DIST = new URL('../../../packages/core/dist/index.js', import.meta.url).href;

describeNeeds([needs.proc], 'watchdog.stop()', () => {
  it('keeps the process alive until the watchdog is gone, so the teardown finishes', () => {
    // A "teardown" whose only pending work is stopping the watchdog; it must reach the last line.
    const script = `
      const { startWatchdog } = await import(${JSON.stringify(DIST)});
      const watchdog = await startWatchdog({ owner: 'run-stop-test', names: ['mcpt-nothing'], dir: '/nonexistent-mcp-reaper' });
      await watchdog.stop();
      process.exitCode = 7;
      console.log('teardown finished');
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.stdout).toContain('teardown finished');
    expect(result.status).toBe(7);
  });
});
