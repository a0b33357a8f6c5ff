import { BadRequestException } from '@nestjs/common';
import { PERIODS, type Period } from '../../../../../libs/metrics/src/types.js';

/** Validates ?period=; absent means 'all'. Anything else is a 400 listing the valid values. */
export function parsePeriod(value: unknown): Period {
  if (value === undefined) return 'all';
  if (typeof value === 'string' && (PERIODS as readonly string[]).includes(value)) return value as Period;
  throw new BadRequestException({
    detail: `invalid period ${JSON.stringify(value)}; expected one of ${PERIODS.join(', ')}`,
    parameter: 'period',
    valid: PERIODS,
  });
}

/** Rejects query parameters the endpoint does not know, so a typo is not silently ignored. */
export function rejectUnknownParameters(query: Record<string, unknown>, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new BadRequestException({
      detail: `unknown query parameter(s): ${unknown.join(', ')}; accepted: ${known.length ? known.join(', ') : 'none'}`,
      valid: known,
    });
  }
}
