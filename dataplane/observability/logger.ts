// pino JSON logs: one line per event, with the process's role and id on each.
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/contract.js';
import type { LogSink } from './log-sink.js';

export type { Logger };

/** `sink`: where the lines go (main.ts gives stdout's); default pino's own synchronous stdout. */
export function createLogger(level: LogLevel, bindings: Record<string, string>, sink?: LogSink): Logger {
  const options = { level, base: { ...bindings, pid: process.pid } };
  return sink === undefined ? pino(options) : pino(options, sink);
}
