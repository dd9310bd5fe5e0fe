import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UpdateCondition } from '../../shared/driver-plan.ts';
import type { VmProfile } from '../../shared/vm-profile.ts';
import { planDrivers } from '../../engine/drivers/driver-plan.ts';
import { compareVersions } from '../../engine/drivers/version-compare.ts';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { driversOfInterest, loadProfile } from '../../engine/profiles/load-profile.ts';
import { fixtureHost } from '../helpers/fixture-host.ts';
import { renderMessage } from '../../shared/i18n/render-message.ts';
import { translator } from '../../shared/i18n/translator.ts';

async function machine(name: string) {
  return inspectMachine(await driversOfInterest(), fixtureHost(name));
}

async function profile(id: string, changes: Partial<VmProfile> = {}): Promise<VmProfile> {
  return { ...(await loadProfile(id)), ...changes };
}

describe('the driver comparison', () => {
  it('compares versions part by part', () => {
    assert.ok(compareVersions('100.91.104.21700', '100.94.104.24000') < 0);
    assert.ok(compareVersions('1.10.0', '1.9.9') > 0);
    assert.equal(compareVersions('1.7.0.0-k', '1.7.0.0-k'), 0);
    assert.equal(compareVersions('3.0', '3'), 0);
  });

  const cases: {
    name: string;
    source: string;
    profile: string;
    changes?: Partial<VmProfile>;
    condition?: UpdateCondition;
    relation: string;
    blockers?: string[];
    add?: string[];
    update?: string[];
    rebuild?: string[];
    manualMatches?: RegExp;
  }[] = [
    {
      name: 'same type and version, every driver built in',
      source: 'ubuntu-22.04',
      profile: 'kvm-virtio',
      changes: { os: { type: 'linux', id: 'ubuntu', version: '22.04' } },
      relation: 'same',
    },
    {
      name: 'same type, other version, drivers present but not in the initramfs',
      source: 'debian-12',
      profile: 'kvm-virtio',
      changes: { os: { type: 'linux', id: 'debian', version: '11' } },
      relation: 'other-version',
      rebuild: ['virtio_pci', 'virtio_blk', 'virtio_scsi'],
    },
    {
      name: 'same type, other version, an older driver, condition any: update',
      source: 'windows-2022',
      profile: 'kvm-virtio',
      changes: { os: { type: 'windows', version: '10.0.17763' } },
      condition: 'any',
      relation: 'other-version',
      update: ['viostor', 'netkvm'],
      add: ['balloon'],
    },
    {
      name: 'the same older driver, condition major: no update (100 = 100)',
      source: 'windows-2022',
      profile: 'kvm-virtio',
      condition: 'major',
      relation: 'no-target-os',
      add: ['balloon'],
    },
    {
      name: 'the same older driver, condition missing: only missing ones added',
      source: 'windows-2022',
      profile: 'kvm-virtio',
      condition: 'missing',
      relation: 'no-target-os',
      add: ['balloon'],
    },
    {
      name: 'a major version apart, condition major: update',
      source: 'windows-2019',
      profile: 'vmware-esxi',
      changes: {
        drivers: {
          linux: [],
          windows: [
            {
              name: 'pvscsi',
              aliases: [],
              role: 'storage',
              bootCritical: true,
              version: '2.0.0.0',
            },
            {
              name: 'vmxnet3',
              aliases: ['vmxnet3ndis6'],
              role: 'network',
              bootCritical: false,
              version: '1.9.17.0',
            },
          ],
        },
      },
      condition: 'major',
      relation: 'no-target-os',
      update: ['pvscsi'],
      manualMatches: /^$/,
    },
    {
      name: 'other OS type is a blocker',
      source: 'debian-12',
      profile: 'hyperv',
      changes: { os: { type: 'windows', version: '10.0.20348' } },
      relation: 'other-type',
      blockers: ['OS_TYPE'],
      rebuild: ['hv_vmbus', 'hv_storvsc'],
    },
    {
      name: 'UEFI source on a BIOS-only profile is a blocker',
      source: 'debian-12',
      profile: 'hyperv',
      changes: { firmware: ['bios'] },
      relation: 'no-target-os',
      blockers: ['FIRMWARE'],
      rebuild: ['hv_vmbus', 'hv_storvsc'],
    },
    {
      name: 'Windows without the boot-critical storage driver: add it before the first boot',
      source: 'windows-2016',
      profile: 'kvm-virtio',
      relation: 'no-target-os',
      add: ['viostor', 'vioscsi', 'netkvm', 'balloon'],
      manualMatches: /viostor.*before the first boot/,
    },
    {
      name: 'RHEL with virtio_blk in the initramfs but not virtio_scsi: dracut',
      source: 'rhel-8.9',
      profile: 'kvm-virtio',
      relation: 'no-target-os',
      rebuild: ['virtio_pci', 'virtio_scsi'],
    },
  ];

  for (const c of cases)
    it(c.name, async () => {
      const plan = planDrivers(
        await machine(c.source),
        await profile(c.profile, c.changes),
        c.condition ?? 'any',
      );
      assert.equal(plan.os.relation, c.relation);
      assert.deepEqual(
        plan.blockers.map((b) => b.code),
        c.blockers ?? [],
      );
      assert.deepEqual(plan.toAdd, c.add ?? []);
      assert.deepEqual(plan.toUpdate, c.update ?? []);
      assert.deepEqual(plan.initramfs.modules, c.rebuild ?? []);
      assert.equal(plan.initramfs.rebuild, (c.rebuild ?? []).length > 0);
      if (c.manualMatches) assert.match(plan.manual.join('\n'), c.manualMatches);
      for (const d of plan.drivers) assert.ok(d.advice.length > 10, `advice for ${d.name}`);
    });

  it('names the initramfs tool of the distribution', async () => {
    const rhel = planDrivers(await machine('rhel-8.9'), await profile('kvm-virtio'), 'any');
    assert.match(rhel.initramfs.command ?? '', /^dracut -f --add-drivers "virtio_pci virtio_scsi"/);
    const debian = planDrivers(await machine('debian-12'), await profile('kvm-virtio'), 'any');
    assert.match(debian.initramfs.command ?? '', /update-initramfs -u -k 6\.1\.0-18-amd64$/);
  });

  it('says every finding in either language, from the same catalog', async () => {
    const plan = planDrivers(await machine('windows-2016'), await profile('kvm-virtio'), 'any');
    const viostor = plan.drivers.find((d) => d.name === 'viostor');
    assert.ok(viostor);
    assert.equal(renderMessage(translator('en'), viostor.adviceMessage), viostor.advice);
    const chinese = renderMessage(translator('zh-CN'), viostor.adviceMessage);
    assert.match(chinese, /^在首次启动前添加 viostor（存储），来源：virtio-win/);
    const blocked = planDrivers(
      await machine('debian-12'),
      await profile('hyperv', { os: { type: 'windows' } }),
      'any',
    );
    assert.match(renderMessage(translator('zh-CN'), blocked.blockers[0]!.text), /源主机运行 Linux/);
  });
});
