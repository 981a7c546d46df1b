// @mcp-reaper/vitest-setup under the real Vitest 4, installed from the packed tarballs into a project
// outside the workspace (see runner-suite.ts for what is proven).
import { runnerSuite } from './runner-suite.js';

runnerSuite('vitest 4', { vitest: '^4' });
