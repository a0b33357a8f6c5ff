// What a browser is told about the API: which origins may call it (CORS, the same list for HTTP
// and the Socket.IO handshake) and the security headers (helmet) on every HTTP answer.
// Credentials are Bearer tokens in a header, never cookies, so CORS never allows credentials and
// '*' exposes nothing a token does not already grant; production should still list its origins.
import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { SecuritySettings } from '../../../../libs/config/src/config.js';

export interface CorsPolicy {
  origin: true | string[];
  methods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  credentials: false;
  maxAge: number;
}

/** The one CORS policy, from CORS_ORIGINS: HTTP (@fastify/cors) and Socket.IO take the same object. */
export function corsPolicy(settings: SecuritySettings): CorsPolicy {
  return {
    // '*' reflects the caller's origin (with Vary: Origin) rather than sending a literal '*':
    // the same grant, and what the legacy clients saw.
    origin: settings.corsOrigins === '*' ? true : settings.corsOrigins,
    // PATCH and DELETE: dashboards on another origin edit alert rules, purge the cache, delete exports.
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: ['Content-Disposition', 'Retry-After'],
    credentials: false,
    // Browsers cap it (Chrome: 2 h); saves a preflight per write.
    maxAge: 600,
  };
}

export async function applyHttpSecurity(app: NestFastifyApplication, settings: SecuritySettings): Promise<void> {
  app.enableCors(corsPolicy(settings));
  await app.register(helmet, {
    // helmet's default policy suits the Swagger UI at /docs (external scripts from 'self', inline
    // styles, data: images). Without https, upgrade-insecure-requests would send its assets to an
    // https port that does not exist, so it goes with HSTS.
    contentSecurityPolicy: {
      useDefaults: true,
      directives: { 'upgrade-insecure-requests': settings.hsts ? [] : null },
    },
    hsts: settings.hsts ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
    // The API is meant to be read from other origins (the admin dashboard): CORS decides, not CORP.
    crossOriginResourcePolicy: { policy: 'cross-origin' },
  });
}
