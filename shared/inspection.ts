import type { Message } from './i18n/message.ts';

/** What the inspection learns about a machine: the source before a migration, or a target VM. */

export type OsType = 'linux' | 'windows';
export type BootMode = 'bios' | 'uefi';

export interface OsInfo {
  type: OsType;
  /** Distribution or edition id: `debian`, `rhel`, `windows-server`. */
  id: string;
  /** Human name with version: `Debian GNU/Linux 12 (bookworm)`, `Windows Server 2022 Datacenter`. */
  name: string;
  /** Version as the OS states it: `12`, `22.04`, `9.3`, `10.0.20348`. */
  version: string;
  /** Kernel release (`uname -r`) or Windows build. */
  kernel: string;
  /** Node's names: `x64`, `arm64`. */
  arch: string;
}

/** A block device from lsblk (or its Windows equivalent), with its partitions as children. */
export interface BlockDevice {
  name: string;
  path: string;
  /** `disk`, `part`, `lvm`, `crypt`, `raid1`, `loop`, `rom`… as lsblk names them. */
  type: string;
  sizeBytes: number;
  fsType: string | null;
  label: string | null;
  uuid: string | null;
  partUuid: string | null;
  /** Partition table of a disk: `gpt` or `dos`. */
  partitionTable: string | null;
  mountpoints: string[];
  /**
   * btrfs: the subvolumes mounted on the source (`@`, `@/var`) and where, from the mount table;
   * absent where none is (the filesystem's top level mounted, or another filesystem).
   */
  subvolumes?: SubvolumeMount[];
  usedBytes: number | null;
  availableBytes: number | null;
  children: BlockDevice[];
}

/** A btrfs subvolume mounted on the source: its path from the filesystem's top level, and where. */
export interface SubvolumeMount {
  path: string;
  mountpoint: string;
}

/** A mounted filesystem with its space, as the technician picks what to move. */
export interface Volume {
  /** Device or share: `/dev/vda1`, `C:`. */
  device: string;
  mountpoint: string;
  fsType: string | null;
  sizeBytes: number;
  usedBytes: number;
  availableBytes: number;
}

export interface NetworkInterface {
  name: string;
  mac: string;
  addresses: string[];
}

/** A running service the technician can name as the program to stop at cutover. */
export interface Service {
  name: string;
  description: string;
  /** `running`, `exited`… as the service manager says. */
  state: string;
  stopCommand: string;
  startCommand: string;
}

/** A driver: a Linux kernel module or a Windows driver package. */
export interface Driver {
  name: string;
  /** The driver's own version; for in-tree Linux modules without one, the kernel release. */
  version: string | null;
  /** Module file, or the driver's .sys / .inf path. */
  file: string | null;
  loaded: boolean;
  /** Built into the kernel image rather than a module file. */
  builtin: boolean;
  /** Whether the initramfs carries it (null where that could not be read). */
  inInitramfs: boolean | null;
  description?: string;
  /** Windows: provider and class of the driver package. */
  provider?: string;
  className?: string;
  /** Windows: when the driver starts (`Boot`, `System`, `Manual`…). */
  startMode?: string;
}

export interface DriverInventory {
  /** Linux: `/lib/modules/<kernel>`; Windows: the driver store. Null where absent. */
  tree: string | null;
  drivers: Driver[];
  /** The initramfs read and the tool that listed it, or null. */
  initramfs: { path: string; tool: string } | null;
}

/** Windows states that make a copy of the disk unsafe or unbootable. */
export interface DiskSafety {
  /** Hibernated, or Fast Startup on: the NTFS volumes hold a hibernation image. */
  hibernation: 'off' | 'fast-startup' | 'hibernated' | 'unknown';
  /** Volumes with BitLocker protection on. */
  encryptedVolumes: string[];
}

/** Everything `p2v inspect` reports. */
export interface MachineInspection {
  inspectedAt: string;
  hostname: string;
  /** `/etc/machine-id` or the Windows MachineGuid; null where absent. */
  machineId: string | null;
  os: OsInfo;
  bootMode: BootMode;
  cpus: number;
  memoryBytes: number;
  disks: BlockDevice[];
  volumes: Volume[];
  network: NetworkInterface[];
  services: Service[];
  drivers: DriverInventory;
  safety: DiskSafety;
  /** What could not be read and why, in plain words (English). */
  notes: string[];
  /** The same notes, for the front ends to say in their language. */
  noteMessages: Message[];
}
