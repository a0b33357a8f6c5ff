// A throwaway redis-server on a free port, for tests that stop Redis under the service (the
// machine's Redis on 6379 is shared and must never be stopped), plus a client of our own to read
// what the service really wrote.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createClient } from '@keyv/redis';

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface TestRedis {
  port: number;
  url: string;
  /** Starts redis-server on `port` (again, after kill) and waits until it answers PING. */
  start(): Promise<void>;
  /** SIGKILL: Redis vanishes without closing anything, as in a crash. */
  kill(): Promise<void>;
}

export function testRedis(port: number): TestRedis {
  let server: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  return {
    port,
    url,
    async start() {
      // No persistence: a restarted Redis comes back empty, the harder case for the cache.
      server = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
        stdio: 'ignore',
      });
      const deadline = Date.now() + 10_000;
      for (;;) {
        const client = createClient({ url, socket: { connectTimeout: 200, reconnectStrategy: false } });
        client.on('error', () => undefined);
        try {
          await client.connect();
          await client.ping();
          return;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        } finally {
          if (client.isOpen) client.destroy();
        }
      }
    },
    async kill() {
      const running = server;
      server = null;
      if (!running || running.exitCode !== null) return;
      const exited = once(running, 'exit');
      running.kill('SIGKILL');
      await exited;
    },
  };
}

// Return type inferred: createClient() with options is a narrower generic than its default type.
export async function redisClient(url: string) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
