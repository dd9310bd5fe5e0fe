import { isTransient, P2VError } from '../../shared/errors.ts';
import type { MigrationEvent } from '../../shared/events.ts';
import type { RateLimit } from '../protocol/rate-limit.ts';
import type { BlockCompression } from '../protocol/block-compression.ts';
import { AgentClient, type AgentAddress } from '../source/agent-client.ts';

/** What the link needs from the migration it serves. */
export interface LinkOptions {
  /** The migration the connections write for: the agent fences its older sessions. */
  migrationId: string;
  /** Reconnect attempts once paired (default 30); a first connection gets 3. */
  reconnectAttempts?: number;
  silenceLimitMs?: number;
  /** The bandwidth limit every connection's sending is held to. */
  rateLimit?: RateLimit;
  /** How file data is compressed, across connections. */
  compression?: BlockCompression;
  /** Waits before a reconnect attempt; injected so tests need not wait. */
  backoff?: (attempt: number) => Promise<void>;
  /** Throws CANCELLED once the technician cancelled. */
  checkCancelled: () => void;
  emit: (event: MigrationEvent) => void;
  /** Runs on each new connection before it is used; throwing refuses it. */
  onConnected: (client: AgentClient, first: boolean) => Promise<void>;
}

const defaultBackoff = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));

/**
 * The source's link to the agent, with its retries: connects (a wrong address fails in seconds,
 * a restarting agent is waited for once paired), and runs each step again over a new connection
 * when the old one is lost, which resumes by design.
 */
export class AgentLink {
  client: AgentClient | null = null;
  private connectedOnce = false;

  constructor(
    public target: AgentAddress,
    private readonly options: LinkOptions,
  ) {}

  /** Connects, retrying transient failures; not `cancellable` once only an answer may end it. */
  async connect(cancellable = true): Promise<AgentClient> {
    const attempts = this.connectedOnce ? (this.options.reconnectAttempts ?? 30) : 3;
    const backoff = this.options.backoff ?? defaultBackoff;
    for (let attempt = 0; ; attempt++) {
      if (cancellable) this.options.checkCancelled();
      try {
        this.client = await AgentClient.connect(this.target, {
          migration: this.options.migrationId,
          ...(this.options.silenceLimitMs ? { silenceLimitMs: this.options.silenceLimitMs } : {}),
          ...(this.options.rateLimit ? { rateLimit: this.options.rateLimit } : {}),
          ...(this.options.compression ? { compression: this.options.compression } : {}),
        });
        await this.options.onConnected(this.client, !this.connectedOnce);
        this.connectedOnce = true;
        return this.client;
      } catch (error) {
        if (!isTransient(error) || attempt + 1 >= attempts) throw error;
        this.emitReconnect(attempt + 1, error);
        await backoff(attempt);
      }
    }
  }

  /**
   * Runs a step; if the connection drops, reconnects and runs it again (it resumes by design).
   * Not `cancellable` once the target was asked to start the program: then only its answer ends it.
   */
  async withReconnect<T>(
    step: (client: AgentClient) => Promise<T>,
    cancellable = true,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (cancellable) this.options.checkCancelled();
      const client = this.client ?? (await this.connect(cancellable));
      try {
        return await step(client);
      } catch (error) {
        if (!isTransient(error) && !(error instanceof P2VError && error.code === 'BAD_FRAME'))
          throw error;
        if (attempt + 1 >= (this.options.reconnectAttempts ?? 30)) throw error;
        this.emitReconnect(attempt + 1, error);
        client.conn.destroy();
        this.client = null;
        await (this.options.backoff ?? defaultBackoff)(attempt);
      }
    }
  }

  /** Moves to another agent (the one inside the VM) and connects to it. */
  async moveTo(target: AgentAddress): Promise<void> {
    await this.close();
    this.target = target;
    await this.connect();
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = null;
  }

  private emitReconnect(attempt: number, error: unknown): void {
    this.options.emit({
      type: 'reconnect',
      attempt,
      reason: (error as Error).message,
      ...(error instanceof P2VError ? { error: error.toJSON() } : {}),
    });
  }
}
