// "Connexion démo" of the web dashboard: hands an administrator token of the embedded demo to the
// browser in one click. Only the embedded demo has one to give (it signs its own tokens for its own
// fake users, and starts the service with DEMO_SIGN_IN); with a real operational database the
// route does not exist (404). Only a client on this machine (loopback peer address) may take it, and a browser
// only from a page of this same origin (the Origin header names this host), so a page of another
// site open in the same browser cannot read it through CORS.
import { Controller, ForbiddenException, Get, HttpCode, Inject, NotFoundException, Post, Query, Req } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { signAccessToken } from '../../../../libs/access-token/src/sign.js';
import { rejectUnknownParameters } from '../statistics/dto/filters.js';
import { DEMO_SIGN_IN, JWT_SECRET, OPERATIONAL_DB } from '../tokens.js';

/** Path of the route: write-routes.ts lets POST through to it. */
export const DEMO_SESSION_PATH = '/depannage/api/statistics/demo-session';

/** A demo session lasts a working day; the banner's token (7 days) stays the long-lived one. */
export const DEMO_SESSION_SECONDS = 12 * 3600;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

export interface DemoSession {
  access: string;
  user_id: number;
  expires_at: string;
}

/** Whether a TCP peer address is this machine. The peer, never X-Forwarded-For: a header can say anything. */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address !== undefined && LOOPBACK.test(address);
}

/** Whether a browser's Origin header (absent for non-browser clients) is this service's own origin. */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    // "null" (a sandboxed frame, a file: page) or garbage: not this origin.
    return false;
  }
}

@ApiTags('dashboard')
@Controller('depannage/api/statistics/demo-session')
export class DemoSessionController {
  constructor(
    @Inject(OPERATIONAL_DB) private readonly operationalDb: pg.Pool,
    @Inject(JWT_SECRET) private readonly jwtSecret: string,
    @Inject(DEMO_SIGN_IN) private readonly demoSignIn: boolean,
  ) {}

  /** Whether this client may use the demo sign-in: the login form shows the button only then. Holds no secret. */
  @Get()
  @ApiOperation({ summary: 'Whether "Connexion démo" is offered to this client (embedded demo, client on this machine); no token' })
  @ApiOkResponse({ description: '{"available": true|false}' })
  availability(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): { available: boolean } {
    rejectUnknownParameters(query, []);
    return { available: this.demoSignIn && isLoopbackAddress(request.socket.remoteAddress) };
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Embedded demo only: an administrator access token for the web dashboard\'s "Connexion démo", to a client on this machine',
  })
  @ApiOkResponse({ description: '{"access": <Bearer token>, "user_id": <admin id>, "expires_at": <ISO-8601 UTC>}' })
  @ApiForbiddenResponse({ description: 'not from this machine (loopback), or from a page of another origin' })
  @ApiNotFoundResponse({ description: 'not the embedded demo (DATABASE_URL is set): there is no demo account' })
  async create(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest): Promise<DemoSession> {
    rejectUnknownParameters(query, []);
    if (!this.demoSignIn) throw new NotFoundException({ detail: 'Pas de connexion démo : ce service lit une vraie base opérationnelle (DATABASE_URL).' });
    if (!isLoopbackAddress(request.socket.remoteAddress)) {
      throw new ForbiddenException({ error: 'Accès non autorisé', detail: 'La connexion démo n\'est offerte qu\'à un navigateur de cette machine.' });
    }
    if (!isSameOrigin(request.headers.origin, request.headers.host)) {
      throw new ForbiddenException({ error: 'Accès non autorisé', detail: 'La connexion démo n\'est offerte qu\'aux pages de ce service.' });
    }
    const { rows } = await this.operationalDb.query<{ id: string }>(
      "SELECT id FROM users_user WHERE user_type = 'admin' AND is_active ORDER BY id LIMIT 1",
    );
    const adminId = rows[0] ? Number(rows[0].id) : null;
    if (adminId === null) throw new NotFoundException({ detail: 'La base de démonstration n\'a pas d\'administrateur actif.' });
    const access = signAccessToken(adminId, this.jwtSecret, DEMO_SESSION_SECONDS);
    return { access, user_id: adminId, expires_at: new Date(Date.now() + DEMO_SESSION_SECONDS * 1000).toISOString() };
  }
}
