/** What happened when a signal was sent. */
export type SignalResult = 'sent' | 'gone' | { error: string };

/** `kill(2)` without throwing: ESRCH (it exited meanwhile) is a normal outcome, not an error. */
export function sendSignal(pid: number, signal: NodeJS.Signals): SignalResult {
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') {
      return { error: `permission denied sending ${signal} (EPERM): run mcp-reaper as the process's user` };
    }
    return { error: `sending ${signal} failed: ${(error as Error).message}` };
  }
}
