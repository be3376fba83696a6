#!/usr/bin/env node
// Entry point of the `kubectl-clusterconnect` binary: kubectl runs it for `kubectl clusterconnect …`. The same
// program as `clusterconnect`, named as kubectl users type it (runCli applies the same GC setting).
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv, 'kubectl clusterconnect');
