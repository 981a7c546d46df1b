import { describe, expect, it } from 'vitest';
import { matchDaemon } from '../../../packages/core/src/processes/match.js';

const names = new Set(['mcp-server-pm']);
const proc = (name: string, ...argv: string[]) => ({ name, argv });

describe('matchDaemon', () => {
  it('matches the binary by argv[0] and reads the invocation', () => {
    const match = matchDaemon(proc('mcp-server-pm', '/opt/pm/bin/mcp-server-pm', 'daemon', '--socket-path', '/tmp/x.sock'), names);
    expect(match).toEqual({ name: 'mcp-server-pm', via: 'argv[0]', subcommand: 'daemon', socketPath: '/tmp/x.sock' });
  });

  it('matches a script run by an interpreter through argv[1]', () => {
    const match = matchDaemon(proc('node', '/usr/bin/node', '/home/dev/bin/mcp-server-pm', 'serve'), names);
    expect(match).toMatchObject({ via: 'argv[1]', subcommand: 'serve', socketPath: undefined });
    expect(matchDaemon(proc('python3.12', 'python3.12', 'mcp-server-pm', 'daemon'), names)).toMatchObject({ via: 'argv[1]' });
  });

  it('reads --socket-path=PATH too', () => {
    expect(matchDaemon(proc('mcp-server-pm', 'mcp-server-pm', 'daemon', '--socket-path=/tmp/a b.sock'), names)?.socketPath).toBe(
      '/tmp/a b.sock',
    );
  });

  it('matches by the kernel name when argv[0] was rewritten', () => {
    expect(matchDaemon(proc('mcp-server-pm', 'pm: worker', 'daemon'), names)).toMatchObject({ via: 'kernel name', subcommand: 'daemon' });
  });

  it.each([
    ['tail -f on the log', proc('tail', 'tail', '-f', '/var/log/mcp-server-pm.log')],
    ['grep for the name', proc('grep', 'grep', 'mcp-server-pm')],
    ['a shell running a command line that mentions it', proc('bash', 'bash', '-c', 'mcp-server-pm daemon; sleep 1')],
    ['a longer name', proc('mcp-server-pm-h', '/opt/bin/mcp-server-pm-helper', 'daemon')],
    ['a longer name behind an interpreter', proc('node', 'node', '/opt/bin/mcp-server-pm-helper')],
    ['the name only as an interpreter flag value', proc('node', 'node', '--title', 'mcp-server-pm')],
    ['a non-interpreter whose argv[1] is the name', proc('less', 'less', 'mcp-server-pm')],
    ['a kernel thread', proc('kworker/0:1', )],
  ])('never matches %s', (_label, info) => {
    expect(matchDaemon(info, names)).toBeUndefined();
  });

  it('does not trust a kernel name that may be cut at 15 characters', () => {
    // `mcp-server-pm-helper` shows as `mcp-server-pm-h`; a 15-character configured name must not match it.
    const long = new Set(['mcp-server-pm-h']);
    expect(matchDaemon(proc('mcp-server-pm-h', '/opt/bin/mcp-server-pm-helper', 'daemon'), long)).toBeUndefined();
    expect(matchDaemon(proc('mcp-server-pm-h', '/opt/bin/mcp-server-pm-h', 'daemon'), long)).toMatchObject({ via: 'argv[0]' });
  });
});
