import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import {
  chmod,
  chown,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  rm,
  symlink,
  unlink,
  utimes,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { P2VError, type ErrorInfo } from '../../shared/errors.ts';
import { ENTRY_BYTES, isValidBlockSize, writeSignature } from '../checksum/block-checksums.ts';
import { Connection } from '../protocol/connection.ts';
import { FrameType } from '../protocol/frame.ts';
import { PROTOCOL_VERSION, Request, type RequestOf, type Response } from '../protocol/messages.ts';
import { nsToSeconds } from '../paths/times.ts';
import { applyPut, drainUntilEnd, replaceWith } from './apply-put.ts';
import type { HashCache } from './hash-cache.ts';
import { syncDirectory, type TargetRoot } from './target-root.ts';
import type { TempJournal } from './temp-journal.ts';

const HANDSHAKE_TIMEOUT_MS = 10_000;
const SIGNATURE_CHUNK = 1024 * 1024;
const MAX_HANDOVER_OUTPUT = 64 * 1024;

/** What every session of one agent shares. */
export interface AgentContext {
  root: TargetRoot;
  journal: TempJournal;
  hashes: HashCache;
  token: string;
  canChown: boolean;
  handoverCommand: string | null;
  /** Set once a stop request was answered: no more writes. */
  stopped: boolean;
  log: (event: string, detail?: Record<string, unknown>) => void;
}

/** Serves one connection: the pairing handshake, then requests in order until it closes. */
export async function serveSession(conn: Connection, ctx: AgentContext): Promise<void> {
  try {
    if (!(await handshake(conn, ctx))) return;
    for (;;) {
      const frame = await conn.next();
      if (frame.type !== FrameType.message) throw new P2VError('BAD_FRAME', 'data outside a put');
      const parsed = Request.safeParse(JSON.parse(frame.body.toString('utf8')));
      if (!parsed.success)
        throw new P2VError('BAD_FRAME', parsed.error.issues[0]?.message ?? 'bad request');
      const request = parsed.data;
      try {
        await dispatch(conn, ctx, request);
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
    if (error instanceof P2VError && error.code === 'CONNECTION_LOST') return;
    const info = toErrorInfo(error);
    ctx.log('session-error', { ...info });
    await send(conn, { t: 'fail', id: -1, error: info }).catch(() => undefined);
    await conn.close().catch(() => undefined);
  } finally {
    // Logged after any half-applied file was cleaned up.
    ctx.log('disconnected');
  }
}

async function handshake(conn: Connection, ctx: AgentContext): Promise<boolean> {
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
    },
  });
  ctx.log('paired');
  return true;
}

