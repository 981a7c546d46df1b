import { ReaperError } from '../errors.js';
import { createDarwinSource } from './darwin-ps.js';
import { createLinuxSource } from './linux-proc.js';
import type { ProcessSource } from './process-info.js';

/** The process source for this platform: /proc on Linux, `ps` on macOS. */
export function defaultProcessSource(platform: NodeJS.Platform = process.platform): ProcessSource {
  if (platform === 'linux') return createLinuxSource();
  if (platform === 'darwin') return createDarwinSource();
  throw new ReaperError(
    'EUNSUPPORTED',
    `mcp-reaper supports Linux and macOS; this is ${platform}. Stop the daemon with your platform's tools.`,
  );
}
