// Playwright's UI mode runs the global setup again for each run of one long-lived runner: the adapter
// keeps the first run (and its stack) for the session. UI mode needs a browser to drive it, so only
// its detection is tested here, on the command lines Playwright is started with.
import { describe, expect, it } from 'vitest';
import { inUiMode } from '../../packages/playwright-fixture/src/run-store.js';

describe('UI mode', () => {
  it.each([
    [['node', 'playwright', 'test', '--ui'], true],
    [['node', 'playwright', 'test', '--ui-port=8080'], true],
    [['node', 'playwright', 'test', '--ui-host', '0.0.0.0'], true],
    [['node', 'playwright', 'test'], false],
    [['node', 'playwright', 'test', 'tests/ui.spec.ts', '--workers=2'], false],
  ])('%j: %s', (argv, expected) => {
    expect(inUiMode(argv)).toBe(expected);
  });
});
