import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { liveProfile } from '../../engine/profiles/live-profile.ts';
import { loadProfile } from '../../engine/profiles/load-profile.ts';
import { fixtureHost } from '../helpers/fixture-host.ts';

describe('a live profile from an agent inside the VM', () => {
  it('takes the VM’s OS, firmware and driver versions, keeps the hypervisor’s driver list', async () => {
    const vm = await inspectMachine(['vmxnet3', 'vmw_pvscsi'], fixtureHost('rhel-8.9'));
    const profile = liveProfile(await loadProfile('vmware-esxi'), vm);
    assert.equal(profile.id, 'vmware-esxi-live');
    assert.deepEqual(profile.os, {
      type: 'linux',
      id: 'rhel',
      name: 'Red Hat Enterprise Linux 8.9 (Ootpa)',
      version: '8.9',
      kernel: '4.18.0-513.5.1.el8_9.x86_64',
    });
    assert.deepEqual(profile.firmware, ['bios']);
    assert.equal(profile.drivers.linux.find((d) => d.name === 'vmxnet3')?.version, '1.5.0.0-k');
    assert.equal(profile.drivers.windows.length, 2, 'the other OS type’s list is left as it was');
  });
});
