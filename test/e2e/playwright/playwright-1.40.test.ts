// The oldest Playwright of the peer range (`>=1.40 <2`, packages/playwright-fixture/package.json),
// installed exactly: a subset of fixture-suite.ts, one npm install and four runs. Leftovers planted
// before the run, mcpDaemon and mcpWorkerDaemon, a leak with warn and with fail, and Ctrl-C; each
// scenario ends with nothing of the project left.
import { fixtureSuite } from './fixture-suite.js';

fixtureSuite({ playwright: '1.40.0', scenarios: ['lifecycle', 'leak-warn', 'leak-fail', 'sigint'] });
