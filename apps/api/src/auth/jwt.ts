// Verifying access tokens of the Django backend (djangorestframework-simplejwt): HS256 with the
// shared secret, claims token_type "access", user_id, exp, iat, jti (signed by
// libs/access-token/src/sign.ts where this service signs its own: demo, tests).
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface AccessClaims {
  userId: number;
  /** The token's exp claim, in ms: a live connection authenticated by it ends then. */
  expiresAtMs: number;
}

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/**
 * Per secret: its HMAC key, built once (given a string, jsonwebtoken first tries it as a PEM public
 * key and builds a key object on every call, a quarter of the CPU of a cached response), and the
 * tokens already verified with it, with their expiry (a dashboard sends the same token on every
 * request, so the HMAC is checked once per token; a different byte is a different entry; bounded).
 */
interface SecretState {
  key: KeyObject;
  verified: Map<string, AccessClaims>;
}
const secrets = new Map<string, SecretState>();
const MAX_VERIFIED = 10_000;

function stateOf(secret: string): SecretState {
  let state = secrets.get(secret);
  if (!state) {
    state = { key: createSecretKey(Buffer.from(secret, 'utf8')), verified: new Map() };
    secrets.set(secret, state);
  }
  return state;
}

export function verifyAccessToken(token: string, secret: string): AccessClaims {
  const { key, verified } = stateOf(secret);
  const known = verified.get(token);
  if (known) {
    if (known.expiresAtMs > Date.now()) return known;
    verified.delete(token);
    throw new InvalidTokenError('Token has expired');
  }
  const claims = verifySignedToken(token, key);
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(token, claims);
  return claims;
}

function verifySignedToken(token: string, key: KeyObject): AccessClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key, { algorithms: ['HS256'] });
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
  return { userId, expiresAtMs: payload.exp * 1000 };
}
