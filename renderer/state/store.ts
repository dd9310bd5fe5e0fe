import { create, type StateCreator } from 'zustand';
import type {
  CheckSummary,
  FolderSizes,
  MigrationRequest,
  ProfileSummary,
  SelectionMeasure,
  SessionEvent,
  TargetAddress,
  TargetInfo,
  WizardApi,
} from '../../shared/api.ts';
import type { UpdateCondition } from '../../shared/driver-plan.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import type { MachineInspection } from '../../shared/inspection.ts';
import { ApiError } from '../api/socket-api.ts';
import { EMPTY_SESSION, reduceSession, replay, type SessionView } from './session-view.ts';
import { STEPS, stepForSession, stepsFor, type Step } from './steps.ts';
import { bandwidthFromText } from './bandwidth-text.ts';
import { appendLog, type LogEntry } from './event-log.ts';
import type { SelectionForm } from './selection-form.ts';

/** A call in flight or failed, per screen: what the screen shows instead of its content. */
export interface CallState {
  busy: boolean;
  error: ErrorInfo | null;
}
const IDLE: CallState = { busy: false, error: null };

interface NavSlice {
  step: Step;
  goTo: (step: Step) => void;
  next: () => void;
  back: () => void;
}

interface MachineSlice {
  machine: MachineInspection | null;
  machineCall: CallState;
  loadMachine: () => Promise<void>;
}

interface TargetSlice {
  targetForm: {
    host: string;
    port: string;
    token: string;
    fingerprint: string;
    confirmed: boolean;
  };
  targetInfo: TargetInfo | null;
  targetCall: CallState;
  setTargetForm: (patch: Partial<TargetSlice['targetForm']>) => void;
  testConnection: () => Promise<void>;
}

interface CheckSlice {
  profiles: ProfileSummary[];
  checkForm: {
    profile: string;
    condition: UpdateCondition;
    agentInVm: boolean;
    sharedNetwork: boolean;
  };
  checkResult: CheckSummary | null;
  checkCall: CallState;
  loadProfiles: () => Promise<void>;
  setCheckForm: (patch: Partial<CheckSlice['checkForm']>) => void;
  runCheck: () => Promise<void>;
}

interface SelectionSlice {
  selection: SelectionForm;
  setSelection: (patch: Partial<SelectionForm>) => void;
  measured: number | null;
  /** Paths the measuring walk could not read (they would not be copied). */
  unreadable: Pick<SelectionMeasure, 'unreadable' | 'unreadableCount'> | null;
  measureCall: CallState;
  measure: () => Promise<void>;
  /** A volume's top folders with what each holds, as last measured. */
  folders: { path: string; folders: FolderSizes['folders'] } | null;
  foldersCall: CallState;
  measureFolders: (path: string) => Promise<void>;
}

interface SessionSlice {
  session: SessionView;
  /** The session's events as they came (progress aside), for the log view. */
  log: LogEntry[];
  /** The migration as the engine runs it (what the cutover will stop), also after a reload. */
  running: MigrationRequest | null;
  sessionCall: CallState;
  applyEvent: (event: SessionEvent) => void;
  restore: () => Promise<void>;
  start: () => Promise<void>;
  pause: () => Promise<void>;
  resume: () => Promise<void>;
  cancel: () => Promise<void>;
  cutOver: () => Promise<void>;
  /** After a cancel or a failure: back to What to move for a new start, the rest kept. */
  startOver: () => void;
  /** Changes the running migration's bandwidth limit (Mbit/s; null lifts it). */
  setBandwidth: (mbit: number | null) => Promise<void>;
}

export type WizardState = NavSlice &
  MachineSlice &
  TargetSlice &
  CheckSlice &
  SelectionSlice &
  SessionSlice;
type Slice<T> = StateCreator<WizardState, [], [], T>;

/** An engine error from either bridge: ApiError over the WebSocket, a plain ErrorInfo over IPC. */
const errorInfo = (error: unknown): ErrorInfo => {
  if (error instanceof ApiError) return error.info;
  if (typeof error === 'object' && error !== null && 'code' in error && 'message' in error)
    return error as ErrorInfo;
  return { code: 'IO_ERROR', message: error instanceof Error ? error.message : String(error) };
};

/** Splits a textarea into its non-empty lines. */
export const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

/** The target form as the API's address; null while it is incomplete. */
export function targetAddress(form: TargetSlice['targetForm']): TargetAddress | null {
  const port = Number(form.port);
  if (!form.host || !Number.isInteger(port) || !form.token || !form.fingerprint) return null;
  return {
    host: form.host.trim(),
    port,
    token: form.token.trim(),
    fingerprint: form.fingerprint.trim(),
  };
}

/**
 * The agent prints where it listens as `host:port` (`[v6]:port` for IPv6): pasted into the
 * address field, it fills both fields. A bare IPv6 address (several colons) stays as it is.
 */
