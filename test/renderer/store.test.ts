import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionEvent } from '../../shared/api.ts';
import { EMPTY_SESSION, reduceSession, replay } from '../../renderer/state/session-view.ts';
import { stepForSession } from '../../renderer/state/steps.ts';
import { createWizardStore } from '../../renderer/state/store.ts';
import { failWith, fakeApi, TARGET } from './fake-api.ts';

const round = (n: number, dirtyBytes: number) => ({
  type: 'round' as const,
  summary: {
    round: n,
    startedAt: '',
    durationMs: 100,
    dirtyFiles: 1,
    scannedBytes: dirtyBytes,
    dirtyBytes,
    wireBytes: dirtyBytes,
    deleted: 0,
    final: false,
  },
});
const decision = {
  converged: true,
  reason: 'threshold' as const,
  predictedDowntimeMs: 120,
  pendingFiles: 2,
};

const EVENTS: SessionEvent[] = [
  { type: 'stage', stage: 'running' },
  { type: 'phase', phase: 'copy', at: '' },
  {
    type: 'progress',
    phase: 'copy',
    value: 0.5,
    bytesDone: 5,
    bytesTotal: 10,
    filesDone: 1,
    filesTotal: 2,
    bytesPerSecond: 1,
    etaSeconds: 5,
    currentFile: 'a',
  },
  { type: 'phase', phase: 'rounds', at: '' },
  round(1, 1000),
  round(2, 100),
  { type: 'stage', stage: 'awaiting-cutover' },
  { type: 'awaiting-cutover', decision },
];

