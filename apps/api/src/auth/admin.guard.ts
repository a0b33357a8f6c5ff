// Statistics are for administrators: a valid access token of an active user whose user_type is
// 'admin' or who is staff. Missing/bad/expired token or unknown/inactive user → 401; others → 403.
import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { JWT_SECRET } from '../tokens.js';
import { InvalidTokenError, verifyAccessToken } from './jwt.js';
import { UserDirectory } from './user-directory.js';

export interface AuthenticatedUser {
  id: number;
  userType: string;
  isStaff: boolean;
}

function unauthorized(detail: string): UnauthorizedException {
  return new UnauthorizedException({ detail, code: 'token_not_valid' });
}

/** Administrators: what the statistics endpoints admit. */
export function isAdministrator(user: AuthenticatedUser): boolean {
  return user.userType === 'admin' || user.isStaff;
}

/**
 * Verifies the Bearer token and loads the user; each subclass says which users it admits (the
 * one verification path for every role check).
 */
export abstract class BearerUserGuard implements CanActivate {
  constructor(
    @Inject(UserDirectory) private readonly users: UserDirectory,
    @Inject(JWT_SECRET) private readonly secret: string,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>();
    const header = request.headers.authorization;
    if (!header) throw new UnauthorizedException({ detail: "Informations d'authentification non fournies." });
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw unauthorized('Authorization header must contain two space-delimited values: Bearer <token>');
    let userId: number;
    try {
      userId = verifyAccessToken(match[1]!, this.secret).userId;
    } catch (error) {
      if (error instanceof InvalidTokenError) throw unauthorized(error.message);
      throw error;
    }
    const user = await this.users.find(userId);
    if (!user) throw unauthorized('User not found');
    if (!user.isActive) throw unauthorized('User is inactive');
    const authenticated: AuthenticatedUser = { id: userId, userType: user.userType, isStaff: user.isStaff };
    if (!this.admits(authenticated)) throw new ForbiddenException({ error: 'Accès non autorisé' });
    request.user = authenticated;
    return true;
  }

  protected abstract admits(user: AuthenticatedUser): boolean;
}

@Injectable()
export class AdminGuard extends BearerUserGuard {
  protected admits(user: AuthenticatedUser): boolean {
    return isAdministrator(user);
  }
}
