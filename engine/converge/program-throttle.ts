import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { P2VError } from '../../shared/errors.ts';
import { writeFileDurably } from '../storage/durable-write.ts';

/**
 * How a program is slowed: CPU bandwidth of a cgroup the tool makes for it (v2 `cpu.max`, v1
 * `cpu.cfs_quota_us`), or, where neither can be used, a SIGSTOP/SIGCONT duty cycle.
 */
export type ThrottleMethod = 'cgroup-v2' | 'cgroup-v1' | 'signals';

const PERIOD_US = 100_000;
/** The duty cycle's period: stopped for `level`% of it. */
const DUTY_PERIOD_MS = 100;

/** What was set, written before it is set, so a later run can undo what a crash left. */
export interface ThrottleRecord {
  method: ThrottleMethod;
  pid: number;
  /** The cgroup made for the program (cgroup methods). */
  cgroup: string | null;
  /** Each process moved and the cgroup (cgroup.procs file) it came from. */
  moved: { pid: number; from: string }[];
  level: number;
  /**
   * Set when the limit went on a cgroup that was there before (a systemd unit's): its own
   * settings as they were, put back on release; nothing is moved or removed.
   */
  existing?: { quota: string; period: string | null };
}

/** The cgroup mounts this machine offers for CPU bandwidth, in order of preference. */
function cgroupRoots(): { method: ThrottleMethod; root: string }[] {
  const roots: { method: ThrottleMethod; root: string }[] = [];
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    const controllers = join(root, 'cgroup.controllers');
    if (existsSync(controllers) && /\bcpu\b/.test(readFileSync(controllers, 'utf8')))
      roots.push({ method: 'cgroup-v2', root });
  }
  if (existsSync('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'))
    roots.push({ method: 'cgroup-v1', root: '/sys/fs/cgroup/cpu' });
  return roots;
}

/** The method this machine allows, as the pre-flight says it. */
export function throttleMethodHere(wanted: 'auto' | ThrottleMethod = 'auto'): ThrottleMethod {
  if (wanted === 'signals') return 'signals';
  const root = cgroupRoots().find((r) => wanted === 'auto' || r.method === wanted);
  if (root && process.getuid?.() === 0) return root.method;
  if (wanted !== 'auto')
    throw new P2VError(
      'BAD_ARGUMENT',
      `${wanted} cannot be used here (needs root and the cpu controller)`,
    );
  return 'signals';
}