describe('the wizard state', () => {
  it('is built from engine events by a pure reducer; a replay gives the same view', () => {
    let view = EMPTY_SESSION;
    for (const event of EVENTS) view = reduceSession(view, event);
    assert.deepEqual(replay(EVENTS), view);
    assert.equal(view.stage, 'awaiting-cutover');
    assert.deepEqual(
      view.rounds.map((r) => r.dirtyBytes),
      [1000, 100],
    );
    assert.deepEqual(view.awaiting, decision);
    assert.equal(stepForSession(view), 'sync');
    const cutting = reduceSession(view, { type: 'stage', stage: 'cutting-over' });
    assert.equal(cutting.awaiting, null);
    assert.equal(stepForSession(cutting), 'cutover');
    assert.equal(stepForSession(reduceSession(cutting, { type: 'stage', stage: 'done' })), 'done');
    assert.equal(stepForSession(replay(EVENTS.slice(0, 3))), 'copy');
    assert.equal(stepForSession(EMPTY_SESSION), null);
    // A reload lands on the screen of the phase the migration is in.
    const running = reduceSession(EMPTY_SESSION, { type: 'stage', stage: 'running' });
    const screens = (['connect', 'copy', 'vm', 'rounds', 'verify', 'handover'] as const).map(
      (phase) => stepForSession(reduceSession(running, { type: 'phase', phase, at: '' })),
    );
    assert.deepEqual(screens, ['copy', 'copy', 'vm', 'sync', 'cutover', 'cutover']);
  });

  it('test connection: the address is checked, an engine error is kept by its code', async () => {
    const failing = fakeApi({ connectTarget: failWith({ code: 'AUTH_FAILED', message: 'no' }) });
    const store = createWizardStore(failing.api);
    await store.getState().testConnection();
    assert.equal(store.getState().targetCall.error?.code, 'BAD_ARGUMENT', 'incomplete form');
    store
      .getState()
      .setTargetForm({ host: '127.0.0.1', port: '7070', token: 't', fingerprint: 'AB' });
    await store.getState().testConnection();
    assert.equal(store.getState().targetCall.error?.code, 'AUTH_FAILED');
    assert.equal(store.getState().targetInfo, null);
    const working = createWizardStore(fakeApi().api);
    working
      .getState()
      .setTargetForm({ host: '127.0.0.1', port: '7070', token: 't', fingerprint: 'AB' });
    await working.getState().testConnection();
    assert.deepEqual(working.getState().targetInfo, TARGET);
    working.getState().setTargetForm({ token: 'other' });
    assert.equal(working.getState().targetInfo, null, 'a changed address needs a new test');
  });

  it('keeps the measured size while a command is typed, and forgets it when the folders change', async () => {
    const store = createWizardStore(fakeApi().api);
    store.getState().setSelection({ sources: '/srv' });
    await store.getState().measure();
    assert.equal(store.getState().measured, 5 * 1024 ** 3);
    assert.equal(store.getState().unreadable?.unreadableCount, 0);
    store.getState().setSelection({ stopCommand: 'systemctl stop app' });
    assert.equal(store.getState().measured, 5 * 1024 ** 3, 'a stop command moves nothing');
    store.getState().setSelection({ sources: '/srv\n/opt' });
    assert.equal(store.getState().measured, null);
    assert.equal(store.getState().unreadable, null);
  });

  it('takes the agent’s host:port pasted into the address field as both fields', () => {
    const store = createWizardStore(fakeApi().api);
    store.getState().setTargetForm({ host: '10.1.2.3:7443' });
    assert.deepEqual(
      [store.getState().targetForm.host, store.getState().targetForm.port],
      ['10.1.2.3', '7443'],
    );
    store.getState().setTargetForm({ host: ' [fd00::5]:7070 ' });
    assert.deepEqual(
      [store.getState().targetForm.host, store.getState().targetForm.port],
      ['fd00::5', '7070'],
    );
    store.getState().setTargetForm({ host: 'fd00::5' });
    assert.equal(store.getState().targetForm.host, 'fd00::5', 'a bare IPv6 address stays whole');
    assert.equal(store.getState().targetForm.port, '7070');
  });

  it('start sends the selection as the migration request and moves to Copy', async () => {
    const fake = fakeApi();
    const store = createWizardStore(fake.api);
    store.getState().setTargetForm({ host: 'h', port: '7070', token: 't', fingerprint: 'AB' });
    store.getState().setSelection({
      sources: '/srv\n/etc:/etc\n',
      stopCommand: ' systemctl stop app ',
      downtimeSeconds: '3',
    });
    await store.getState().start();
    const request = fake.calls.find((c) => c.method === 'startMigration')?.arg as Record<
      string,
      unknown
    >;
    assert.deepEqual(request.sources, ['/srv', '/etc:/etc']);
    assert.equal(request.stopCommand, 'systemctl stop app');
    assert.equal(request.rollbackCommand, null);
    assert.equal(request.downtimeTargetSeconds, 3);
    assert.equal(store.getState().step, 'copy');
  });

  it('events move the wizard forward, never back from where the technician looks', () => {
    const store = createWizardStore(fakeApi().api);
    store.getState().goTo('copy');
    for (const event of EVENTS) store.getState().applyEvent(event);
    assert.equal(store.getState().step, 'sync');
    store.getState().goTo('machine');
    store.getState().applyEvent(round(3, 50));
    assert.equal(store.getState().step, 'sync', 'forward to where the migration is');
    store.getState().goTo('done');
    store.getState().applyEvent(round(4, 10));
    assert.equal(store.getState().step, 'done');
  });

  it('restore after a reload: the step, the view and the running migration’s settings', async () => {
    const fake = fakeApi();
    fake.snapshot.stage = 'awaiting-cutover';
    fake.snapshot.events = EVENTS;
    fake.snapshot.request = {
      target: { host: '127.0.0.1', port: 7070, token: 'tok', fingerprint: 'AB' },
      sources: ['/srv'],
      excludes: ['*.tmp'],
      useDefaultExcludes: false,
      stopCommand: 'systemctl stop app',
      rollbackCommand: null,
      downtimeTargetSeconds: 5,
      thresholdBytes: 1,
      maxRounds: 3,
    };
    const store = createWizardStore(fake.api);
    await store.getState().restore();
    const state = store.getState();
    assert.equal(state.step, 'sync');
    assert.equal(state.session.rounds.length, 2);
    assert.equal(state.running?.stopCommand, 'systemctl stop app');
    assert.equal(state.selection.excludes, '*.tmp');
    assert.equal(state.targetForm.confirmed, true);
  });
});
