import { connect, type TLSSocket } from 'node:tls';
import { P2VError, type ErrorInfo } from '../../shared/errors.ts';
import { normaliseFingerprint } from '../agent/identity.ts';
import {
  Connection,
  KEEPALIVE_EVERY_MS,
  parseMessage,
  SILENCE_LIMIT_MS,
} from '../protocol/connection.ts';
import { FrameType } from '../protocol/frame.ts';
import type { RateLimit } from '../protocol/rate-limit.ts';
import type { BlockCompression } from '../protocol/block-compression.ts';
import {
  PROTOCOL_VERSION,
  TREE_PAGE_MAX,
  type AgentInfo,
  type Request,
  type Response,
  type TreeEntry,
} from '../protocol/messages.ts';
import { SignatureStream } from './signature-stream.ts';
import type { VmProgress, VmRequest } from '../../shared/vm-image.ts';

const CONNECT_TIMEOUT_MS = 15_000;

/** Where the agent is and what the technician confirmed about it. */
export interface AgentAddress {
  host: string;
  port: number;
  token: string;
  fingerprint: string;
}

type Simple = Exclude<
  Response,
  { t: 'sigHead' } | { t: 'sigEnd' } | { t: 'fail' } | { t: 'vmProgress' }
>;

interface Pending {
  id: number;
  progress?: (message: Extract<Response, { t: 'vmProgress' }>) => void;
  resolve?: (response: Simple) => void;
  reject?: (error: Error) => void;
  signature?: SignatureStream;
}

/** Request bodies without the id the client assigns. */
export type RequestBody = Request extends infer R
  ? R extends Request
    ? Omit<R, 'id'>
    : never
  : never;

/**
 * The source's side of one connection to the agent. Requests are pipelined: each is written at
 * once and its answer matched in order, so many small operations cost no round trip each.
 */
