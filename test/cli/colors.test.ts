// When the CLI colours: only a terminal, NO_COLOR off (and it wins), FORCE_COLOR on (0/false off).
import { describe, expect, it } from 'vitest';
import { wantsColor } from '../../packages/core/src/cli/colors.js';

const tty = { write: () => true, isTTY: true };
const pipe = { write: () => true };

describe('wantsColor', () => {
  it.each([
    ['a terminal', tty, {}, true],
    ['a pipe or a file', pipe, {}, false],
    ['a terminal under NO_COLOR', tty, { NO_COLOR: '1' }, false],
    ['a terminal with an empty NO_COLOR (unset, as no-color.org says)', tty, { NO_COLOR: '' }, true],
    ['a pipe under FORCE_COLOR', pipe, { FORCE_COLOR: '1' }, true],
    ['a pipe under an empty FORCE_COLOR', pipe, { FORCE_COLOR: '' }, true],
    ['a terminal under FORCE_COLOR=0', tty, { FORCE_COLOR: '0' }, false],
    ['a terminal under FORCE_COLOR=false', tty, { FORCE_COLOR: 'false' }, false],
    ['NO_COLOR and FORCE_COLOR both: the opt-out wins', pipe, { NO_COLOR: '1', FORCE_COLOR: '1' }, false],
    ['a dumb terminal', tty, { TERM: 'dumb' }, false],
    ['a pipe in CI (CI does not force colour)', pipe, { CI: 'true' }, false],
  ] as const)('%s', (_what, stream, env, expected) => {
    expect(wantsColor(stream, env)).toBe(expected);
  });
});
