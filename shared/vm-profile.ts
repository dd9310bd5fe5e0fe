import { z } from 'zod';

/** A driver the VM's virtual hardware needs, as a profile names it. */
export const ProfileDriver = z.object({
  /** Linux module name or Windows driver (service or .inf) name. */
  name: z.string().min(1),
  /** Other names the same driver goes by (a Windows service named unlike its .inf). */
  aliases: z.array(z.string()).default([]),
  role: z.enum(['storage', 'network', 'bus', 'balloon', 'integration', 'console']),
  /** Needed to reach the root filesystem: must be in the initramfs or start at boot. */
  bootCritical: z.boolean().default(false),
  /** Drivers sharing a group serve the same device in different ways (virtio-blk or -scsi): one is enough. */
  group: z.string().optional(),
  /** The version the VM's hardware is served by; compared with the source's. */
  version: z.string().optional(),
  /** Where a technician gets it when the source lacks it (a package, an ISO folder). */
  obtainFrom: z.string().optional(),
});
export type ProfileDriver = z.infer<typeof ProfileDriver>;

/** One file of the VM's driver tree, for the difference files. */
export const DriverFile = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{32}$/),
});
export type DriverFile = z.infer<typeof DriverFile>;

/**
 * What a target needs, written as JSON: the hypervisor, its firmware and disk format, the
 * drivers its virtual hardware needs per OS type, and optionally the VM's own OS and driver
 * files (a template VM, or what an agent inside the VM reported).
 */
export const VmProfile = z.object({
  $schema: z.string().optional(),
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  name: z.string().min(1),
  hypervisor: z.enum(['kvm', 'vmware', 'hyperv', 'custom']),
  description: z.string().optional(),
  firmware: z.array(z.enum(['bios', 'uefi'])).min(1),
  arch: z.array(z.string()).default(['x64']),
  diskFormat: z.enum(['qcow2', 'vmdk', 'vhdx', 'raw']),
  os: z
    .object({
      type: z.enum(['linux', 'windows']),
      id: z.string().optional(),
      name: z.string().optional(),
      version: z.string().optional(),
      kernel: z.string().optional(),
    })
    .optional(),
  drivers: z.object({
    linux: z.array(ProfileDriver).default([]),
    windows: z.array(ProfileDriver).default([]),
  }),
  /**
   * Where driver files go on the VM, relative to its root (the agent's root; `C:\\` on Windows):
   * the driver location, or a staging folder installed from after the first boot.
   */
  driverLocation: z
    .object({ linux: z.string().optional(), windows: z.string().optional() })
    .default({}),
  driverFiles: z.array(DriverFile).optional(),
});
export type VmProfile = z.infer<typeof VmProfile>;
