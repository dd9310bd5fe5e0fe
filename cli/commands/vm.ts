import type { Command } from 'commander';
import { newVmMac, normalMac } from '../../engine/network/addresses.ts';
import { planTreeNetwork } from '../../engine/network/plan-network-identity.ts';
import { P2VError } from '../../shared/errors.ts';
import { formatBytes, formatDuration } from '../../shared/format.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import { DiskPlan, type DiskFormat } from '../../shared/vm-image.ts';
import { readJsonFile } from '../read-json.ts';
import { inspectMachine } from '../../engine/inspection/inspect-machine.ts';
import { buildImage } from '../../engine/vm/build-image.ts';
import { selinuxRelabelWarning } from '../../engine/vm/selinux-labels.ts';
import { say } from '../../engine/i18n/say.ts';
import { planDisk } from '../../engine/vm/disk-plan.ts';
import { findGuestKernel } from '../../engine/vm/guest-kernel.ts';
import { kvmUsable } from '../../engine/vm/kvm-probe.ts';
import { libvirtDomain } from '../../engine/vm/libvirt-domain.ts';
import { defineAndStart, SYSTEM_LIBVIRT } from '../../engine/vm/libvirt-start.ts';
import { directAppend, qemuArgs, type VmLaunch } from '../../engine/vm/qemu-command.ts';
import { shellQuote } from '../../engine/shell-command.ts';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { hypervImportScript, vmwareVmx } from '../../engine/vm/hypervisor-import.ts';
import { parseCount } from '../parse-options.ts';
import { cliTranslator } from '../cli-language.ts';
import { renderMessage } from '../../shared/i18n/render-message.ts';

