// The READMEs' snippets are what users copy: tests run them verbatim, taken from the file each time.
import fs from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

/**
 * The first fenced block of `lang` after the first match of `after` in `readme` (a path relative to
 * the repository). Throws, naming the README and what was looked for, when there is none: a test
 * must not pass on a snippet that went missing.
 */
export function readmeBlock(readme: string, after: RegExp, lang: string): string {
  const file = path.join(REPO, readme);
  const text = fs.readFileSync(file, 'utf8');
  const start = after.exec(text);
  if (!start) throw new Error(`${readme} has nothing matching ${after}`);
  const rest = text.slice(start.index + start[0].length);
  const block = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(rest);
  if (!block?.[1]) throw new Error(`${readme} has no \`\`\`${lang} block after ${after}`);
  return block[1];
}
