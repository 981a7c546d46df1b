// The stand-in in a process of its own, `node standin.mjs ps|lsof ARGS…`: what bin/ps and bin/lsof
// run when no emulation server answers (a human at a shell, a process that outlived the tests').
import fs from 'node:fs';
import { answer } from './answer.mjs';

const [tool, ...args] = process.argv.slice(2);
const { status, fd, body } = answer(tool, args, { env: process.env, uid: process.getuid() });
fs.writeSync(fd, body);
process.exitCode = status;
