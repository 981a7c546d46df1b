import type { CommandModule } from '../command.js';
import { configCommand } from './config.js';
import { psCommand } from './ps.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { sweepCommand } from './sweep.js';
import { upCommand } from './up.js';

/** Every subcommand of `mcp-reaper`, in the order `--help` lists them. The first is the default. */
export const COMMANDS: readonly CommandModule[] = [sweepCommand, statusCommand, runCommand, upCommand, psCommand, configCommand];
