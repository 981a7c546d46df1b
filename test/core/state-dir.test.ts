import os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { APP_DIR_NAME, daemonStateDir, defaultStateDir } from '../../packages/core/src/state-dir.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('defaultStateDir', () => {
  it('is ~/Library/Application Support/AIAgentPM on macOS, space included', () => {
    expect(defaultStateDir({ platform: 'darwin', env: {}, homedir: '/Users/dev' })).toBe(
      '/Users/dev/Library/Application Support/AIAgentPM',
    );
    expect(APP_DIR_NAME).toBe('AIAgentPM');
  });

  it('ignores XDG_DATA_HOME on macOS', () => {
    expect(defaultStateDir({ platform: 'darwin', env: { XDG_DATA_HOME: '/xdg' }, homedir: '/Users/dev' })).toBe(
      '/Users/dev/Library/Application Support/AIAgentPM',
    );
  });

  it('uses an absolute XDG_DATA_HOME on Linux', () => {
    expect(defaultStateDir({ platform: 'linux', env: { XDG_DATA_HOME: '/data/xdg' }, homedir: '/home/dev' })).toBe(
      '/data/xdg/AIAgentPM',
    );
  });

  it('ignores a relative XDG_DATA_HOME on Linux (invalid per the XDG spec)', () => {
    expect(defaultStateDir({ platform: 'linux', env: { XDG_DATA_HOME: 'rel/xdg' }, homedir: '/home/dev' })).toBe(
      '/home/dev/.local/share/AIAgentPM',
    );
  });

  it('ignores an empty XDG_DATA_HOME on Linux', () => {
    expect(defaultStateDir({ platform: 'linux', env: { XDG_DATA_HOME: '' }, homedir: '/home/dev' })).toBe(
      '/home/dev/.local/share/AIAgentPM',
    );
  });

  it('falls back to ~/.local/share/AIAgentPM on Linux without XDG_DATA_HOME', () => {
    expect(defaultStateDir({ platform: 'linux', env: {}, homedir: '/home/dev' })).toBe('/home/dev/.local/share/AIAgentPM');
  });

  it('reads nothing from the real environment when platform, env and homedir are injected', () => {
    const homedir = vi.spyOn(os, 'homedir').mockReturnValue('/real/home');
    vi.stubEnv('XDG_DATA_HOME', '/real/xdg');
    // The opposite platform of the host for at least one of the two calls.
    expect(defaultStateDir({ platform: 'linux', env: {}, homedir: '/home/dev' })).toBe('/home/dev/.local/share/AIAgentPM');
    expect(defaultStateDir({ platform: 'darwin', env: {}, homedir: '/Users/dev' })).toBe(
      '/Users/dev/Library/Application Support/AIAgentPM',
    );
    expect(homedir).not.toHaveBeenCalled();
  });

  it('falls back to process.env and os.homedir() when they are not injected', () => {
    const homedir = vi.spyOn(os, 'homedir').mockReturnValue('/spied/home');
    vi.stubEnv('XDG_DATA_HOME', '/stubbed/xdg');
    expect(defaultStateDir({ platform: 'linux' })).toBe('/stubbed/xdg/AIAgentPM');
    vi.stubEnv('XDG_DATA_HOME', '');
    expect(defaultStateDir({ platform: 'linux' })).toBe('/spied/home/.local/share/AIAgentPM');
    expect(homedir).toHaveBeenCalled();
  });
});

describe('daemonStateDir', () => {
  it("follows the daemon's env over this process's, and an undefined there removes the variable", () => {
    vi.stubEnv('XDG_DATA_HOME', '/outer/xdg');
    expect(daemonStateDir()).toBe(defaultStateDir());
    expect(daemonStateDir({ XDG_DATA_HOME: '/inner/xdg' })).toBe(defaultStateDir({ env: { XDG_DATA_HOME: '/inner/xdg' } }));
    expect(daemonStateDir({ XDG_DATA_HOME: undefined })).toBe(defaultStateDir({ env: {} }));
  });
});
