import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import type { DiskPlan } from '../../shared/vm-image.ts';
import { buildImage } from '../../engine/vm/build-image.ts';
import { planTreeNetwork } from '../../engine/network/plan-network-identity.ts';
import { findGuestKernel } from '../../engine/vm/guest-kernel.ts';
import { checkInitramfs } from '../../engine/vm/initramfs-check.ts';
import { runInGuest } from '../../engine/vm/initramfs-rebuild.ts';
import { kvmUsable } from '../../engine/vm/kvm-probe.ts';
import { OVMF } from '../../engine/vm/launch-vm.ts';
import { qemuArgs, type VmLaunch } from '../../engine/vm/qemu-command.ts';
import { SerialTail } from '../../engine/vm/serial-tail.ts';
import { AGENT_STOPPED_MARKER } from '../../engine/vm/agent-injection.ts';
import { migrateTo, startTestAgent } from '../helpers/migrate-in-process.ts';
import { ensureAgentBinary } from '../../scripts/build-agent.js';
import {
  BOOT_MODULES,
  debianRootReady,
  makeDebianRoot,
  slimRoot,
} from '../../scripts/debian-root.js';
import { tempDir } from '../helpers/temp-dir.ts';
import {
  makeBridgeNamespace,
  makeHostBridgeLan,
  type BridgeNamespace,
} from '../helpers/bridge-namespace.ts';

const has = (tool: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = [
  'qemu-system-x86_64',
  'mmdebstrap',
  'mke2fs',
  'sfdisk',
  'qemu-img',
  'busybox',
  'xfs_repair',
  'btrfs',
  'ip',
].filter((t) => !has(t));
const why =
  process.getuid?.() !== 0
    ? 'SKIPPED LOUDLY: mmdebstrap needs root'
    : missing.length > 0
      ? `SKIPPED LOUDLY: missing ${missing.join(', ')} (apt-get install qemu-system-x86 mmdebstrap qemu-utils fdisk busybox-static xfsprogs btrfs-progs iproute2)`
      : !OVMF.every((file) => existsSync(file))
        ? 'SKIPPED LOUDLY: no UEFI firmware (apt-get install ovmf)'
        : false;
const ROOT_UUID = '6f5e4d3c-2b1a-4098-8f7e-6d5c4b3a2918';
const MARKER = 'P2V-BOOT-MARKER';

/** Resolves with the first console line that `wanted` accepts; rejects if qemu exits first or after `limitMs`. */
function waitForLine(
  log: string,
  wanted: (line: string) => boolean,
  limitMs: number,
  qemu?: ReturnType<typeof spawn>,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const finish = (then: () => void): void => {
      tail.close();
      clearTimeout(limit);
      qemu?.off('exit', exited);
      then();
    };
    const tail = new SerialTail(log, (line) => {
      if (wanted(line)) finish(() => resolve(line.trim()));
    });
    const limit = setTimeout(
      () => finish(() => reject(new Error(`no such console line within ${limitMs} ms in ${log}`))),
      limitMs,
    );
    const exited = (): void =>
      finish(() => reject(new Error(`qemu exited (${qemu?.exitCode}) before the line`)));
    qemu?.once('exit', exited);
  });
}

/**
 * Sets the modules the root's initramfs carries (MODULES=list and its modules list) and rebuilds
 * it: `BOOT_MODULES` as the root is made, or fewer.
 */
async function setInitramfsModules(root: string, list: string[]) {
  const conf = join(root, 'etc/initramfs-tools/initramfs.conf');
  await writeFile(conf, (await readFile(conf, 'utf8')).replace(/^MODULES=.*$/m, 'MODULES=list'));
  await writeFile(
    join(root, 'etc/initramfs-tools/modules'),
    `# Modules to include in the initramfs, one per line.\n${list.map((m) => `${m}\n`).join('')}`,
  );
  const { release } = await findGuestKernel(root);
  const made = await runInGuest(root, ['update-initramfs', '-u', '-k', release]);
  assert.equal(made.exitCode, 0, `update-initramfs in ${root}: ${made.stderr}`);
}

/**
 * The guest's grub.cfg as update-grub writes it: finds /boot by UUID, boots the kernel. On btrfs
 * GRUB reads from the top level, so /boot is below the root's subvolume (`at`, `/@`).
 */
function grubConfig(
  guest: { release: string; initrd: string },
  bootUuid: string,
  root: string,
  modules: string[] = [],
  at = '',
): string {
  return [
    'set timeout=0',
    'serial --unit=0 --speed=115200',
    'terminal_output serial',
    ...modules.map((m) => `insmod ${m}`),
    `search --no-floppy --fs-uuid --set=root ${bootUuid}`,
    `linux ${at}/boot/vmlinuz-${guest.release} root=${root} ro console=ttyS0,115200`,
    `initrd ${at}/boot/${guest.initrd.split('/').pop()}`,
    'boot',
    '',
  ].join('\n');
}

/**
 * The root's copy as a source of another layout would have it: hard links to its files (so
 * nothing is copied), with `files` written anew in place of the ones they replace.
 */
async function variantOf(tree: string, to: string, files: Record<string, string>): Promise<string> {
  execFileSync('cp', ['-al', tree, to]);
  for (const [path, content] of Object.entries(files)) {
    await rm(join(to, path), { force: true });
    await mkdir(dirname(join(to, path)), { recursive: true });
    await writeFile(join(to, path), content);
  }
  return to;
}

/** Enables systemd `unit` (of the distribution's, or the root's own) in `root`, as `systemctl enable` would. */
async function enableUnit(root: string, unit: string, target: string, own = false): Promise<void> {
  const wants = join(root, 'etc/systemd/system', `${target}.wants`);
  await mkdir(wants, { recursive: true });
  await rm(join(wants, unit), { force: true });
  await symlink(`${own ? '/etc' : '/lib'}/systemd/system/${unit}`, join(wants, unit));
}

/**
 * The server's LAN: the address its network configuration gives its card, and the router's.
 * TEST-NET-1 (RFC 5737), only ever inside a namespace the test makes.
 */
