import { randomBytes } from 'node:crypto';
import { P2VError } from '../../shared/errors.ts';
import type { Connection } from '../protocol/connection.ts';
import type { AgentCutover, RequestOf, Response } from '../protocol/messages.ts';
import type { AgentContext } from './agent-session.ts';
import { runHandoverCommand, type HandoverResult } from './handover-command.ts';

/** Why a write is refused once the cutover began, in the words of where it stands. */
export function refusalAfterStop(cutover: AgentCutover): P2VError {
  const detail = `migration ${cutover.migration}, ${cutover.state} at ${cutover.at}`;
  return cutover.state === 'stopped'
    ? new P2VError('AGENT_STOPPED', detail)
    : new P2VError('AGENT_HANDED_OVER', detail);
}

/** The stop request: recorded on disk before it is answered; asked again, answered the same. */
export async function answerStop(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'stop'>,
): Promise<void> {
  const cutover = ctx.handover.current;
  if (cutover && cutover.migration !== request.migration) throw refusalAfterStop(cutover);
  if (!cutover) {
    await ctx.handover.set({
      migration: request.migration,
      state: 'stopped',
      at: new Date().toISOString(),
    });
    ctx.log('stopped', { migration: request.migration });
  }
  return conn.send({ t: 'stopped', id: request.id } satisfies Response);
}

/**
 * Takes writes again after a stop that led to no handover: the source rolled back and the
 * program runs there again. Refused once the handover command was started.
 */
export async function reopen(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'reopen'>,
): Promise<void> {
  const cutover = ctx.handover.current;
  if (ctx.handoverRunning)
    throw new P2VError('AGENT_HANDED_OVER', `migration ${request.migration}, handover under way`);
  if (cutover) {
    const mine = cutover.migration === request.migration;
    if (!mine || (cutover.state !== 'stopped' && cutover.state !== 'handover-failed'))
      throw refusalAfterStop(cutover);
    await ctx.handover.set(null);
    ctx.log('reopened', { migration: request.migration });
  }
  return conn.send({ t: 'ack', id: request.id } satisfies Response);
}

/**
 * Runs the handover command once per migration. The state is on disk before the command starts
 * and its result after; a source that lost the answer and asks again gets the same result, or
 * waits for the command still running, but the command never runs twice.
 */
export async function runHandover(
  conn: Connection,
  ctx: AgentContext,
  request: RequestOf<'handover'>,
): Promise<void> {
  let cutover = ctx.handover.current;
  if (!cutover || cutover.migration !== request.migration)
    throw new P2VError('HANDOVER_FAILED', 'handover before the stop request');
  if (ctx.handoverRunning) {
    // Begun by an earlier ask, or by an earlier run of this agent: its result is this answer,
    // unless that run was killed before its command started; then it starts now.
    await ctx.handoverRunning;
    cutover = ctx.handover.current as AgentCutover;
  }
  if (cutover.state === 'stopped') {
    // Set before the first await, so an ask arriving meanwhile waits for this one.
    ctx.handoverRunning = beginHandover(ctx, request.migration);
    await ctx.handoverRunning;
  }
  const settled = ctx.handover.current as AgentCutover;
  if (settled.state === 'unknown' || settled.state === 'handing-over')
    throw new P2VError(
      'HANDOVER_UNKNOWN',
      `the handover command was started at ${settled.at} and this agent lost track of it`,
    );
  const exitCode = settled.exitCode ?? null;
  await conn.send({
    t: 'started',
    id: request.id,
    exitCode,
    output: settled.output ?? '',
  } satisfies Response);
  // The answer is out; once the source hangs up, an agent told to exit after handover does.
  const handedOver = ctx.onHandedOver;
  if (handedOver && settled.state === 'handed-over') {
    if (conn.closed) handedOver();
    else conn.stream.once('close', handedOver);
  }
}

/** Records the attempt on disk, then runs the handover command and records its result. */
async function beginHandover(ctx: AgentContext, migration: string): Promise<void> {
  ctx.log('handover', { command: ctx.handoverCommand });
  const attempt = randomBytes(6).toString('hex');
  const at = new Date().toISOString();
  await ctx.handover.set({ migration, state: 'handing-over', at }, attempt);
  await settleHandover(
    ctx,
    migration,
    ctx.handoverCommand
      ? runHandoverCommand(ctx.handoverCommand, ctx.root.path, ctx.stateDir, attempt)
      : Promise.resolve({ exitCode: null, output: '' }),
  );
}

/**
 * Records the handover command's result once it is known; an attempt whose command never
 * started leaves the agent stopped, as it was before the ask.
 */
export async function settleHandover(
  ctx: AgentContext,
  migration: string,
  running: Promise<HandoverResult | 'not-started' | null>,
): Promise<void> {
  const result = await running;
  const at = new Date().toISOString();
  if (result === 'not-started') {
    await ctx.handover.set({ migration, state: 'stopped', at });
    ctx.handoverRunning = null;
    ctx.log('handover-not-started', { migration });
    return;
  }
  if (!result) await ctx.handover.set({ migration, state: 'unknown', at });
  else {
    const ok = result.exitCode === null || result.exitCode === 0;
    await ctx.handover.set({
      migration,
      state: ok ? 'handed-over' : 'handover-failed',
      at,
      exitCode: result.exitCode,
      output: result.output,
    });
  }
  ctx.handoverRunning = null;
  ctx.log('handed-over', { migration, ...(result ?? { exitCode: 'unknown' }) });
}
