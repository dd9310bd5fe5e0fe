import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { P2VError } from '../../shared/errors.ts';
import {
  parseInitramfsListing,
  parseModulesBuiltin,
} from '../../engine/inspection/initramfs-listing.ts';
import { parseLsblk } from '../../engine/inspection/lsblk.ts';
import { parseModinfo } from '../../engine/inspection/modinfo.ts';
import { parseOsRelease } from '../../engine/inspection/os-release.ts';
import { parseProcModules } from '../../engine/inspection/proc-modules.ts';
import { parseSystemctlUnits } from '../../engine/inspection/systemd-services.ts';
import { fixtureText } from '../helpers/fixture-host.ts';

const parseFailure = (error: unknown): boolean =>
  error instanceof P2VError && error.code === 'PARSE_FAILED';

describe('Linux parsers on captured outputs', () => {
  it('os-release: Debian, Ubuntu and RHEL, quotes and blank lines', () => {
    const debian = parseOsRelease(fixtureText('debian-12', 'files/etc/os-release'));
    assert.equal(debian.ID, 'debian');
    assert.equal(debian.VERSION_ID, '12');
    assert.equal(debian.PRETTY_NAME, 'Debian GNU/Linux 12 (bookworm)');
    const ubuntu = parseOsRelease(fixtureText('ubuntu-22.04', 'files/etc/os-release'));
    assert.deepEqual([ubuntu.ID, ubuntu.VERSION_ID, ubuntu.ID_LIKE], ['ubuntu', '22.04', 'debian']);
    const rhel = parseOsRelease(fixtureText('rhel-8.9', 'files/etc/os-release'));
    assert.deepEqual([rhel.ID, rhel.VERSION_ID], ['rhel', '8.9']);
    assert.equal(rhel.REDHAT_BUGZILLA_PRODUCT_VERSION, '8.9');
    assert.equal(parseOsRelease(`ID=x\nNAME='a "b"'\nX="c\\"d"`).X, 'c"d');
  });

  it('os-release: empty or malformed input is a clear error', () => {
    assert.throws(() => parseOsRelease(''), parseFailure);
    assert.throws(() => parseOsRelease('this is not os-release'), parseFailure);
  });

  it('lsblk: modern JSON with mountpoints, LVM under partitions', () => {
    const [disk] = parseLsblk(fixtureText('ubuntu-22.04', 'tools/lsblk.out'));
    assert.equal(disk?.partitionTable, 'dos');
    assert.equal(disk?.sizeBytes, 120034123776);
    const lv = disk?.children[1]?.children[0];
    assert.equal(lv?.type, 'lvm');
    assert.deepEqual(lv?.mountpoints, ['/']);
    assert.equal(lv?.usedBytes, 12884901888);
  });

  it('lsblk: util-linux 2.32 prints numbers as strings and has no PATH', () => {
    const [disk] = parseLsblk(fixtureText('rhel-8.9', 'tools/lsblk.out'));
    assert.equal(disk?.sizeBytes, 479559942144);
    assert.equal(disk?.path, '/dev/sda');
    const swap = disk?.children[1]?.children[1];
    assert.deepEqual([swap?.fsType, swap?.mountpoints], ['swap', ['[SWAP]']]);
    assert.equal(swap?.usedBytes, null);
  });

  it('lsblk: not JSON, wrong shape, empty', () => {
    assert.throws(() => parseLsblk(''), parseFailure);
    assert.throws(() => parseLsblk('lsblk: unknown column: PATH'), parseFailure);
    assert.throws(() => parseLsblk('{"blockdevices":[{"name":1}]}'), parseFailure);
    assert.deepEqual(parseLsblk('{"blockdevices":[]}'), []);
  });

  it('/proc/modules: users lists, refcounts, every distro', () => {
    const debian = parseProcModules(fixtureText('debian-12', 'files/proc/modules'));
    assert.equal(debian.length, 9);
    assert.deepEqual(debian.find((m) => m.name === 'mbcache')?.usedBy, ['ext4']);
    const rhel = parseProcModules(fixtureText('rhel-8.9', 'files/proc/modules'));
    assert.deepEqual(rhel.find((m) => m.name === 'dm_mod')?.usedBy, [
      'dm_mirror',
      'dm_region_hash',
    ]);
    assert.equal(parseProcModules(fixtureText('ubuntu-22.04', 'files/proc/modules')).length, 6);
    assert.deepEqual(parseProcModules(''), []);
    assert.throws(() => parseProcModules('garbage'), parseFailure);
  });

  it('modinfo: several modules, builtin ones, versions, continuation lines', () => {
    const debian = parseModinfo(fixtureText('debian-12', 'tools/modinfo.out'));
    const megaraid = debian.find((m) => m.name === 'megaraid_sas');
    assert.equal(megaraid?.version, '07.719.03.00-rc1');
    assert.equal(megaraid?.kernel, '6.1.0-18-amd64');
    assert.match(megaraid?.file ?? '', /megaraid_sas\.ko$/);
    assert.equal(debian.find((m) => m.name === 'e1000e')?.version, null);
    const ubuntu = parseModinfo(fixtureText('ubuntu-22.04', 'tools/modinfo.out'));
    assert.equal(ubuntu.find((m) => m.name === 'virtio_blk')?.file, null);
    assert.deepEqual(ubuntu.find((m) => m.name === 'igb')?.depends, ['dca', 'i2c_algo_bit']);
    const rhel = parseModinfo(fixtureText('rhel-8.9', 'tools/modinfo.out'));
    assert.equal(rhel.find((m) => m.name === 'vmxnet3')?.version, '1.5.0.0-k');
    assert.deepEqual(parseModinfo(''), []);
    assert.throws(() => parseModinfo('modinfo: ERROR: Module nope not found.'), parseFailure);
  });

  it('initramfs listings: lsinitramfs paths and lsinitrd ls -l lines', () => {
    const debian = parseInitramfsListing(fixtureText('debian-12', 'tools/lsinitramfs.out'));
    assert.ok(debian.has('megaraid_sas') && debian.has('ext4'));
    assert.ok(!debian.has('virtio_blk'));
    const rhel = parseInitramfsListing(fixtureText('rhel-8.9', 'tools/lsinitrd.out'));
    assert.deepEqual([...rhel].sort(), [
      'dm_mod',
      'libcrc32c',
      'megaraid_sas',
      'virtio_blk',
      'xfs',
    ]);
    assert.throws(() => parseInitramfsListing('\n\n'), parseFailure);
    const builtin = parseModulesBuiltin(
      fixtureText('ubuntu-22.04', 'files/lib/modules/5.15.0-91-generic/modules.builtin'),
    );
    assert.ok(builtin.has('virtio_blk') && builtin.has('dm_mod'));
  });

  it('systemctl: units with their stop and start commands', () => {
    const services = parseSystemctlUnits(fixtureText('debian-12', 'tools/systemctl.out'));
    const pg = services.find((s) => s.name === 'postgresql@15-main.service');
    assert.equal(pg?.description, 'PostgreSQL Cluster 15-main');
    assert.equal(pg?.stopCommand, "systemctl stop 'postgresql@15-main.service'");
    assert.equal(parseSystemctlUnits(fixtureText('rhel-8.9', 'tools/systemctl.out')).length, 5);
    assert.deepEqual(parseSystemctlUnits(''), []);
    assert.throws(() => parseSystemctlUnits('Failed to connect to bus'), parseFailure);
  });
});
