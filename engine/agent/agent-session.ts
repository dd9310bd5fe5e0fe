import { timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, lstatSync, readSync, type BigIntStats } from 'node:fs';
import { hostname } from 'node:os';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { P2VError, type ErrorInfo } from '../../shared/errors.ts';
import {
  blockSizeFor,
  ENTRY_BYTES,
  isValidBlockSize,
  WholeFileHash,
  writeSignature,
  SMALL_FILE_MAX,
} from '../checksum/block-checksums.ts';
import { type EntryReader, type SignatureWriter, STORE_MIN } from './signature-store.ts';
import { Connection, KEEPALIVE_EVERY_MS } from '../protocol/connection.ts';
import { FrameType } from '../protocol/frame.ts';
import {
  PROTOCOL_VERSION,
  COMPRESSION_CODECS,
  Request,
  type EntryMeta,
  type ProbeResult,
  type RequestOf,
  type Response,
} from '../protocol/messages.ts';
import { readXattrs, xattrDigest } from '../paths/xattrs.ts';
import { openNoAtimeSync } from '../paths/no-atime.ts';
import type { HandoverRecord } from './handover-record.ts';
import { answerStop, refusalAfterStop, reopen, runHandover } from './agent-cutover.ts';
import { drainUntilEnd, receivePut } from './apply-put.ts';
import { makeDirectory, makeHardLink, makeSymlink, removeEntry, setMetadata } from './entry-ops.ts';
import type { CommitBatch } from './commit-batch.ts';
import type { PathTasks } from './path-tasks.ts';
import type { HashCache } from './hash-cache.ts';
import { statKey } from '../paths/stat-key.ts';
import type { TargetRoot } from './target-root.ts';
import { describeTarget } from './describe-target.ts';
import { listFiles } from './list-files.ts';
import { listTree } from './list-tree.ts';
import type { TempJournal } from './temp-journal.ts';
import type { VmSupervisor } from './vm-supervisor.ts';

const HANDSHAKE_TIMEOUT_MS = 10_000;
const SIGNATURE_CHUNK = 1024 * 1024;
/** Entries a frame of a kept signature carries (64 KiB). */
const STORED_ENTRIES_PER_FRAME = 4096;
/** Chunks of a large signature read between two turns of the event loop. */
const YIELD_EVERY_CHUNKS = 16;

/** What every session of one agent shares. */
export interface AgentContext {
  root: TargetRoot;
  journal: TempJournal;
  hashes: HashCache;
  token: string;
  canChown: boolean;
  handoverCommand: string | null;
  /** Files being committed while the next ones arrive. */
  commits: CommitBatch;
  /** Signatures being read and sent while the connection is read on. */
  signatures: PathTasks;
  /** Where the cutover stands, on disk: once a stop request was answered, no more writes. */
  handover: HandoverRecord;
  /** The agent's state folder, where the handover command leaves its result. */
  stateDir: string;
  /** Settles once the handover command that runs (or a lost one waited for) is recorded. */
  handoverRunning: Promise<void> | null;
  /** The newest session that writes for a migration; older ones are fenced. */
  writer: Session | null;
  /** The agent's own folders, if they are inside the root: never listed as part of the tree. */
  ownFolders: ReadonlySet<string>;
  /** How long a paired source may say nothing before the session ends. */
  silenceLimitMs: number;
  /** Called once a handover succeeded and its connection closed. */
  onHandedOver?: () => void;
  /** How the agent answered and applied, since it started: logged at each disconnect. */
  counts: AgentCounts;
  /** Builds and starts the VM the rounds go to. */
  vms: VmSupervisor;
  log: (event: string, detail?: Record<string, unknown>) => void;
}

/** What the agent did the cheap way and the dear way. */
export interface AgentCounts {
  /** Signatures answered from kept block hashes, without reading the file. */
  signaturesKept: number;
  /** Signatures answered by reading the file. */
  signaturesRead: number;
  /** Files whose checksum a source asked for before a signature (`probe`). */
  probed: number;
  /** Files changed in place under a redo journal. */
  appliedInPlace: number;
  /** Files rebuilt in a temp file and renamed over the target. */
  appliedByRename: number;
}

