import { spawn } from 'node:child_process';
import { pathExists } from '../paths/path-exists.ts';
import { copyFile, mkdir, open, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import type { InitramfsRebuild, StartedVm, VmProgress, VmRequest } from '../../shared/vm-image.ts';
import { loadOrCreateIdentity, newPairingToken } from '../agent/identity.ts';
import { freePort } from '../net/free-port.ts';
import { AgentClient } from '../source/agent-client.ts';
import {
  AGENT_READY_MARKER,
  agentInjection,
  GUEST_AGENT_PORT,
  vmCardAddress,
} from './agent-injection.ts';
import { newVmMac } from '../network/addresses.ts';
import { planTreeNetwork } from '../network/plan-network-identity.ts';
import { buildImage } from './build-image.ts';
import { findGuestKernel } from './guest-kernel.ts';
import { checkInitramfs } from './initramfs-check.ts';
import { rebuildInitramfs } from './initramfs-rebuild.ts';
import { kvmUsable } from './kvm-probe.ts';
import { libvirtDomain } from './libvirt-domain.ts';
import { directAppend, qemuArgs, type VmLaunch } from './qemu-command.ts';
import { directRoot } from './plan-volumes.ts';
import { SerialTail } from './serial-tail.ts';
import { keyParam } from '../../shared/i18n/render-message.ts';
import { vmLine } from './vm-line.ts';
import { shellQuote } from '../shell-command.ts';

/** Debian's OVMF (package ovmf): the firmware code and the variable store a VM gets a copy of. */
export const OVMF = ['/usr/share/OVMF/OVMF_CODE_4M.fd', '/usr/share/OVMF/OVMF_VARS_4M.fd'] as const;
/** How long a VM may take from qemu's start to its agent answering (software emulation is slow). */
const BOOT_LIMIT_MS = 15 * 60_000;
/** Between attempts to reach the agent when the console does not say it is up. */
const RETRY_MS = 5000;
/**
 * From the console saying the agent listens to the agent answering through the forwarded port:
 * seconds, even emulated. Much longer means nothing reaches it (the VM's network is not up).
 */
const ANSWER_LIMIT_MS = 3 * 60_000;

/** Where the VM is built and run, on the conversion host. */
export interface VmWorkspace {
  /** The received tree the image is built from. */
  tree: string;
  /** The image, kernel copies, console log and definition go here. */
  dir: string;
  /** The one-file agent to put into the VM. */
  agentBinary: string;
  /** The host address the forwarded port listens on: the one the source reached this agent at. */
  host: string;
  onProgress: (progress: VmProgress) => void;
}

/**
 * Builds the VM's disk from the received tree with the agent injected, starts it under qemu
 * (kept running when this process ends: it is the migrated machine now) and resolves once the
 * agent inside it answers a paired handshake through the forwarded port.
 */
export async function startVmWithAgent(request: VmRequest, ws: VmWorkspace): Promise<StartedVm> {
  if (!(await pathExists(ws.agentBinary)))
    throw new P2VError(
      'VM_FAILED',
      `the one-file agent to put into the VM is not at ${ws.agentBinary}: build it with npm run build:agent, or run this agent as the one-file agent`,
    );
  if (request.bridge) await checkBridge(request.bridge);
  await mkdir(ws.dir, { recursive: true, mode: 0o700 });
  // A second card for the agent when the VM's own card is on the source's network.
  const agentCardMac = request.bridge ? newVmMac('other') : null;
  const tell = (...line: Parameters<typeof vmLine>): void => ws.onProgress(vmLine(...line));
  const identity = await loadOrCreateIdentity(join(ws.dir, 'agent-identity'));
  const token = newPairingToken();
  const guest = await findGuestKernel(ws.tree).catch((error: Error) => {
    if (request.boot === 'direct') throw error;
    return null;
  });
  let initramfs: InitramfsRebuild | null = null;
  if (guest) {
    const verdict = await checkInitramfs(ws.tree, guest);
    if (verdict.ok === false) {
      tell('build', 'initramfsLacks', { release: guest.release, missing: verdict.missing });
      initramfs = await rebuildInitramfs(ws.tree, guest, verdict);
      tell('build', 'initramfsRebuilt', {
        command: initramfs.command,
        files: initramfs.changed,
      });
    } else if (verdict.ok) tell('build', 'initramfsCarries', { release: guest.release });
    else tell('build', 'initramfsUnknown', { reason: verdict.reason });
  }
  // The VM's card takes over the source's network configuration: its name, and its MAC
  // where the configuration matches by MAC (docs/vm-build.md, network identity).
  const network = await planTreeNetwork(ws.tree, { mac: request.nicMac ?? newVmMac('other') });
  tell('build', 'building', { format: request.format, tree: ws.tree });
  const image = await buildImage({
    tree: ws.tree,
    plan: request.plan,
    out: join(ws.dir, `disk.${request.format}`),
    format: request.format,
    kernel: guest?.release ?? null,
    bootloader: request.boot === 'direct' ? 'none' : request.boot,
    network,
    onStep: (step) => tell('build', 'helperStep', { step }),
    ...(initramfs ? { writtenInTree: initramfs.changed.map((path) => `/${path}`) } : {}),
    inject: agentInjection({
      binary: ws.agentBinary,
      key: identity.key,
      cert: identity.cert,
      token,
      handoverCommand: request.handoverCommand,
      agentCardMac,
      vmCard: vmCardAddress(network),
      defaultTarget: await readlink(join(ws.tree, 'etc/systemd/system/default.target')).catch(
        () => null,
      ),
    }),
  });
  tell('build', 'imageReady', { path: image.path, format: image.format, hash: image.hash });
  for (const change of image.network?.changes ?? [])
    tell('build', 'networkChanged', { change: change.summary });
  for (const change of image.deviceReferences ?? [])
    tell('build', 'deviceReference', { ...change });
  for (const problem of image.bootFileProblems ?? []) tell('build', 'bootFileProblem', { problem });
  for (const { file } of image.bootloaderFiles ?? []) tell('build', 'bootloaderWritten', { file });
  const launch: VmLaunch = {
    ...(await launchFor(request, ws, image.path, guest)),
    ...(image.network ? { mac: image.network.vmMac } : {}),
    ...(request.bridge && agentCardMac
      ? {
          bridge: {
            name: request.bridge,
            upScript: await writeBridgeUp(ws.dir, request.bridge),
            agentMac: agentCardMac,
          },
        }
      : {}),
  };
  if (request.bridge) tell('build', 'bridgeCard', { bridge: request.bridge });
  const command = qemuArgs(launch);
  const name = (await readFile(join(ws.tree, 'etc/hostname'), 'utf8').catch(() => 'vm')).trim();
  const domainXml = libvirtDomain(`p2v-${name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'vm'}`, launch);
  await writeFile(join(ws.dir, 'domain.xml'), domainXml);
  await writeFile(launch.serialLog, '');
  const qemuLog = await open(join(ws.dir, 'qemu.log'), 'w');
  const started = Date.now();
  const qemu = spawn('qemu-system-x86_64', command, {
    detached: true,
    stdio: ['ignore', qemuLog.fd, qemuLog.fd],
  });
  await qemuLog.close();
  const exited = new Promise<never>((_resolve, reject) => {
    qemu.once('error', (error) =>
      reject(
        new P2VError(
          'IO_ERROR',
          `qemu-system-x86_64: ${error.message} (Debian package qemu-system-x86)`,
        ),
      ),
    );
    qemu.once('exit', (code) =>
      reject(
        new P2VError(
          'VM_FAILED',
          `qemu exited (${code}) before the agent inside the VM answered; see ${join(ws.dir, 'qemu.log')} and ${launch.serialLog}`,
        ),
      ),
    );
  });
  exited.catch(() => undefined);
  qemu.unref();
  tell('boot', 'qemuStarted', {
    pid: qemu.pid ?? 0,
    accel: keyParam(`vm.lines.${launch.kvm ? 'kvm' : 'emulation'}`),
  });
  const address = {
    host: ws.host,
    port: launch.forward?.hostPort ?? 0,
    token,
    fingerprint: identity.fingerprint,
  };
  let confirmation = '';
  let listeningSince = 0;
  let wake: () => void = () => undefined;
  const tail = new SerialTail(launch.serialLog, (line) => {
    // The VM's own words: shown as they came.
    if (line.trim()) ws.onProgress({ step: 'boot', line });
    if (line.includes(AGENT_READY_MARKER)) {
      confirmation = line.trim();
      listeningSince ||= Date.now();
      wake();
    }
  });
  try {
    for (;;) {
      const client = await Promise.race([AgentClient.connect(address).catch(() => null), exited]);
      if (client) {
        tell('agent', 'agentAnswered', { hostname: client.agent.hostname });
        await client.close();
        break;
      }
      if (listeningSince && Date.now() - listeningSince > ANSWER_LIMIT_MS) {
        qemu.kill('SIGKILL');
        throw new P2VError(
          'VM_FAILED',
          `the agent inside the VM says it listens, but nothing reached it through the forwarded port for ${ANSWER_LIMIT_MS / 60_000} minutes: the VM's network did not come up; see the p2v-agent lines in ${launch.serialLog}`,
        );
      }
      if (Date.now() - started > BOOT_LIMIT_MS) {
        qemu.kill('SIGKILL');
        throw new P2VError(
          'VM_FAILED',
          `the agent inside the VM did not answer within ${BOOT_LIMIT_MS / 60_000} minutes; see ${launch.serialLog}`,
        );
      }
      // Try again when the console says the agent is up, or after a while if it never does.
      await Promise.race([
        new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, RETRY_MS).unref();
        }),
        exited,
      ]);
    }
  } catch (error) {
    if (qemu.exitCode === null) qemu.kill('SIGKILL');
    throw error;
  } finally {
    tail.close();
  }
  return {
    image,
    agentPort: address.port,
    fingerprint: identity.fingerprint,
    token,
    serialLog: launch.serialLog,
    command: ['qemu-system-x86_64', ...command],
    domainXml,
    pid: qemu.pid ?? 0,
    bootMs: Date.now() - started,
    bootConfirmation: confirmation || 'the agent answered a paired handshake',
    ...(initramfs ? { initramfs } : {}),
    ...(image.network ? { network: image.network } : {}),
  };
}

