// Signed, expiring download links, like a presigned object-store URL: a browser tab opened on
// `download_url` can send no Authorization header, so the link itself carries a grant for that one
// file until it expires (EXPORT_LINK_SECONDS). The grant is an HMAC of the export id and the expiry
// under a key derived from the JWT secret (never the secret itself, so a grant can never be replayed
// as a token); it says nothing about the user: whoever holds the link holds the file, until expiry.
import { createHmac, timingSafeEqual } from 'node:crypto';

const GRANT = /^(\d{10,12})\.([A-Za-z0-9_-]{43})$/;

export type GrantCheck = { ok: true } | { ok: false; reason: string };

export class DownloadGrants {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = createHmac('sha256', secret).update('depanneteliman-statistics/export-download-grant/v1').digest();
  }

  /** A grant for `exportId` valid until now + `seconds` (whole seconds, UTC epoch). */
  sign(exportId: string, seconds: number, now: number = Date.now()): { grant: string; expiresAt: Date } {
    const expires = Math.floor(now / 1000) + seconds;
    return { grant: `${expires}.${this.mac(exportId, expires)}`, expiresAt: new Date(expires * 1000) };
  }

  verify(exportId: string, grant: string, now: number = Date.now()): GrantCheck {
    const match = GRANT.exec(grant);
    if (!match) return { ok: false, reason: 'malformed download grant' };
    const expires = Number(match[1]);
    const expected = Buffer.from(this.mac(exportId, expires));
    const given = Buffer.from(match[2]!);
    // Checked before the expiry, so an expired link for another file still says "not for this file".
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'download grant not valid for this file' };
    if (expires * 1000 <= now) return { ok: false, reason: 'download link expired: ask for a new one (GET the export again)' };
    return { ok: true };
  }

  private mac(exportId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${exportId}\n${expires}`).digest('base64url');
  }
}