/** One paired connection, and whether a newer session of its migration has fenced it. */
export interface Session {
  conn: Connection;
  fenced: boolean;
}

/**
 * A session that names its migration becomes that migration's writer: the one before it is
 * fenced (closed, and nothing it still had buffered is committed), so a connection the source
 * gave up on cannot write after the resumed one started.
 */
function takeOver(ctx: AgentContext, session: Session, migration: string): void {
  const previous = ctx.writer;
  ctx.writer = session;
  if (!previous || previous.fenced) return;
  previous.fenced = true;
  ctx.log('fenced', { migration });
  previous.conn.destroy(
    new P2VError('CONNECTION_LOST', 'a newer session of the migration took over'),
  );
}

/** Serves one connection: the pairing handshake, then requests in order until it closes. */
export async function serveSession(conn: Connection, ctx: AgentContext): Promise<void> {
  const session: Session = { conn, fenced: false };
  try {
    const hello = await handshake(conn, ctx);
    if (!hello) return;
    if (hello.migration) takeOver(ctx, session, hello.migration);
    // A source gone silent ends the session, so a half-received file is cleaned up.
    conn.keepAlive(KEEPALIVE_EVERY_MS, ctx.silenceLimitMs, 'the source');
    for (;;) {
      // Before waiting for the peer, commit what was received: it may be waiting for those answers.
      ctx.commits.maybeFlush(!conn.hasQueuedFrames);
      const frame = await conn.next();
      if (frame.type !== FrameType.message) throw new P2VError('BAD_FRAME', 'data outside a put');
      const parsed = Request.safeParse(JSON.parse(frame.body.toString('utf8')));
      if (!parsed.success)
        throw new P2VError('BAD_FRAME', parsed.error.issues[0]?.message ?? 'bad request');
      const request = parsed.data;
      if (session.fenced) throw new P2VError('CONNECTION_LOST', 'fenced by a newer session');
      try {
        await dispatch(session, ctx, request);
      } catch (error) {
        if (
          error instanceof P2VError &&
          (error.code === 'BAD_FRAME' || error.code === 'CONNECTION_LOST')
        )
          throw error;
        const info = toErrorInfo(error);
        ctx.log('refused', { request: request.t, ...info });
        await send(conn, { t: 'fail', id: request.id, error: info });
      }
    }
  } catch (error) {
    if (error instanceof P2VError && error.code === 'CONNECTION_LOST') {
      ctx.log('connection-lost', { message: error.message });
      return;
    }
    const info = toErrorInfo(error);
    ctx.log('session-error', { ...info });
    await send(conn, { t: 'fail', id: -1, error: info }).catch(() => undefined);
    await conn.close().catch(() => undefined);
  } finally {
    await ctx.signatures.waitAll();
    await ctx.commits.waitAll();
    // Logged after any half-applied file was cleaned up.
    ctx.log('disconnected', { ...ctx.counts });
  }
}

async function handshake(conn: Connection, ctx: AgentContext): Promise<RequestOf<'hello'> | false> {
  const timer = setTimeout(
    () => conn.destroy(new P2VError('AUTH_REQUIRED', 'no hello in time')),
    HANDSHAKE_TIMEOUT_MS,
  );
  let message: Record<string, unknown>;
  try {
    message = await conn.nextMessage();
  } finally {
    clearTimeout(timer);
  }
  const refuse = async (error: P2VError): Promise<false> => {
    ctx.log('refused-connection', { code: error.code });
    await send(conn, { t: 'fail', id: 0, error: error.toJSON() }).catch(() => undefined);
    await conn.close();
    return false;
  };
  const parsed = Request.safeParse(message);
  if (!parsed.success || parsed.data.t !== 'hello') return refuse(new P2VError('AUTH_REQUIRED'));
  const hello = parsed.data;
  if (!tokensMatch(hello.token, ctx.token)) return refuse(new P2VError('AUTH_FAILED'));
  if (hello.version !== PROTOCOL_VERSION) {
    return refuse(
      new P2VError('PROTOCOL_VERSION', `agent ${PROTOCOL_VERSION}, source ${hello.version}`),
    );
  }
  await send(conn, {
    t: 'welcome',
    id: hello.id,
    agent: {
      hostname: hostname(),
      platform: process.platform,
      protocol: PROTOCOL_VERSION,
      canChown: ctx.canChown,
      handoverCommand: ctx.handoverCommand,
      cutover: ctx.handover.current,
      compression: COMPRESSION_CODECS.find((c) => hello.compression?.includes(c)) ?? null,
    },
  });
  ctx.log('paired', hello.migration ? { migration: hello.migration } : undefined);
  return hello;
}

