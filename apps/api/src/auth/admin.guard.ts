// Statistics are for administrators: a valid access token of an active user whose user_type is
// 'admin' or who is staff. Missing/bad/expired token or unknown/inactive user → 401 (429 once its
// address has had too many of them this minute, auth-failures.ts); others → 403.
// One verification path (AccessAuthenticator) for HTTP guards and socket handshakes.
import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException as NestHttpException,
  HttpStatus,
  Inject,
  Injectable,
  UnauthorizedException,
  type HttpException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JWT_SECRET } from '../tokens.js';
import { AuthFailureLimiter } from './auth-failures.js';
import { InvalidTokenError, verifyAccessToken } from './jwt.js';
import { UserDirectory } from './user-directory.js';

export interface AuthenticatedUser {
  id: number;
  userType: string;
  isStaff: boolean;
}

/** Administrators: what the statistics endpoints admit. */
export function isAdministrator(user: AuthenticatedUser): boolean {
  return user.userType === 'admin' || user.isStaff;
}

/** Why a credential was refused; `status` is the HTTP answer, `code` the machine-readable reason. */
export class AccessRefused extends Error {
  constructor(
    readonly status: 401 | 403 | 429,
    readonly code: 'not_authenticated' | 'token_not_valid' | 'permission_denied' | 'too_many_failures',
    readonly detail: string,
    /** With 429: seconds until the address may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
    this.name = 'AccessRefused';
  }

  toHttp(): HttpException {
    if (this.status === 429) return new NestHttpException({ detail: this.detail, code: this.code }, HttpStatus.TOO_MANY_REQUESTS);
    if (this.status === 403) return new ForbiddenException({ error: 'Accès non autorisé' });
    if (this.code === 'not_authenticated') return new UnauthorizedException({ detail: this.detail });
    return new UnauthorizedException({ detail: this.detail, code: this.code });
  }
}

@Injectable()
export class AccessAuthenticator {
  constructor(
    @Inject(UserDirectory) private readonly users: UserDirectory,
    @Inject(JWT_SECRET) private readonly secret: string,
    @Inject(AuthFailureLimiter) private readonly failures: AuthFailureLimiter,
  ) {}

  /**
   * The `Authorization` header's Bearer token, verified; throws AccessRefused. With `client` (the
   * caller's address), its 401s are counted and a client over the limit is refused first.
   */
  fromHeader(header: string | undefined, admits: (user: AuthenticatedUser) => boolean, client?: string): Promise<AuthenticatedSession> {
    return this.counted(client, () => {
      if (!header) throw new AccessRefused(401, 'not_authenticated', "Informations d'authentification non fournies.");
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new AccessRefused(401, 'token_not_valid', 'Authorization header must contain two space-delimited values: Bearer <token>');
      return this.verify(match[1]!, admits);
    });
  }

  fromToken(token: string, admits: (user: AuthenticatedUser) => boolean, client?: string): Promise<AuthenticatedSession> {
    return this.counted(client, () => this.verify(token, admits));
  }

  /**
   * A valid credential always passes, even from an address over the limit: behind a proxy or a
   * NAT many users share one address, and one broken client must not lock the others out. A
   * refused one is a 401 until the address reaches the limit, then a 429 with the seconds left in
   * its minute, so a client retrying in a loop is told to back off.
   */
  private async counted(client: string | undefined, verify: () => Promise<AuthenticatedSession>): Promise<AuthenticatedSession> {
    if (client === undefined) return verify();
    try {
      return await verify();
    } catch (error) {
      if (!(error instanceof AccessRefused) || error.status !== 401) throw error;
      const retryAfter = this.failures.retryAfterSeconds(client);
      if (retryAfter === null) {
        this.failures.recordFailure(client);
        throw error;
      }
      throw new AccessRefused(429, 'too_many_failures', `Trop d'échecs d'authentification depuis cette adresse ; réessayez dans ${retryAfter} s.`, retryAfter);
    }
  }

  private async verify(token: string, admits: (user: AuthenticatedUser) => boolean): Promise<AuthenticatedSession> {
    let claims;
    try {
      claims = verifyAccessToken(token, this.secret);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AccessRefused(401, 'token_not_valid', error.message);
      throw error;
    }
    const user = await this.current(claims.userId, admits);
    return { user, expiresAtMs: claims.expiresAtMs };
  }

  /** The user as the operational database says now (cached a few seconds), if still admitted. */
  async current(userId: number, admits: (user: AuthenticatedUser) => boolean): Promise<AuthenticatedUser> {
    const stored = await this.users.find(userId);
    if (!stored) throw new AccessRefused(401, 'token_not_valid', 'User not found');
    if (!stored.isActive) throw new AccessRefused(401, 'token_not_valid', 'User is inactive');
    const user: AuthenticatedUser = { id: userId, userType: stored.userType, isStaff: stored.isStaff };
    if (!admits(user)) throw new AccessRefused(403, 'permission_denied', 'Accès non autorisé');
    return user;
  }
}

export interface AuthenticatedSession {
  user: AuthenticatedUser;
  expiresAtMs: number;
}

/**
 * Verifies the Bearer token and loads the user; each subclass says which users it admits (the
 * one verification path for every role check).
 */
export abstract class BearerUserGuard implements CanActivate {
  constructor(@Inject(AccessAuthenticator) private readonly authenticator: AccessAuthenticator) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    try {
      const session = await this.authenticator.fromHeader(request.headers.authorization, (user) => this.admits(user), request.ip);
      request.user = session.user;
      return true;
    } catch (error) {
      if (error instanceof AccessRefused && error.retryAfterSeconds !== undefined) {
        void context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', String(error.retryAfterSeconds));
      }
      if (error instanceof AccessRefused) throw this.refusal(error);
      throw error;
    }
  }

  protected abstract admits(user: AuthenticatedUser): boolean;

  /** The HTTP answer to a refused credential; an endpoint with another 403 body overrides it. */
  protected refusal(error: AccessRefused): HttpException {
    return error.toHttp();
  }
}

@Injectable()
export class AdminGuard extends BearerUserGuard {
  protected admits(user: AuthenticatedUser): boolean {
    return isAdministrator(user);
  }
}
