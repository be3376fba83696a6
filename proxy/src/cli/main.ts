#!/usr/bin/env node
// Entry point of the `clusterconnect` binary.
// runCli also applies the data-path GC setting (common/gc-tuning.ts).
import { runCli } from './program.js';

process.exitCode = await runCli(process.argv);
