// ?status=&rule=&from=&to=&page=&page_size= of the alert history; anything else is a 400 naming
// the parameter (same shape as the statistics filters).
import { ALERT_STATUSES, type AlertStatus } from '../../../../../libs/metrics/src/alerts.js';
import { invalid, parsePage, parseText, parseWindow, single } from '../../statistics/dto/filters.js';
import type { AlertQuery } from '../alert-store.js';

export const ALERT_QUERY_PARAMETERS = ['status', 'rule', 'from', 'to', 'page', 'page_size'] as const;
export { MAX_PAGE_SIZE } from '../../statistics/dto/filters.js';

export function parseAlertQuery(query: Record<string, unknown>): AlertQuery {
  const { page, pageSize } = parsePage(query, ALERT_QUERY_PARAMETERS);
  const status = single(query, 'status', ALERT_STATUSES);
  if (status !== undefined && !(ALERT_STATUSES as readonly string[]).includes(status)) {
    invalid('status', `invalid value ${JSON.stringify(status)}; expected one of ${ALERT_STATUSES.join(', ')}`, ALERT_STATUSES);
  }
  const { from, to } = parseWindow(query);
  return {
    status: (status as AlertStatus | undefined) ?? null,
    ruleId: parseText(query, 'rule', 100),
    from,
    to,
    page,
    pageSize,
  };
}
