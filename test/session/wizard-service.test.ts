import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { once } from 'node:events';
import { shellQuote } from '../../engine/shell-command.ts';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RunningAgent } from '../../engine/agent/agent-server.ts';
import { findChromium } from '../../engine/report/print-pdf.ts';
import { WizardService } from '../../engine/session/wizard-service.ts';
import type { MigrationRequest, SessionEvent, SessionStage } from '../../shared/api.ts';
import { P2VError } from '../../shared/errors.ts';
import type { MigrationReport } from '../../shared/report.ts';
import { startTestAgent } from '../helpers/migrate-in-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { diffSnapshots, snapshotTree } from '../helpers/tree-snapshot.ts';

/** Resolves with the first event (from now on) that matches. */
function nextEvent(
  service: WizardService,
  match: (e: SessionEvent) => boolean,
): Promise<SessionEvent> {
  return new Promise((resolve) => {
    const off = service.onEvent((event) => {
      if (!match(event)) return;
      off();
      resolve(event);
    });
  });
}

/** Agents that answered a stop request take no more writes: each test that migrates gets its own. */
let freshTarget: (name: string) => Promise<MigrationRequest['target']>;

const stageIs = (stage: SessionStage) => (e: SessionEvent) =>
  e.type === 'stage' && e.stage === stage;