function tokensMatch(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

async function dispatch(conn: Connection, ctx: AgentContext, request: Request): Promise<void> {
  const writes =
    request.t !== 'sig' && request.t !== 'hash' && request.t !== 'ping' && request.t !== 'handover';
  if (writes && ctx.stopped && request.t !== 'stop') {
    if (request.t === 'put') await drainUntilEnd(() => conn.next(), request.id);
    throw new P2VError('AGENT_STOPPED');
  }
  switch (request.t) {
    case 'hello':
      throw new P2VError('BAD_FRAME', 'hello twice');
    case 'ping':
      return send(conn, { t: 'ack', id: request.id });
    case 'sig':
      return sendSignature(conn, ctx, request);
    case 'put': {
      const applied = await applyPut(
        ctx.root,
        ctx.journal,
        request,
        () => conn.next(),
        ctx.canChown,
      );
      await ctx.hashes.remember(applied.full, applied.hash);
      return send(conn, { t: 'ack', id: request.id });
    }
    case 'putEnd':
      throw new P2VError('BAD_FRAME', 'putEnd without put');
    case 'mkdir':
      return makeDirectory(conn, ctx, request);
    case 'symlink':
      return makeSymlink(conn, ctx, request);
    case 'link':
      return makeHardLink(conn, ctx, request);
    case 'meta':
      return setMetadata(conn, ctx, request);
    case 'remove':
      return removeEntry(conn, ctx, request);
    case 'hash':
      return sendHashes(conn, ctx, request);
    case 'stop':
      ctx.stopped = true;
      ctx.log('stopped');
      return send(conn, { t: 'stopped', id: request.id });
    case 'handover':
      return runHandover(conn, ctx, request);
  }
}

async function sendSignature(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'sig'>,
): Promise<void> {
  if (!isValidBlockSize(request.blockSize))
    throw new P2VError('BAD_ARGUMENT', `block size ${request.blockSize}`);
  const { full } = await ctx.root.place(request.path, false).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { full: null };
    throw error;
  });
  let info = null;
  if (full) {
    try {
      info = await lstat(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
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
  const handle = await open(full, 'r');
  try {
    await send(conn, {
      t: 'sigHead',
      id: request.id,
      exists: true,
      size: info.size,
      blockSize: request.blockSize,
    });
    const chunk = Math.max(SIGNATURE_CHUNK, request.blockSize);
    const data = Buffer.allocUnsafe(chunk);
    for (;;) {
      const { bytesRead } = await handle.read(data, 0, chunk, null);
      if (bytesRead === 0) break;
      const entries = Buffer.allocUnsafe(Math.ceil(bytesRead / request.blockSize) * ENTRY_BYTES);
      writeSignature(data.subarray(0, bytesRead), request.blockSize, entries, 0);
      await conn.sendFrame(FrameType.signature, entries);
    }
  } finally {
    await handle.close();
  }
  return send(conn, { t: 'sigEnd', id: request.id });
}

async function makeDirectory(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'mkdir'>,
): Promise<void> {
  const placement = await ctx.root.place(request.path, true);
  const existing = await lstat(placement.full).catch(() => null);
  if (existing && !existing.isDirectory()) await unlink(placement.full);
  if (!existing || !existing.isDirectory()) {
    await mkdir(placement.full, { mode: 0o700 });
    await syncDirectory(placement.dir);
  }
  if (ctx.canChown) await chown(placement.full, request.uid, request.gid);
  await chmod(placement.full, request.mode);
  await utimes(placement.full, nsToSeconds(request.atimeNs), nsToSeconds(request.mtimeNs));
  return send(conn, { t: 'ack', id: request.id });
}

async function makeSymlink(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'symlink'>,
): Promise<void> {
  if (request.target.includes('\0')) throw new P2VError('BAD_PATH', 'NUL in symlink target');
  const placement = await ctx.root.place(request.path, true);
  const temp = ctx.root.tempBeside(
    placement,
    `l${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  );
  await symlink(Buffer.from(request.target, 'latin1'), temp);
  try {
    if (ctx.canChown) await lchown(temp, request.uid, request.gid);
    await lutimes(temp, nsToSeconds(request.atimeNs), nsToSeconds(request.mtimeNs));
    await replaceWith(temp, placement.full);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(placement.dir);
  ctx.hashes.forget(placement.full);
  return send(conn, { t: 'ack', id: request.id });
}

async function makeHardLink(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'link'>,
): Promise<void> {
  const existing = await ctx.root.place(request.existing, false);
  const info = await lstat(existing.full);
  if (!info.isFile()) throw new P2VError('BAD_PATH', 'hard link to something not a regular file');
  const placement = await ctx.root.place(request.path, true);
  const current = await lstat(placement.full).catch(() => null);
  if (current && current.ino === info.ino && current.dev === info.dev)
    return send(conn, { t: 'ack', id: request.id });
  const temp = ctx.root.tempBeside(
    placement,
    `h${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  );
  await link(existing.full, temp);
  try {
    await replaceWith(temp, placement.full);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(placement.dir);
  return send(conn, { t: 'ack', id: request.id });
}

async function setMetadata(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'meta'>,
): Promise<void> {
  const { full } = await ctx.root.place(request.path, false);
  const info = await lstat(full);
  const kindMatches =
    (request.kind === 'file' && info.isFile()) ||
    (request.kind === 'dir' && info.isDirectory()) ||
    (request.kind === 'symlink' && info.isSymbolicLink());
  if (!kindMatches) throw new P2VError('BAD_PATH', `not a ${request.kind}`);
  if (request.kind === 'symlink') {
    if (ctx.canChown) await lchown(full, request.uid, request.gid);
    await lutimes(full, nsToSeconds(request.atimeNs), nsToSeconds(request.mtimeNs));
  } else {
    if (ctx.canChown) await chown(full, request.uid, request.gid);
    await chmod(full, request.mode);
    await utimes(full, nsToSeconds(request.atimeNs), nsToSeconds(request.mtimeNs));
  }
  return send(conn, { t: 'ack', id: request.id });
}

async function removeEntry(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'remove'>,
): Promise<void> {
  const placement = await ctx.root.place(request.path, false).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  });
  if (placement) {
    await rm(placement.full, { recursive: true, force: true });
    await syncDirectory(placement.dir);
    ctx.hashes.forget(placement.full);
  }
  return send(conn, { t: 'ack', id: request.id });
}

async function sendHashes(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'hash'>,
): Promise<void> {
  const results: { path: string; hash: string | null }[] = [];
  for (const path of request.paths) {
    const placement = await ctx.root.place(path, false).catch(() => null);
    results.push({
      path,
      hash: placement ? await ctx.hashes.hashOf(placement.full, !request.full) : null,
    });
  }
  return send(conn, { t: 'hashes', id: request.id, results });
}

async function runHandover(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'handover'>,
): Promise<void> {
  if (!ctx.stopped) throw new P2VError('HANDOVER_FAILED', 'handover before the stop request');
  if (!ctx.handoverCommand) {
    ctx.log('handover', { command: null });
    return send(conn, { t: 'started', id: request.id, exitCode: null, output: '' });
  }
  ctx.log('handover', { command: ctx.handoverCommand });
  const { exitCode, output } = await runShell(ctx.handoverCommand, ctx.root.path);
  return send(conn, { t: 'started', id: request.id, exitCode, output });
}

/** Runs a shell command the agent was started with; resolves with its exit code and output. */
export function runShell(
  command: string,
  cwd: string,
): Promise<{ exitCode: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      if (output.length < MAX_HANDOVER_OUTPUT) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => resolve({ exitCode: null, output: String(error) }));
    child.on('close', (code) =>
      resolve({ exitCode: code, output: output.slice(0, MAX_HANDOVER_OUTPUT) }),
    );
  });
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