function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Requests still answered after the stop request: they write nothing, or are the cutover's own. */
const AFTER_STOP = new Set<Request['t']>([
  'tree',
  'sig',
  'probe',
  'hash',
  'ping',
  'describe',
  'list',
  'stop',
  'handover',
  'reopen',
]);

async function dispatch(session: Session, ctx: AgentContext, request: Request): Promise<void> {
  const conn = session.conn;
  const cutover = ctx.handover.current;
  if (cutover && !AFTER_STOP.has(request.t)) {
    if (request.t === 'put') await drainUntilEnd(() => conn.next(), request.id);
    throw refusalAfterStop(cutover);
  }
  await waitForEarlierWork(ctx, request);
  switch (request.t) {
    case 'hello':
      throw new P2VError('BAD_FRAME', 'hello twice');
    case 'ping':
      return send(conn, { t: 'ack', id: request.id });
    case 'sig':
      return answerSignature(conn, ctx, request);
    case 'put': {
      const received = await receivePut(ctx, request, () => conn.next());
      ctx.commits.add(
        request.path,
        received,
        async (error) => {
          if (error) {
            if (received.sig) ctx.hashes.signatures.remove(received.sig);
            const info = toErrorInfo(error);
            ctx.log('refused', { request: 'put', ...info });
            return send(conn, { t: 'fail', id: request.id, error: info }).catch(() => undefined);
          }
          ctx.hashes.remember(received.placement.full, received.hash, received.sig);
          if (received.kind === 'in-place') ctx.counts.appliedInPlace++;
          else ctx.counts.appliedByRename++;
          const said = received.warning ? { warning: received.warning } : {};
          return send(conn, { t: 'ack', id: request.id, ...said }).catch(() => undefined);
        },
        () => !session.fenced,
      );
      ctx.commits.maybeFlush(false);
      return;
    }
    case 'putEnd':
      throw new P2VError('BAD_FRAME', 'putEnd without put');
    case 'mkdir': {
      let warning: string | undefined;
      const dir = makeDirectory(ctx.root, request, ctx.canChown, (w) => (warning = w));
      return answerAfterDirectorySync(conn, ctx, request, dir, warning);
    }
    case 'symlink': {
      let warning: string | undefined;
      const dir = makeSymlink(ctx.root, request, ctx.canChown, (w) => (warning = w));
      return answerAfterDirectorySync(conn, ctx, request, dir, warning);
    }
    case 'link':
      return answerAfterDirectorySync(conn, ctx, request, makeHardLink(ctx.root, request));
    case 'meta': {
      let warning: string | undefined;
      const set = (): void => setMetadata(ctx.root, request, ctx.canChown, (w) => (warning = w));
      const { full, dir } = ctx.root.place(request.path, false);
      if (request.kind === 'file') ctx.hashes.keepAcross(full, set);
      else set();
      // Acknowledged once on disk: the entry's own inode, or a symlink's folder (a symlink
      // cannot be opened to be fsynced; its folder's journal commit carries it).
      return answerAfterDirectorySync(
        conn,
        ctx,
        request,
        request.kind === 'symlink' ? dir : full,
        warning,
      );
    }
    case 'remove': {
      const removed = removeEntry(ctx.root, request);
      if (removed) ctx.hashes.forget(removed.full);
      return answerAfterDirectorySync(conn, ctx, request, removed?.dir ?? null);
    }
    case 'hash':
      return sendHashes(conn, ctx, request);
    case 'probe':
      return answerProbe(conn, ctx, request);
    case 'stop':
      return answerStop(conn, ctx, request);
    case 'handover':
      return runHandover(conn, ctx, request);
    case 'reopen':
      return reopen(conn, ctx, request);
    case 'describe':
      return send(conn, {
        t: 'described',
        id: request.id,
        ...(await describeTarget(ctx.root.path)),
      });
    case 'vmStart': {
      ctx.log('vm-start', { boot: request.vm.boot, format: request.vm.format });
      // Every commit is done (vmStart waits for them): no temp file may go into the image.
      const swept = ctx.root.sweepTempFiles(ctx.journal.liveFiles);
      if (swept > 0) ctx.log('swept-temp-files', { count: swept });
      const started = await ctx.vms.start(request.vm, (progress) => {
        void send(conn, { t: 'vmProgress', id: request.id, progress }).catch(() => undefined);
      });
      ctx.log('vm-ready', { pid: started.pid, agentPort: started.agentPort });
      return send(conn, { t: 'vmReady', id: request.id, vm: started });
    }
    case 'tree':
      return send(conn, {
        t: 'treePage',
        id: request.id,
        ...listTree(
          ctx.root,
          request.path,
          request.after,
          request.max,
          ctx.ownFolders,
          request.attributes,
        ),
      });
    case 'list':
      return send(conn, {
        t: 'listing',
        id: request.id,
        ...listFiles(ctx.root, request.path, request.max),
      });
  }
}

