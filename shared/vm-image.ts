import type { Message } from './i18n/message.ts';
import { z } from 'zod';
import type { NetworkIdentityPlan } from './network.ts';

/** Disk image formats the hypervisors take: KVM, VMware, Hyper-V, or plain. */
export type DiskFormat = 'qcow2' | 'vmdk' | 'vhdx' | 'raw';

/** A volume group's or logical volume's name, as LVM allows it (and safe in a shell word). */
const LvmName = z
  .string()
  .regex(/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]{0,63}$/, 'letters, digits and + _ . - (not first)');

/**
 * A btrfs subvolume the VM's filesystem gets: its path from the top level (`@`, `@/var`), made
 * in the guest's own kernel, and where the VM mounts it (null: only a parent of others).
 */
export const SubvolumePlan = z.object({
  path: z
    .string()
    .max(4095)
    .regex(/^(?!\/)[^\0\n]+$/, 'a path from the top level, without a leading /')
    .refine((p) => p.split('/').every((part) => part !== '' && part !== '.' && part !== '..'), {
      message: 'no empty, . or .. parts',
    }),
  mountpoint: z.string().max(4096).nullable(),
});
export type SubvolumePlan = z.infer<typeof SubvolumePlan>;

/**
 * btrfs subvolumes of one filesystem, parents before children. The one mounted where the
 * filesystem is (its `mountpoint`) becomes the default subvolume, so a mount without `subvol=`
 * (SUSE's `/`) finds it, as the source's did.
 */
const Subvolumes = z.array(SubvolumePlan).max(256).optional();

/** A logical volume of the VM's disk: made inside the guest's own kernel (filesystem-helper.ts). */
export const LogicalVolumePlan = z.object({
  name: LvmName,
  role: z.enum(['filesystem', 'swap']),
  sizeBytes: z.number().int().positive(),
  fsType: z.string().max(32).nullable(),
  label: z.string().max(64).nullable(),
  uuid: z.string().max(64).nullable(),
  mountpoint: z.string().max(4096).nullable(),
  subvolumes: Subvolumes,
});
export type LogicalVolumePlan = z.infer<typeof LogicalVolumePlan>;

/** The volume group a partition holds (role `lvm`), kept by name as the source had it. */
export const VolumeGroupPlan = z.object({
  name: LvmName,
  logicalVolumes: z.array(LogicalVolumePlan).min(1).max(256),
});
export type VolumeGroupPlan = z.infer<typeof VolumeGroupPlan>;

/** One partition of the VM's disk, as the image builder makes it. */
export const PartitionPlan = z.object({
  /** What the partition is for; decides its type code. `lvm` holds `volumeGroup`. */
  role: z.enum(['filesystem', 'esp', 'swap', 'bios-boot', 'lvm']),
  sizeBytes: z.number().int().positive(),
  /** `ext4`, `ext3`, `ext2`, `vfat`, `swap`, or one the builder refuses (xfs, btrfs, ntfs). */
  fsType: z.string().max(32).nullable(),
  label: z.string().max(64).nullable(),
  /** Filesystem UUID (ext) or volume id (vfat, `ABCD-1234`) kept from the source. */
  uuid: z.string().max(64).nullable(),
  /** Where it is mounted on the source; its files come from this path in the received tree. */
  mountpoint: z.string().max(4096).nullable(),
  subvolumes: Subvolumes,
  volumeGroup: VolumeGroupPlan.optional(),
});
export type PartitionPlan = z.infer<typeof PartitionPlan>;

/**
 * The VM's disk: partition table, boot mode and partitions in order. One schema checks a plan
 * from a file (`p2v vm build --plan`, `migrate --vm-plan`) and on the wire.
 */
export const DiskPlan = z
  .object({
    table: z.enum(['gpt', 'dos']),
    bootMode: z.enum(['bios', 'uefi']),
    partitions: z.array(PartitionPlan).min(1).max(128),
  })
  .superRefine((plan, ctx) => {
    const groups = new Set<string>();
    plan.partitions.forEach((p, i) => {
      if ((p.role === 'lvm') !== (p.volumeGroup !== undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['partitions', i, 'volumeGroup'],
          message: 'a partition holds a volumeGroup exactly when its role is lvm',
        });
      if (!p.volumeGroup) return;
      if (groups.has(p.volumeGroup.name))
        ctx.addIssue({
          code: 'custom',
          path: ['partitions', i, 'volumeGroup', 'name'],
          message: `volume group ${p.volumeGroup.name} twice`,
        });
      groups.add(p.volumeGroup.name);
      const names = p.volumeGroup.logicalVolumes.map((lv) => lv.name);
      if (new Set(names).size !== names.length)
        ctx.addIssue({
          code: 'custom',
          path: ['partitions', i, 'volumeGroup', 'logicalVolumes'],
          message: 'a logical volume name twice',
        });
    });
  });
