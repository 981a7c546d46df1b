// @mcp-reaper/vitest-setup under the real Vitest 3 (see runner-suite.ts for what is proven).
import { runnerSuite } from './runner-suite.js';

runnerSuite('vitest 3', { vitest: '^3' });
