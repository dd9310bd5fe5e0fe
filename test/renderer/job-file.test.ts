import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobFileError, jobFileText, selectionFromJobFile } from '../../renderer/state/job-file.ts';
import { SelectionForm } from '../../renderer/state/selection-form.ts';

/** The catalog key (and values) a file is refused with. */
function refusal(text: string): { key: string; params: Record<string, string> } {
  try {
    selectionFromJobFile(text);
  } catch (error) {
    assert.ok(error instanceof JobFileError, String(error));
    return { key: error.key, params: error.params };
  }
  assert.fail('the file was taken');
}

const FORM: SelectionForm = {
  sources: '/srv\n/etc',
  excludes: '*.tmp',
  defaultExcludes: false,
  stopCommand: 'systemctl stop postgresql',
  rollbackCommand: 'systemctl start postgresql',
  flushCommand: 'psql -c CHECKPOINT',
  releaseCommand: 'ip addr del 192.0.2.10/24 dev ens192',
  downtimeSeconds: '5',
  vmBoot: 'grub-efi',
  vmMemoryMiB: '4096',
  vmCpus: '2',
  vmKeepSourceMac: true,
  vmBridge: 'br-lan',
  bandwidthMbit: '40',
  autoConverge: true,
  autoConvergePid: '4242',
};

describe('the saved settings file', () => {
  it('gives back every field of the form it was saved from', () => {
    assert.deepEqual(selectionFromJobFile(jobFileText(FORM)), FORM);
  });

  it('says why it refuses a file, and never names an empty setting', () => {
    const ours = JSON.parse(jobFileText(FORM)) as Record<string, unknown>;
    const text = (value: unknown) => JSON.stringify(value);
    assert.deepEqual(refusal('{'), { key: 'job.notJson', params: {} });
    assert.deepEqual(refusal('null'), { key: 'job.notAJob', params: {} });
    assert.deepEqual(refusal(text({ name: 'package' })), { key: 'job.notAJob', params: {} });
    assert.deepEqual(refusal(text({ ...ours, selection: undefined })), {
      key: 'job.notAJob',
      params: {},
    });
    assert.deepEqual(refusal(text({ ...ours, version: 2 })), {
      key: 'job.version',
      params: { version: '2' },
    });
    assert.deepEqual(refusal(text({ ...ours, selection: { ...FORM, vmCpus: 2 } })), {
      key: 'job.badField',
      params: { field: 'vmCpus' },
    });
  });
});