const SOURCE_ADDRESS = '192.0.2.10';
/** The names of the LAN's bridge and namespaces the VM test makes. */
const LAN_PREFIX = 'p2vt';
const LAN_GATEWAY = '192.0.2.1';
const SERVICE_PORT = 7070;
/** The server's card as the source knew it, for the configuration keyed by MAC. */
const SOURCE_MAC = '00:50:56:9a:0b:01';

/**
 * The migrated service: a socket-activated unit that answers each connection with the machine's
 * name, what / is on and its cards, so the test can tell which machine answered at the address.
 */
const SERVICE_FILES = {
  'etc/systemd/system/p2v-service.socket': `[Unit]\nDescription=P2V test service\n[Socket]\nListenStream=${SERVICE_PORT}\nAccept=yes\n[Install]\nWantedBy=sockets.target\n`,
  'etc/systemd/system/p2v-service@.service': `[Unit]\nDescription=P2V test service connection\n[Service]\nExecStart=/bin/sh -c 'echo P2V-SERVICE $(hostname) $(findmnt -no FSTYPE,SOURCE /) $(ls /sys/class/net)'\nStandardInput=socket\n`,
};

/** The byte offset of the filesystem whose magic `magic` is at `at` in one of the MiBs of `range`. */
function findFilesystem(image: string, start: number, size: number, magic: string, at: number) {
  const fd = openSync(image, 'r');
  try {
    const probe = Buffer.alloc(magic.length);
    for (let offset = start; offset < start + size; offset += 1024 * 1024) {
      readSync(fd, probe, 0, probe.length, offset + at);
      if (probe.toString('latin1') === magic) return offset;
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`no ${magic} filesystem in ${image} from ${start}`);
}

/** Copies `size` bytes at `offset` of the image into a file of its own, holes kept (no loop device). */
function extract(image: string, offset: number, size: number, out: string): string {
  const MiB = 1024 * 1024;
  execFileSync('dd', [
    `if=${image}`,
    `of=${out}`,
    'bs=1M',
    `skip=${offset / MiB}`,
    `count=${Math.ceil(size / MiB)}`,
    'conv=sparse',
    'status=none',
  ]);
  return out;
}

/**
 * Longer by far than the VM flow takes here under software emulation: about 5 minutes alone,
 * more on a full run, where the other test files share the two cores with it.
 */
const MIGRATION_LIMIT_MS = 13 * 60_000;

/**
 * Rejects once `limitMs` went by, with the last events seen: a stall then fails with where it
 * was, which the runner's own timeout does not say.
 */
function failAfter<T>(limitMs: number, events: string[], work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `still running after ${limitMs / 60_000} minutes; the last events:\n${events.slice(-40).join('\n')}`,
          ),
        ),
      limitMs,
    );
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

/** Each cutover step with the milliseconds since the first, to see where the downtime goes. */
const timeline = (steps: { step: string; at: string }[]): string => {
  const start = Date.parse(steps[0]?.at ?? '');
  return steps.map((s) => `${s.step}+${Date.parse(s.at) - start}`).join(' ');
};

