import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { P2VError } from '../../shared/errors.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import type { DiskFormat, DiskPlan } from '../../shared/vm-image.ts';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { buildImage } from '../../engine/vm/build-image.ts';
import { planDisk } from '../../engine/vm/disk-plan.ts';

const FORMATS: DiskFormat[] = ['qcow2', 'vmdk', 'vhdx', 'raw'];

async function readJson<T>(path: string, what: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    throw new P2VError('BAD_ARGUMENT', `${what} ${path}: ${(error as Error).message}`);
  }
}

export function registerVmCommand(program: Command): void {
  const vm = program.command('vm').description('Build the VM from a received tree.');
  vm.command('plan')
    .description(
      "The VM's disk layout from an inspection (p2v inspect --json), as JSON to edit or pass to `vm build`.",
    )
    .option(
      '--inspection <file>',
      'an inspection saved on the source (default: inspect this machine)',
    )
    .action(async (options: { inspection?: string }) => {
      const machine = options.inspection
        ? await readJson<MachineInspection>(options.inspection, 'inspection')
        : await inspectMachine();
      process.stdout.write(`${JSON.stringify(planDisk(machine), null, 2)}\n`);
    });
  vm.command('build')
    .description(
      'Build a disk image from a received tree, without mounts or root: partitions, filesystems with their labels and UUIDs, then the format the hypervisor takes.',
    )
    .requiredOption('--tree <dir>', 'the received tree (the agent root)')
    .requiredOption('--plan <file>', 'the disk layout (p2v vm plan)')
    .requiredOption('--out <file>', 'the image to write')
    .option('--format <format>', `one of ${FORMATS.join(', ')}`, 'qcow2')
    .option('--kernel <release>', "the guest's kernel release, for the ext4 features it can mount")
    .option(
      '--bootloader <kind>',
      "'grub-bios': the disk boots by itself under a BIOS with the guest's GRUB; 'none': boot the guest's kernel directly",
      'none',
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (options: {
        tree: string;
        plan: string;
        out: string;
        format: string;
        kernel?: string;
        json?: boolean;
      }) => {
        if (!FORMATS.includes(options.format as DiskFormat))
          throw new P2VError('BAD_ARGUMENT', `--format must be one of ${FORMATS.join(', ')}`);
        const image = await buildImage({
          tree: options.tree,
          plan: await readJson<DiskPlan>(options.plan, 'disk plan'),
          out: options.out,
          format: options.format as DiskFormat,
          kernel: options.kernel ?? null,
        });
        if (options.json) process.stdout.write(`${JSON.stringify(image)}\n`);
        else
          process.stdout.write(
            `${image.path}: ${image.format}, ${formatBytes(image.virtualBytes)} disk in ${formatBytes(image.fileBytes)}, ${image.partitions.length} partitions, XXH3-128 ${image.hash}, built in ${formatDuration(image.durationMs)}\n`,
          );
      },
    );
}
