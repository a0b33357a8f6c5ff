// Which queries of an HTTP request wait in which class of the engine's admission queue, until
// when, and their cancellation when the client goes away (libs/clickhouse/src/admission.ts).
// Set once per request in an onRequest hook, carried by AsyncLocalStorage down to every query the
// request runs, so that controllers and services stay unaware of it.
import type { FastifyInstance } from 'fastify';
import { withEngineContext, type EnginePriority } from '../../../../libs/clickhouse/src/admission.js';

/** Live screens and readiness first, analysts after exports; everything else is a dashboard. */
export function requestPriority(path: string): EnginePriority {
  if (path.startsWith('/health') || path === '/depannage/api/statistics/real_time_stats' || path === '/depannage/api/statistics/real_time_stats/') return 'live';
  if (path.startsWith('/clickhouse')) return 'analyst';
  if (path.startsWith('/depannage/api/statistics/export')) return 'export';
  return 'interactive';
}

export function admitRequests(fastify: FastifyInstance, queueTimeoutSeconds: number): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const abandoned = new AbortController();
    // The client went away before its answer was sent: its queries give up their place.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abandoned.abort();
    });
    // Gone while the request waited for its turn of the event loop (http/loop-turns.ts): the close came before this hook.
    if (request.raw.socket?.destroyed) abandoned.abort();
    const path = request.url.split('?')[0]!;
    withEngineContext({ priority: requestPriority(path), deadline: Date.now() + queueTimeoutSeconds * 1000, signal: abandoned.signal }, done);
  });
}