export type DiskPlan = z.infer<typeof DiskPlan>;

/** What `p2v vm build` made. */
export interface BuiltImage {
  path: string;
  format: DiskFormat;
  /** The disk's size as the VM sees it. */
  virtualBytes: number;
  /** The image file's size on disk. */
  fileBytes: number;
  /** Whole-file XXH3-128 of the image file. */
  hash: string;
  partitions: (PartitionPlan & { number: number; startBytes: number })[];
  durationMs: number;
  /** How the VM's network card took over the source's configuration, when asked to. */
  network?: NetworkIdentityPlan;
  /** Present when the guest runs SELinux but its files came without labels: it relabels. */
  selinuxRelabel?: SelinuxRelabel;
  /** Devices the source's boot files named in a way the VM's disk does not keep, renamed. */
  deviceReferences?: DeviceReferenceChange[];
  /** Boot files that could not be read or rewritten, or name devices the VM will not have. */
  bootFileProblems?: string[];
  /** Files of the tree the boot loader's install wrote on the VM's disk (GRUB on the ESP). */
  bootloaderFiles?: BootloaderFile[];
}

/**
 * A file the build wrote for the VM to boot from, at its path in the tree: `/boot/efi/EFI/BOOT/
 * BOOTX64.EFI` on an ESP mounted there. `replaced`: the source had its own there (RHEL's shim).
 */
export interface BootloaderFile {
  file: string;
  replaced: boolean;
}

/**
 * One reference to a device rewritten in the VM's image: `/dev/mapper/rhel-root` (a logical
 * volume that became a partition) or `/dev/sda1` (a disk that is virtio) becomes the UUID the
 * builder kept.
 */
export interface DeviceReferenceChange {
  file: string;
  was: string;
  /** What it became; `(removed)` for an argument that has no meaning in the VM. */
  now: string;
}

/** An SELinux guest some of whose files would lack their labels: the image has `/.autorelabel`. */
export interface SelinuxRelabel {
  mode: 'enforcing' | 'permissive';
  /** Sample files of the received tree found without a `security.selinux` label. */
  unlabelled: string[];
  /** Files the build wrote into the VM: no label came with them. */
  written: string[];
}

/** How the VM the rounds go to starts: its own kernel directly, or the disk under BIOS/UEFI. */
export type VmBoot = 'direct' | 'grub-bios' | 'grub-efi';

/** A Linux network interface's name: at most 15 characters, none a slash or a space. */
export const INTERFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;

/** What the source asks the target agent for after the full copy: build, boot, hand the rounds over. */
export interface VmRequest {
  plan: DiskPlan;
  /** Only formats qemu on the conversion host runs. */
  format: 'qcow2' | 'raw';
  boot: VmBoot;
  memoryMiB: number;
  cpus: number;
  /** Run inside the VM at handover, after the machine's own services started. */
  handoverCommand: string | null;
  /**
   * The VM network card's MAC, or `source` for the source card's own; the build pins the
   * source's network configuration to it. A new one when absent.
   */
  nicMac?: string;
  /**
   * A bridge on the conversion host that is joined to the source's network. The VM's card
   * joins it, so after the handover the VM answers at the source's own address; the agent's
   * channel then goes over a second, restricted card. Absent: the VM's one card is restricted.
   */
  bridge?: string;
}

/** One line of what the VM step is doing: the build, the VM's serial console, the agent. */
export interface VmProgress {
  /** `check`: the engine reading the VM's files against what it sent, before the rounds. */
  step: 'build' | 'boot' | 'agent' | 'check';
  /** In English; `said`, where present, is the same line for the wizard's language. */
  line: string;
  said?: Message;
}

/** The guest's initramfs, rebuilt on the conversion host with the VM's disk drivers. */
export interface InitramfsRebuild {
  /** Run inside the guest's tree. */
  command: string;
  /** Tree (target) paths it wrote: they differ from the source on purpose from now on. */
  changed: string[];
}

/** The VM running with the agent inside it, as the target agent answers. */
export interface StartedVm {
  image: BuiltImage;
  /** The port on the target host that reaches the agent inside the VM. */
  agentPort: number;
  fingerprint: string;
  token: string;
  serialLog: string;
  /** The qemu command line the VM runs with. */
  command: string[];
  /** The libvirt domain for the same VM, for `virsh define`. */
  domainXml: string;
  pid: number;
  /** From qemu's start to the agent inside the VM answering. */
  bootMs: number;
  /** The console line that confirmed the boot (the agent inside the VM listening). */
  bootConfirmation: string;
  /** Present when the guest's initramfs lacked the disk drivers and was rebuilt here. */
  initramfs?: InitramfsRebuild;
  /** How the VM's card took over the source's network configuration (files the build changed). */
  network?: NetworkIdentityPlan;
}
