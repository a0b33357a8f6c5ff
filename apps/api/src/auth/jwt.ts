// Access tokens compatible with the Django backend (djangorestframework-simplejwt): HS256 with the
// shared secret, claims token_type "access", user_id, exp, iat, jti.
import { createSecretKey, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface AccessClaims {
  userId: number;
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/**
 * The HMAC key of a secret, built once: given a string, jsonwebtoken first tries it as a PEM public
 * key and builds a key object on every call, which cost a quarter of the CPU of a cached response.
 */
const secretKeys = new Map<string, KeyObject>();
function secretKey(secret: string): KeyObject {
  let key = secretKeys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    secretKeys.set(secret, key);
  }
  return key;
}

/**
 * Tokens whose signature and claims were verified, with their expiry: a dashboard sends the same
 * token on every request, so the HMAC is checked once per token rather than once per request.
 * Keyed by secret and token text (a different byte anywhere is a different entry); bounded.
 */
const verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
const MAX_VERIFIED = 10_000;

export function verifyAccessToken(token: string, secret: string): AccessClaims {
  const cacheKey = `${secret.length}:${secret}:${token}`;
  const known = verified.get(cacheKey);
  if (known) {
    if (known.expiresAtMs > Date.now()) return known.claims;
    verified.delete(cacheKey);
    throw new InvalidTokenError('Token has expired');
  }
  const claims = verifySignedToken(token, secret);
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(cacheKey, { claims: { userId: claims.userId }, expiresAtMs: claims.expiresAt * 1000 });
  return { userId: claims.userId };
}

function verifySignedToken(token: string, secret: string): AccessClaims & { expiresAt: number } {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, secretKey(secret), { algorithms: ['HS256'] });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new InvalidTokenError('Token has expired');
    throw new InvalidTokenError('Token is invalid');
  }
  if (typeof payload === 'string' || payload.token_type !== 'access') {
    throw new InvalidTokenError('Token has wrong type');
  }
  if (payload.exp === undefined) throw new InvalidTokenError('Token has no expiry');
  const raw: unknown = payload.user_id;
  const userId = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(userId) || userId <= 0) throw new InvalidTokenError('Token contained no recognizable user identification');
  return { userId, expiresAt: payload.exp };
}

export function signAccessToken(userId: number, secret: string, lifetimeSeconds: number): string {
  const issuedAt = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { token_type: 'access', user_id: userId, jti: randomUUID().replace(/-/g, ''), iat: issuedAt, exp: issuedAt + lifetimeSeconds },
    secret,
    { algorithm: 'HS256' },
  );
}
