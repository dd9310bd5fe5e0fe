import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, it } from 'node:test';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { parseOsRelease } from '../../engine/inspection/os-release.ts';

describe(
  'live inspection of this machine',
  { skip: process.platform !== 'linux' && 'Linux only' },
  () => {
    it('agrees with /etc/os-release, uname and /proc/modules', async () => {
      const machine = await inspectMachine();
      const release = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
      assert.equal(machine.os.id, release.ID);
      assert.equal(machine.os.version, release.VERSION_ID);
      assert.equal(machine.os.kernel, execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
      assert.equal(machine.hostname, execFileSync('uname', ['-n'], { encoding: 'utf8' }).trim());
      assert.equal(machine.cpus, os.cpus().length);
      assert.equal(machine.bootMode, existsSync('/sys/firmware/efi') ? 'uefi' : 'bios');
      const loaded = machine.drivers.drivers
        .filter((d) => d.loaded)
        .map((d) => d.name)
        .sort();
      if (existsSync('/proc/modules')) {
        const names = readFileSync('/proc/modules', 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ')[0] as string)
          .sort();
        assert.deepEqual(loaded, names);
      } else {
        // This kind of machine runs a kernel without loadable modules: the inspection says so.
        assert.deepEqual(loaded, []);
        assert.ok(machine.notes.some((n) => n.includes('/proc/modules is absent')));
      }
      const root = machine.volumes.find((v) => v.mountpoint === '/');
      assert.ok(
        root && root.sizeBytes > 0 && root.availableBytes <= root.sizeBytes,
        'the root volume',
      );
      assert.ok(root.fsType, 'the root volume has a filesystem type');
    });
  },
);
