// Every scenario of fixture-suite.ts against the current Playwright: the global sweep, mcpDaemon, the
// three onLeak modes, bad options, a SIGKILLed run and Ctrl-C, once and twice.
import { fixtureSuite } from './fixture-suite.js';
import { CURRENT_PLAYWRIGHT } from './support.js';

fixtureSuite({ playwright: CURRENT_PLAYWRIGHT });
