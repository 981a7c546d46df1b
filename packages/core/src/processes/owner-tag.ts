// Owner tags: the value of MCP_REAPER_OWNER (config/names.ts), e.g. `run-4f2a/w3/test-17` (run, then
// worker, then test). Children inherit their parent's environment, so everything a tagged daemon
// spawns carries the tag too.

/**
 * Builds a tag from its parts (run id, worker, test file…): white space and "=" become "_" (a tag
 * must have neither), "/" inside a part becomes ":" (it separates the parts), and any other byte
 * outside printable ASCII is percent-encoded (`café` → `caf%C3%A9`): macOS `ps -E` shows the
 * environment through strvis() in the C locale, where `é` reads back as `M-CM-)`, and a tag that
 * does not read back as written owns nothing.
 */
export function ownerTag(...parts: readonly (string | number)[]): string {
  return parts
    .map((part) =>
      String(part)
        .replace(/[\s=\0]+/g, '_')
        .replaceAll('/', ':')
        .replace(/[^\x20-\x7e]/gu, (ch) => [...Buffer.from(ch)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')),
    )
    .join('/');
}

/** Whether a process tagged `tag` belongs to `owner`: the same tag, or one below it (`run/w3` is under `run`). */
export function isOwnedBy(tag: string | undefined, owner: string): boolean {
  return tag !== undefined && (tag === owner || tag.startsWith(`${owner}/`));
}

/**
 * Finds `NAME=value` in `ps -E` output on macOS, where the environment follows the command line
 * separated by spaces. Tags are written without white space (the options refuse it), so a value
 * ends at the next space. `args` is the same process's command line as `ps -o args=` prints it: the
 * search starts after it, so an argument that reads `NAME=value` is never taken for the variable.
 * (Without it, or when the process retitled itself between the two reads, the whole text is searched.)
 */
export function findEnvInCommand(text: string, name: string, args?: string): string | undefined {
  const environment = args !== undefined && args !== '' && text.startsWith(args) ? text.slice(args.length) : text;
  const match = new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(environment);
  return match?.[1];
}

/**
 * Finds `NAME=value` in a /proc/PID/environ text (NUL-separated `NAME=value` entries): the value of
 * the entry whose name is exactly `name`, never text inside another entry's value.
 */
export function findEnvInEnviron(environ: string, name: string): string | undefined {
  const prefix = `${name}=`;
  return environ.split('\0').find((entry) => entry.startsWith(prefix))?.slice(prefix.length);
}
