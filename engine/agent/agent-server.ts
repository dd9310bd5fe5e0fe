import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Connection, SILENCE_LIMIT_MS } from '../protocol/connection.ts';
import { serveSession, type AgentContext, type AgentCounts } from './agent-session.ts';
import { settleHandover } from './agent-cutover.ts';
import { settleLostHandover } from './handover-command.ts';
import { HandoverRecord } from './handover-record.ts';
import type { AgentCutover } from '../protocol/messages.ts';
import { CommitBatch } from './commit-batch.ts';
import { PathTasks } from './path-tasks.ts';
import { HashCache } from './hash-cache.ts';
import { recoverInPlace } from './in-place-journal.ts';
import { loadOrCreateIdentity, newPairingToken } from './identity.ts';
import { TargetRoot } from './target-root.ts';
import { TempJournal } from './temp-journal.ts';
import { oneFileAgent } from './one-file-agent.ts';
import { VmSupervisor } from './vm-supervisor.ts';

/** Large files' signatures read in the background at once (small files' are answered inline). */
const SIGNATURES_IN_FLIGHT = 8;

/** How to start an agent. */
export interface AgentOptions {
  root: string;
  stateDir: string;
  host?: string;
  port?: number;
  /** Fixed pairing token; by default one is made on first start and kept in the state dir. */
  token?: string;
  /** Shell command run on the target at handover, from the agent's own flags only. */
  handoverCommand?: string | null;
  /** Where a VM the source asks for is built and run (default: beside the root). */
  vmDir?: string;
  /** The one-file agent put into that VM (default: this program if it is one, else dist/p2v-agent). */
  agentBinary?: string;
  /** Called once a handover succeeded and its connection closed. */
  onHandedOver?: () => void;
  /** How long a paired source may say nothing before its session ends (default 60 s). */
  silenceLimitMs?: number;
  /**
   * Forget a cutover this agent recorded for its root (a stop, a handover): the technician
   * chose to migrate onto it again. Without it, such an agent refuses every write.
   */
  acceptNewMigration?: boolean;
  log?: (event: string, detail?: Record<string, unknown>) => void;
}

/** A running agent: where it listens and what a source needs to pair with it. */
export interface RunningAgent {
  host: string;
  port: number;
  fingerprint: string;
  token: string;
  root: string;
  /** Temp files a killed previous run left behind and this start removed. */
  removedTempFiles: number;
  /** Where a cutover onto this root stands (null while it takes writes). */
  cutover: AgentCutover | null;
  /** The cutover --accept-new-migration forgot at this start. */
  forgotten: AgentCutover | null;
  /** Files an in-place apply a kill interrupted was finished for at this start, and torn journals dropped. */
  inPlaceRecovered: { replayed: number; dropped: number };
  /** How signatures were answered and files applied since the start. */
  counts: AgentCounts;
  close(): Promise<void>;
}

/** Starts the target agent: a TLS server that writes only inside `root`, only after pairing. */
export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const log = options.log ?? (() => undefined);
  await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
  const identity = await loadOrCreateIdentity(options.stateDir);
  const token = options.token ?? (await loadOrCreateToken(options.stateDir));
  const root = await TargetRoot.open(options.root);
  const { journal, removed: journaled } = await TempJournal.open(options.stateDir);
  // In-place applies a kill interrupted: sealed ones are finished, torn ones dropped, before
  // anything is read or answered.
  const inPlace = recoverInPlace(options.stateDir);
  if (inPlace.replayed.length > 0 || inPlace.dropped > 0)
    log('in-place-recovered', { replayed: inPlace.replayed.length, dropped: inPlace.dropped });
  // The journal is not fsynced: what a power loss took from it is found by name.
  const removed = journaled + root.sweepTempFiles(journal.liveFiles);
  const { record, forgotten } = await HandoverRecord.open(
    options.stateDir,
    root.path,
    Boolean(options.acceptNewMigration),
  );
  if (forgotten) log('accepted-new-migration', { forgotten });
  const context: AgentContext = {
    root,
    journal,
    hashes: await HashCache.open(options.stateDir, inPlace.replayed),
    token,
    canChown: process.getuid?.() === 0,
    handoverCommand: options.handoverCommand ?? null,
    commits: new CommitBatch(journal),
    signatures: new PathTasks(SIGNATURES_IN_FLIGHT),
    handover: record,
    stateDir: options.stateDir,
    handoverRunning: null,
    writer: null,
    ownFolders: new Set(
      [options.stateDir, options.vmDir ?? `${root.path.replace(/\/+$/, '')}.vm`].map((dir) =>
        Buffer.from(resolve(dir), 'utf8').toString('latin1'),
      ),
    ),
    silenceLimitMs: options.silenceLimitMs ?? SILENCE_LIMIT_MS,
    counts: {
      signaturesKept: 0,
      signaturesRead: 0,
      probed: 0,
      appliedInPlace: 0,
      appliedByRename: 0,
    },
    ...(options.onHandedOver ? { onHandedOver: options.onHandedOver } : {}),
    vms: new VmSupervisor({
      tree: root.path,
      dir: options.vmDir ?? `${root.path.replace(/\/+$/, '')}.vm`,
      agentBinary: options.agentBinary ?? oneFileAgent(),
      host: options.host ?? '127.0.0.1',
    }),
    log,
  };
  const lost = record.current;
  // A handover command an earlier run started: its result is waited for, never guessed.
  if (lost?.state === 'handing-over')
    context.handoverRunning = settleHandover(
      context,
      lost.migration,
      settleLostHandover(options.stateDir, record.attempt),
    );
  const sockets = new Set<TLSSocket>();
  const server: Server = createServer(
    { key: identity.key, cert: identity.cert, minVersion: 'TLSv1.3' },
    (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.setNoDelay(true);
      log('connection', { from: socket.remoteAddress });
      void serveSession(new Connection(socket), context);
    },
  );
  server.on('tlsClientError', (error) => log('tls-error', { message: error.message }));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host,
    port,
    fingerprint: identity.fingerprint,
    token,
    root: root.path,
    removedTempFiles: removed,
    inPlaceRecovered: { replayed: inPlace.replayed.length, dropped: inPlace.dropped },
    counts: context.counts,
    cutover: record.current,
    forgotten,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(
          () =>
            void Promise.all([journal.close(), context.hashes.flush()]).then(
              () => resolve(),
              () => resolve(),
            ),
        );
      }),
  };
}

async function loadOrCreateToken(stateDir: string): Promise<string> {
  const file = join(stateDir, 'pairing-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const token = newPairingToken();
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}
