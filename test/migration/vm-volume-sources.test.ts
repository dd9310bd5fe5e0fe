import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SourceSet } from '../../engine/migration/source-set.ts';
import { emptyVmVolumes, refuseEmptyVmVolumes } from '../../engine/migration/vm-volume-sources.ts';
import { fromText } from '../../engine/paths/raw-path.ts';
import { P2VError } from '../../shared/errors.ts';
import type { DiskPlan } from '../../shared/vm-image.ts';

const MiB = 1024 * 1024;

/** SLES's layout: / and its subvolumes on btrfs, /home on a disk of its own, swap. */
const PLAN: DiskPlan = {
  table: 'gpt',
  bootMode: 'bios',
  partitions: [
    {
      role: 'filesystem',
      sizeBytes: 8192 * MiB,
      fsType: 'btrfs',
      label: null,
      uuid: null,
      mountpoint: '/',
      subvolumes: [
        { path: '@/.snapshots', mountpoint: '/.snapshots' },
        { path: '@/var', mountpoint: '/var' },
        { path: '@/tmp', mountpoint: '/tmp' },
        { path: '@/.snapshots/1/snapshot', mountpoint: '/' },
      ],
    },
    {
      role: 'filesystem',
      sizeBytes: 1024 * MiB,
      fsType: 'xfs',
      label: null,
      uuid: null,
      mountpoint: '/home',
    },
    {
      role: 'swap',
      sizeBytes: 512 * MiB,
      fsType: 'swap',
      label: null,
      uuid: null,
      mountpoint: null,
    },
  ],
};

/**
 * The source's mount table below /: the volumes above (snapper's snapshots, which hold the root's
 * subvolume, among them), a tmpfs /tmp and an NFS share.
 */
const MOUNTS = [
  { path: '/.snapshots', type: 'btrfs' },
  { path: '/var', type: 'btrfs' },
  { path: '/home', type: 'xfs' },
  { path: '/tmp', type: 'tmpfs' },
  { path: '/srv/share', type: 'nfs4' },
];

const set = (dirs: string[], excludes: string[] = [], crossMounts = false): SourceSet =>
  new SourceSet(
    dirs.map((dir) => ({ dir, target: fromText(dir.replace(/^\/+/, '')) })),
    excludes,
    false,
    crossMounts,
    crossMounts ? [] : MOUNTS,
  );

describe('the VM’s volumes and what the sources bring into them', () => {
  it('names each volume whose files the copy would not enter, and stops the migration before anything is sent', () => {
    assert.deepEqual(emptyVmVolumes(PLAN, set(['/'])), [
      { mountpoint: '/home', notCrossed: 'xfs' },
      { mountpoint: '/var', notCrossed: 'btrfs' },
    ]);
    assert.throws(
      () => refuseEmptyVmVolumes(PLAN, set(['/'])),
      (error: Error) =>
        error instanceof P2VError &&
        error.code === 'BLOCKED' &&
        error.message.includes('/home (xfs), /var (btrfs) are other filesystems') &&
        error.message.includes('Add /home /var to the folders to move'),
    );
  });

  it('is satisfied by a volume added as a folder to move, by crossing mounts, or by leaving it out on purpose', () => {
    assert.deepEqual(emptyVmVolumes(PLAN, set(['/', '/var'])), [
      { mountpoint: '/home', notCrossed: 'xfs' },
    ]);
    assert.deepEqual(emptyVmVolumes(PLAN, set(['/', '/var', '/home'])), []);
    assert.deepEqual(emptyVmVolumes(PLAN, set(['/'], [], true)), []);
    assert.deepEqual(emptyVmVolumes(PLAN, set(['/'], ['/home', '/var'])), []);
    assert.doesNotThrow(() => refuseEmptyVmVolumes(PLAN, set(['/', '/var', '/home'])));
  });
});
