import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { builtInProfiles } from '../../engine/profiles/load-profile.ts';
import { liveProfileName } from '../../engine/profiles/live-profile.ts';
import { en } from '../../shared/i18n/en.ts';
import { translator } from '../../shared/i18n/translator.ts';
import { profileName } from '../../shared/profile-name.ts';

describe("a VM profile's name, in the language that shows it", () => {
  it('says every built-in profile in Chinese, and its file’s own name in English', async () => {
    const profiles = await builtInProfiles();
    assert.ok(profiles.length >= 3);
    for (const profile of profiles) {
      assert.equal(en.profiles[profile.id as keyof typeof en.profiles], profile.name);
      assert.equal(profileName(translator('en'), profile), profile.name);
      const zh = profileName(translator('zh-CN'), profile);
      assert.notEqual(zh, profile.name, `${profile.id} has a Chinese name`);
      assert.match(zh, /[\u4e00-\u9fff]/);
    }
  });

  it('says a built-in profile as an agent in the VM reported it (check --agent-in-vm)', () => {
    const live = {
      id: 'kvm-virtio-live',
      name: liveProfileName(en.profiles['kvm-virtio'], 'db01'),
    };
    assert.equal(profileName(translator('en'), live), live.name);
    assert.equal(
      profileName(translator('zh-CN'), live),
      'KVM / QEMU（virtio 设备）（版本取自 db01 中的代理）',
    );
    const other = { id: 'ours-live', name: 'Ours, as the agent in db01 reports it' };
    assert.equal(profileName(translator('zh-CN'), other), other.name, 'not a built-in one');
  });

  it("keeps a technician's own profile, or a built-in one renamed, as its file names it", async () => {
    const kvm = JSON.parse(
      await readFile(new URL('../../assets/profiles/kvm-virtio.json', import.meta.url), 'utf8'),
    ) as { id: string; name: string };
    const renamed = { ...kvm, name: 'Our KVM cluster' };
    assert.equal(profileName(translator('zh-CN'), renamed), 'Our KVM cluster');
    assert.equal(profileName(translator('zh-CN'), { id: 'ours', name: 'Ours' }), 'Ours');
  });
});
