// Serves the web dashboard (apps/dashboard, built by Vite into dist/dashboard) from the API itself:
// its hashed assets under /assets/, and its page (index.html) at / and under /tableau/, the
// single-page app's own routes. Those prefixes are the whole surface: /depannage/api, /docs,
// /health, /metrics, /clickhouse and /socket.io are never reached by it, and an unknown path stays
// the API's 404.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Client-side routes of the single-page app: every path under it answers its page. */
export const DASHBOARD_ROUTE_PREFIX = '/tableau';

/** Where `npm run build` (and `npm start`, through scripts/build-if-stale.mjs) puts the built app. */
export const DASHBOARD_BUILD_DIR = ['dist', 'dashboard'] as const;

const NOT_BUILT =
  'Le tableau de bord web n\'est pas construit (dist/dashboard/index.html absent) : lancez « npm start » ou « npm run build ».';

/**
 * Registers the dashboard's routes on the API's Fastify instance, before it listens. Without a
 * build the page routes answer 503 saying how to build it, rather than an unexplained 404.
 */
export async function serveDashboard(fastify: FastifyInstance, buildDir: string): Promise<void> {
  // Looked at per request, not once at start: a build made while the service runs (npm test, a
  // second npm start) is served from the next page load.
  const page = (reply: FastifyReply): FastifyReply | Promise<FastifyReply> => {
    if (!existsSync(join(buildDir, 'index.html'))) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    // The page names the current assets: always revalidated, so a rebuild is seen at the next load.
    return reply.header('Cache-Control', 'no-cache').sendFile('index.html', buildDir);
  };
  // Also gives reply.sendFile to the page routes. A missing assets directory (no build yet) is a
  // warning of the plugin at start and a 404 per asset, until a build exists.
  await fastify.register(fastifyStatic, {
    root: join(buildDir, 'assets'),
    prefix: '/assets/',
    // Vite names assets by content hash: a name never changes content.
    immutable: true,
    maxAge: '365d',
    index: false,
  });
  fastify.get('/', (_request, reply) => page(reply));
  fastify.get(DASHBOARD_ROUTE_PREFIX, (_request, reply) => page(reply));
  fastify.get(`${DASHBOARD_ROUTE_PREFIX}/*`, (_request, reply) => page(reply));
}