/** Refuses a bridge the conversion host does not have, before anything is built. */
async function checkBridge(bridge: string): Promise<void> {
  if (!(await pathExists(join('/sys/class/net', bridge, 'bridge'))))
    throw new P2VError(
      'BAD_ARGUMENT',
      `the conversion host has no bridge named ${bridge} for the VM's card (ip link show type bridge lists them; ip link add ${bridge} type bridge makes one, and its uplink joins it with ip link set DEVICE master ${bridge})`,
    );
}

/** The script qemu runs with the tap it made for the VM's card: the tap joins the bridge. */
async function writeBridgeUp(dir: string, bridge: string): Promise<string> {
  const script = join(dir, 'bridge-up.sh');
  await writeFile(
    script,
    [
      '#!/bin/sh',
      "# Written by P2V Wizard: qemu runs it with the tap it made for the VM's card. The tap",
      "# carries no address of this host's onto the source's network.",
      'set -e',
      'echo 1 > "/proc/sys/net/ipv6/conf/$1/disable_ipv6" 2>/dev/null || true',
      `ip link set "$1" master ${shellQuote(bridge)}`,
      'ip link set "$1" up',
      '',
    ].join('\n'),
    { mode: 0o700 },
  );
  return script;
}

/** The qemu launch: its boot (a copy of the guest's kernel for a direct boot), network forward, firmware. */
async function launchFor(
  request: VmRequest,
  ws: VmWorkspace,
  image: string,
  guest: Awaited<ReturnType<typeof findGuestKernel>> | null,
): Promise<VmLaunch> {
  let boot: VmLaunch['boot'];
  if (request.boot === 'direct' && guest) {
    const root = directRoot(request.plan);
    if (!root)
      throw new P2VError(
        'BAD_ARGUMENT',
        "a direct boot needs the root filesystem's UUID in the disk plan",
      );
    // Copies: the rounds may replace the tree's kernel while the VM runs.
    const kernel = join(ws.dir, 'vmlinuz');
    const initrd = join(ws.dir, 'initrd.img');
    await copyFile(guest.kernel, kernel);
    await copyFile(guest.initrd, initrd);
    boot = {
      kind: 'direct',
      kernel,
      initrd,
      append: directAppend(root),
    };
  } else boot = { kind: 'disk', mode: request.boot === 'grub-efi' ? 'uefi' : 'bios' };
  const uefi = request.boot === 'grub-efi';
  if (uefi) await copyFile(OVMF[1], join(ws.dir, 'OVMF_VARS.fd'));
  return {
    image,
    format: request.format,
    boot,
    memoryMiB: request.memoryMiB,
    cpus: request.cpus,
    serialLog: join(ws.dir, 'serial.log'),
    kvm: await kvmUsable(),
    forward: { host: ws.host, hostPort: await freePort(ws.host), guestPort: GUEST_AGENT_PORT },
    ...(uefi ? { uefiFirmware: OVMF[0], uefiVars: join(ws.dir, 'OVMF_VARS.fd') } : {}),
  };
}
