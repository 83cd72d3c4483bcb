// pino JSON logs: one line per event, with the process's role and id on each.
import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/contract.js';

export type { Logger };

export function createLogger(level: LogLevel, bindings: Record<string, string>): Logger {
  return pino({ level, base: { ...bindings, pid: process.pid } });
}
