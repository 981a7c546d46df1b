// What the stack e2e suites share: the fake daemon and REST server installed in a sample project
// under a unique name, what the project's registry still holds, and the cleanup after them.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { processesWith } from '../../helpers/wait.js';
import type { SampleProject } from './sample-project.js';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');

/** `bin/<name>` (the fake daemon) and `bin/<name>-rest` (the fake REST server), as files for createProject(). */
export function fakeStackBins(name: string): Record<string, string> {
  const wrapper = (script: string) => `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(path.join(REPO, 'test/fixtures', script)).href)});\n`;
  return { [`bin/${name}`]: wrapper('fake-mcp-server-pm.mjs'), [`bin/${name}-rest`]: wrapper('fake-rest-server-pm.mjs') };
}

/** Makes the wrappers of fakeStackBins() executable. */
export function makeBinsExecutable(project: SampleProject, name: string): void {
  for (const bin of [name, `${name}-rest`]) fs.chmodSync(path.join(project.dir, 'bin', bin), 0o755);
}

/** What the registry of the project's runs (in its runners' TMPDIR) still holds, among `dirs`. */
export function registryLeft(project: SampleProject, dirs: readonly string[] = ['stacks', 'ports']): string[] {
  const root = path.join(project.tmp, `mcp-reaper-${process.getuid!()}`);
  return dirs
    .map((dir) => path.join(root, dir))
    .filter((dir) => fs.existsSync(dir))
    .flatMap((dir) => fs.readdirSync(dir, { recursive: true }).map((entry) => path.join(dir, String(entry))));
}

/** After a suite: whatever still runs from the projects (named by their dirs) is killed, and they are removed. */
export function removeProjects(projects: readonly SampleProject[]): void {
  for (const project of projects) {
    for (const { pid } of processesWith(project.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    project.remove();
  }
}
