import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { P2VError } from '../../shared/errors.ts';
import {
  BUILT_IN_PROFILE_FILES,
  builtInProfiles,
  loadProfile,
  profilesDir,
} from '../../engine/profiles/load-profile.ts';
import { profileJsonSchema } from '../../engine/profiles/profile-schema.ts';

const invalid = (error: unknown): boolean =>
  error instanceof P2VError && error.code === 'PROFILE_INVALID';

describe('VM profiles', () => {
  it('the built-in profiles are valid and name the drivers their hardware needs', async () => {
    const profiles = await builtInProfiles();
    assert.deepEqual(
      profiles.map((p) => p.id),
      ['hyperv', 'kvm-virtio', 'vmware-esxi'],
    );
    const kvm = await loadProfile('kvm-virtio');
    assert.ok(
      ['virtio_blk', 'virtio_scsi', 'virtio_net', 'virtio_pci'].every((n) =>
        kvm.drivers.linux.some((d) => d.name === n),
      ),
    );
    assert.ok(
      ['viostor', 'vioscsi', 'netkvm'].every((n) =>
        kvm.drivers.windows.some((d) => d.name === n && d.version),
      ),
    );
    const esxi = await loadProfile('vmware-esxi');
    assert.ok(esxi.drivers.linux.some((d) => d.name === 'vmw_pvscsi'));
    assert.ok(esxi.drivers.windows.some((d) => d.name === 'pvscsi'));
    const hyperv = await loadProfile('hyperv');
    assert.ok(
      ['hv_vmbus', 'hv_storvsc', 'hv_netvsc', 'hv_utils'].every((n) =>
        hyperv.drivers.linux.some((d) => d.name === n),
      ),
    );
  });

  it('every profile file in assets/profiles is built in, and the same as the file', async () => {
    const files = (await readdir(profilesDir())).filter(
      (n) => n.endsWith('.json') && !n.endsWith('.schema.json'),
    );
    assert.deepEqual(
      Object.keys(BUILT_IN_PROFILE_FILES).sort(),
      files.sort(),
      'the list in load-profile.ts names every file',
    );
    for (const name of files)
      assert.deepEqual(
        BUILT_IN_PROFILE_FILES[name],
        JSON.parse(await readFile(join(profilesDir(), name), 'utf8')),
        `${name} bundled as it is on disk`,
      );
  });

  it('the JSON Schema in assets matches the schema the engine checks with', async () => {
    const kept = JSON.parse(await readFile(join(profilesDir(), 'vm-profile.schema.json'), 'utf8'));
    assert.deepEqual(
      kept,
      JSON.parse(profileJsonSchema()),
      'run: node --import tsx scripts/write-profile-schema.ts',
    );
  });

  it('a profile from a file; bad files are refused with the field that is wrong', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'p2v-profile-'));
    const good = join(dir, 'lab.json');
    const base = JSON.parse(await readFile(join(profilesDir(), 'kvm-virtio.json'), 'utf8'));
    await writeFile(good, JSON.stringify({ ...base, id: 'lab', firmware: ['uefi'] }));
    assert.deepEqual((await loadProfile(good)).firmware, ['uefi']);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...base, hypervisor: 'virtualbox' }));
    await assert.rejects(
      loadProfile(bad),
      (e) => invalid(e) && /hypervisor/.test((e as Error).message),
    );
    await writeFile(bad, '{ not json');
    await assert.rejects(
      loadProfile(bad),
      (e) => invalid(e) && /not JSON/.test((e as Error).message),
    );
    await assert.rejects(loadProfile(join(dir, 'absent.json')), invalid);
    await assert.rejects(
      loadProfile('no-such-profile'),
      (e) => invalid(e) && /kvm-virtio/.test((e as Error).message),
    );
  });
});
