#!/usr/bin/env node
// The crash-safety watchdog's launcher (started by startWatchdog(), not by hand).
import '../dist/watchdog-main.js';