describe('the wizard service drives the engine for the window', () => {
  let base: string;
  let source: string;
  let root: string;
  let agent: RunningAgent;
  let service: WizardService;
  let request: MigrationRequest;

  before(async () => {
    base = await tempDir();
    source = join(base, 'source');
    root = join(base, 'target');
    await mkdir(join(source, 'data'), { recursive: true });
    for (let i = 0; i < 40; i++)
      await writeFile(join(source, 'data', `f${i}.bin`), randomBytes(256 * 1024));
    agent = await startTestAgent(root, join(base, 'agent-state'));
    freshTarget = async (name) => {
      const other = await startTestAgent(join(base, name), join(base, `${name}-state`));
      after(() => other.close());
      return {
        host: other.host,
        port: other.port,
        token: other.token,
        fingerprint: other.fingerprint,
      };
    };
    service = new WizardService({ dataDir: join(base, 'wizard') });
    request = {
      target: {
        host: agent.host,
        port: agent.port,
        token: agent.token,
        fingerprint: agent.fingerprint,
      },
      sources: [`${source}:/`],
      excludes: [],
      useDefaultExcludes: false,
      stopCommand: null,
      rollbackCommand: null,
      downtimeTargetSeconds: 5,
      thresholdBytes: 1024 * 1024,
      maxRounds: 10,
    };
  });
  after(async () => {
    await service.close();
    await agent.close();
  });

  it('inspects, lists profiles, tests the connection (and refuses a wrong token)', async () => {
    assert.equal((await service.inspect()).os.type, 'linux');
    assert.deepEqual(
      (await service.listProfiles()).map((p) => p.id),
      ['hyperv', 'kvm-virtio', 'vmware-esxi'],
    );
    const info = await service.connectTarget(request.target);
    assert.ok(info.freeBytes > 0 && info.os.type === 'linux');
    await assert.rejects(
      service.connectTarget({ ...request.target, token: 'wrong' }),
      (e) => e instanceof P2VError && e.code === 'AUTH_FAILED',
    );
  });

  it('takes a Cutover clicked during an extra round, and reports the rule that converged', async () => {
    const other = new WizardService({ dataDir: join(base, 'wizard-extra') });
    try {
      const extra = nextEvent(other, (e) => e.type === 'extra-round');
      await other.startMigration({ ...request, target: await freshTarget('target-extra') });
      // Nobody confirmed within the wait: one more round runs, and the technician clicks now.
      await extra;
      const done = nextEvent(other, stageIs('done'));
      await other.cutOver();
      await done;
      const session = await other.getSession();
      assert.equal(session.report?.ok, true);
      assert.equal(session.report?.convergence?.reason, 'threshold');
    } finally {
      await other.close();
    }
  });

  /**
   * A migration through a service of its own with `patch`, cut over as soon as it is offered;
   * `atOffer` looks at the machine then. Resolves with the finished session.
   */
  const cutOverWith = async (
    name: string,
    patch: Partial<MigrationRequest>,
    atOffer: () => void,
  ): Promise<Awaited<ReturnType<WizardService['getSession']>>> => {
    const other = new WizardService({ dataDir: join(base, `wizard-${name}`) });
    try {
      const waiting = nextEvent(other, (e) => e.type === 'awaiting-cutover');
      await other.startMigration({
        ...request,
        target: await freshTarget(`target-${name}`),
        ...patch,
      });
      await waiting;
      atOffer();
      const done = nextEvent(other, stageIs('done'));
      await other.cutOver();
      await done;
      return await other.getSession();
    } finally {
      await other.close();
    }
  };

  it('runs the flush command the wizard was given before the last round', async () => {
    const flushed = join(base, 'flushed-by-wizard');
    const session = await cutOverWith(
      'flush',
      { flushCommand: `touch ${shellQuote(flushed)}` },
      () => assert.ok(existsSync(flushed), 'the flush ran before the cutover was offered'),
    );
    assert.ok(session.report?.rounds.some((r) => r.afterFlush));
  });

  it('runs the release command the wizard was given once the target took over', async () => {
    const released = join(base, 'released-by-wizard');
    await cutOverWith('release', { releaseCommand: `touch ${shellQuote(released)}` }, () =>
      assert.ok(!existsSync(released), 'not before the cutover'),
    );
    assert.ok(existsSync(released), 'released after the handover');
  });

  it('asks the target for the VM the wizard chose, bridge and MAC choice included; a bridge the target lacks fails clearly, before anything is built', async () => {
    const vmTarget = await startTestAgent(
      join(base, 'target-vm'),
      join(base, 'target-vm-state'),
      null,
      // Any file will do: the bridge is checked before the agent is put into anything.
      { agentBinary: process.execPath },
    );
    const other = new WizardService({ dataDir: join(base, 'wizard-vm') });
    try {
      const failed = nextEvent(other, stageIs('failed'));
      await other.startMigration({
        ...request,
        target: {
          host: vmTarget.host,
          port: vmTarget.port,
          token: vmTarget.token,
          fingerprint: vmTarget.fingerprint,
        },
        vm: { boot: 'direct', memoryMiB: 1024, cpus: 1, keepSourceMac: true, bridge: 'p2vnobr0' },
      });
      await failed;
      const session = await other.getSession();
      assert.equal(session.error?.code, 'BAD_ARGUMENT', JSON.stringify(session.error));
      assert.match(session.error?.message ?? '', /no bridge named p2vnobr0/);
      assert.ok(!existsSync(join(base, 'target-vm.vm', 'disk.qcow2')), 'no image was built');
    } finally {
      await other.close();
      await vmTarget.close();
    }
  });

  it('closing (a quit, SIGTERM in browser mode) during a cutover waits for its rollback', async () => {
    const other = new WizardService({ dataDir: join(base, 'wizard-close') });
    const rolledBack = join(base, 'rolled-back-on-close');
    const stopping = once(process, 'SIGUSR2');
    const waiting = nextEvent(other, (e) => e.type === 'awaiting-cutover');
    await other.startMigration({
      ...request,
      target: await freshTarget('target-close'),
      // A stop command that says it runs, then hangs: the window closes meanwhile.
      stopCommand: `kill -USR2 ${process.pid}; sleep 600`,
      rollbackCommand: `touch ${shellQuote(rolledBack)}`,
    });
    await waiting;
    await other.cutOver();
    await stopping;
    await other.close();
    assert.ok(existsSync(rolledBack), 'the rollback ran before close returned');
    const session = await other.getSession();
    assert.ok(
      session.events.some((e) => e.type === 'cutover' && e.step === 'rolled-back'),
      'the journal says it rolled back',
    );
  });

  it('checks, migrates, waits for the technician at the cutover, and reports', async () => {
    const summary = await service.check({
      profile: 'kvm-virtio',
      condition: 'any',
      target: request.target,
      agentInVm: false,
      sharedNetwork: false,
      sources: request.sources,
      excludes: [],
      useDefaultExcludes: false,
    });
    assert.equal(summary.blocked, false);
    assert.ok(summary.selectedBytes >= 40 * 256 * 1024);
    // A conversion host may build the VM: the check says what its disk would hold.
    const vmDisk = summary.preflight.find((c) => c.id === 'vm-disk');
    assert.ok(
      vmDisk && vmDisk.level !== 'blocker',
      `the VM's disk is described: ${vmDisk?.detail}`,
    );
    const events: SessionEvent[] = [];
    const off = service.onEvent((e) => events.push(e));
    const waiting = nextEvent(service, (e) => e.type === 'awaiting-cutover');
    await service.startMigration(request);
    await waiting;
    assert.equal((await service.getSession()).stage, 'awaiting-cutover');
    const done = nextEvent(service, stageIs('done'));
    await service.cutOver();
    await done;
    off();
    assert.deepEqual(diffSnapshots(await snapshotTree(source), await snapshotTree(root)), []);
    const session = await service.getSession();
    assert.equal(session.stage, 'done');
    assert.equal(session.report?.ok, true);
    assert.equal(session.report?.check?.profile.id, 'kvm-virtio');
    // A reloaded window replays this: every event but progress, then the latest progress.
    assert.ok(session.events.filter((e) => e.type === 'progress').length <= 1);
    assert.ok(session.events.some((e) => e.type === 'cutover' && e.step === 'started'));
    assert.ok(events.filter((e) => e.type === 'progress').length < 200, 'progress is throttled');
  });

  it('takes a new bandwidth limit while the copy runs', { timeout: 120_000 }, async () => {
    const other = new WizardService({ dataDir: join(base, 'wizard-bandwidth') });
    try {
      const copying = nextEvent(other, (e) => e.type === 'phase' && e.phase === 'copy');
      const waiting = nextEvent(other, (e) => e.type === 'awaiting-cutover');
      // 0.08 Mbit/s: the 10 MiB would take over 17 minutes.
      await other.startMigration({
        ...request,
        target: await freshTarget('target-bandwidth'),
        bandwidthLimitMbit: 0.08,
      });
      await copying;
      await other.setBandwidthLimit(null);
      await waiting;
      assert.equal((await other.getSession()).request?.bandwidthLimitMbit, null);
      const done = nextEvent(other, stageIs('done'));
      await other.cutOver();
      await done;
      const report = (await other.getSession()).report;
      assert.equal(report?.transfer?.bandwidthLimit, null, 'the report has the limit last set');
    } finally {
      await other.close();
    }
  });

  it('resumes a cancelled migration from where it stopped', async () => {
    const other = new WizardService({ dataDir: join(base, 'wizard-cancel') });
    try {
      const copying = nextEvent(other, (e) => e.type === 'phase' && e.phase === 'copy');
      await other.startMigration({
        ...request,
        target: await freshTarget('target-cancel'),
        // Slow enough that the cancel lands mid-copy.
        bandwidthLimitMbit: 0.08,
      });
      await copying;
      const cancelled = nextEvent(other, stageIs('cancelled'));
      await other.cancelMigration();
      await cancelled;
      await other.setBandwidthLimit(null);
      const waiting = nextEvent(other, (e) => e.type === 'awaiting-cutover');
      await other.resumeMigration();
      await waiting;
      const done = nextEvent(other, stageIs('done'));
      await other.cutOver();
      await done;
      assert.equal((await other.getSession()).report?.ok, true);
    } finally {
      await other.close();
    }
  });

  it('exports the report as JSON, HTML in Chinese, and PDF', async (t) => {
    const json = await service.exportReport({ format: 'json', language: 'en' });
    assert.equal((JSON.parse(await readFile(json.path, 'utf8')) as MigrationReport).ok, true);
    const html = await service.exportReport({ format: 'html', language: 'zh-CN' });
    assert.match(await readFile(html.path, 'utf8'), /<h1 class="ok">迁移完成<\/h1>/);
    if (!(await findChromium())) return t.skip('SKIPPED LOUDLY: no Chromium to print a PDF with');
    const pdf = await service.exportReport({ format: 'pdf', language: 'en' });
    assert.equal((await readFile(pdf.path)).subarray(0, 5).toString(), '%PDF-');
    assert.ok((await stat(pdf.path)).size > 1000);
  });

  it('pauses mid-copy, resumes where it stopped, and cancels at the cutover', async () => {
    const big = join(base, 'big');
    await mkdir(big);
    for (let i = 0; i < 30; i++)
      await writeFile(join(big, `part${i}`), randomBytes(4 * 1024 * 1024));
    // The first agent answered a stop request and takes no more writes: a new target.
    const target = await freshTarget('target-2');
    const second = { ...request, target, sources: [`${big}:/big`] };
    const copying = nextEvent(
      service,
      (e) => e.type === 'progress' && e.phase === 'copy' && e.bytesDone > 0,
    );
    await service.startMigration(second);
    await copying;
    await service.pauseMigration();
    assert.equal((await service.getSession()).stage, 'paused');
    const waiting = nextEvent(service, (e) => e.type === 'awaiting-cutover');
    await service.resumeMigration();
    await waiting;
    await service.cancelMigration();
    const session = await service.getSession();
    assert.equal(session.report?.copy?.resumed, true, 'the copy went on from its state');
    assert.equal(session.stage, 'cancelled');
    assert.ok(!session.events.some((e) => e.type === 'cutover'), 'nothing was handed over');
  });

  it('cuts over early when asked before the rounds converge', async () => {
    const done = nextEvent(
      service,
      (e) => e.type === 'stage' && (e.stage === 'done' || e.stage === 'failed'),
    );
    const target = await freshTarget('target-3');
    // A program keeps writing, so the rule alone would not converge; the stop command stops it.
    const stopped = join(base, 'writer-stopped');
    const log = join(source, 'data', 'app.log');
    const writer = setInterval(() => {
      if (!existsSync(stopped)) appendFileSync(log, `${Date.now()}\n`);
    }, 5);
    const third = {
      ...request,
      target,
      thresholdBytes: 0,
      downtimeTargetSeconds: 0,
      stopCommand: `touch ${stopped}`,
    };
    await service.startMigration(third);
    await service.cutOver();
    const end = await done;
    clearInterval(writer);
    assert.equal(end.type === 'stage' && end.stage, 'done', JSON.stringify(end));
    const session = await service.getSession();
    assert.ok(!session.events.some((e) => e.type === 'awaiting-cutover'), 'it did not wait');
    assert.equal(
      session.report?.convergence?.reason,
      'requested',
      'cut over on request, not by the rule',
    );
  });
});
