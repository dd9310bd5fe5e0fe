import type {
  CheckSummary,
  SessionEvent,
  SessionSnapshot,
  TargetInfo,
  WizardApi,
} from '../../shared/api.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import { ApiError } from '../../renderer/api/socket-api.ts';

/** A machine as the inspection would describe it. */
export const MACHINE: MachineInspection = {
  inspectedAt: '2026-11-25T00:00:00Z',
  hostname: 'db01',
  machineId: 'abc',
  os: {
    type: 'linux',
    id: 'debian',
    name: 'Debian GNU/Linux 12 (bookworm)',
    version: '12',
    kernel: '6.1.0-18-amd64',
    arch: 'x64',
  },
  bootMode: 'uefi',
  cpus: 8,
  memoryBytes: 32 * 1024 ** 3,
  disks: [],
  volumes: [
    {
      device: '/dev/sda2',
      mountpoint: '/',
      fsType: 'ext4',
      sizeBytes: 200 * 1024 ** 3,
      usedBytes: 40 * 1024 ** 3,
      availableBytes: 160 * 1024 ** 3,
    },
  ],
  network: [{ name: 'eno1', mac: '3c:ec:ef:10:22:31', addresses: ['10.0.4.21/24'] }],
  services: [
    {
      name: 'postgresql.service',
      description: 'PostgreSQL',
      state: 'running',
      stopCommand: "systemctl stop 'postgresql.service'",
      startCommand: "systemctl start 'postgresql.service'",
    },
  ],
  drivers: { tree: null, drivers: [], initramfs: null },
  safety: { hibernation: 'off', encryptedVolumes: [] },
  notes: [],
  noteMessages: [],
};

export const TARGET: TargetInfo = {
  hostname: 'vm01',
  os: { ...MACHINE.os },
  bootMode: 'uefi',
  rootPath: '/srv/target',
  freeBytes: 100 * 1024 ** 3,
  totalBytes: 200 * 1024 ** 3,
  handoverCommand: 'systemctl start postgresql',
};

/** A check result; `blocked` turns it into one with an OS-type blocker. */
export function checkSummary(blocked = false): CheckSummary {
  const plan = {
    profileId: 'kvm-virtio',
    profileName: 'KVM / QEMU with virtio devices',
    condition: 'any' as const,
    os: {
      source: { type: 'linux' as const, name: 'Debian', version: '12' },
      target: null,
      relation: 'no-target-os' as const,
    },
    drivers: [
      {
        name: 'virtio_blk',
        role: 'storage',
        bootCritical: true,
        status: 'ok' as const,
        sourceVersion: '6.1.0',
        targetVersion: null,
        sourceState: 'on-disk' as const,
        inInitramfs: false,
        action: 'initramfs' as const,
        advice: 'virtio_blk is on disk but not in the initramfs: rebuild it.',
        adviceMessage: { key: 'advice.initramfs', params: { name: 'virtio_blk' } },
      },
    ],
    initramfs: { rebuild: true, modules: ['virtio_blk'], command: 'update-initramfs -u' },
    toAdd: [],
    toUpdate: [],
    manual: [],
    manualMessages: [],
    blockers: blocked
      ? [
          {
            code: 'OS_TYPE' as const,
            message: 'The VM runs Windows.',
            text: { key: 'blockers.OS_TYPE', params: { source: 'Linux', vm: 'Windows' } },
          },
        ]
      : [],
    warnings: [],
    warningMessages: [],
  };
  return {
    check: {
      checkedAt: '2026-11-25T00:00:00Z',
      machine: MACHINE,
      profile: { id: 'kvm-virtio', name: plan.profileName, hypervisor: 'kvm', diskFormat: 'qcow2' },
      plan,
      preflight: [],
      driverFiles: null,
    },
    plan,
    preflight: [
      {
        id: 'free-space',
        level: 'ok',
        title: 'Enough space on the target',
        detail: '40 GiB selected.',
        titleMessage: { key: 'preflight.spaceOkTitle' },
        detailMessage: {
          key: 'preflight.spaceOk',
          params: { selected: '40 GiB', free: '100 GiB', root: '/srv' },
        },
      },
    ],
    driverFiles: null,
    selectedBytes: 40 * 1024 ** 3,
    blocked,
  };
}

type Calls = { method: string; arg: unknown }[];

/** A WizardApi whose answers a test sets, which records every call and can push events. */
export function fakeApi(
  overrides: Partial<Record<keyof WizardApi, (arg: never) => Promise<unknown>>> = {},
) {
  const calls: Calls = [];
  const listeners = new Set<(event: SessionEvent) => void>();
  const snapshot: SessionSnapshot = {
    stage: 'idle',
    request: null,
    events: [],
    report: null,
    error: null,
  };
  const answer =
    (method: keyof WizardApi, fallback: (arg: unknown) => unknown) => (arg?: unknown) => {
      calls.push({ method, arg });
      const override = overrides[method] as ((a: unknown) => Promise<unknown>) | undefined;
      return override ? override(arg) : Promise.resolve(fallback(arg));
    };
  const api = {
    inspect: answer('inspect', () => MACHINE),
    listProfiles: answer('listProfiles', () => [
      {
        id: 'hyperv',
        name: 'Microsoft Hyper-V',
        hypervisor: 'hyperv',
        diskFormat: 'vhdx',
        firmware: ['bios', 'uefi'],
      },
      {
        id: 'kvm-virtio',
        name: 'KVM / QEMU with virtio devices',
        hypervisor: 'kvm',
        diskFormat: 'qcow2',
        firmware: ['bios', 'uefi'],
      },
    ]),
    connectTarget: answer('connectTarget', () => TARGET),
    check: answer('check', () => checkSummary()),
    measureSelection: answer('measureSelection', () => ({
      bytes: 5 * 1024 ** 3,
      unreadable: [],
      unreadableCount: 0,
    })),
    measureFolders: answer('measureFolders', () => ({
      folders: [
        { path: '/var', bytes: 30 * 1024 ** 3, unreadableCount: 0 },
        { path: '/home', bytes: 8 * 1024 ** 3, unreadableCount: 2 },
        { path: '/tmp', bytes: null, skipped: 'excluded', unreadableCount: 0 },
        { path: '/boot', bytes: null, skipped: 'mount', unreadableCount: 0 },
      ],
    })),
    startMigration: answer('startMigration', () => undefined),
    pauseMigration: answer('pauseMigration', () => undefined),
    resumeMigration: answer('resumeMigration', () => undefined),
    cancelMigration: answer('cancelMigration', () => undefined),
    cutOver: answer('cutOver', () => undefined),
    setBandwidthLimit: answer('setBandwidthLimit', () => undefined),
    getSession: answer('getSession', () => snapshot),
    exportReport: answer('exportReport', () => ({ path: '/tmp/report/report.html' })),
    openReportFolder: answer('openReportFolder', () => undefined),
    onEvent: (listener: (event: SessionEvent) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as WizardApi;
  return {
    api,
    calls,
    snapshot,
    emit: (event: SessionEvent) => {
      for (const listener of listeners) listener(event);
    },
  };
}

/** A rejected call as the engine sends it. */
export const failWith = (info: ErrorInfo) => () => Promise.reject(new ApiError(info));
