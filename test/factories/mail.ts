// Real receivers for delivery tests: an SMTP server (smtp-server, no TLS, no auth) that parses every
// message it accepts with mailparser, and an HTTP webhook receiver that checks the HMAC signature of
// each body. Both can be stopped and started again on the same port (a mail server that is down).
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort } from './redis.js';

export interface ReceivedMail {
  /** RCPT TO addresses. */
  to: string[];
  from: string;
  mail: ParsedMail;
  at: number;
}

export interface TestSmtp {
  port: number;
  url: string;
  messages: ReceivedMail[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves with the first message (already received or to come) that `match` accepts. */
  waitFor(match: (message: ReceivedMail) => boolean, ms?: number): Promise<ReceivedMail>;
}

export async function testSmtp(): Promise<TestSmtp> {
  const port = await freePort();
  const messages: ReceivedMail[] = [];
  let server: SMTPServer | null = null;
  const smtp: TestSmtp = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async start() {
      server = new SMTPServer({
        secure: false,
        authOptional: true,
        // Plain text on the loopback: without this nodemailer upgrades to TLS and rejects the test certificate.
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onData(stream, session, callback) {
          simpleParser(stream).then(
            (mail) => {
              messages.push({
                to: session.envelope.rcptTo.map((address) => address.address),
                from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
                mail,
                at: Date.now(),
              });
              callback();
            },
            (error: Error) => callback(error),
          );
        },
      });
      server.listen(port, '127.0.0.1');
      await once(server.server, 'listening');
    },
    async stop() {
      const running = server;
      server = null;
      if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
    },
    async waitFor(match, ms = 60_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching mail within ${ms} ms; received: ${messages.map((m) => m.mail.subject).join(' | ')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
  await smtp.start();
  return smtp;
}

export interface ReceivedHook {
  body: string;
  json: any;
  signature: string | undefined;
  /** The signature is sha256=<hex HMAC of the body under the test secret>. */
  signed: boolean;
  status: number;
}

export interface TestWebhook {
  url: string;
  hooks: ReceivedHook[];
  /** The next `n` POSTs are answered `status` (e.g. 503: retried, 410: not). */
  failNext(n: number, status?: number): void;
  close(): Promise<void>;
}

export async function testWebhook(secret: string): Promise<TestWebhook> {
  const hooks: ReceivedHook[] = [];
  let failing = 0;
  let failStatus = 503;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = request.headers['x-depanneteliman-signature'] as string | undefined;
      const signed = signature === `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      let status = signed ? 204 : 401;
      if (failing > 0) {
        failing--;
        status = failStatus;
      }
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      hooks.push({ body, json, signature, signed, status });
      response.statusCode = status;
      response.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hooks/reports`,
    hooks,
    failNext(n, status = 503) {
      failing = n;
      failStatus = status;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