/** Answers once the folder whose entries changed is fsynced (with the next commit batch). */
function answerAfterDirectorySync(
  conn: Connection,
  ctx: AgentContext,
  request: Request & { path: string },
  dir: Buffer | null,
  warning?: string,
): Promise<void> {
  const said = warning ? { warning } : {};
  if (!dir) return send(conn, { t: 'ack', id: request.id, ...said });
  ctx.commits.addMadeEntry(request.path, dir, async (error) => {
    const answer: Response = error
      ? { t: 'fail', id: request.id, error: toErrorInfo(error) }
      : { t: 'ack', id: request.id, ...said };
    await send(conn, answer).catch(() => undefined);
  });
  return Promise.resolve();
}

/**
 * Answers go by id, so a put's commit may finish after later requests were answered. What a
 * request depends on must be done first: earlier work on the same path; for a hard link, its
 * existing file; for a folder's times, the files still to be renamed into it; for a removal, a
 * verification or the stop, everything.
 */
async function waitForEarlierWork(ctx: AgentContext, request: Request): Promise<void> {
  switch (request.t) {
    case 'ping':
    case 'hello':
    case 'putEnd':
    case 'describe':
      return;
    case 'put':
      if (request.baseFrom !== undefined) await ctx.commits.waitFor(request.baseFrom);
      return ctx.commits.waitFor(request.path);
    case 'probe':
      for (const path of request.paths) await ctx.commits.waitFor(path);
      return;
    case 'sig':
    case 'mkdir':
    case 'symlink':
      return ctx.commits.waitFor(request.path);
    case 'link':
      await ctx.commits.waitFor(request.existing);
      return ctx.commits.waitFor(request.path);
    case 'meta': {
      if (request.kind !== 'dir') return ctx.commits.waitFor(request.path);
      // Only files still to be renamed into this folder would change its times after they are set.
      const folder = placeExisting(ctx, request.path);
      return folder ? ctx.commits.waitForRenamesInto(folder) : ctx.commits.waitAll();
    }
    case 'remove':
    case 'hash':
    case 'list':
    case 'tree':
    case 'stop':
    case 'handover':
    case 'reopen':
    case 'vmStart':
      await ctx.signatures.waitAll();
      return ctx.commits.waitAll();
  }
}

