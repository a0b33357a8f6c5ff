// LOG_LEVEL (error|warn|info|debug) as the levels Nest's ConsoleLogger writes: one mapping for the
// API's and the standalone ingest's entry points.
import type { LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogLevel } from './config.js';

const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export function nestLogLevels(level: LogLevel): NestLogLevel[] {
  return NEST_LEVELS[level];
}
