import { describe, expect, it } from 'vitest';
import { findEnvInCommand, isOwnedBy } from '../../../packages/core/src/processes/owner-tag.js';

describe('isOwnedBy', () => {
  it.each([
    ['run-1', 'run-1', true],
    ['run-1/w2', 'run-1', true],
    ['run-1/w2/t3', 'run-1/w2', true],
    ['run-10/w2', 'run-1', false],
    ['run-1', 'run-1/w2', false],
    [undefined, 'run-1', false],
  ])('%s under %s: %s', (tag, owner, expected) => {
    expect(isOwnedBy(tag, owner)).toBe(expected);
  });
});

describe('findEnvInCommand', () => {
  it('takes the whole value and never a name that only ends the same', () => {
    const text = 'mcp-server-pm daemon X_MCP_REAPER_OWNER=evil MCP_REAPER_OWNER=run-1/w2 PATH=/bin';
    expect(findEnvInCommand(text, 'MCP_REAPER_OWNER')).toBe('run-1/w2');
    expect(findEnvInCommand('mcp-server-pm daemon PATH=/bin', 'MCP_REAPER_OWNER')).toBeUndefined();
  });
});