/** Answers a `sig` request: inline for absent and small files, in the background for big ones. */
async function answerSignature(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'sig'>,
): Promise<void> {
  if (!isValidBlockSize(request.blockSize))
    throw new P2VError('BAD_ARGUMENT', `block size ${request.blockSize}`);
  const full = placeExisting(ctx, request.path);
  const info = full ? lstatSync(full, { bigint: true, throwIfNoEntry: false }) : undefined;
  if (!full || !info || !info.isFile()) {
    await send(conn, {
      t: 'sigHead',
      id: request.id,
      exists: false,
      size: 0,
      blockSize: request.blockSize,
    });
    return send(conn, { t: 'sigEnd', id: request.id });
  }
  const stored = ctx.hashes.storedBlocks(full, info);
  const kept =
    stored && blockSizeFor(stored.size) === request.blockSize
      ? ctx.hashes.signatures.open(stored)
      : null;
  const meta = entryMeta(full, info);
  if (kept) {
    ctx.counts.signaturesKept++;
    return sendStoredSignature(conn, request, kept, meta);
  }
  ctx.counts.signaturesRead++;
  if (info.size <= BigInt(SMALL_FILE_MAX)) return sendSignature(conn, ctx, request, full, meta);
  // The source streams this file's changes while it reads the signature, so the connection
  // must keep being read meanwhile.
  return ctx.signatures.start(request.path, () =>
    sendSignature(conn, ctx, request, full, meta).catch(async (error: unknown) => {
      await send(conn, { t: 'fail', id: request.id, error: toErrorInfo(error) }).catch(
        () => undefined,
      );
    }),
  );
}

/**
 * What a `meta` request would set on the file, as it is now; null where its attributes cannot
 * be read (the source then sends `meta` as always).
 */
function entryMeta(full: Buffer, info: BigIntStats): EntryMeta | null {
  try {
    return {
      mode: Number(info.mode & 0o7777n),
      uid: Number(info.uid),
      gid: Number(info.gid),
      mtimeNs: info.mtimeNs.toString(),
      atimeNs: info.atimeNs.toString(),
      xattrs: xattrDigest(readXattrs(full)),
    };
  } catch {
    return null;
  }
}

/**
 * The full path of an entry to read, or null where there is none to read: a folder on the way
 * missing, or a path the agent refuses (a symlink on the way, say), which then counts as
 * differing from the source.
 */
function placeOrNull(ctx: AgentContext, path: string): Buffer | null {
  try {
    return placeExisting(ctx, path);
  } catch {
    return null;
  }
}