export class AgentClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | null = null;

  /** How file data is compressed on this connection; null when it is not. */
  compression: BlockCompression | null = null;

  private constructor(
    readonly conn: Connection,
    readonly agent: AgentInfo,
  ) {
    void this.readLoop();
  }

  /**
   * Connects over TLS, checks the agent's certificate against the confirmed fingerprint before
   * anything is sent, then pairs with the token.
   */
  static async connect(
    address: AgentAddress,
    {
      timeoutMs = CONNECT_TIMEOUT_MS,
      silenceLimitMs = SILENCE_LIMIT_MS,
      migration,
      rateLimit,
      compression,
    }: {
      timeoutMs?: number;
      silenceLimitMs?: number;
      /** The migration this connection writes for: it fences the migration's older sessions. */
      migration?: string;
      /** The bandwidth limit what this connection sends is held to. */
      rateLimit?: RateLimit;
      /** How file data is compressed, if the agent takes it (shared by the migration's connections). */
      compression?: BlockCompression;
    } = {},
  ): Promise<AgentClient> {
    const socket = await openPinned(address, timeoutMs);
    const conn = new Connection(socket, rateLimit);
    await conn.send({
      t: 'hello',
      id: 0,
      version: PROTOCOL_VERSION,
      token: address.token,
      ...(migration ? { migration } : {}),
      ...(compression?.offered.length ? { compression: compression.offered } : {}),
    });
    // A peer that completes TLS but never answers (a port forward whose far end is still
    // booting) must not hold the caller forever: it retries instead.
    const timer = setTimeout(
      () =>
        conn.destroy(
          new P2VError('CONNECT_FAILED', `no answer to hello from ${address.host}:${address.port}`),
        ),
      timeoutMs,
    );
    const answer = await conn
      .nextMessage()
      .catch((error: unknown) => {
        throw error instanceof P2VError ? error : new P2VError('CONNECTION_LOST', String(error));
      })
      .finally(() => clearTimeout(timer));
    if (answer.t === 'fail') {
      conn.destroy();
      throw P2VError.fromJSON((answer as { error: ErrorInfo }).error);
    }
    if (answer.t !== 'welcome') throw new P2VError('BAD_FRAME', `unexpected ${String(answer.t)}`);
    conn.keepAlive(
      KEEPALIVE_EVERY_MS,
      silenceLimitMs,
      `the agent at ${address.host}:${address.port}`,
    );
    const agent = (answer as { agent: AgentInfo }).agent;
    const client = new AgentClient(conn, agent);
    if (compression && agent.compression === 'brotli') client.compression = compression;
    return client;
  }

  /**
   * Sends a request and resolves with its answer; a `fail` answer rejects with its error.
   * `onProgress` gets the progress messages that may come before the answer (`vmStart`).
   */
  request<T extends Simple['t']>(
    body: RequestBody,
    onProgress?: (progress: VmProgress) => void,
  ): Promise<Extract<Simple, { t: T }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending.set(id, {
        id,
        resolve: resolve as (r: Simple) => void,
        reject,
        ...(onProgress ? { progress: (message) => onProgress(message.progress) } : {}),
      });
      this.conn.send({ ...body, id }).catch(reject);
    });
  }

  /**
   * Every entry the target holds below `path`, a page at a time: memory stays bounded however
   * large the tree.
   */
  async *listTree(
    path: string,
    attributes: boolean,
    pageSize = TREE_PAGE_MAX,
  ): AsyncGenerator<TreeEntry> {
    let after: string | null = null;
    do {
      const page: Extract<Simple, { t: 'treePage' }> = await this.request<'treePage'>({
        t: 'tree',
        path,
        after,
        max: pageSize,
        attributes,
      });
      yield* page.entries;
      after = page.next;
    } while (after !== null);
  }

  /** Asks the agent to build and start the VM; its progress messages arrive before the answer. */
  startVm(
    vm: VmRequest,
    onProgress: (progress: VmProgress) => void,
  ): Promise<Extract<Simple, { t: 'vmReady' }>> {
    return this.request<'vmReady'>({ t: 'vmStart', vm }, onProgress);
  }

  /** Sends a request without waiting for the write to drain; the answer still comes in order. */
  requestSignature(path: string, blockSize: number): SignatureStream {
    const id = this.nextId++;
    const signature = new SignatureStream();
    if (this.failure) signature.fail(this.failure);
    else {
      this.pending.set(id, { id, signature });
      this.conn
        .send({ t: 'sig', id, path, blockSize })
        .catch((error: Error) => signature.fail(error));
    }
    return signature;
  }

  /** Starts a put; the caller then sends frames and ends it with `endPut`. */
  beginPut(body: Omit<Extract<Request, { t: 'put' }>, 'id' | 't'>): {
    id: number;
    done: Promise<Simple>;
  } {
    const id = this.nextId++;
    const done = new Promise<Simple>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending.set(id, { id, resolve, reject });
      this.conn.send({ t: 'put', id, ...body }).catch(reject);
    });
    done.catch(() => undefined);
    return { id, done };
  }

  sendBlocks(offset: number, data: Buffer): Promise<void> {
    const body = Buffer.allocUnsafe(8 + data.length);
    body.writeBigUInt64BE(BigInt(offset), 0);
    data.copy(body, 8);
    return this.conn.sendFrame(FrameType.blocks, body);
  }

  /**
   * Compresses `data` if this connection compresses and it is worth it (on the thread pool, so
   * several runs of a chunk compress at once), and resolves with the send to issue: its frames
   * must still go out in order, so the caller issues the sends of a chunk together.
   */
  async prepareBlocks(offset: number, data: Buffer): Promise<() => Promise<void>> {
    const packed = this.compression ? await this.compression.pack(data) : null;
    if (!packed) return () => this.sendBlocks(offset, data);
    const body = Buffer.allocUnsafe(8 + packed.length);
    body.writeBigUInt64BE(BigInt(offset), 0);
    packed.copy(body, 8);
    return () => this.conn.sendFrame(FrameType.compressedBlocks, body);
  }

  /** Sends the frames `issue` starts in one write (see Connection.sendTogether). */
  sendTogether(issue: () => Promise<void>[]): Promise<void> {
    return this.conn.sendTogether(issue);
  }

  sendHole(offset: number, length: number): Promise<void> {
    const body = Buffer.allocUnsafe(16);
    body.writeBigUInt64BE(BigInt(offset), 0);
    body.writeBigUInt64BE(BigInt(length), 8);
    return this.conn.sendFrame(FrameType.hole, body);
  }

  endPut(id: number, hash: string): Promise<void> {
    return this.conn.send({ t: 'putEnd', id, hash });
  }

  get bytesOnWire(): number {
    return this.conn.bytesSent + this.conn.bytesReceived;
  }

  async close(): Promise<void> {
    await this.conn.close();
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        const frame = await this.conn.next();
        if (frame.type === FrameType.signature) {
          if (frame.body.length < 4) throw new P2VError('BAD_FRAME', 'short signature frame');
          const waiting = this.pending.get(frame.body.readUInt32BE(0));
          if (!waiting?.signature)
            throw new P2VError('BAD_FRAME', 'signature data without a request');
          await waiting.signature.push(frame.body.subarray(4));
          continue;
        }
        if (frame.type !== FrameType.message)
          throw new P2VError('BAD_FRAME', `unexpected frame ${frame.type}`);
        const message = parseMessage(frame.body) as unknown as Response;
        if (message.t === 'fail' && message.id === -1)
          throw P2VError.fromJSON(message.error as ErrorInfo);
        const waiting = this.pending.get(message.id);
        if (!waiting) throw new P2VError('BAD_FRAME', `answer to unknown request ${message.id}`);
        if (waiting.signature) {
          if (message.t === 'sigHead') waiting.signature.setHead(message);
          else if (message.t === 'sigEnd') {
            waiting.signature.end();
            this.pending.delete(message.id);
          } else if (message.t === 'fail') {
            waiting.signature.fail(P2VError.fromJSON(message.error as ErrorInfo));
            this.pending.delete(message.id);
          } else throw new P2VError('BAD_FRAME', `unexpected ${message.t} in a signature`);
          continue;
        }
        if (message.t === 'vmProgress') {
          waiting.progress?.(message);
          continue;
        }
        this.pending.delete(message.id);
        if (message.t === 'fail') waiting.reject?.(P2VError.fromJSON(message.error as ErrorInfo));
        else waiting.resolve?.(message as Simple);
      }
    } catch (error) {
      const failure =
        error instanceof P2VError
          ? error
          : new P2VError('CONNECTION_LOST', String((error as Error).message));
      this.failure = failure;
      for (const waiting of this.pending.values()) {
        waiting.reject?.(failure);
        waiting.signature?.fail(failure);
      }
      this.pending.clear();
      this.conn.destroy(failure);
    }
  }
}

function openPinned(address: AgentAddress, timeoutMs: number): Promise<TLSSocket> {
  const expected = normaliseFingerprint(address.fingerprint);
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: address.host,
      port: address.port,
      // The agent's certificate is self-signed: trust comes from the pinned fingerprint below,
      // which the technician confirmed, not from a CA.
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new P2VError('CONNECT_FAILED', `no answer from ${address.host}:${address.port}`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const presented = normaliseFingerprint(socket.getPeerX509Certificate()?.fingerprint256 ?? '');
      if (presented !== expected) {
        socket.destroy();
        reject(new P2VError('FINGERPRINT_MISMATCH', `presented ${presented || 'none'}`));
        return;
      }
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new P2VError('CONNECT_FAILED', `${address.host}:${address.port}: ${error.message}`));
    });
  });
}
