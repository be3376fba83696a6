// JSON logs for every role (winston), with secrets redacted by key name as a last line of defence:
// code must never log a token, but if a field named like one slips through, its value is not written.
import { createRequire } from 'node:module';
import type winston from 'winston';

export type Logger = winston.Logger;

// winston (about 80 modules) loads on the first createLogger(), not on import: every command module imports this
// file, and `clusterconnect get-token`, which kubectl runs for each command, never logs through it.
const requireWinston = (): typeof winston => createRequire(import.meta.url)('winston') as typeof winston;

const SECRET_KEY = /(authorization|token|password|secret|private.?key|cookie|credential)/i;
export const REDACTED = '[redacted]';

/** Returns a copy of `value` with the values of secret-looking keys replaced, at any depth. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY.test(key) && inner !== undefined && typeof inner !== 'boolean' ? REDACTED : redactSecrets(inner, depth + 1);
  }
  return out;
}

const redact = (format: typeof winston.format) => format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    const value = info[key];
    info[key] = SECRET_KEY.test(key) && value !== undefined && typeof value !== 'boolean' ? REDACTED : redactSecrets(value);
  }
  return info;
});

// winston's own json format configures a fresh safe-stable-stringify and sorts keys on every line (about half of
// a log call's cost); a plain JSON.stringify keeps the fields in the order they were given.
const MESSAGE = Symbol.for('message');
const bigintAsString = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/** The line for `info`; a field JSON cannot hold (a cycle) costs the fields, not the line or the process. */
function jsonLine(info: Record<string, unknown>): string {
  try {
    return JSON.stringify(info, bigintAsString);
  } catch (error) {
    return JSON.stringify({ level: info.level, message: String(info.message), component: info.component, timestamp: info.timestamp, logError: `fields not serialisable: ${(error as Error).message}` });
  }
}

const json = (format: typeof winston.format) => format((info) => {
  (info as unknown as Record<symbol, string>)[MESSAGE] = jsonLine(info);
  return info;
});

export interface LoggerOptions {
  level?: string;
  /** Where to write; defaults to stderr so stdout stays free for a command's own output. */
  stream?: NodeJS.WritableStream;
}

export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const winston = requireWinston();
  return winston.createLogger({
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    defaultMeta: { component },
    format: winston.format.combine(redact(winston.format)(), winston.format.timestamp(), winston.format.errors({ stack: false }), json(winston.format)()),
    transports: [
      options.stream
        ? new winston.transports.Stream({ stream: options.stream })
        : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] }),
    ],
  });
}