/** The full path of an existing entry, or null when a folder on the way does not exist. */
function placeExisting(ctx: AgentContext, path: string): Buffer | null {
  try {
    return ctx.root.place(path, false).full;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Sends a signature the agent kept (signature-store.ts): no read of the file at all, only of its
 * 16 bytes a block. The store was checked against the file's checksum when opened.
 */
async function sendStoredSignature(
  conn: Connection,
  request: RequestOf<'sig'>,
  kept: EntryReader,
  meta: EntryMeta | null,
): Promise<void> {
  try {
    await send(conn, {
      t: 'sigHead',
      id: request.id,
      exists: true,
      size: kept.size,
      blockSize: request.blockSize,
      ...(meta ? { meta } : {}),
    });
    const perFrame = STORED_ENTRIES_PER_FRAME;
    for (let first = 0; first < kept.blocks; first += perFrame) {
      const entries = kept.read(first, perFrame);
      const body = Buffer.allocUnsafe(4 + entries.length);
      body.writeUInt32BE(request.id, 0);
      entries.copy(body, 4);
      await conn.sendFrame(FrameType.signature, body);
    }
  } finally {
    kept.close();
  }
  return send(conn, { t: 'sigEnd', id: request.id });
}

/**
 * Sends a file's signature; each frame starts with the request id, so other answers may come
 * between. The whole-file checksum (a hash of the same entries) is worked out on the same read
 * and remembered if the file did not change meanwhile, so the cutover's verification need not
 * read it again; a big file's entries are kept too, so the next signature is not read at all.
 */
async function sendSignature(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'sig'>,
  full: Buffer,
  meta: EntryMeta | null,
): Promise<void> {
  const fd = openNoAtimeSync(full);
  let writer: SignatureWriter | null = null;
  try {
    const before = fstatSync(fd, { bigint: true });
    const size = Number(before.size);
    await send(conn, {
      t: 'sigHead',
      id: request.id,
      exists: true,
      size,
      blockSize: request.blockSize,
      ...(meta ? { meta } : {}),
    });
    const chunk = Math.min(
      Math.max(SIGNATURE_CHUNK, request.blockSize),
      Math.max(request.blockSize, Math.ceil(size / request.blockSize) * request.blockSize),
    );
    const data = Buffer.allocUnsafe(chunk);
    const whole = new WholeFileHash();
    // The checksum is defined over blocks of the file's own block size (the one sources ask for).
    const ownBlocks = request.blockSize === blockSizeFor(size);
    writer = ownBlocks && size >= STORE_MIN ? ctx.hashes.signatures.writer() : null;
    for (let position = 0, chunks = 0; ; chunks++) {
      // The reads are synchronous: now and then the loop turns, so the changes the source
      // streams meanwhile are read and the keepalives go out.
      if (chunks % YIELD_EVERY_CHUNKS === YIELD_EVERY_CHUNKS - 1) await yieldToLoop();
      const bytesRead = readSync(fd, data, 0, chunk, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const body = Buffer.allocUnsafe(4 + Math.ceil(bytesRead / request.blockSize) * ENTRY_BYTES);
      body.writeUInt32BE(request.id, 0);
      writeSignature(data.subarray(0, bytesRead), request.blockSize, body, 4);
      whole.addEntries(body.subarray(4), bytesRead);
      writer?.add(body.subarray(4));
      await conn.sendFrame(FrameType.signature, body);
    }
    const after = fstatSync(fd, { bigint: true });
    if (ownBlocks && statKey(before) === statKey(after)) {
      ctx.hashes.rememberAs(full, whole.hex(), after, writer?.finish() ?? null);
      writer = null;
    }
  } finally {
    writer?.abort();
    closeSync(fd);
  }
  return send(conn, { t: 'sigEnd', id: request.id });
}

/**
 * Answers a `probe`: each file's whole-file checksum (from the checksum cache while the file is
 * as the agent last knew it, else read) and its metadata. A source whose file matches needs no
 * signature, so thousands of unchanged small files cost a request per batch, not per file.
 */
async function answerProbe(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'probe'>,
): Promise<void> {
  const results: ProbeResult[] = [];
  for (const path of request.paths) {
    const full = placeOrNull(ctx, path);
    const info = full ? lstatSync(full, { bigint: true, throwIfNoEntry: false }) : undefined;
    if (!full || !info?.isFile()) {
      results.push({ path, hash: null });
      continue;
    }
    const hash = await ctx.hashes.hashOf(full, true, info);
    const meta = entryMeta(full, info);
    results.push({ path, hash, size: Number(info.size), ...(meta ? { meta } : {}) });
  }
  ctx.counts.probed += results.length;
  return send(conn, { t: 'probed', id: request.id, results });
}

async function sendHashes(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'hash'>,
): Promise<void> {
  const results: { path: string; hash: string | null }[] = [];
  for (const path of request.paths) {
    const full = placeOrNull(ctx, path);
    results.push({ path, hash: full ? await ctx.hashes.hashOf(full, !request.full) : null });
  }
  return send(conn, { t: 'hashes', id: request.id, results });
}

function send(conn: Connection, response: Response): Promise<void> {
  return conn.send(response);
}

function toErrorInfo(error: unknown): ErrorInfo {
  if (error instanceof P2VError) return error.toJSON();
  if (error instanceof SyntaxError)
    return new P2VError('BAD_FRAME', 'message is not JSON').toJSON();
  return new P2VError('IO_ERROR', String((error as Error)?.message ?? error)).toJSON();
}
