// Signing access tokens the way the Django backend does (djangorestframework-simplejwt): HS256 with
// the shared secret, claims token_type "access", user_id, exp, iat, jti. Django signs the real ones;
// the embedded demo, the demo sign-in and the tests sign theirs here. Verification is the API's
// (apps/api/src/auth/jwt.ts).
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';

export function signAccessToken(userId: number, secret: string, lifetimeSeconds: number): string {
  const issuedAt = Math.floor(Date.now() / 1000);
  return jwt.sign(
    { token_type: 'access', user_id: userId, jti: randomUUID().replace(/-/g, ''), iat: issuedAt, exp: issuedAt + lifetimeSeconds },
    secret,
    { algorithm: 'HS256' },
  );
}
