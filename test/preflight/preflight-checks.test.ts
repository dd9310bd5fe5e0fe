import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { preflightChecks, type TargetFacts } from '../../engine/preflight/preflight-checks.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import { fixtureHost } from '../helpers/fixture-host.ts';
import { vmDiskCheck } from '../../engine/preflight/vm-disk-check.ts';
import { autoConvergeCheck } from '../../engine/preflight/auto-converge-check.ts';
import { throttleMethodHere } from '../../engine/converge/program-throttle.ts';
import { planDisk } from '../../engine/vm/disk-plan.ts';
import { renderMessage } from '../../shared/i18n/render-message.ts';
import { translator } from '../../shared/i18n/translator.ts';

const GiB = 1024 ** 3;

function target(vm: MachineInspection, freeBytes: number, agentInVm = false): TargetFacts {
  return {
    machine: vm,
    root: { path: '/srv/target', freeBytes, totalBytes: 500 * GiB },
    agentInVm,
  };
}

const level = (checks: ReturnType<typeof preflightChecks>, id: string) =>
  checks.find((c) => c.id === id)?.level;

describe('pre-flight checks', () => {
  it('says whether the target keeps extended attributes, where the source has them', async () => {
    const source = await inspectMachine([], fixtureHost('debian-12'));
    const vm = await inspectMachine([], fixtureHost('ubuntu-22.04'));
    const keeping = (user: boolean, privileged: boolean): TargetFacts => {
      const facts = target(vm, 100 * GiB);
      return { ...facts, root: { ...facts.root, xattrs: { user, privileged } } };
    };
    const none = preflightChecks(source, GiB, keeping(false, false), false, false, true);
    assert.equal(level(none, 'xattrs'), 'warning');
    assert.match(
      none.find((c) => c.id === 'xattrs')?.detail ?? '',
      /SELinux labels.*would be lost/,
    );
    assert.equal(
      level(preflightChecks(source, GiB, keeping(true, false), false, false, true), 'xattrs'),
      'warning',
    );
    assert.equal(
      level(preflightChecks(source, GiB, keeping(true, true), false, false, true), 'xattrs'),
      'ok',
    );
    // A source without any says nothing about them.
    assert.equal(
      level(preflightChecks(source, GiB, keeping(false, false), false, false, false), 'xattrs'),
      undefined,
    );
  });

  it('free space: enough, tight, not enough', async () => {
    const source = await inspectMachine([], fixtureHost('debian-12'));
    const vm = await inspectMachine([], fixtureHost('ubuntu-22.04'));
    assert.equal(
      level(preflightChecks(source, 40 * GiB, target(vm, 100 * GiB), false), 'free-space'),
      'ok',
    );
    assert.equal(
      level(preflightChecks(source, 40 * GiB, target(vm, 41 * GiB), false), 'free-space'),
      'warning',
    );
    const short = preflightChecks(source, 40 * GiB, target(vm, 30 * GiB), false);
    assert.equal(level(short, 'free-space'), 'blocker');
    assert.match(short.find((c) => c.id === 'free-space')?.detail ?? '', /Free 10\.0 GiB more/);
    assert.equal(level(preflightChecks(source, 1, null, false), 'target-unknown'), 'warning');
    const estimated = preflightChecks(source, 40 * GiB, target(vm, 30 * GiB), false, true);
    assert.equal(
      level(estimated, 'free-space'),
      'warning',
      'an estimate before the selection warns',
    );
  });

  it('Windows: Fast Startup and BitLocker are named with what to do', async () => {
    const w2019 = await inspectMachine([], fixtureHost('windows-2019'));
    const checks2019 = preflightChecks(w2019, GiB, null, false);
    assert.equal(level(checks2019, 'hibernation'), 'warning');
    assert.match(checks2019.find((c) => c.id === 'hibernation')?.detail ?? '', /powercfg \/h off/);
    assert.equal(level(checks2019, 'encryption'), 'ok');
    const w2022 = await inspectMachine([], fixtureHost('windows-2022'));
    const checks2022 = preflightChecks(w2022, GiB, null, false);
    assert.equal(level(checks2022, 'hibernation'), 'ok');
    assert.match(
      checks2022.find((c) => c.id === 'encryption')?.detail ?? '',
      /BitLocker protects C:/,
    );
  });

  it('duplicate identity: a clone on the same network, an agent in a VM that shares the name', async () => {
    const source = await inspectMachine([], fixtureHost('debian-12'));
    assert.equal(level(preflightChecks(source, GiB, null, false), 'duplicate-identity'), 'ok');
    const shared = preflightChecks(source, GiB, null, true);
    assert.equal(level(shared, 'duplicate-identity'), 'warning');
    assert.match(
      shared.find((c) => c.id === 'duplicate-identity')?.detail ?? '',
      /hostname db01, machine id/,
    );
    const twin = {
      ...source,
      network: [{ name: 'ens3', mac: '3C:EC:EF:10:22:31', addresses: [] }],
    };
    const inVm = preflightChecks(source, GiB, target(twin, 100 * GiB, true), true);
    assert.match(
      inVm.find((c) => c.id === 'duplicate-identity')?.detail ?? '',
      /MAC 3C:EC:EF:10:22:31/,
    );
    const other = await inspectMachine([], fixtureHost('ubuntu-22.04'));
    assert.equal(
      level(
        preflightChecks(source, GiB, target(other, 100 * GiB, true), true),
        'duplicate-identity',
      ),
      'ok',
    );
  });

  it('a shared identity is said item by item in either language', async () => {
    const source = await inspectMachine([], fixtureHost('debian-12'));
    const [check] = preflightChecks(source, GiB, null, true).filter(
      (c) => c.id === 'duplicate-identity',
    );
    assert.ok(check);
    assert.match(check.detail, /the source’s hostname db01, machine id\./);
    assert.match(
      renderMessage(translator('zh-CN'), check.detailMessage),
      /沿用源主机的 主机名 db01, 机器 ID/,
    );
  });

  it("says what the VM's disk will hold, volume by volume, and blocks only what cannot be built", async () => {
    const plan = planDisk(await inspectMachine([], fixtureHost('rhel-8.9')));
    const check = vmDiskCheck(plan);
    assert.equal(check.level, 'ok');
    assert.match(
      check.detail,
      /^MBR disk, BIOS boot: \/boot xfs 1\.50 GiB \(#1\); \/ xfs [\d.]+ GiB \(LV rhel\/root\); swap swap 8\.00 GiB \(LV rhel\/swap\)\. .*inside the guest's own kernel/,
    );
    assert.match(renderMessage(translator('zh-CN'), check.detailMessage), /客户机自己的内核/);
    const ntfs = structuredClone(plan);
    const root = ntfs.partitions[1]?.volumeGroup?.logicalVolumes[0];
    if (root) root.fsType = 'ntfs';
    const blocked = vmDiskCheck(ntfs);
    assert.equal(blocked.level, 'blocker');
    assert.match(blocked.detail, /cannot be built as planned: \/ is ntfs: .*Planned: /);
  });

  it('says how auto-converge would slow the program on this machine', () => {
    const check = autoConvergeCheck();
    assert.equal(check.level, 'ok');
    const method = throttleMethodHere();
    assert.equal(check.detailMessage?.key, `preflight.autoConverge.${method}`);
    if (process.getuid?.() !== 0) assert.equal(method, 'signals', 'no cgroup without root');
    assert.match(
      renderMessage(translator('zh-CN'), check.detailMessage as never),
      method === 'signals' ? /SIGSTOP/ : /cgroup/,
    );
  });
});