describe(
  'a real Debian root, migrated, built into an image and booted under qemu',
  { skip: why },
  () => {
    let base: string;
    let source: string;

    before(async () => {
      base = await tempDir();
      // Made once per run (npm test makes it while the other files run); P2V_DEBOOTSTRAP_ROOT
      // names one made before.
      source = process.env.P2V_DEBOOTSTRAP_ROOT ?? join(base, 'debian');
      if (!debianRootReady(source))
        assert.equal(await makeDebianRoot(source), 0, `mmdebstrap into ${source}`);
      // A root made before it was trimmed is trimmed now.
      slimRoot(source);
      // The VM test leaves a root named by P2V_DEBOOTSTRAP_ROOT with an initramfs that lacks
      // the disk drivers (the suite's own root is removed after the run): put back as the root
      // is made, which the copy the layouts are built from needs.
      if (
        !/^virtio_blk$/m.test(
          await readFile(join(source, 'etc/initramfs-tools/modules'), 'utf8').catch(() => ''),
        )
      )
        await setInitramfsModules(source, BOOT_MODULES);
      // The program the VM should run: a service that prints a marker on the serial console.
      await writeFile(join(source, 'etc/fstab'), `UUID=${ROOT_UUID} / ext4 defaults 0 1\n`);
      await writeFile(join(source, 'etc/hostname'), 'migrated-vm\n');
      await writeFile(
        join(source, 'etc/systemd/system/p2v-marker.service'),
        `[Unit]\nDescription=P2V boot marker\nAfter=local-fs.target\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo ${MARKER} $(hostname) > /dev/ttyS0'\n[Install]\nWantedBy=multi-user.target\n`,
      );
      await mkdir(join(source, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
      await symlink(
        '/etc/systemd/system/p2v-marker.service',
        join(source, 'etc/systemd/system/multi-user.target.wants/p2v-marker.service'),
      ).catch(() => undefined);
      // What update-grub and grub-install leave on a BIOS machine: its grub.cfg and modules.
      await mkdir(join(source, 'boot/grub'), { recursive: true });
      await writeFile(
        join(source, 'boot/grub/grub.cfg'),
        grubConfig(await findGuestKernel(source), ROOT_UUID, `UUID=${ROOT_UUID}`),
      );
      execFileSync('cp', ['-a', join(source, 'usr/lib/grub/i386-pc'), join(source, 'boot/grub/')]);
      // The layouts below are built from a copy of the root as it is now, before the VM test
      // changes it (its initramfs, network and services). The migration is the VM test's.
      execFileSync('cp', ['-a', source, join(base, 'root-copy')]);
      await ensureAgentBinary();
      // Built in the background by the helper VM, one after the other, while the VM test runs
      // (each emulated machine on a core of its own): both are ready when it is done.
      layouts = buildLayouts();
      layouts.catch(() => undefined);
      ext4Disk = buildExt4Disk();
      ext4Disk.catch(() => undefined);
    });

    const rootPartition = {
      role: 'filesystem' as const,
      sizeBytes: 2 * 1024 ** 3,
      fsType: 'ext4',
      label: 'root',
      uuid: ROOT_UUID,
      mountpoint: '/',
    };
    const esp = {
      role: 'esp' as const,
      sizeBytes: 64 * 1024 * 1024,
      fsType: 'vfat',
      label: 'EFI',
      uuid: '6A1B-2C3D',
      mountpoint: '/boot/efi',
    };

    const biosBoot = {
      role: 'bios-boot' as const,
      sizeBytes: 1024 * 1024,
      fsType: null,
      label: null,
      uuid: null,
      mountpoint: null,
    };

    let layouts: ReturnType<typeof buildLayouts> | undefined;
    let ext4Disk: ReturnType<typeof buildExt4Disk> | undefined;
    /** The root's copy as it is, ext4 made on the host (mke2fs -d), GRUB in a BIOS boot partition of GPT. */
    const buildExt4Disk = async () => {
      const tree = join(base, 'root-copy');
      return buildImage({
        tree,
        out: join(base, 'vm-ext4', 'disk.qcow2'),
        format: 'qcow2',
        kernel: (await findGuestKernel(tree)).release,
        bootloader: 'grub-bios',
        plan: { table: 'gpt', bootMode: 'bios', partitions: [biosBoot, rootPartition] },
      });
    };
    const XFS_UUID = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
    const BTRFS_UUID = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
    /** RHEL's layout: GPT, / on XFS in volume group vg0 with its swap beside it. */
    const xfsOnLvm: DiskPlan = {
      table: 'gpt',
      bootMode: 'bios',
      partitions: [
        biosBoot,
        {
          role: 'lvm',
          sizeBytes: 2200 * 1024 ** 2,
          fsType: 'LVM2_member',
          label: null,
          uuid: null,
          mountpoint: null,
          volumeGroup: {
            name: 'vg0',
            logicalVolumes: [
              {
                name: 'root',
                role: 'filesystem',
                sizeBytes: 2 * 1024 ** 3,
                fsType: 'xfs',
                label: 'root',
                uuid: XFS_UUID,
                mountpoint: '/',
              },
              {
                name: 'swap',
                role: 'swap',
                sizeBytes: 64 * 1024 ** 2,
                fsType: 'swap',
                label: null,
                uuid: null,
                mountpoint: null,
              },
            ],
          },
        },
      ],
    };
    const xfsFstab =
      '/dev/mapper/vg0-root / xfs defaults 0 1\n/dev/mapper/vg0-swap none swap sw 0 0\n';
    /** The same under UEFI, as RHEL installs today's servers: an EFI system partition first. */
    const xfsOnLvmUefi: DiskPlan = {
      ...xfsOnLvm,
      bootMode: 'uefi',
      partitions: [esp, ...xfsOnLvm.partitions.slice(1)],
    };

    /**
     * The root's copy as two other sources would have it, each built by the helper VM. / on XFS
     * on LVM (RHEL's layout, as the VM test's server has it) carries files to check what the
     * helper's copy keeps: owner and mode, hard links, times, holes, an SELinux label and a user
     * xattr; its image is read back, not booted (the VM test boots that layout). / on btrfs from
     * MBR is booted: its marker names the filesystem and device / is on once the network is up,
     * and the server had a static address in netplan by its card's MAC (rendered by
     * systemd-networkd, as Ubuntu does), built to be taken over on the VM's card.
     */
    const buildLayouts = async () => {
      const copy = join(base, 'root-copy');
      const guest = await findGuestKernel(copy);
      const marker = `[Unit]\nDescription=P2V boot marker\nWants=network-online.target\nAfter=local-fs.target network-online.target\n[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo ${MARKER} $(hostname) $(findmnt -no FSTYPE,SOURCE /) > /dev/ttyS0'\n[Install]\nWantedBy=multi-user.target\n`;
      const xfsTree = await variantOf(copy, join(base, 'received-xfs'), {
        'etc/fstab': xfsFstab,
        'boot/grub/grub.cfg': grubConfig(guest, XFS_UUID, '/dev/mapper/vg0-root', ['lvm', 'xfs']),
        'etc/network/interfaces': `auto lo\niface lo inet loopback\n\nauto ens192\niface ens192 inet static\n\taddress ${SOURCE_ADDRESS}/24\n\tgateway ${LAN_GATEWAY}\n`,
      });
      const fidelity = join(xfsTree, 'srv/fidelity');
      await mkdir(fidelity, { recursive: true });
      await writeFile(join(fidelity, 'a'), 'linked\n');
      execFileSync('ln', [join(fidelity, 'a'), join(fidelity, 'b')]);
      execFileSync('setfattr', ['-n', 'user.p2v', '-v', 'kept', join(fidelity, 'a')]);
      execFileSync('setfattr', [
        '-n',
        'security.selinux',
        '-v',
        'system_u:object_r:etc_t:s0',
        join(fidelity, 'a'),
      ]);
      execFileSync('touch', ['-m', '-d', '@1000000000', join(fidelity, 'a')]);
      execFileSync('truncate', ['-s', '64M', join(fidelity, 'sparse')]);
      execFileSync('sh', ['-c', `printf x >> ${join(fidelity, 'sparse')}`]);
      execFileSync('chown', ['1234:5678', fidelity]);
      execFileSync('chmod', ['2750', fidelity]);
      const xfs = await buildImage({
        tree: xfsTree,
        out: join(base, 'vm-xfs', 'disk.raw'),
        format: 'raw',
        kernel: guest.release,
        bootloader: 'grub-bios',
        network: await planTreeNetwork(xfsTree, { mac: '52:54:00:0b:00:01' }),
        plan: xfsOnLvm,
      });
      const btrfsTree = await variantOf(copy, join(base, 'received-btrfs'), {
        // / in the default subvolume, as SUSE mounts it (no subvol=), /home in its own by name,
        // as Ubuntu's installer has it.
        'etc/fstab': `UUID=${BTRFS_UUID} / btrfs defaults 0 0\nUUID=${BTRFS_UUID} /home btrfs defaults,subvol=@home 0 0\n`,
        'boot/grub/grub.cfg': grubConfig(guest, BTRFS_UUID, `UUID=${BTRFS_UUID}`, ['btrfs'], '/@'),
        // What /home shows comes from @home only if the copy went into it.
        'home/tech/notes.txt': 'kept in @home\n',
        'etc/systemd/system/p2v-marker.service': marker.replace(
          '$(findmnt -no FSTYPE,SOURCE /)',
          '$(findmnt -no FSTYPE,SOURCE /) home=$(findmnt -no SOURCE /home) $(cat /home/tech/notes.txt)',
        ),
        // As Ubuntu's cloud images write it: the card matched by MAC and named by set-name.
        'etc/netplan/50-cloud-init.yaml': `network:\n  version: 2\n  renderer: networkd\n  ethernets:\n    lan:\n      match:\n        macaddress: "${SOURCE_MAC}"\n      set-name: ens192\n      addresses: [${SOURCE_ADDRESS}/24]\n      routes:\n        - to: default\n          via: ${LAN_GATEWAY}\n`,
        ...SERVICE_FILES,
      });
      await enableUnit(btrfsTree, 'p2v-service.socket', 'sockets.target', true);
      await enableUnit(btrfsTree, 'systemd-networkd.service', 'multi-user.target');
      await enableUnit(btrfsTree, 'systemd-networkd.socket', 'sockets.target');
      await enableUnit(btrfsTree, 'systemd-networkd-wait-online.service', 'network-online.target');
      const btrfs = await buildImage({
        tree: btrfsTree,
        out: join(base, 'vm-btrfs', 'disk.raw'),
        format: 'raw',
        kernel: guest.release,
        bootloader: 'grub-bios',
        network: await planTreeNetwork(btrfsTree, { mac: '52:54:00:0b:00:02' }),
        plan: {
          table: 'dos',
          bootMode: 'bios',
          partitions: [
            {
              ...rootPartition,
              fsType: 'btrfs',
              uuid: BTRFS_UUID,
              subvolumes: [
                { path: '@', mountpoint: '/' },
                { path: '@home', mountpoint: '/home' },
              ],
            },
          ],
        },
      });
      return {
        xfs: { image: xfs, serialLog: join(base, 'vm-xfs', 'serial.log') },
        btrfs: { image: btrfs, serialLog: join(base, 'vm-btrfs', 'serial.log') },
      };
    };

    /**
     * A disk the helper built (raw), booted by itself under a BIOS on the server's LAN (a bridge
     * in a namespace of its own) with the card the build took the network over to; resolves
     * once the marker is printed with what the migrated service answers at the source's address.
     */
    const bootOnLan = async (
      built: { image: Awaited<ReturnType<typeof buildImage>>; serialLog: string },
      namespace: string,
    ) => {
      const lan = makeBridgeNamespace(namespace, `${LAN_GATEWAY}/24`);
      try {
        const booted = await bootToMarker(
          built.image.path,
          built.serialLog,
          { kind: 'disk', mode: 'bios' },
          'raw',
          {
            lan,
            mac: built.image.network?.vmMac ?? '(no network plan)',
            // The marker runs after network-online.target: the address is up by now.
            whileUp: () =>
              lan.runInside('timeout', [
                '60',
                'bash',
                '-c',
                `exec 3<>/dev/tcp/${SOURCE_ADDRESS}/${SERVICE_PORT} && cat <&3`,
              ]),
          },
        );
        return { ...booted, answer: booted.answer?.trim() ?? '' };
      } finally {
        lan.remove();
      }
    };

    /** Starts qemu and resolves with the marker line and how long it took; qemu is stopped after. */
    const bootToMarker = async (
      image: string,
      serialLog: string,
      boot: VmLaunch['boot'],
      format: VmLaunch['format'] = 'qcow2',
      network?: { lan: BridgeNamespace; mac: string; whileUp: () => string },
    ): Promise<{ line: string; ms: number; kvm: boolean; answer?: string }> => {
      await writeFile(serialLog, '');
      const kvm = await kvmUsable();
      const started = Date.now();
      const args = qemuArgs({
        image,
        format,
        boot,
        memoryMiB: 1024,
        // One vCPU: under software emulation on a busy two-core host, a second one stalls
        // the guest's RCU waiting for the first (seen as soft lockups and a boot that hangs).
        cpus: kvm ? 2 : 1,
        serialLog,
        kvm,
        throwaway: true,
        ...(network ? { tap: network.lan.tap, mac: network.mac } : {}),
      });
      const qemu = network
        ? network.lan.spawnInside('qemu-system-x86_64', args)
        : spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      qemu.stdout?.resume();
      let stderr = '';
      qemu.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
      try {
        const line = await waitForLine(serialLog, (l) => l.includes(MARKER), 240_000, qemu).catch(
          (error: Error) => {
            throw new Error(`${error.message}: ${stderr.slice(-500)}`);
          },
        );
        const ms = Date.now() - started;
        // From the marker on: getty's login prompt on the same console can come first on its line.
        const marker = line.slice(line.indexOf(MARKER));
        return { line: marker, ms, kvm, ...(network ? { answer: network.whileUp() } : {}) };
      } finally {
        qemu.kill('SIGKILL');
      }
    };

    // About 5 minutes alone here; a stall in the migration fails after 13 with its last events,
    // and each wait after it is bounded too.
    it(
      'a server on XFS on LVM: boots the VM under UEFI through its own GRUB on the EFI system partition with the agent inside, sends the rounds there, and the program continues in it at the source’s address',
      { timeout: 20 * 60_000 },
      async (t) => {
        // The program: a service that writes a database one committed transaction at a time and,
        // when it starts, says what the last committed row was and whether the database is whole.
        await writeFile(
          join(source, 'usr/local/bin/counter-writer'),
          [
            '#!/bin/sh',
            'db=/var/lib/counter/counter.db',
            'mkdir -p /var/lib/counter',
            `sqlite3 "$db" 'PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, host TEXT);' >/dev/null`,
            `echo "COUNTER-START after=$(sqlite3 "$db" 'SELECT coalesce(max(id),0) FROM t;') integrity=$(sqlite3 "$db" 'PRAGMA integrity_check;') host=$(hostname)"`,
            "trap 'exit 0' TERM",
            `sqlite3 "$db" "INSERT INTO t(host) VALUES('$(hostname)');"`,
            `echo "COUNTER-FIRST id=$(sqlite3 "$db" 'SELECT max(id) FROM t;')"`,
            `while :; do sqlite3 "$db" "INSERT INTO t(host) VALUES('$(hostname)');"; done`,
            '',
          ].join('\n'),
          { mode: 0o755 },
        );
        await writeFile(
          join(source, 'etc/systemd/system/counter-writer.service'),
          '[Unit]\nDescription=A program writing a database\n[Service]\nExecStart=/usr/local/bin/counter-writer\nStandardOutput=journal+console\n[Install]\nWantedBy=multi-user.target\n',
        );
        await symlink(
          '/etc/systemd/system/counter-writer.service',
          join(source, 'etc/systemd/system/multi-user.target.wants/counter-writer.service'),
        ).catch(() => undefined);
        // The source is a RHEL-style server: / on XFS in volume group vg0, named so in its
        // fstab and boot entry, booted by UEFI with its EFI system partition on /boot/efi (the
        // layouts' copy was taken before, on ext4).
        const guest = await findGuestKernel(source);
        // RHEL's ESP holds shim's fallback at the removable-media path, where the build writes
        // the GRUB the VM boots from: the migration must not send the source's file over it.
        await mkdir(join(source, 'boot/efi/EFI/BOOT'), { recursive: true });
        await writeFile(join(source, 'boot/efi/EFI/BOOT/BOOTX64.EFI'), 'shim: the source’s own\n');
        await writeFile(
          join(source, 'etc/fstab'),
          `${xfsFstab}UUID=${esp.uuid} /boot/efi vfat umask=0077,shortname=winnt 0 2\n`,
        );
        await writeFile(
          join(source, 'boot/grub/grub.cfg'),
          grubConfig(guest, XFS_UUID, '/dev/mapper/vg0-root', ['lvm', 'xfs']),
        );
        // Its initramfs lacks the VM's disk drivers, as a physical machine's often does (dracut's
        // host-only images carry its own storage and filesystem drivers only): the conversion
        // host must rebuild it for the VM to find its disk. Left so after the test: nothing
        // later reads the root, and the next run puts it back first (about 10 s of update-initramfs).
        try {
          await setInitramfsModules(source, ['xfs']);
          assert.equal(
            (await checkInitramfs(source, guest)).ok,
            false,
            'the source’s initramfs lacks the virtio drivers',
          );
        } catch (error) {
          await setInitramfsModules(source, BOOT_MODULES);
          throw error;
        }
        // The source's card is ens192 with a static address (ifupdown): in the VM, the card has
        // another MAC and would get another name, unless the build pins the old one to it. It
        // comes up on its own time after the services start (ifupdown's hotplug job), and
        // slowly, as a card negotiating its link with a switch does: the handover must wait
        // for it before it ends.
        await mkdir(join(source, 'etc/network'), { recursive: true });
        const interfaces = join(source, 'etc/network/interfaces');
        const debianInterfaces = await readFile(interfaces, 'utf8').catch(() => null);
        await writeFile(
          interfaces,
          'auto lo\niface lo inet loopback\n\nallow-hotplug ens192\niface ens192 inet static\n\tpre-up sleep 3\n\taddress 192.0.2.10/24\n\tgateway 192.0.2.1\n',
        );
        // The server's LAN: the conversion host's bridge, the source's card holding the address
        // until the migration releases it, and a machine on the LAN that reaches the service.
        const lan = makeHostBridgeLan(LAN_PREFIX, `${LAN_GATEWAY}/24`, `${SOURCE_ADDRESS}/24`);
        // The service also says what the EFI system partition holds after the handover: the
        // boot program the build put there (an EFI program starts with MZ), which the kept VM
        // boots from next time.
        for (const [path, content] of Object.entries(SERVICE_FILES))
          await writeFile(
            join(source, path),
            content.replace(
              "$(ls /sys/class/net)'",
              "$(ls /sys/class/net) esp=$(ls /boot/efi/EFI/BOOT 2>/dev/null) $(head -c2 /boot/efi/EFI/BOOT/BOOTX64.EFI)'",
            ),
          );
        await enableUnit(source, 'p2v-service.socket', 'sockets.target', true);
        // The machine on the LAN has talked to the source: its ARP table holds the source's MAC
        // for the address (a closed port answers too).
        lan.lan.runInside('bash', ['-c', `exec 3<>/dev/tcp/${SOURCE_ADDRESS}/9 || true`]);
        const neighbour = (): string =>
          lan.lan.runInside('ip', ['neigh', 'show', SOURCE_ADDRESS]).trim();
        const sourceMac = execFileSync('ip', ['-n', lan.source, 'link', 'show', lan.sourceCard], {
          encoding: 'utf8',
        }).match(/link\/ether (\S+)/)?.[1];
        assert.ok(
          sourceMac && neighbour().includes(sourceMac),
          `the LAN knows the source by its MAC: ${neighbour()}`,
        );
        // Who sent a frame on the LAN at each round: the VM's card must not until the handover.
        const learnedAtRounds: string[][] = [];
        // It runs on the "source machine": the root's own sqlite3, chrooted, on this host.
        const writer = spawn('chroot', [source, '/usr/local/bin/counter-writer'], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let writerOut = '';
        writer.stdout.on('data', (chunk: Buffer) => (writerOut += String(chunk)));
        const vmAgent = await startTestAgent(
          join(base, 'received-vm'),
          join(base, 'agent-state-vm'),
        );
        let qemuPid = 0;
        try {
          const kvm = await kvmUsable();
          const vmLines: string[] = [];
          // In order: when the agent inside answered, and each round, to tell where rounds went.
          const order: string[] = [];
          // Written as it happens, so a run that stalls shows where (the runner prints
          // diagnostics only when a test ends).
          const began = Date.now();
          let lastProgress = 0;
          const traced: string[] = [];
          const trace = (line: string): void => {
            const entry = `+${((Date.now() - began) / 1000).toFixed(1)}s ${line}`;
            traced.push(entry);
            process.stderr.write(`# vm test ${entry}\n`);
          };
          const { report } = await failAfter(
            MIGRATION_LIMIT_MS,
            traced,
            migrateTo(vmAgent, source, join(base, 'state-vm'), {
              verify: 'cached',
              // A live machine's /run, /tmp and the like are its own; the VM makes them anew. (The
              // default excludes name a whole machine's absolute paths; this root sits below /tmp.)
              excludes: ['run', 'tmp', 'var/tmp', 'var/log/journal'].map((d) =>
                join(source, d, '*'),
              ),
              maxRounds: 3,
              minRounds: 2,
              stopCommand: `kill -TERM ${writer.pid} && while kill -0 ${writer.pid} 2>/dev/null; do sleep 0.1; done`,
              releaseCommand: `ip -n ${lan.source} addr del ${SOURCE_ADDRESS}/24 dev ${lan.sourceCard}`,
              vm: {
                plan: xfsOnLvmUefi,
                format: 'qcow2',
                boot: 'grub-efi',
                memoryMiB: 1024,
                cpus: kvm ? 2 : 1,
                handoverCommand: null,
                bridge: lan.bridge,
              },
              emit: (event) => {
                if (event.type === 'progress') {
                  if (Date.now() - lastProgress > 15_000) {
                    lastProgress = Date.now();
                    trace(`progress ${JSON.stringify(event).slice(0, 200)}`);
                  }
                } else if (event.type === 'vm' && event.progress.step === 'boot')
                  trace(`console │ ${event.progress.line.slice(0, 200)}`);
                else trace(JSON.stringify(event).slice(0, 300));
                if (event.type === 'vm')
                  vmLines.push(`${event.progress.step}: ${event.progress.line}`);
                if (event.type === 'vm' && event.progress.step === 'agent') order.push('vm-ready');
                if (
                  event.type === 'vm' &&
                  event.progress.step === 'check' &&
                  order.at(-1) !== 'check'
                )
                  order.push('check');
                if (event.type === 'round') {
                  order.push(event.summary.final ? 'final' : 'round');
                  learnedAtRounds.push(lan.learned());
                }
              },
            }),
          );
          qemuPid = report.vm?.pid ?? 0;
          assert.equal(
            report.ok,
            true,
            `migration failed: ${JSON.stringify(report.error)}\n${vmLines.slice(-30).join('\n')}`,
          );
          const vm = report.vm;
          assert.ok(vm, 'the report describes the VM');
          assert.equal(
            vm.agent.hostname,
            'migrated-vm',
            'the rounds went to the agent inside the VM',
          );
          assert.ok(
            order.slice(order.indexOf('vm-ready') + 1).includes('round'),
            `delta rounds ran after the VM came up, into it: ${order.join(' ')}`,
          );
          assert.ok(
            vmLines.some((l) => l.startsWith('boot: ')),
            "the VM's console was shown",
          );
          const vmMac = vm.network?.vmMac ?? '(none)';
          assert.deepEqual(
            vm.network?.changes.map((c) => c.file),
            ['/etc/systemd/network/10-p2v-ens192.link'],
            'the build pinned the source card’s name to the VM’s card',
          );
          assert.ok(
            learnedAtRounds.length > 0 && learnedAtRounds.every((macs) => !macs.includes(vmMac)),
            `the VM's card sent nothing on the LAN while the source still had its address: ${JSON.stringify(learnedAtRounds)}`,
          );
          assert.ok(
            vmLines.some((l) => l.includes(` (${vmMac}) held until the handover`)),
            `the VM's card, with the MAC the build pinned the source's name to, was held off the LAN: ${vmLines.filter((l) => l.includes('p2v-agent:')).join(' | ')}`,
          );
          assert.ok(
            vmLines.some((l) => /p2v-agent: 10\.0\.2\.15\/24 on \S+ \((?!${vmMac})/.test(l)),
            'the rounds came over the second, restricted card',
          );
          assert.ok(
            vm.domainXml.includes(`<source bridge="${lan.bridge}"/>`) &&
              vm.domainXml.includes(`<mac address="${vmMac}"/>`) &&
              vm.domainXml.includes('<loader readonly="yes" type="pflash">'),
            'libvirt gets the bridge, the MAC and the UEFI firmware',
          );
          assert.ok(
            report.cutover.timeline.some((s) => s.step === 'released'),
            `the source let go of its address: ${timeline(report.cutover.timeline)}`,
          );
          // Before the LAN sends anything: the VM announced the address before the handover
          // ended, so the machine on the LAN (as a router would) has the VM's MAC for it, not
          // the source's until it expires. Read at once: the handover waits for the card.
          assert.match(
            neighbour(),
            new RegExp(`${SOURCE_ADDRESS} .*lladdr ${vmMac}\\b`),
            `the VM announced the source’s address before the handover ended (a gratuitous ARP)`,
          );
          const programStarted = report.cutover.timeline.find((s) => s.step === 'started');
          assert.match(
            programStarted?.detail ?? '',
            /p2v-agent: ens192 holds 192\.0\.2\.10\/24 after \d+\.\d s/,
            `the handover said when the VM's card held the address: ${timeline(report.cutover.timeline)}`,
          );
          // After the handover the service answers at the source's address, from the VM.
          const answer = await lan.lan
            .runInsideAsync('timeout', [
              '120',
              'bash',
              '-c',
              `until exec 3<>/dev/tcp/${SOURCE_ADDRESS}/${SERVICE_PORT}; do sleep 1; done 2>/dev/null; cat <&3`,
            ])
            .catch(async (error: Error) => {
              // Seen once in a clean clone (2026-12-04) and not explained: what the next one
              // needs to tell a VM whose service never started from a LAN that kept the old MAC.
              const consoleTail = (await readFile(vm.serialLog, 'utf8')).split('\n').slice(-60);
              assert.fail(
                `the migrated service did not answer at ${SOURCE_ADDRESS}:${SERVICE_PORT} within 120 s of the handover (${error.message.split('\n')[0]})\n` +
                  `the LAN's neighbours: ${lan.lan.runInside('ip', ['neigh']).trim() || '(none)'}\n` +
                  `MACs the bridge learned: ${lan.learned().join(' ')} (the VM's: ${vmMac})\n` +
                  `the VM's console, last lines:\n${consoleTail.join('\n')}`,
              );
            });
          assert.match(
            answer,
            /^P2V-SERVICE migrated-vm xfs \/dev\/mapper\/vg0-root .*\bens192\b.* esp=BOOTX64\.EFI MZ\n?$/,
            `the migrated service answers at the source's static address ${SOURCE_ADDRESS}, from the VM, on XFS on LVM`,
          );
          assert.ok(lan.learned().includes(vmMac), 'the VM’s card is on the LAN now');
          assert.ok(
            !vm.check?.differing.includes('etc/systemd/network/10-p2v-ens192.link'),
            'the pin is the VM’s own: neither compared with the source nor removed',
          );
          assert.ok(
            !vm.check?.differing.includes('boot/efi/EFI/BOOT/BOOTX64.EFI') &&
              report.warnings.some((w) => w.message.includes('/boot/efi/EFI/BOOT/BOOTX64.EFI')),
            'the GRUB the build wrote over the source’s boot program is the VM’s own, and said',
          );
          assert.ok(
            vmLines.some((l) => l.includes('lacks virtio_pci, virtio_blk')) &&
              vmLines.some((l) => l.startsWith('build: Rebuilt with /usr/sbin/update-initramfs')),
            `the initramfs was checked and rebuilt before the build: ${vmLines.filter((l) => l.startsWith('build:')).join(' | ')}`,
          );
          assert.ok(
            order.indexOf('check') > order.indexOf('vm-ready') &&
              order.indexOf('check') < order.lastIndexOf('round'),
            `the VM's files were read against what was sent before the rounds into it: ${order.join(' ')}`,
          );
          assert.ok(vm.check && vm.check.files > 0, 'the report has the check');
          // The VM's boot writes files the source left alone (wtmp): the check finds them before
          // the stop, so the verification after the stop has nothing to send again.
          assert.equal(
            report.verification?.resent,
            undefined,
            `what the VM changed went in the rounds (check found: ${vm.check.differing.join(', ')})`,
          );
          // Rebuilt in the guest's tree on the conversion host, and left to the VM from then on.
          const initrdPath = relative(source, guest.initrd);
          for (const path of [initrdPath, 'etc/initramfs-tools/modules'])
            assert.ok(
              vm.initramfs?.changed.includes(path),
              `${path} was rebuilt and left to the VM: ${vm.initramfs?.changed.join(', ')}`,
            );
          assert.match(
            await readFile(join(base, 'received-vm/etc/initramfs-tools/modules'), 'utf8'),
            /^virtio_blk$/m,
            'the drivers are in the guest’s configuration, for its later kernels',
          );
          assert.ok(
            report.warnings.some((w) => w.message.includes('rebuilt on the conversion host')),
            'the technician is told',
          );
          assert.ok(
            !vm.check?.differing.includes(initrdPath) && !report.verification?.mismatches.length,
            'the rebuilt files are neither compared with the source nor sent back',
          );
          assert.match(vm.image.hash, /^[0-9a-f]{32}$/);
          assert.match(vm.bootConfirmation, /P2V agent listening/);
          assert.ok(
            report.cutover.timeline.some((s) => s.step === 'started'),
            'the handover started the program',
          );
          // What the VM keeps running with, and what the report gives for running it again, boot
          // the machine as itself: no rounds-only kernel argument, and qemu survives a reboot.
          assert.ok(!vm.domainXml.includes('systemd.unit'), 'the libvirt domain boots normally');
          assert.ok(!vm.command.includes('-no-reboot'), 'the real VM comes back after a reboot');
          assert.ok(writerOut.includes('COUNTER-FIRST'), 'the writer was writing on the source');

          // What the source committed last, read once the writer is stopped.
          const last = execFileSync(
            'chroot',
            [source, 'sqlite3', '/var/lib/counter/counter.db', 'SELECT max(id) FROM t;'],
            {
              encoding: 'utf8',
            },
          ).trim();
          assert.ok(Number(last) > 0, 'the source committed rows');
          const started = await waitForLine(
            vm.serialLog,
            (l) => l.includes('COUNTER-START'),
            120_000,
          );
          // systemd prefixes the service's console lines with the time and the unit.
          assert.ok(
            started.endsWith(`COUNTER-START after=${last} integrity=ok host=migrated-vm`),
            `the VM's program resumed after the source's last committed row ${last}: ${started}`,
          );
          const first = await waitForLine(
            vm.serialLog,
            (l) => l.includes('COUNTER-FIRST'),
            120_000,
          );
          assert.ok(
            first.endsWith(`COUNTER-FIRST id=${Number(last) + 1}`),
            `its first row in the VM follows the source's last: ${first}`,
          );
          await waitForLine(vm.serialLog, (l) => l.includes(AGENT_STOPPED_MARKER), 120_000);
          const consoleText = await readFile(vm.serialLog, 'utf8');
          assert.equal(
            consoleText.split('COUNTER-START').length - 1,
            1,
            'the program started once in the VM: at the handover, not at boot',
          );
          t.diagnostic(
            `VM ready ${vm.readyMs} ms after the copy (image ${vm.image.durationMs} ms, boot ${vm.bootMs} ms); check ${vm.check.durationMs} ms (${vm.check.files} files, changed in the VM: ${vm.check.differing.join(', ') || 'none'}); rounds ${order.join(' ')}; downtime ${report.cutover.downtimeMs} ms, of which verification ${report.verification?.durationMs} ms (${report.verification?.files} files) and rounds after the stop ${report.rounds
              .filter((r) => r.final)
              .reduce(
                (sum, r) => sum + r.durationMs,
                0,
              )} ms; ${last} rows continued in the VM; cutover timeline ${timeline(report.cutover.timeline)}`,
          );
        } finally {
          if (writer.exitCode === null) writer.kill('SIGTERM');
          // A VM whose migration failed is not in a report: found by its folder instead, so it
          // does not take a core from the tests after this one.
          if (qemuPid) process.kill(qemuPid, 'SIGKILL');
          else spawnSync('pkill', ['-KILL', '-f', join(base, 'received-vm.vm')]);
          await vmAgent.close();
          lan.remove();
          for (const path of [
            ...Object.keys(SERVICE_FILES),
            'etc/systemd/system/sockets.target.wants/p2v-service.socket',
          ])
            await rm(join(source, path), { force: true });
          if (debianInterfaces === null) await rm(interfaces, { force: true });
          else await writeFile(interfaces, debianInterfaces);
        }
      },
    );

    // After the VM test, side by side with one emulated CPU each: the ext4 disk made on the
    // host boots from GPT, the btrfs disk built during the VM test boots from MBR, and the XFS
    // image is read back. The VM test's own boot is the UEFI one.
    describe('the layouts, side by side', { concurrency: true }, () => {
      it('ext4 made on the host (mke2fs -d): a GPT disk boots by itself under a BIOS through the guest’s GRUB in its BIOS boot partition', async (t) => {
        const image = await (ext4Disk as ReturnType<typeof buildExt4Disk>);
        const booted = await bootToMarker(image.path, join(base, 'vm-ext4', 'serial.log'), {
          kind: 'disk',
          mode: 'bios',
        });
        assert.equal(booted.line, `${MARKER} migrated-vm`);
        t.diagnostic(`BIOS boot from GPT to the marker in ${booted.ms} ms`);
      });

      it('XFS on LVM, made inside the guest’s own kernel: the volume group kept by name, owners, modes, links, times, holes and xattrs read back with xfs_db', async (t) => {
        const { xfs } = await (layouts as ReturnType<typeof buildLayouts>);
        assert.equal(
          xfs.image.deviceReferences,
          undefined,
          'the volume group kept its names: no boot file renamed',
        );
        assert.deepEqual(
          xfs.image.network?.changes.map((c) => `${c.kind} ${c.file}`),
          ['pin-name /etc/systemd/network/10-p2v-ens192.link'],
          'ifupdown names the card: the old name is pinned to the VM’s card',
        );
        const pv = xfs.image.partitions[1];
        const at = findFilesystem(
          xfs.image.path,
          pv?.startBytes ?? 0,
          pv?.sizeBytes ?? 0,
          'XFSB',
          0,
        );
        const alone = extract(xfs.image.path, at, 2 * 1024 ** 3, join(base, 'xfs.img'));
        const repair = spawnSync('xfs_repair', ['-n', alone], { encoding: 'utf8' });
        assert.equal(repair.status, 0, `xfs_repair -n: ${repair.stdout.slice(-800)}`);
        // Read back with xfs_db, never mounted: what cp -a inside the guest carried over.
        const inode = (path: string, fields: string): string =>
          execFileSync('xfs_db', ['-r', '-c', `path ${path}`, '-c', `print ${fields}`, alone], {
            encoding: 'utf8',
          });
        assert.match(
          inode('/srv/fidelity', 'core.mode core.uid core.gid'),
          /core\.mode = 042750\ncore\.uid = 1234\ncore\.gid = 5678/,
        );
        assert.match(inode('/srv/fidelity/a', 'core.nlinkv2'), /= 2/, 'a hard link stays one');
        assert.match(inode('/srv/fidelity/a', 'core.mtime.sec'), /2001/);
        const sparse = inode('/srv/fidelity/sparse', 'core.size core.nblocks');
        assert.match(sparse, /core\.size = 67108865/);
        assert.ok(Number(/core\.nblocks = (\d+)/.exec(sparse)?.[1]) < 16, `holes kept: ${sparse}`);
        const attributes = inode('/srv/fidelity/a', 'a');
        assert.match(attributes, /selinux/, `the SELinux label: ${attributes}`);
        assert.match(attributes, /p2v/, `the user xattr: ${attributes}`);
        await rm(alone);
        t.diagnostic(`XFS on LVM made in ${xfs.image.durationMs} ms`);
      });

      it('btrfs, made inside the guest’s own kernel: an MBR disk boots by itself under a BIOS through the guest’s GRUB', async (t) => {
        const { btrfs } = await (layouts as ReturnType<typeof buildLayouts>);
        const [root] = btrfs.image.partitions;
        const alone = extract(
          btrfs.image.path,
          root?.startBytes ?? 0,
          root?.sizeBytes ?? 0,
          join(base, 'btrfs.img'),
        );
        const check = spawnSync('btrfs', ['check', '--readonly', alone], { encoding: 'utf8' });
        assert.equal(check.status, 0, `btrfs check: ${check.stderr}`);
        await rm(alone);
        assert.deepEqual(
          btrfs.image.network?.changes.map((c) => `${c.kind} ${c.file}`),
          [
            'rewrite-mac /etc/netplan/50-cloud-init.yaml',
            'pin-name /etc/systemd/network/10-p2v-ens192.link',
          ],
          'netplan matched the source card’s MAC: rewritten to the VM’s, its name pinned too',
        );
        const booted = await bootOnLan(btrfs, `p2v-boot-btrfs-${process.pid}`);
        assert.equal(
          booted.line,
          `${MARKER} migrated-vm btrfs /dev/vda1[/@] home=/dev/vda1[/@home] kept in @home`,
          '/ from the default subvolume, /home from its own, with its files',
        );
        assert.match(
          booted.answer,
          /^P2V-SERVICE migrated-vm btrfs \/dev\/vda1\[\/@\] ens192 lo$/,
          `the migrated service answers at the source's static address ${SOURCE_ADDRESS}`,
        );
        t.diagnostic(
          `btrfs made in ${btrfs.image.durationMs} ms; BIOS boot from MBR to the marker in ${booted.ms} ms; at ${SOURCE_ADDRESS}:${SERVICE_PORT}: ${booted.answer}`,
        );
      });
    });
  },
);
