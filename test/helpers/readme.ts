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

/** A fenced block of a README: its language, the line its opening fence is on (1-based) and its text. */
export interface ReadmeCodeBlock {
  lang: string;
  /** The line of the opening fence; the block's first line of code is `line + 1`. */
  line: number;
  code: string;
}

/**
 * Every fenced block of `readme` (a path relative to the repository) whose language is one of
 * `langs`, in order, so a test can check all the examples, not only the ones it knows about.
 */
export function readmeBlocks(readme: string, langs: readonly string[]): ReadmeCodeBlock[] {
  const lines = fs.readFileSync(path.join(REPO, readme), 'utf8').split('\n');
  const blocks: ReadmeCodeBlock[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const fence = /^```(\S*)/.exec(lines[index]!);
    if (!fence) continue;
    const end = lines.findIndex((text, at) => at > index && text.startsWith('```'));
    if (end === -1) throw new Error(`${readme} line ${index + 1}: a code block that is never closed`);
    if (langs.includes(fence[1]!)) blocks.push({ lang: fence[1]!, line: index + 1, code: lines.slice(index + 1, end).join('\n') + '\n' });
    index = end;
  }
  return blocks;
}
