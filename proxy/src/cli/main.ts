#!/usr/bin/env node
// Entry point of the `clusterconnect` binary.
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
