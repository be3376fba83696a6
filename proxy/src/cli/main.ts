#!/usr/bin/env node
// Entry point of the `clusterconnect` binary.
import { tuneGarbageCollectorForStreaming } from '../common/gc-tuning.js';
import { runCli } from './program.js';

tuneGarbageCollectorForStreaming();
process.exitCode = await runCli(process.argv);