export function splitHostPort(host: string | undefined): { host: string; port: string } | null {
  const match =
    host === undefined ? null : /^\s*(?:\[([^\]]+)\]|([^:\s]+)):(\d{1,5})\s*$/.exec(host);
  if (!match) return null;
  return { host: (match[1] ?? match[2]) as string, port: match[3] as string };
}

/** Runs a call with a screen's busy and error state around it. */
async function track(
  set: (patch: Partial<WizardState>) => void,
  key: 'machineCall' | 'targetCall' | 'checkCall' | 'measureCall' | 'foldersCall' | 'sessionCall',
  work: () => Promise<void>,
): Promise<void> {
  set({ [key]: { busy: true, error: null } });
  try {
    await work();
    set({ [key]: IDLE });
  } catch (error) {
    set({ [key]: { busy: false, error: errorInfo(error) } });
  }
}

/** The store, with the API it calls injected: the real bridge in the app, a fake in tests. */
export function createWizardStore(api: WizardApi) {
  const nav: Slice<NavSlice> = (set, get) => ({
    step: 'machine',
    goTo: (step) => set({ step }),
    next: () => {
      const steps = stepsFor(get().running);
      set({ step: steps[Math.min(steps.indexOf(get().step) + 1, steps.length - 1)] as Step });
    },
    back: () => {
      const steps = stepsFor(get().running);
      set({ step: steps[Math.max(steps.indexOf(get().step) - 1, 0)] as Step });
    },
  });
  const machine: Slice<MachineSlice> = (set) => ({
    machine: null,
    machineCall: IDLE,
    loadMachine: () => track(set, 'machineCall', async () => set({ machine: await api.inspect() })),
  });
  const target: Slice<TargetSlice> = (set, get) => ({
    targetForm: { host: '', port: '7070', token: '', fingerprint: '', confirmed: false },
    targetInfo: null,
    targetCall: IDLE,
    setTargetForm: (patch) =>
      set({
        targetForm: { ...get().targetForm, ...patch, ...splitHostPort(patch.host) },
        ...('confirmed' in patch ? {} : { targetInfo: null }),
      }),
    testConnection: () =>
      track(set, 'targetCall', async () => {
        const address = targetAddress(get().targetForm);
        if (!address) throw new ApiError({ code: 'BAD_ARGUMENT', message: 'incomplete' });
        set({ targetInfo: await api.connectTarget(address) });
      }),
  });
  const check: Slice<CheckSlice> = (set, get) => ({
    profiles: [],
    checkForm: { profile: 'kvm-virtio', condition: 'any', agentInVm: false, sharedNetwork: false },
    checkResult: null,
    checkCall: IDLE,
    loadProfiles: async () => set({ profiles: await api.listProfiles() }),
    setCheckForm: (patch) =>
      set({ checkForm: { ...get().checkForm, ...patch }, checkResult: null }),
    runCheck: () =>
      track(set, 'checkCall', async () => {
        const state = get();
        const address = targetAddress(state.targetForm);
        if (!address) throw new ApiError({ code: 'BAD_ARGUMENT', message: 'no target' });
        set({
          checkResult: await api.check({
            ...state.checkForm,
            target: address,
            // What to move is picked on the next screen: the check counts every volume's data.
            sources: [],
            excludes: [],
            useDefaultExcludes: true,
          }),
        });
      }),
  });
  const selection: Slice<SelectionSlice> = (set, get) => ({
    selection: {
      sources: '/',
      excludes: '',
      defaultExcludes: true,
      stopCommand: '',
      rollbackCommand: '',
      flushCommand: '',
      releaseCommand: '',
      downtimeSeconds: '5',
      vmBoot: 'none',
      vmMemoryMiB: '2048',
      vmCpus: '2',
      vmKeepSourceMac: false,
      vmBridge: '',
      bandwidthMbit: '',
      autoConverge: false,
      autoConvergePid: '',
    },
    setSelection: (patch) => {
      // Only what is moved changes the size: typing a stop command keeps the measurement.
      const moves = 'sources' in patch || 'excludes' in patch || 'defaultExcludes' in patch;
      set({
        selection: { ...get().selection, ...patch },
        ...(moves ? { measured: null, unreadable: null } : {}),
      });
    },
    measured: null,
    unreadable: null,
    measureCall: IDLE,
    measure: () =>
      track(set, 'measureCall', async () => {
        const { selection } = get();
        const { bytes, unreadable, unreadableCount } = await api.measureSelection({
          sources: lines(selection.sources),
          excludes: lines(selection.excludes),
          useDefaultExcludes: selection.defaultExcludes,
        });
        set({ measured: bytes, unreadable: { unreadable, unreadableCount } });
      }),
    folders: null,
    foldersCall: IDLE,
    measureFolders: (path) =>
      track(set, 'foldersCall', async () => {
        const { selection } = get();
        set({ folders: null });
        const { folders } = await api.measureFolders({
          path,
          excludes: lines(selection.excludes),
          useDefaultExcludes: selection.defaultExcludes,
        });
        set({ folders: { path, folders } });
      }),
  });
  const session: Slice<SessionSlice> = (set, get) => ({
    session: EMPTY_SESSION,
    log: [],
    running: null,
    sessionCall: IDLE,
    applyEvent: (event) => {
      const view = reduceSession(get().session, event);
      const step = stepForSession(view);
      // Follow the migration forward only; the technician may look back on earlier screens.
      const forward = step && STEPS.indexOf(step) > STEPS.indexOf(get().step);
      set({
        session: view,
        log: appendLog(get().log, event, Date.now()),
        ...(forward ? { step } : {}),
      });
    },
    restore: async () => {
      const snapshot = await api.getSession();
      const view = replay(snapshot.events);
      const step = stepForSession(view);
      const request = snapshot.request;
      set({
        session: view,
        log: snapshot.events.reduce<LogEntry[]>((log, e) => appendLog(log, e, null), []),
        running: request,
        ...(step ? { step } : {}),
        ...(request
          ? {
              targetForm: {
                host: request.target.host,
                port: String(request.target.port),
                token: request.target.token,
                fingerprint: request.target.fingerprint,
                confirmed: true,
              },
              selection: {
                sources: request.sources.join('\n'),
                excludes: request.excludes.join('\n'),
                defaultExcludes: request.useDefaultExcludes,
                stopCommand: request.stopCommand ?? '',
                rollbackCommand: request.rollbackCommand ?? '',
                flushCommand: request.flushCommand ?? '',
                releaseCommand: request.releaseCommand ?? '',
                downtimeSeconds: String(request.downtimeTargetSeconds),
                vmBoot: request.vm?.boot ?? 'none',
                vmMemoryMiB: String(request.vm?.memoryMiB ?? 2048),
                vmCpus: String(request.vm?.cpus ?? 2),
                vmKeepSourceMac: request.vm?.keepSourceMac ?? false,
                vmBridge: request.vm?.bridge ?? '',
                bandwidthMbit:
                  request.bandwidthLimitMbit == null ? '' : String(request.bandwidthLimitMbit),
                autoConverge: Boolean(request.autoConvergePid),
                autoConvergePid: request.autoConvergePid ? String(request.autoConvergePid) : '',
              },
            }
          : {}),
      });
    },
    start: () =>
      track(set, 'sessionCall', async () => {
        const state = get();
        const address = targetAddress(state.targetForm);
        if (!address) throw new ApiError({ code: 'BAD_ARGUMENT', message: 'no target' });
        const request: MigrationRequest = {
          target: address,
          sources: lines(state.selection.sources),
          excludes: lines(state.selection.excludes),
          useDefaultExcludes: state.selection.defaultExcludes,
          stopCommand: state.selection.stopCommand.trim() || null,
          rollbackCommand: state.selection.rollbackCommand.trim() || null,
          flushCommand: state.selection.flushCommand.trim() || null,
          releaseCommand: state.selection.releaseCommand.trim() || null,
          // As typed: the form checked them, and the API's schema refuses what is not a number.
          downtimeTargetSeconds: Number(state.selection.downtimeSeconds),
          thresholdBytes: 1024 * 1024,
          maxRounds: 10,
          bandwidthLimitMbit: bandwidthFromText(state.selection.bandwidthMbit) ?? null,
          autoConvergePid: state.selection.autoConverge
            ? Number(state.selection.autoConvergePid)
            : null,
          vm:
            state.selection.vmBoot === 'none'
              ? null
              : {
                  boot: state.selection.vmBoot,
                  memoryMiB: Number(state.selection.vmMemoryMiB),
                  cpus: Number(state.selection.vmCpus),
                  keepSourceMac: state.selection.vmKeepSourceMac,
                  ...(state.selection.vmBridge.trim()
                    ? { bridge: state.selection.vmBridge.trim() }
                    : {}),
                },
        };
        set({ session: EMPTY_SESSION, log: [], running: request, step: 'copy' });
        await api.startMigration(request);
      }),
    pause: () => track(set, 'sessionCall', () => api.pauseMigration()),
    resume: () => track(set, 'sessionCall', () => api.resumeMigration()),
    cancel: () => track(set, 'sessionCall', () => api.cancelMigration()),
    cutOver: () => track(set, 'sessionCall', () => api.cutOver()),
    startOver: () =>
      set({ session: EMPTY_SESSION, running: null, step: 'selection', sessionCall: IDLE }),
    setBandwidth: (mbit) =>
      track(set, 'sessionCall', async () => {
        await api.setBandwidthLimit(mbit);
        const running = get().running;
        if (running) set({ running: { ...running, bandwidthLimitMbit: mbit } });
      }),
  });
  return create<WizardState>()((...a) => ({
    ...nav(...a),
    ...machine(...a),
    ...target(...a),
    ...check(...a),
    ...selection(...a),
    ...session(...a),
  }));
}

export type WizardStore = ReturnType<typeof createWizardStore>;
