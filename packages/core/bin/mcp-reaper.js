#!/usr/bin/env node
// A committed launcher (not a build output) so package managers can link the bin before the first build.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
