// The rules of dashboard widgets that need no service: which key paths an endpoint's answer has
// (read from the OpenAPI response schemas), what each widget type can draw, the value at a path of a
// real-shaped answer, and the partial update of a room (only the widgets whose value moved).
import { describe, expect, it } from 'vitest';
import { moved } from '../../apps/api/src/dashboards/dashboards.service.js';
import { endpointKeys, keyKind, UnknownWidgetKey, valueAt, WIDGET_ENDPOINTS } from '../../apps/api/src/dashboards/widget-sources.js';
import { oldestDataAsOf } from '../../apps/api/src/dashboards/widget-data.js';
import type { DashboardData } from '../../libs/metrics/src/dashboards.js';

describe('key paths', () => {
  it.each([
    ['requests', 'total', 'number'],
    ['requests', 'by_status', 'map'],
    ['requests', 'by_status.completed', 'number'],
    ['requests', 'by_status.a status never seen', 'number'],
    ['financial', 'payment_methods', 'list'],
    ['financial', 'payment_methods.0', 'object'],
    ['financial', 'payment_methods.3.total', 'number'],
    ['technicians', 'top_technicians.0.name', 'string'],
    ['trends', 'daily', 'map'],
    ['trends', 'daily.2026-11-30.revenue', 'number'],
    ['trends', 'ratings.weekly', 'map'],
    ['geography', 'map_points', 'list'],
    ['kpis', 'business.cac.value', 'number'],
    ['kpis', 'technical.response_time_ms.p95', 'number'],
    ['real_time_stats', 'last_24h.new_requests', 'number'],
    ['real_time_stats', 'active_sessions', 'object'],
  ] as const)('%s %s is a %s', (endpoint, key, kind) => {
    expect(keyKind(endpoint, key)).toBe(kind);
  });

  it.each([
    ['requests', 'totl', /unknown key "totl" in requests; expected one of total, pending/],
    ['requests', 'total_revenue', /unknown key "total_revenue"/],
    ['requests', 'calculation_info', /unknown key "calculation_info"/],
    ['real_time_stats', 'current_time', /unknown key "current_time"/],
    ['requests', 'total.value', /"total" of requests is a single value/],
    ['requests', 'by_status.', /empty segment/],
    ['financial', 'payment_methods.first', /must be a list index/],
    ['financial', 'payment_methods.0.amount', /unknown key "amount" under "payment_methods.0" of financial/],
    ['financial', 'payment_methods.1000', /must be a list index/],
    ['requests', '__proto__', /unknown key "__proto__"/],
    ['requests', 'constructor', /unknown key "constructor"/],
    ['kpis', 'business.toString', /unknown key "toString" under "business"/],
  ] as const)('%s %s is refused with the reason', (endpoint, key, message) => {
    expect(() => keyKind(endpoint, key)).toThrow(UnknownWidgetKey);
    expect(() => keyKind(endpoint, key)).toThrow(message);
  });

  it('lists every fixed key of every endpoint, metadata left out', () => {
    for (const endpoint of WIDGET_ENDPOINTS) {
      const keys = endpointKeys(endpoint);
      expect(keys.length, endpoint).toBeGreaterThan(0);
      for (const { key, kind } of keys) expect(keyKind(endpoint, key), `${endpoint} ${key}`).toBe(kind);
      expect(keys.some(({ key }) => key.startsWith('calculation_info')), endpoint).toBe(false);
    }
    expect(endpointKeys('overview').map(({ key }) => key)).toContain('total_users');
  });
});

describe('values', () => {
  const answer = { total: 12, by_status: { pending: 3 }, top: [{ name: 'Awa' }], nothing: null };

  it('reads the value at a path, null where the data has no such entry', () => {
    expect(valueAt(answer, 'total')).toBe(12);
    expect(valueAt(answer, 'by_status.pending')).toBe(3);
    expect(valueAt(answer, 'by_status.completed')).toBeNull();
    expect(valueAt(answer, 'top.0.name')).toBe('Awa');
    expect(valueAt(answer, 'top.5.name')).toBeNull();
    expect(valueAt(answer, 'nothing.below')).toBeNull();
    expect(valueAt(answer, 'by_status.constructor')).toBeNull();
  });

  it('dates a set of answers by the oldest, unknown if any is', () => {
    expect(oldestDataAsOf(['2026-12-02T07:00:00.000Z', '2026-12-02T06:59:59.000Z'])).toBe('2026-12-02T06:59:59.000Z');
    expect(oldestDataAsOf(['2026-12-02T07:00:00.000Z', null])).toBeNull();
  });
});

describe('room updates', () => {
  const data = (widgets: DashboardData['widgets']): DashboardData => ({ dashboard_id: 'd', generated_at: 'g', dashboard_updated_at: 'u', data_as_of: 'a', widgets, partial: false });

  it('carry only the widgets whose value moved, new ones included', () => {
    const before = data([{ id: 'a', value: 1, format: null }, { id: 'b', value: { x: 1 }, format: null }, { id: 'c', value: [1, 2], format: null }]);
    const after = data([{ id: 'a', value: 1, format: null }, { id: 'b', value: { x: 2 }, format: null }, { id: 'c', value: [1, 2], format: null }, { id: 'd', value: 0, format: null }]);
    expect(moved(before, after)).toEqual({ ...after, widgets: [{ id: 'b', value: { x: 2 }, format: null }, { id: 'd', value: 0, format: null }], partial: true });
  });

  it('are whole when a widget was removed', () => {
    const before = data([{ id: 'a', value: 1, format: null }, { id: 'b', value: 2, format: null }]);
    const after = data([{ id: 'a', value: 2, format: null }]);
    expect(moved(before, after)).toEqual(after);
  });
});
