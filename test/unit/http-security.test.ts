// The security headers with and without https publication: HSTS and upgrade-insecure-requests go
// together, only when EXPORT_PUBLIC_URL says the service is reached over TLS.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../libs/config/src/config.js';
import { applyHttpSecurity } from '../../apps/api/src/security/http-security.js';

@Module({})
class EmptyModule {}

async function headersWith(env: Record<string, string>): Promise<Record<string, unknown>> {
  const app = await NestFactory.create<NestFastifyApplication>(EmptyModule, new FastifyAdapter(), { logger: false });
  try {
    await applyHttpSecurity(app, loadConfig(env).security);
    app.getHttpAdapter().getInstance().get('/probe', async () => ({ ok: true }));
    await app.init();
    const answer = await app.getHttpAdapter().getInstance().inject({ method: 'GET', url: '/probe' });
    expect(answer.statusCode).toBe(200);
    return answer.headers;
  } finally {
    await app.close();
  }
}

describe('security headers', () => {
  it('sends HSTS and upgrade-insecure-requests when published over https', async () => {
    const headers = await headersWith({ EXPORT_PUBLIC_URL: 'https://stats.example.ml' });
    expect(headers['strict-transport-security']).toBe('max-age=15552000');
    expect(headers['content-security-policy']).toContain('upgrade-insecure-requests');
  });

  it('sends neither over plain http, and the rest of helmet either way', async () => {
    const headers = await headersWith({ EXPORT_PUBLIC_URL: 'http://stats.example.ml' });
    expect(headers['strict-transport-security']).toBeUndefined();
    expect(headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cross-origin-resource-policy']).toBe('cross-origin');
  });
});
