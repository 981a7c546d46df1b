import type { OutputStream } from './command.js';
import { createColors, type Colors } from './format-report.js';

/**
 * Whether to colour what goes to `stream`: only a terminal gets colour (not a pipe, a file or a CI
 * log), unless FORCE_COLOR says so. NO_COLOR (set and not empty, as no-color.org defines it) turns
 * colour off and wins over FORCE_COLOR: the user's opt-out is honoured everywhere. FORCE_COLOR=0
 * or =false turns it off too, as Node and supports-color read it. TERM=dumb is a terminal without
 * escape codes. The rule reads the environment the CLI was given, not `process.env`.
 */
export function wantsColor(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function colorsFor(stream: OutputStream, env: NodeJS.ProcessEnv): Colors {
  return createColors(wantsColor(stream, env));
}
