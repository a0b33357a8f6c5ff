import type { Logger } from '@nestjs/common';
import { EngineBusyError } from '../../../../libs/clickhouse/src/admission.js';
import { errorMessage } from '../../../../libs/errors/src/error-message.js';

/**
 * Logs a computation started for no request in particular that failed: a busy engine refusing it
 * is load shedding (debug; callers count it), anything else is a fault (warn).
 */
export function logBackgroundFailure(logger: Logger, message: string, error: unknown, context: Record<string, unknown> = {}): void {
  const entry = { message, ...context, error: errorMessage(error) };
  if (error instanceof EngineBusyError) logger.debug(entry);
  else logger.warn(entry);
}
