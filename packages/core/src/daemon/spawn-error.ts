import fs from 'node:fs';
import path from 'node:path';

/**
 * A spawn error as a shell would report it. execvp (libuv's) answers EACCES for a bare command name
 * when some directory on PATH cannot be searched, even when the command is in none of them: a shell
 * skips such a directory and says "command not found" (exit 127). So an EACCES for a name found in no
 * PATH directory is turned into ENOENT; one for a file that exists stays EACCES.
 */
export function asShellSees(error: NodeJS.ErrnoException, file: string, env: Readonly<Record<string, string | undefined>>): NodeJS.ErrnoException {
  if (error.code !== 'EACCES' || file.includes('/')) return error;
  const found = (env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      return dir !== '' && fs.statSync(path.join(dir, file)).isFile();
    } catch {
      return false;
    }
  });
  if (found) return error;
  return Object.assign(new Error(`spawn ${file} ENOENT`), { code: 'ENOENT', errno: error.errno, syscall: error.syscall, path: file, cause: error }) as NodeJS.ErrnoException;
}
