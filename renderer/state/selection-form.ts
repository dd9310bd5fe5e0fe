// What to move's form as typed: one schema for the store's type and for a saved settings file,
// so a field added to the form is saved and opened again without a second list to keep.
import { z } from 'zod';

/** After the copy: 'none', the rounds go to the agent; else the VM the target builds boots so. */
export const VM_BOOT_CHOICES = ['none', 'direct', 'grub-bios', 'grub-efi'] as const;

/** A command as typed (the API takes up to 4096 characters). */
const command = z.string().max(4096);
/** A number as typed: the form checks it, the API's schema refuses what is not one. */
const typedNumber = z.string().max(32);

export const SelectionForm = z.object({
  /** One `DIR` or `DIR:TARGETPATH` a line (the API takes up to 64). */
  sources: z.string().max(64 * 4097),
  /** One pattern a line (the API takes up to 256). */
  excludes: z.string().max(256 * 4097),
  defaultExcludes: z.boolean(),
  stopCommand: command,
  rollbackCommand: command,
  flushCommand: command,
  releaseCommand: command,
  downtimeSeconds: typedNumber,
  vmBoot: z.enum(VM_BOOT_CHOICES),
  vmMemoryMiB: typedNumber,
  vmCpus: typedNumber,
  /** The VM's card keeps the source card's MAC. */
  vmKeepSourceMac: z.boolean(),
  /** The conversion host's bridge for the VM's card, as typed; blank for none. */
  vmBridge: z.string().max(64),
  /** Mbit/s as typed; blank for no limit. */
  bandwidthMbit: typedNumber,
  /** Auto-converge on, and the process it slows as typed. */
  autoConverge: z.boolean(),
  autoConvergePid: typedNumber,
});
export type SelectionForm = z.infer<typeof SelectionForm>;