const FORMATS: DiskFormat[] = ['qcow2', 'vmdk', 'vhdx', 'raw'];
type Bootloader = 'none' | 'grub-bios' | 'grub-efi';
const BOOTLOADERS: Bootloader[] = ['none', 'grub-bios', 'grub-efi'];

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
    .option(
      '--flatten-lvm',
      "each logical volume becomes a partition (the boot files are renamed to match) instead of keeping the volume group, which the build makes inside the guest's own kernel",
    )
    .action(async (options: { inspection?: string; flattenLvm?: boolean }) => {
      const machine = options.inspection
        ? await readJsonFile<MachineInspection>(options.inspection, 'inspection')
        : await inspectMachine();
      const plan = planDisk(machine, { flattenLvm: options.flattenLvm === true });
      process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
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
      "'grub-bios' or 'grub-efi': the disk boots by itself under a BIOS or UEFI with the guest's GRUB; 'none': boot the guest's kernel directly",
      'none',
    )
    .option(
      '--nic-mac <mac>',
      "the VM network card's MAC address, or 'source' for the source card's own; the build pins the source's network configuration to it (default: a new one)",
    )
    .option(
      '--source-nic <name>',
      "the source's card the VM's card takes over (default: the one with a static address)",
    )
    .option('--no-network-identity', "leave the source's network configuration as it is")
    .option('--name <name>', 'the VM name in the VMware .vmx or Hyper-V script', 'migrated-vm')
    .option('--memory <MiB>', 'memory, for the .vmx or Hyper-V script', '2048')
    .option('--cpus <n>', 'virtual CPUs, for the .vmx or Hyper-V script', '2')
    .option('--json', 'print the result as JSON')
    .action(
      async (options: {
        tree: string;
        plan: string;
        out: string;
        format: string;
        kernel?: string;
        bootloader: string;
        nicMac?: string;
        sourceNic?: string;
        networkIdentity: boolean;
        name: string;
        memory: string;
        cpus: string;
        json?: boolean;
      }) => {
        if (!FORMATS.includes(options.format as DiskFormat))
          throw new P2VError('BAD_ARGUMENT', `--format must be one of ${FORMATS.join(', ')}`);
        if (!BOOTLOADERS.includes(options.bootloader as Bootloader))
          throw new P2VError(
            'BAD_ARGUMENT',
            `--bootloader must be one of ${BOOTLOADERS.join(', ')}`,
          );
        const plan = await readJsonFile(options.plan, 'disk plan', DiskPlan);
        const image = await buildImage({
          tree: options.tree,
          plan,
          out: options.out,
          format: options.format as DiskFormat,
          kernel: options.kernel ?? null,
          bootloader: options.bootloader as Bootloader,
          onStep: (step) =>
            process.stderr.write(`${cliTranslator()('vm.lines.helperStep', { step })}\n`),
          ...(options.networkIdentity
            ? {
                network: await planTreeNetwork(
                  options.tree,
                  {
                    mac: options.nicMac ?? newVmMac(options.format === 'vmdk' ? 'vmware' : 'other'),
                  },
                  options.sourceNic ? { sourceNic: options.sourceNic } : {},
                ),
              }
            : {}),
        });
        const shape = {
          name: options.name,
          memoryMiB: parseCount(options.memory),
          cpus: parseCount(options.cpus),
          ...(image.network ? { mac: image.network.vmMac } : {}),
        };
        // What the other hypervisors need beside the disk.
        let companion: string | null = null;
        if (image.format === 'vmdk') {
          companion = image.path.replace(/\.vmdk$/, '') + '.vmx';
          await writeFile(companion, vmwareVmx(image.path, plan, shape));
        } else if (image.format === 'vhdx') {
          companion = image.path.replace(/\.vhdx$/, '') + '.hyperv.ps1';
          await writeFile(companion, hypervImportScript(image.path, plan, shape));
        }
        if (options.json) process.stdout.write(`${JSON.stringify({ ...image, companion })}\n`);
        else {
          const t = cliTranslator();
          const out = (line: string): void => void process.stdout.write(`${line}\n`);
          out(
            t('cli.vm.built', {
              path: image.path,
              format: image.format,
              disk: formatBytes(image.virtualBytes),
              file: formatBytes(image.fileBytes),
              partitions: image.partitions.length,
              hash: image.hash,
              time: formatDuration(image.durationMs, t),
            }),
          );
          if (companion)
            out(
              t(image.format === 'vmdk' ? 'cli.vm.vmware' : 'cli.vm.hyperv', { file: companion }),
            );
          if (image.selinuxRelabel) {
            const [key, params] = selinuxRelabelWarning(image.selinuxRelabel);
            out(renderMessage(t, say(`warnings.${key}`, params).message));
          }
          for (const change of image.deviceReferences ?? [])
            out(t('vm.lines.deviceReference', { ...change }));
          for (const problem of image.bootFileProblems ?? [])
            out(t('vm.lines.bootFileProblem', { problem }));
          for (const { file, replaced } of image.bootloaderFiles ?? [])
            out(
              t(replaced ? 'warnings.bootloaderReplaced' : 'vm.lines.bootloaderWritten', { file }),
            );
          if (image.network) {
            const { vmMac, takenOver, changes, notes } = image.network;
            process.stdout.write(
              takenOver
                ? `network: the VM's card must have the MAC ${vmMac} (p2v vm start --nic-mac ${vmMac}; the .vmx and Hyper-V script set it) to take over ${takenOver.name ?? takenOver.mac} (${takenOver.method}${takenOver.addresses.length ? ` ${takenOver.addresses.join(', ')}` : ''}) from ${takenOver.file}\n`
                : 'network: no configured card to take over\n',
            );
            for (const change of changes) process.stdout.write(`  changed: ${change.summary}\n`);
            for (const note of notes) process.stdout.write(`  note: ${note}\n`);
          }
        }
      },
    );
  vm.command('start')
    .description(
      'Print (and with --run, start) the qemu command line for the VM, and write its libvirt domain; the serial console goes to a log file.',
    )
    .requiredOption('--image <file>', 'the disk image (p2v vm build)')
    .option('--format <format>', `one of ${FORMATS.join(', ')}`, 'qcow2')
    .option(
      '--boot <how>',
      "'direct' (the guest's own kernel from --tree), 'bios' or 'uefi'",
      'direct',
    )
    .option('--tree <dir>', "the received tree, for a direct boot's kernel and initramfs")
    .option('--root-uuid <uuid>', "the root filesystem's UUID, for a direct boot")
    .option('--memory <MiB>', 'memory', '2048')
    .option('--cpus <n>', 'virtual CPUs', '2')
    .option('--serial-log <file>', 'where the serial console goes', 'serial.log')
    .option(
      '--uefi-firmware <file>',
      'OVMF code for a UEFI boot',
      '/usr/share/OVMF/OVMF_CODE_4M.fd',
    )
    .option('--uefi-vars <file>', 'a writable copy of the OVMF variable store')
    .option('--libvirt <file>', 'also write the libvirt domain XML here (for virsh define)')
    .option('--name <name>', 'the VM’s name in libvirt', 'p2v-vm')
    .option('--nic-mac <mac>', "the network card's MAC address (the one `vm build` printed)")
    .option('--run', 'start qemu here and wait for it')
    .option(
      '--define',
      'define and start the VM in libvirt (virsh) instead, so libvirt keeps it; the domain goes to --libvirt or beside the image',
    )
    .option('--libvirt-uri <uri>', 'the libvirt to define it in', SYSTEM_LIBVIRT)
    .action(
      async (options: {
        image: string;
        format: string;
        boot: string;
        tree?: string;
        rootUuid?: string;
        memory: string;
        cpus: string;
        serialLog: string;
        uefiFirmware: string;
        uefiVars?: string;
        libvirt?: string;
        name: string;
        nicMac?: string;
        run?: boolean;
        define?: boolean;
        libvirtUri: string;
      }) => {
        if (options.run && options.define)
          throw new P2VError(
            'BAD_ARGUMENT',
            '--run starts qemu here, --define starts it in libvirt: choose one',
          );
        if (!FORMATS.includes(options.format as DiskFormat))
          throw new P2VError('BAD_ARGUMENT', `--format must be one of ${FORMATS.join(', ')}`);
        let boot: VmLaunch['boot'];
        if (options.boot === 'direct') {
          if (!options.tree || !options.rootUuid)
            throw new P2VError('BAD_ARGUMENT', 'a direct boot needs --tree and --root-uuid');
          const guest = await findGuestKernel(options.tree);
          boot = {
            kind: 'direct',
            kernel: guest.kernel,
            initrd: guest.initrd,
            append: directAppend(`root=UUID=${options.rootUuid}`),
          };
        } else if (options.boot === 'bios' || options.boot === 'uefi')
          boot = { kind: 'disk', mode: options.boot };
        else throw new P2VError('BAD_ARGUMENT', '--boot must be direct, bios or uefi');
        const launch: VmLaunch = {
          image: options.image,
          format: options.format as DiskFormat,
          boot,
          memoryMiB: parseCount(options.memory),
          cpus: parseCount(options.cpus),
          serialLog: options.serialLog,
          kvm: await kvmUsable(),
          ...(options.nicMac ? { mac: parseMac(options.nicMac) } : {}),
          ...(options.boot === 'uefi'
            ? {
                uefiFirmware: options.uefiFirmware,
                ...(options.uefiVars ? { uefiVars: options.uefiVars } : {}),
              }
            : {}),
        };
        const args = qemuArgs(launch);
        process.stdout.write(`qemu-system-x86_64 ${args.map(shellQuote).join(' ')}\n`);
        const domainFile = options.libvirt ?? (options.define ? `${options.image}.xml` : null);
        if (domainFile) await writeFile(domainFile, libvirtDomain(options.name, launch));
        if (options.define) {
          const state = await defineAndStart(
            domainFile as string,
            options.name,
            options.libvirtUri,
          );
          process.stdout.write(
            `${options.name} is ${state} in libvirt (${options.libvirtUri}), defined from ${domainFile}; its console goes to ${options.serialLog}\n`,
          );
          return;
        }
        if (!options.run) return;
        const child = spawn('qemu-system-x86_64', args, { stdio: 'inherit' });
        await new Promise<void>((resolve, reject) => {
          child.once('error', (error) =>
            reject(new P2VError('IO_ERROR', `qemu-system-x86_64: ${error.message}`)),
          );
          child.once('exit', () => resolve());
        });
      },
    );
}

function parseMac(text: string): string {
  const mac = normalMac(text);
  if (!mac) throw new P2VError('BAD_ARGUMENT', `--nic-mac: not a MAC address: ${text}`);
  return mac;
}
