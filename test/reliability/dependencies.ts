// Dependencies the reliability tests may stop and start without touching the shared ones: a
// redis-server of their own, an s3rver of their own, and a TCP proxy in front of the shared
// PostgreSQL (which cannot be stopped) that can be cut and restored.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import S3rver from 's3rver';
import { freePort } from '../../bench/server-process';
import { eventually } from '../support/eventually';

/** A redis-server on its own loopback port, with an append-only file so a restart keeps its data. */
export class OwnRedis {
  private child: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'scs-redis-'));
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir], {
      stdio: 'ignore',
    });
    await eventually(
      async () => {
        const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      },
      10_000,
      'redis-server',
    );
  }

  /** Stops the server as a crash would (SIGKILL); the AOF keeps what was acknowledged. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** An s3rver on its own port and directory; a restart serves the same objects. */
export class OwnS3 {
  private server: S3rver | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'scs-s3-'));
  port = 0;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.server = new S3rver({ address: '127.0.0.1', port: this.port, silent: true, directory: this.dir, vhostBuckets: false });
    await this.server.run();
  }

  /** Stops serving at once: open keep-alive connections are dropped, as a crash would drop them. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    const closed = server.close();
    server.httpServer?.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A TCP proxy to PostgreSQL (or any TCP service). `cut()` drops every open connection and refuses
 * new ones (what a database crash or a network partition looks like to the app); `blackhole()`
 * keeps connections open and accepts new ones but forwards nothing (a hung server, a silent
 * network); `restore()` lets everything through again, what was held back included.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly pipes = new Set<[Socket, Socket]>();
  /** Connections accepted while black-holed: their upstream is opened on restore. */
  private readonly held = new Set<Socket>();
  private down = false;
  private silent = false;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = createServer((client) => {
      if (this.down) {
        client.destroy();
        return;
      }
      this.sockets.add(client);
      client.on('error', () => client.destroy());
      client.on('close', () => {
        this.sockets.delete(client);
        this.held.delete(client);
      });
      if (this.silent) {
        client.pause();
        this.held.add(client);
        return;
      }
      this.forward(client);
    });
  }

  private forward(client: Socket): void {
    const upstream = createConnection(this.targetPort, this.targetHost);
    this.sockets.add(upstream);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      const pair: [Socket, Socket] = [a, b];
      this.pipes.add(pair);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        this.pipes.delete(pair);
        b.destroy();
      });
      a.pipe(b);
      if (this.silent) {
        a.unpipe(b);
        a.pause();
      }
    }
  }

  blackhole(): void {
    this.silent = true;
    for (const [a, b] of this.pipes) {
      a.unpipe(b);
      a.pause();
    }
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.down = false;
    if (!this.silent) return;
    this.silent = false;
    for (const [a, b] of this.pipes) a.pipe(b);
    for (const client of this.held) this.forward(client);
    this.held.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((r) => this.server.close(r));
  }
}
