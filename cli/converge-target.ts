import { execFileSync } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { P2VError } from '../shared/errors.ts';
import {
  throttleMethodHere,
  unitCgroup,
  type ConvergeTarget,
} from '../engine/converge/program-throttle.ts';
import { parseCount, parseThrottleMethod } from './parse-options.ts';

/**
 * What `--auto-converge` names: a process id (its tree goes into a cgroup of its own), a systemd
 * unit (`unit:postgresql.service`: its own cgroup is limited, nothing moved out of systemd's
 * sight), or a cgroup folder (`cgroup:/sys/fs/cgroup/...`).
 */
export function parseConvergeTarget(text: string, method: string): ConvergeTarget {
  if (text.startsWith('unit:')) {
    const unit = text.slice('unit:'.length);
    let controlGroup = '';
    try {
      controlGroup = execFileSync('systemctl', ['show', '-p', 'ControlGroup', '--value', unit], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }).trim();
    } catch (error) {
      throw new P2VError(
        'BAD_ARGUMENT',
        `systemctl cannot tell the cgroup of ${unit}: ${String(error)}`,
      );
    }
    if (!controlGroup) throw new P2VError('BAD_ARGUMENT', `${unit} has no cgroup: is it running?`);
    return { cgroup: unitCgroup(controlGroup), named: `unit ${unit}` };
  }
  if (text.startsWith('cgroup:')) {
    const cgroup = text.slice('cgroup:'.length);
    if (!isAbsolute(cgroup))
      throw new P2VError('BAD_ARGUMENT', `cgroup:${cgroup} must be an absolute folder`);
    return { cgroup, named: 'cgroup' };
  }
  return { pid: parseCount(text), method: throttleMethodHere(parseThrottleMethod(method)) };
}
