import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CutoverRig, type MigrateRun } from '../helpers/cutover-rig.ts';

/** The steps a signal lands on: each written to the journal before its action begins. */
const STEPS = [
  'stop-command',
  'stopped',
  'final-round',
  'verified',
  'stop-request',
  'stop-answered',
  'handover',
] as const;

/** What interrupts the cutover: a signal to the source's CLI, or a killed process. */
const INTERRUPTIONS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'kill-source', 'kill-agent'] as const;
type Interruption = (typeof INTERRUPTIONS)[number];

/** Cases run side by side: each has its own folders, agent and port. */
const AT_ONCE = 3;

/**
 * The program runs on exactly one side, or, after the source itself was killed, on at most one
 * (nobody was left to start it again: the next run does). Where it runs, its ledger holds every
 * row the source ever committed.
 */
function checkOneSide(
  rig: CutoverRig,
  interruption: Interruption,
  label: string,
  run?: MigrateRun,
): string {
  const source = rig.runs('source');
  const target = rig.runs('target');
  const how = run ? ` (exit ${run.code ?? run.signal}: ${run.stderr.slice(-400)})` : '';
  assert.ok(!(source && target), `${label}: the program runs on both machines${how}`);
  if (interruption !== 'kill-source')
    assert.ok(source || target, `${label}: the program runs on neither machine${how}`);
  const side = target ? 'target' : source ? 'source' : null;
  if (side) {
    // Read first: a running program commits more after its database was read.
    const committed = rig.committed('source').at(-1) ?? 0;
    const ledger = rig.ledger(side);
    assert.equal(ledger.integrity, 'ok', `${label}: the ${side}'s ledger is intact`);
    assert.equal(ledger.rows, ledger.lastId, `${label}: no committed row is missing`);
    assert.ok(
      ledger.lastId >= committed,
      `${label}: the ${side} holds row ${ledger.lastId}, the source committed ${committed}`,
    );
  }
  return side ?? 'neither';
}

async function interruptAt(step: string, interruption: Interruption): Promise<string> {
  const label = `${interruption} at ${step}`;
  const rig = await CutoverRig.create();
  try {
    let fired = false;
    let restarting: Promise<void> = Promise.resolve();
    const first = rig.migrate((event, child) => {
      if (fired || event.type !== 'cutover' || event.step !== step) return;
      fired = true;
      if (interruption === 'kill-agent') restarting = rig.killAgentAndRestart();
      else child.kill(interruption === 'kill-source' ? 'SIGKILL' : interruption);
    });
    const run: MigrateRun = await first.done;
    await restarting;
    assert.ok(
      fired,
      `${label}: the cutover reached ${step} (exit ${run.code ?? run.signal}; last events ${JSON.stringify(run.events.slice(-3))}; stderr ${run.stderr.slice(-400)})`,
    );
    const after = checkOneSide(rig, interruption, label, run);

    // Run again, as a technician does: it ends handed over, the program on the target only.
    const again = await rig.migrate().done;
    assert.equal(again.code, 0, `${label}, run again: ${again.stderr.slice(-600)}`);
    assert.equal(checkOneSide(rig, 'SIGINT', `${label}, run again`), 'target');
    const third = await rig.migrate().done;
    assert.equal(third.code, 0, `${label}, a third run: ${third.stderr.slice(-400)}`);
    assert.ok(
      third.events.some((e) => e.type === 'handed-over-before'),
      `${label}: a third run says it was handed over`,
    );
    assert.equal(checkOneSide(rig, 'SIGINT', `${label}, a third run`), 'target');
    assert.equal(
      rig.commandsRun().filter((c) => c === 'handover').length,
      1,
      `${label}: the handover command ran once (${rig.commandsRun().join(', ')})`,
    );
    return `${label}: exit ${run.code ?? run.signal} → ${after}`;
  } finally {
    await rig.close();
  }
}

describe('a cutover interrupted at any step', () => {
  it(`leaves the program on one machine with every committed row, and a re-run finishes (${STEPS.length * INTERRUPTIONS.length} cases)`, async (t) => {
    const cases = STEPS.flatMap((step) => INTERRUPTIONS.map((how) => [step, how] as const));
    const outcomes: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const [step, how] = cases[next++] as (typeof cases)[number];
        outcomes.push(await interruptAt(step, how));
      }
    };
    await Promise.all(Array.from({ length: AT_ONCE }, worker));
    for (const outcome of outcomes.sort()) t.diagnostic(outcome);
  });
});
