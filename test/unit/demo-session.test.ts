// Who may take the demo token: a client on this machine (by TCP peer address, never a header) and,
// for a browser, a page of the service's own origin.
import { describe, expect, it } from 'vitest';
import { isLoopbackAddress, isSameOrigin } from '../../apps/api/src/web/demo-session.controller.js';

describe('demo session: loopback peer', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])('%s is this machine', (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
  });
  it.each(['192.0.2.2', '10.0.0.1', '::ffff:192.168.1.2', 'fd00::2', '', '128.0.0.1', '1127.0.0.1', undefined])('%s is not', (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
  });
});

describe('demo session: same origin', () => {
  it('no Origin header (curl, a Node client) passes', () => {
    expect(isSameOrigin(undefined, '127.0.0.1:3000')).toBe(true);
  });
  it('the page of this host and port passes', () => {
    expect(isSameOrigin('http://127.0.0.1:3000', '127.0.0.1:3000')).toBe(true);
    expect(isSameOrigin('http://LOCALHOST:3000', 'localhost:3000')).toBe(true);
  });
  it('another site, another port, "null" or garbage is refused', () => {
    expect(isSameOrigin('http://evil.example', '127.0.0.1:3000')).toBe(false);
    expect(isSameOrigin('http://127.0.0.1:3001', '127.0.0.1:3000')).toBe(false);
    expect(isSameOrigin('null', '127.0.0.1:3000')).toBe(false);
    expect(isSameOrigin('http://127.0.0.1:3000', undefined)).toBe(false);
  });
});
