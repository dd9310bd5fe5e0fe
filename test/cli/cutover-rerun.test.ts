import assert from 'node:assert/strict';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CutoverRig } from '../helpers/cutover-rig.ts';

/** A first run killed (SIGKILL) right after the journal says the program stopped. */
async function killedAfterTheStop(rig: CutoverRig): Promise<void> {
  const run = await rig.migrate((event, child) => {
    if (event.type === 'cutover' && event.step === 'final-round') child.kill('SIGKILL');
  }).done;
  assert.equal(run.signal, 'SIGKILL');
  assert.ok(!rig.runs('source') && !rig.runs('target'), 'stopped here, not started there');
}

describe('running p2v migrate again', () => {
  it('after the handover runs no command, says when and where it handed over, and exits 0', async () => {
    const rig = await CutoverRig.create();
    try {
      const first = await rig.migrate().done;
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(
        rig.commandsRun().filter((c) => c !== 'handover'),
        ['stop'],
      );
      const again = await rig.migrate().done;
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(
        rig.commandsRun().filter((c) => c !== 'handover'),
        ['stop'],
        'neither the stop nor the rollback ran again',
      );
      const finished = again.events.find((e) => e.event === 'finished');
      const handedOver = first.events.find((e) => e.type === 'cutover' && e.step === 'started');
      assert.equal(finished?.handedOverBefore, handedOver?.at, 'it says when');
      assert.deepEqual(finished?.target, {
        host: rig.agent.host,
        port: rig.agent.port,
        fingerprint: rig.agent.fingerprint,
      });
      assert.match(String(finished?.report), /report\.html$/);
      assert.ok(rig.runs('target') && !rig.runs('source'));
    } finally {
      await rig.close();
    }
  });

  it('runs the release command once the target took over, and a re-run runs it if it was still owed', async () => {
    const rig = await CutoverRig.create();
    try {
      const marker = join(rig.base, 'released');
      const release = ['--release-cmd', `echo released >> ${marker}`];
      const first = await rig.migrate(undefined, release).done;
      assert.equal(first.code, 0, first.stderr);
      const steps = first.events.filter((e) => e.type === 'cutover').map((e) => String(e.step));
      // Seen once in a fresh clone: exit 0 with no cutover step at all; the events say which path.
      assert.deepEqual(
        steps.slice(steps.indexOf('started')),
        ['started', 'release', 'released'],
        `events: ${JSON.stringify(first.events).slice(-3000)}\nstderr: ${first.stderr.slice(-1000)}`,
      );
      assert.equal(await readFile(marker, 'utf8'), 'released\n');
      // As if killed right after the target took over: the journal ends at `started`.
      const journal = join(rig.base, 'state', 'cutover.jsonl');
      const lines = (await readFile(journal, 'utf8')).trimEnd().split('\n');
      await writeFile(journal, `${lines.filter((l) => !/"step":"release/.test(l)).join('\n')}\n`);
      const again = await rig.migrate(undefined, release).done;
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await readFile(marker, 'utf8'), 'released\nreleased\n', 'the owed release ran');
      assert.ok(
        again.events.some(
          (e) =>
            e.type === 'warning' &&
            (e.said as { key?: string } | undefined)?.key === 'warnings.releasedLate',
        ),
        'and it says so',
      );
      const third = await rig.migrate(undefined, release).done;
      assert.equal(third.code, 0, third.stderr);
      assert.equal(await readFile(marker, 'utf8'), 'released\nreleased\n', 'never twice');
      assert.deepEqual(
        rig.commandsRun().filter((c) => c !== 'handover'),
        ['stop'],
        'nothing else ran again',
      );
    } finally {
      await rig.close();
    }
  });

  it('a failed release command is a warning with its exit code and output: the handover stands, and a re-run does not run it again', async () => {
    const rig = await CutoverRig.create();
    try {
      const tries = join(rig.base, 'release-tries');
      const release = [
        '--release-cmd',
        `echo tried >> ${tries}; echo 'RTNETLINK: no such address' >&2; exit 3`,
      ];
      const first = await rig.migrate(undefined, release).done;
      assert.equal(first.code, 0, 'the program runs on the target: the migration succeeded');
      const warning = first.events.find(
        (e) =>
          e.type === 'warning' &&
          (e.said as { key?: string } | undefined)?.key === 'warnings.releaseFailed',
      );
      assert.ok(warning, 'the failed release is said');
      const values = (warning.said as { params?: Record<string, unknown> }).params ?? {};
      assert.equal(values.exitCode, 3);
      assert.match(String(values.output), /no such address/);
      assert.ok(rig.runs('target') && !rig.runs('source'), 'the handover stands');
      const again = await rig.migrate(undefined, release).done;
      assert.equal(again.code, 0, again.stderr);
      assert.equal(await readFile(tries, 'utf8'), 'tried\n', 'ran once: its failure is journaled');
    } finally {
      await rig.close();
    }
  });

  it('onto an agent restarted after its handover stops before any stop command', async () => {
    const rig = await CutoverRig.create();
    try {
      assert.equal((await rig.migrate().done).code, 0);
      await rig.restartAgent();
      // Another migration onto it: a new state folder, as after a lost one.
      const other = await rig.migrate(undefined, ['--state', join(rig.base, 'state-other')]).done;
      assert.equal(other.code, 1);
      assert.match(other.stderr, /already handed a migration over.*--accept-new-migration/s);
      assert.deepEqual(
        rig.commandsRun().filter((c) => c !== 'handover'),
        ['stop'],
        'no stop command ran',
      );
      assert.ok(rig.runs('target') && !rig.runs('source'));
      // Taking a new migration is a choice made on the agent, and it says what it forgot.
      await rig.restartAgent(['--accept-new-migration']);
      const listening = rig.agent.events.find((e) => e.event === 'listening');
      assert.equal((listening?.forgotten as { state?: string } | null)?.state, 'handed-over');
    } finally {
      await rig.close();
    }
  });

  it('after the source was killed with the program stopped rolls back first by default', async () => {
    const rig = await CutoverRig.create();
    try {
      await killedAfterTheStop(rig);
      const again = await rig.migrate().done;
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(
        rig.commandsRun().filter((c) => c !== 'handover'),
        ['stop', 'rollback', 'stop'],
      );
      assert.ok(rig.runs('target') && !rig.runs('source'));
    } finally {
      await rig.close();
    }
  });

  it('with --resume-cutover goes on from the stopped program instead', async () => {
    const rig = await CutoverRig.create();
    try {
      await killedAfterTheStop(rig);
      const again = await rig.migrate(undefined, ['--resume-cutover']).done;
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(
        rig.commandsRun().filter((c) => c !== 'handover'),
        ['stop'],
        'no rollback, no second stop',
      );
      assert.ok(again.events.some((e) => e.type === 'cutover' && e.step === 'resumed'));
      assert.ok(rig.runs('target') && !rig.runs('source'));
      const committed = rig.committed('source').at(-1) ?? 0;
      assert.ok(rig.ledger('target').lastId >= committed, 'every committed row moved');
    } finally {
      await rig.close();
    }
  });

  it('with a damaged journal or state names the file and runs nothing', async () => {
    const rig = await CutoverRig.create();
    try {
      assert.equal((await rig.migrate().done).code, 0);
      const journal = join(rig.base, 'state', 'cutover.jsonl');
      await appendFile(journal, '{"step":"started"\n');
      const torn = await rig.migrate().done;
      assert.equal(torn.code, 1);
      assert.match(torn.stderr, /state file cannot be read.*cutover\.jsonl line \d+/s);
      const state = join(rig.base, 'state', 'migration.json');
      await writeFile(journal, '');
      await writeFile(state, '{"key": ');
      const broken = await rig.migrate().done;
      assert.equal(broken.code, 1);
      assert.ok(broken.stderr.includes(state), broken.stderr);
      assert.deepEqual(
        rig.commandsRun().filter((c) => c !== 'handover'),
        ['stop'],
        'nothing ran',
      );
      assert.ok(rig.runs('target') && !rig.runs('source'));
    } finally {
      await rig.close();
    }
  });
});