/** `pid` and every process below it, read from /proc. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const tree: number[] = [];
  const visit = (p: number): void => {
    tree.push(p);
    for (const child of children.get(p) ?? []) visit(child);
  };
  if (existsSync(`/proc/${pid}`)) visit(pid);
  return tree;
}

/** CPU seconds the processes have used (user and system), from /proc. */
function cpuSeconds(pids: number[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** The cgroup.procs file `pid` is in now, in the hierarchy mounted at `root`. */
function currentCgroup(pid: number, method: ThrottleMethod, root: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n');
  const line =
    method === 'cgroup-v2'
      ? lines.find((l) => l.startsWith('0::'))
      : lines.find((l) => l.split(':')[1]?.split(',').includes('cpu'));
  const path = line?.split(':').slice(2).join(':') ?? '/';
  return join(root, path, 'cgroup.procs');
}

/**
 * Slows one program (a process and its children) in steps, QEMU's auto-converge for a
 * server's writer: `setLevel(20)` lets it run 80% of the CPU it was using, and so on up to 99.
 * Every change is recorded durably first in `recordFile`; `release` puts everything back, and
 * `undoRecorded` does so for a run that crashed.
 */
export class ProgramThrottle {
  private duty: NodeJS.Timeout | null = null;
  private stopped = false;
  /** The program's CPU use before it was slowed, in CPUs, the base of every level. */
  private baselineCpus = 0;

  private constructor(
    private readonly record: ThrottleRecord,
    private readonly recordFile: string,
  ) {}

  get level(): number {
    return this.record.level;
  }

  get method(): ThrottleMethod {
    return this.record.method;
  }

  /**
   * Starts on `pid`: measures its CPU use over `sampleMs` (the base the levels cut from), then
   * (cgroup methods) moves its processes into a cgroup of their own, at no limit yet.
   */
  static async start(
    pid: number,
    method: ThrottleMethod,
    recordFile: string,
    sampleMs = 1000,
  ): Promise<ProgramThrottle> {
    const pids = processTree(pid);
    if (pids.length === 0)
      throw new P2VError('BAD_ARGUMENT', `no process ${pid} to slow (auto-converge)`);
    const before = cpuSeconds(pids);
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const used = (cpuSeconds(processTree(pid)) - before) / (sampleMs / 1000);
    const root = cgroupRoots().find((r) => r.method === method)?.root ?? null;
    const cgroup = method === 'signals' || !root ? null : join(root, `p2v-converge-${pid}`);
    const record: ThrottleRecord = { method, pid, cgroup, moved: [], level: 0 };
    const throttle = new ProgramThrottle(record, recordFile);
    throttle.baselineCpus = Math.max(0.05, used);
    if (cgroup && root) {
      record.moved = processTree(pid).map((p) => ({
        pid: p,
        from: currentCgroup(p, method, root),
      }));
      await throttle.save();
      await mkdir(cgroup, { recursive: true });
      for (const { pid: p } of record.moved)
        await writeFile(join(cgroup, 'cgroup.procs'), `${p}\n`).catch(() => undefined);
    } else await throttle.save();
    return throttle;
  }

  /**
   * Starts on a cgroup that exists (a systemd unit's, or one the technician made): measures what
   * its processes use, and keeps the cgroup's own CPU settings to put back on release.
   */
  static async startOnCgroup(
    cgroup: string,
    recordFile: string,
    sampleMs = 1000,
  ): Promise<ProgramThrottle> {
    const method: ThrottleMethod | null = existsSync(join(cgroup, 'cpu.max'))
      ? 'cgroup-v2'
      : existsSync(join(cgroup, 'cpu.cfs_quota_us'))
        ? 'cgroup-v1'
        : null;
    if (!method)
      throw new P2VError(
        'BAD_ARGUMENT',
        `${cgroup} is not a cgroup with the cpu controller (no cpu.max or cpu.cfs_quota_us)`,
      );
    const members = async (): Promise<number[]> =>
      (await readFile(join(cgroup, 'cgroup.procs'), 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map(Number);
    const before = cpuSeconds(await members());
    await new Promise((resolve) => setTimeout(resolve, sampleMs));
    const used = (cpuSeconds(await members()) - before) / (sampleMs / 1000);
    const existing =
      method === 'cgroup-v2'
        ? { quota: (await readFile(join(cgroup, 'cpu.max'), 'utf8')).trim(), period: null }
        : {
            quota: (await readFile(join(cgroup, 'cpu.cfs_quota_us'), 'utf8')).trim(),
            period: (await readFile(join(cgroup, 'cpu.cfs_period_us'), 'utf8')).trim(),
          };
    const record: ThrottleRecord = { method, pid: 0, cgroup, moved: [], level: 0, existing };
    const throttle = new ProgramThrottle(record, recordFile);
    throttle.baselineCpus = Math.max(0.05, used);
    await throttle.save();
    return throttle;
  }

  /** Lets the program run `100 - level`% of the CPU it used before (0 lifts the limit). */
  async setLevel(level: number): Promise<void> {
    this.record.level = Math.max(0, Math.min(99, Math.round(level)));
    await this.save();
    const share = 1 - this.record.level / 100;
    if (this.record.method === 'signals') {
      this.runDutyCycle();
      return;
    }
    const cgroup = this.record.cgroup as string;
    const quota = Math.max(1000, Math.round(this.baselineCpus * share * PERIOD_US));
    if (this.record.method === 'cgroup-v2')
      await writeFile(
        join(cgroup, 'cpu.max'),
        this.record.level === 0 ? `max ${PERIOD_US}\n` : `${quota} ${PERIOD_US}\n`,
      );
    else {
      await writeFile(join(cgroup, 'cpu.cfs_period_us'), `${PERIOD_US}\n`);
      await writeFile(
        join(cgroup, 'cpu.cfs_quota_us'),
        this.record.level === 0 ? '-1\n' : `${quota}\n`,
      );
    }
  }

  /** Puts the program back as it was: full speed, in its own cgroups, running. */
  async release(): Promise<void> {
    if (this.duty) clearTimeout(this.duty);
    this.duty = null;
    await undo(this.record);
    await rm(this.recordFile, { force: true });
  }

  /** Undoes what a run that crashed left recorded in `recordFile`; resolves with what it was. */
  static async undoRecorded(recordFile: string): Promise<ThrottleRecord | null> {
    const text = await readFile(recordFile, 'utf8').catch(() => null);
    if (text === null) return null;
    const record = JSON.parse(text) as ThrottleRecord;
    await undo(record);
    await rm(recordFile, { force: true });
    return record;
  }

  private runDutyCycle(): void {
    if (this.duty) clearTimeout(this.duty);
    // The tree is read from /proc at most once a second, and only when stopping: continuing
    // sends to exactly the processes that were stopped (a stopped process forks nothing).
    let tree: number[] = [];
    let treeAt = 0;
    const signal = (name: 'SIGSTOP' | 'SIGCONT'): void => {
      if (name === 'SIGSTOP' && Date.now() - treeAt >= 1000) {
        tree = processTree(this.record.pid);
        treeAt = Date.now();
      }
      for (const pid of name === 'SIGCONT' && tree.length > 0 ? tree : processTree(this.record.pid))
        try {
          process.kill(pid, name);
        } catch {
          // gone
        }
    };
    const stoppedMs = (DUTY_PERIOD_MS * this.record.level) / 100;
    if (stoppedMs <= 0) {
      if (this.stopped) signal('SIGCONT');
      this.stopped = false;
      return;
    }
    const tick = (): void => {
      this.stopped = !this.stopped;
      signal(this.stopped ? 'SIGSTOP' : 'SIGCONT');
      this.duty = setTimeout(tick, this.stopped ? stoppedMs : DUTY_PERIOD_MS - stoppedMs);
      this.duty.unref();
    };
    tick();
  }

  private save(): Promise<void> {
    return writeFileDurably(this.recordFile, `${JSON.stringify(this.record)}\n`);
  }
}

/** Lifts every limit a record describes: SIGCONT, processes back where they were, cgroup gone. */
async function undo(record: ThrottleRecord): Promise<void> {
  if (record.existing && record.cgroup) {
    // Someone else's cgroup: only its CPU settings are put back as they were.
    if (record.method === 'cgroup-v2')
      await writeFile(join(record.cgroup, 'cpu.max'), `${record.existing.quota}\n`);
    else {
      if (record.existing.period)
        await writeFile(join(record.cgroup, 'cpu.cfs_period_us'), `${record.existing.period}\n`);
      await writeFile(join(record.cgroup, 'cpu.cfs_quota_us'), `${record.existing.quota}\n`);
    }
    return;
  }
  for (const pid of processTree(record.pid))
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
  if (!record.cgroup) return;
  const here = existsSync(join(record.cgroup, 'cgroup.procs'))
    ? (await readFile(join(record.cgroup, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean)
    : [];
  for (const pid of here.map(Number)) {
    const from = record.moved.find((m) => m.pid === pid)?.from ?? record.moved[0]?.from;
    if (from) await writeFile(from, `${pid}\n`).catch(() => undefined);
  }
  await rmdir(record.cgroup).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/** What auto-converge slows: a process tree (in a cgroup made for it), or an existing cgroup. */
export type ConvergeTarget =
  | { pid: number; method: ThrottleMethod }
  | { cgroup: string; /** How the technician named it: "unit app.service". */ named: string };

/** The target in a few words, for warnings and the report. */
export function describeTarget(target: ConvergeTarget): string {
  return 'pid' in target ? `process ${target.pid}` : `${target.named} (${target.cgroup})`;
}

/** Starts slowing `target` (see ProgramThrottle.start and startOnCgroup). */
export function startThrottle(
  target: ConvergeTarget,
  recordFile: string,
): Promise<ProgramThrottle> {
  return 'pid' in target
    ? ProgramThrottle.start(target.pid, target.method, recordFile)
    : ProgramThrottle.startOnCgroup(target.cgroup, recordFile);
}

/**
 * A systemd unit's cgroup with the cpu controller, as its `ControlGroup` property names it: under
 * the unified hierarchy where it has the cpu controller, else under cgroup v1's cpu hierarchy.
 */
export function unitCgroup(controlGroup: string): string {
  const v2 = cgroupRoots().find((r) => r.method === 'cgroup-v2');
  return join(v2?.root ?? '/sys/fs/cgroup/cpu', controlGroup);
}
