import './dom.ts';
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ReactElement } from 'react';
import { App } from '../../renderer/app.tsx';
import { setUpI18n, switchLanguage } from '../../renderer/i18n.ts';
import { createWizardStore, type WizardStore } from '../../renderer/state/store.ts';
import { ReconnectNotice } from '../../renderer/components/reconnect-notice.tsx';
import { CompatibilityStep } from '../../renderer/steps/compatibility-step.tsx';
import { CopyStep } from '../../renderer/steps/copy-step.tsx';
import { CutoverStep } from '../../renderer/steps/cutover-step.tsx';
import { DoneStep } from '../../renderer/steps/done-step.tsx';
import { MachineStep } from '../../renderer/steps/machine-step.tsx';
import { SelectionStep } from '../../renderer/steps/selection-step.tsx';
import { SummaryStep } from '../../renderer/steps/summary-step.tsx';
import { SyncStep } from '../../renderer/steps/sync-step.tsx';
import { TargetStep } from '../../renderer/steps/target-step.tsx';
import { VmStep } from '../../renderer/steps/vm-step.tsx';
import { StoreProvider } from '../../renderer/store-context.tsx';
import { STEPS } from '../../renderer/state/steps.ts';
import { en } from '../../shared/i18n/en.ts';
import { zhCN } from '../../shared/i18n/zh-CN.ts';
import { checkSummary, failWith, fakeApi, MACHINE, TARGET } from './fake-api.ts';

/**
 * For waitFor: passes once the element is gone. A failed assert.equal on a DOM node prints the
 * node, which under happy-dom took seconds each time waitFor tried (90 s for one test).
 */
function assertGone(element: Element | null, what: string): void {
  assert.ok(element === null, `${what} is still shown`);
}
import { dispatchApiCall } from '../../engine/bridge/api-dispatch.ts';
import { say } from '../../engine/i18n/say.ts';

function show(
  ui: ReactElement,
  fake = fakeApi(),
): { store: WizardStore; fake: ReturnType<typeof fakeApi> } {
  const store = createWizardStore(fake.api);
  fake.api.onEvent((event) => store.getState().applyEvent(event));
  render(
    <StoreProvider store={store} api={fake.api}>
      {ui}
    </StoreProvider>,
  );
  return { store, fake };
}

const button = (name: string | RegExp) => screen.getByRole('button', { name });

/** What to move and the Summary after it, for a target at h:1 and the machine inspected, with `folders` typed. */
function showWhatToMove(folders: string) {
  const shown = show(
    <>
      <SelectionStep />
      <SummaryStep />
    </>,
  );
  shown.store.getState().setTargetForm({ host: 'h', port: '1', token: 't', fingerprint: 'AB' });
  shown.store.setState({ machine: MACHINE, targetInfo: TARGET });
  fireEvent.change(screen.getByLabelText(/Folders to move/), { target: { value: folders } });
  return shown;
}

describe('the wizard’s steps', () => {
  before(() => setUpI18n('en'));
  afterEach(() => {
    cleanup();
    switchLanguage('en');
  });

  it('Machine: shows the inspection; Next waits for it; an error offers a retry', async () => {
    show(<MachineStep />);
    await screen.findByText('Debian GNU/Linux 12 (bookworm)');
    assert.ok(screen.getByText('/ (ext4): 40.0 GiB used of 200.0 GiB'));
    assert.equal((button('Next') as HTMLButtonElement).disabled, false);
    cleanup();
    const failing = fakeApi({
      inspect: failWith({ code: 'PARSE_FAILED', message: 'x', detail: 'lsblk line 3' }),
    });
    show(<MachineStep />, failing);
    const alert = await screen.findByRole('alert');
    assert.match(alert.textContent ?? '', /cannot read.*lsblk line 3/);
    assert.equal((button('Next') as HTMLButtonElement).disabled, true);
    fireEvent.click(button('Try again'));
    await waitFor(() =>
      assert.equal(failing.calls.filter((c) => c.method === 'inspect').length, 2),
    );
  });

  it('Target: test connection, then Next only once the fingerprint is confirmed', async () => {
    const { fake } = show(<TargetStep />);
    fireEvent.change(screen.getByLabelText('Agent address'), { target: { value: '127.0.0.1' } });
    fireEvent.change(screen.getByLabelText('Pairing token'), { target: { value: 'tok' } });
    fireEvent.change(screen.getByLabelText('Certificate fingerprint (SHA-256)'), {
      target: { value: 'AB:CD' },
    });
    fireEvent.click(button('Test connection'));
    await screen.findByText(/Connected to vm01/);
    assert.deepEqual(fake.calls.find((c) => c.method === 'connectTarget')?.arg, {
      host: '127.0.0.1',
      port: 7070,
      token: 'tok',
      fingerprint: 'AB:CD',
    });
    assert.equal((button('Next') as HTMLButtonElement).disabled, true);
    fireEvent.click(screen.getByLabelText(/I compared this fingerprint/));
    assert.equal((button('Next') as HTMLButtonElement).disabled, false);
  });

  it('Compatibility: profiles, the plan, pre-flight; a blocker stops here', async () => {
    const { store } = show(<CompatibilityStep />);
    store.getState().setTargetForm({ host: 'h', port: '1', token: 't', fingerprint: 'AB' });
    await screen.findByRole('option', { name: 'KVM / QEMU with virtio devices' });
    fireEvent.click(button('Check'));
    await screen.findByText('Nothing blocks this migration.');
    assert.ok(screen.getByText('rebuild initramfs'));
    assert.ok(screen.getByText(/Enough space on the target/));
    assert.equal((button('Next') as HTMLButtonElement).disabled, false);
    cleanup();
    const blocked = fakeApi({ check: () => Promise.resolve(checkSummary(true)) });
    const second = show(<CompatibilityStep />, blocked);
    second.store.getState().setTargetForm({ host: 'h', port: '1', token: 't', fingerprint: 'AB' });
    fireEvent.click(button('Check'));
    const alert = await screen.findByRole('alert');
    assert.match(alert.textContent ?? '', /Blocked.*The source runs Linux but the VM runs Windows/);
    assert.equal((button('Next') as HTMLButtonElement).disabled, true);
  });

  it('What to move: measure, pick the service to stop, start', async () => {
    const { store, fake } = showWhatToMove('/srv');
    fireEvent.click(button('Measure'));
    await screen.findByText('Selected: 5.00 GiB; free on the target: 100.0 GiB');
    assert.match(
      screen.getByTestId('no-stop-command').textContent ?? '',
      /No program will be stopped\..*the migration fails instead of handing over/,
      'a missing stop command is explained before the copy',
    );
    fireEvent.change(screen.getByLabelText('Pick a running service'), {
      target: { value: 'postgresql.service' },
    });
    assert.equal(
      (screen.getByLabelText('Program to stop at cutover') as HTMLInputElement).value,
      "systemctl stop 'postgresql.service'",
    );
    assert.equal(
      (screen.getByLabelText(/starts it again/) as HTMLInputElement).value,
      "systemctl start 'postgresql.service'",
    );
    assert.equal(screen.getByTestId('start-command').textContent, 'systemctl start postgresql');
    assert.equal(screen.queryByTestId('no-stop-command'), null);
    assert.match(
      screen.getByTestId('selected-bytes').textContent ?? '',
      /5\.00 GiB/,
      'picking the program to stop keeps the measured size',
    );
    fireEvent.click(button('Review and start…'));
    assert.equal(store.getState().step, 'summary', 'nothing starts before the summary');
    assert.ok(!fake.calls.some((c) => c.method === 'startMigration'));
    fireEvent.click(button('Start migration'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'startMigration')));
    assert.equal(store.getState().step, 'copy');
  });

  it('What to move: a folder that is not there or cannot be read is named, not measured as 0 B', async () => {
    const fake = fakeApi({
      measureSelection: async () => ({
        bytes: 0,
        unreadable: [
          { path: '/srv/typo', code: 'ENOENT' },
          { path: '/root/secret', code: 'EACCES' },
        ],
        unreadableCount: 2,
      }),
    });
    const { store } = show(<SelectionStep />, fake);
    store.setState({ machine: MACHINE, targetInfo: TARGET });
    fireEvent.change(screen.getByLabelText(/Folders to move/), {
      target: { value: '/srv/typo\n/root/secret' },
    });
    fireEvent.click(button('Measure'));
    const alert = await screen.findByTestId('unreadable');
    assert.match(alert.textContent ?? '', /Cannot be read, so not copied \(2 in all\)/);
    assert.match(alert.textContent ?? '', /\/srv\/typo: no such file or folder/);
    assert.match(alert.textContent ?? '', /\/root\/secret: permission denied/);
  });

  it('What to move: the volumes found, with their use, are check boxes of the folder list, and say what they need', async () => {
    const { store } = show(<SelectionStep />);
    const srv = {
      device: '/dev/sdb1',
      mountpoint: '/srv',
      fsType: 'xfs',
      sizeBytes: 500 * 1024 ** 3,
      usedBytes: 80 * 1024 ** 3,
      availableBytes: 420 * 1024 ** 3,
    };
    store.setState({
      machine: { ...MACHINE, volumes: [...MACHINE.volumes, srv] },
      targetInfo: TARGET,
    });
    const folders = () => (screen.getByLabelText(/Folders to move/) as HTMLTextAreaElement).value;
    const box = (name: RegExp) => screen.getByRole('checkbox', { name }) as HTMLInputElement;
    // The inspection's volumes, each with its use.
    await screen.findByRole('checkbox', { name: /^\/srv xfs, 80\.0 GiB used of 500\.0 GiB$/ });
    assert.equal(folders(), '/', 'the whole root by default');
    assert.equal(box(/^\/ ext4/).checked, true);
    assert.equal(
      screen.getByTestId('volumes-need').textContent,
      'The checked volumes (1) hold 40.0 GiB; free on the target: 100.0 GiB. Measure gives the exact size, without what is left out.',
    );
    fireEvent.click(box(/^\/srv /));
    assert.equal(folders(), '/\n/srv');
    assert.equal(
      screen.getByTestId('volumes-need').textContent,
      'The checked volumes (2) hold 120.0 GiB; free on the target: 100.0 GiB. Measure gives the exact size, without what is left out.',
    );
    assert.match(screen.getByTestId('volumes-need').className, /bad/, 'more than the target holds');
    // Typed by hand, with a target path: the box follows the list.
    fireEvent.change(screen.getByLabelText(/Folders to move/), { target: { value: '/srv:/data' } });
    assert.equal(box(/^\/srv /).checked, true);
    assert.equal(box(/^\/ ext4/).checked, false);
    assert.doesNotMatch(screen.getByTestId('volumes-need').className, /bad/);
    fireEvent.click(box(/^\/srv /));
    assert.equal(folders(), '', 'unchecked: its line, target path and all, is gone');
    assert.equal(screen.queryByTestId('volumes-need'), null, 'nothing checked, nothing said');
    fireEvent.click(box(/^\/ ext4/));
    assert.equal(folders(), '/');
    switchLanguage('zh-CN');
    await screen.findByText('本机的卷（每个卷单独迁移：文件夹列表不会跨入另一个卷）');
    assert.equal(
      screen.getByTestId('volumes-need').textContent,
      `已勾选的 1 个卷共占用 40.0 GiB；目标端可用 100.0 GiB。点击“计算大小”可得到不含排除项的准确大小。`,
    );
  });

  it('What to move: a volume’s top folders with their sizes; unchecking one leaves it out', async () => {
    const { store, fake } = show(<SelectionStep />);
    store.setState({ machine: MACHINE, targetInfo: TARGET });
    const excludes = () =>
      (screen.getByLabelText(/Leave out \(globs/) as HTMLTextAreaElement).value;
    fireEvent.click(
      await screen.findByRole('button', { name: 'Top folders of / and their sizes' }),
    );
    const list = await screen.findByTestId('folder-list');
    assert.deepEqual(
      fake.calls.find((c) => c.method === 'measureFolders')?.arg,
      { path: '/', excludes: [], useDefaultExcludes: true },
      'measured with the exclusions as they stand',
    );
    assert.match(list.textContent ?? '', /\/var 30\.0 GiB/);
    assert.match(list.textContent ?? '', /\/home 8\.00 GiB \(2 entries could not be read\)/);
    assert.match(list.textContent ?? '', /\/tmp left out by the exclusions/);
    assert.match(list.textContent ?? '', /\/boot another volume is mounted here/);
    const varBox = screen.getByRole('checkbox', { name: /^\/var 30\.0 GiB/ }) as HTMLInputElement;
    assert.equal(varBox.checked, true);
    fireEvent.click(varBox);
    assert.equal(excludes(), '/var', 'left out: in the exclusions');
    assert.equal(varBox.checked, false);
    fireEvent.change(screen.getByLabelText(/Leave out \(globs/), {
      target: { value: '/srv\n/var/**' },
    });
    assert.equal(varBox.checked, false, 'typed as a glob of the whole folder: still left out');
    fireEvent.click(varBox);
    assert.equal(excludes(), '/srv', 'checked again: its line is gone, the others kept');
  });

  it('Copy: progress with rate and ETA; pause, then resume', async () => {
    const { fake, store } = show(<CopyStep />);
    fake.emit({ type: 'stage', stage: 'running' });
    fake.emit({ type: 'phase', phase: 'copy', at: '' });
    fake.emit({
      type: 'progress',
      phase: 'copy',
      value: 0.25,
      bytesDone: 256 * 1024 ** 2,
      bytesTotal: 1024 ** 3,
      filesDone: 10,
      filesTotal: 40,
      bytesPerSecond: 100 * 1024 ** 2,
      etaSeconds: 8,
      currentFile: '/srv/db/base/16384',
    });
    await screen.findByText('256.0 MiB of 1.00 GiB');
    assert.equal(screen.getByRole('progressbar').getAttribute('aria-valuenow'), '25');
    assert.ok(screen.getByText(/about 8.0 s left/));
    assert.ok(screen.getByText('Now: /srv/db/base/16384'));
    assert.deepEqual(
      [...document.querySelectorAll('dl.facts dt')].map((dt) => dt.textContent),
      ['Copied', 'Files', 'Speed'],
      'each figure says what it is',
    );
    fireEvent.click(button('Pause'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'pauseMigration')));
    fake.emit({ type: 'stage', stage: 'paused' });
    await screen.findByText(/Paused/);
    fireEvent.click(button('Resume'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'resumeMigration')));
    assert.equal(store.getState().step, 'copy', 'the store followed the running migration');
  });

  it('What to move: the VM option, its MAC question, its bridge, the release command and the bandwidth limit go into the request', async () => {
    const { fake } = showWhatToMove('/');
    fireEvent.change(screen.getByLabelText(/gives up this machine’s address/), {
      target: { value: 'ip addr del 192.0.2.10/24 dev ens192' },
    });
    assert.equal(screen.queryByLabelText(/source card’s MAC/), null, 'asked only for a VM');
    fireEvent.change(screen.getByLabelText('After the copy'), { target: { value: 'direct' } });
    fireEvent.change(screen.getByLabelText('VM memory (MiB)'), { target: { value: '4096' } });
    fireEvent.click(screen.getByLabelText(/source card’s MAC/));
    const bandwidth = screen.getByLabelText(/Bandwidth limit/);
    const start = button('Review and start…') as HTMLButtonElement;
    fireEvent.change(bandwidth, { target: { value: 'fast' } });
    assert.equal(bandwidth.getAttribute('aria-invalid'), 'true');
    assert.equal(start.disabled, true, 'no start with a limit that is not one');
    fireEvent.change(bandwidth, { target: { value: '40' } });
    const bridge = screen.getByLabelText(/Bridge to the source’s network/);
    fireEvent.change(bridge, { target: { value: 'br0; reboot' } });
    assert.equal(bridge.getAttribute('aria-invalid'), 'true');
    assert.equal(start.disabled, true, 'no start with a bridge that cannot be an interface');
    fireEvent.change(bridge, { target: { value: ' br-lan ' } });
    assert.equal(start.disabled, false);
    fireEvent.click(start);
    const summary = screen.getByTestId('summary').textContent ?? '';
    assert.match(summary, /Sending at most 40 Mbit\/s/);
    assert.match(
      summary,
      /4096 MiB, 2 CPU\(s\); the source card’s MAC; its card on the bridge br-lan from the handover/,
    );
    assert.match(
      summary,
      /Run here once the target runs itip addr del 192\.0\.2\.10\/24 dev ens192/,
    );
    const looks = Object.fromEntries(
      [...screen.getByTestId('summary').querySelectorAll('tr')].map((row) => [
        row.querySelector('th')?.textContent,
        row.querySelector('td')?.className,
      ]),
    );
    assert.equal(looks['Run here once the target runs it'], 'mono', 'a command reads as one');
    assert.equal(looks['Stopped at cutover'], 'mono');
    assert.equal(looks['Downtime target'], '', 'the others do not');
    fireEvent.click(button('Start migration'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'startMigration')));
    const request = fake.calls.find((c) => c.method === 'startMigration')?.arg as {
      vm: unknown;
      bandwidthLimitMbit: unknown;
      releaseCommand: unknown;
    };
    assert.equal(request.releaseCommand, 'ip addr del 192.0.2.10/24 dev ens192');
    assert.deepEqual(request.vm, {
      boot: 'direct',
      memoryMiB: 4096,
      cpus: 2,
      keepSourceMac: true,
      bridge: 'br-lan',
    });
    assert.equal(request.bandwidthLimitMbit, 40);
  });

  it('What to move: settings saved to a file open again; a file that is not one changes nothing and says why', async () => {
    const { store } = showWhatToMove('/srv\n/etc');
    fireEvent.change(screen.getByLabelText(/Program to stop at cutover/), {
      target: { value: 'systemctl stop postgresql' },
    });
    fireEvent.change(screen.getByLabelText('After the copy'), { target: { value: 'grub-efi' } });
    const saved: Blob[] = [];
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = (blob: Blob) => {
      saved.push(blob);
      return 'blob:job';
    };
    try {
      fireEvent.click(button('Save these settings…'));
    } finally {
      URL.createObjectURL = createObjectURL;
    }
    assert.equal(saved.length, 1, 'one file handed to the browser');
    const text = await (saved[0] as Blob).text();
    assert.doesNotMatch(text, /"token"/, 'the agent’s token stays out of the file');
    store.getState().setSelection({ sources: '/', stopCommand: '', vmBoot: 'none' });
    const input = screen.getByTestId('job-file');
    fireEvent.change(input, { target: { files: [new File([text], 'job.json')] } });
    await screen.findByText(/Settings opened from job.json/);
    assert.equal(store.getState().selection.sources, '/srv\n/etc');
    assert.equal(store.getState().selection.stopCommand, 'systemctl stop postgresql');
    assert.equal(store.getState().selection.vmBoot, 'grub-efi');
    const before = store.getState().selection;
    const broken = JSON.stringify({ ...JSON.parse(text), selection: { vmBoot: 'floppy' } });
    fireEvent.change(input, { target: { files: [new File([broken], 'odd.json')] } });
    const alert = await screen.findByRole('alert');
    assert.match(
      alert.textContent ?? '',
      /odd.json cannot be opened, nothing was changed: the setting “vmBoot”/,
    );
    fireEvent.change(input, { target: { files: [new File(['#!/bin/sh'], 'run.sh')] } });
    await screen.findByText(/run.sh cannot be opened, nothing was changed: it is not JSON/);
    assert.deepEqual(store.getState().selection, before, 'a bad file changed nothing');
  });

  it('What to move: auto-converge is off until asked, says its risk, and needs the process', async () => {
    const { fake } = showWhatToMove('/');
    assert.ok(screen.getByText(/answers more slowly/), 'the risk in one sentence');
    fireEvent.click(screen.getByLabelText(/auto-converge/));
    const start = button('Review and start…') as HTMLButtonElement;
    assert.equal(start.disabled, true, 'not without the process to slow');
    fireEvent.change(screen.getByLabelText(/Process ID/), { target: { value: '4242' } });
    fireEvent.click(start);
    fireEvent.click(button('Start migration'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'startMigration')));
    const request = fake.calls.find((c) => c.method === 'startMigration')?.arg as {
      autoConvergePid: unknown;
    };
    assert.equal(request.autoConvergePid, 4242);
  });

  it('Copy and Sync: Cancel asks first, and a cancelled migration offers a way on', async () => {
    const { fake, store } = show(<SyncStep />);
    store.setState({ running: { sources: ['/'] } as never, step: 'sync' });
    fake.emit({ type: 'stage', stage: 'running' });
    fireEvent.click(await screen.findByRole('button', { name: 'Cancel' }));
    assert.match(screen.getByRole('alertdialog').textContent ?? '', /stays on the target/);
    fireEvent.click(button('Keep going'));
    assert.ok(!fake.calls.some((c) => c.method === 'cancelMigration'), 'nothing cancelled');
    fireEvent.click(button('Cancel'));
    fireEvent.click(button('Cancel the migration'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'cancelMigration')));
    fake.emit({ type: 'stage', stage: 'cancelled' });
    await screen.findByText('Cancelled. Nothing was handed over.');
    fireEvent.click(button('Resume'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'resumeMigration')));
    fireEvent.click(button('Start a new migration'));
    assert.equal(store.getState().step, 'selection', 'back to What to move');
    assert.equal(store.getState().running, null);
  });

  it('Copy and Sync: the bandwidth limit changes while the migration runs', async () => {
    const { fake, store } = show(<CopyStep />);
    store.setState({ running: { bandwidthLimitMbit: 40 } as never });
    fake.emit({ type: 'stage', stage: 'running' });
    await screen.findByText('Sending at most 40 Mbit/s.');
    const field = screen.getByLabelText(/Bandwidth limit/);
    fireEvent.change(field, { target: { value: '' } });
    fireEvent.click(button('Apply limit'));
    await waitFor(() =>
      assert.ok(fake.calls.some((c) => c.method === 'setBandwidthLimit' && c.arg === null)),
    );
    await screen.findByText('No bandwidth limit.');
  });

  it('What to move: a number the API would refuse is said under its field, and Start waits for it', async () => {
    const fake = fakeApi();
    const { store } = show(
      <>
        <SelectionStep />
        <SummaryStep />
      </>,
      fake,
    );
    store.getState().setTargetForm({
      host: '127.0.0.1',
      port: '7000',
      token: 'token',
      fingerprint: Array(32).fill('AB').join(':'),
    });
    store.setState({ machine: MACHINE, targetInfo: TARGET });
    fireEvent.change(screen.getByLabelText(/Folders to move/), { target: { value: '/' } });
    fireEvent.change(screen.getByLabelText('After the copy'), { target: { value: 'direct' } });
    const downtime = screen.getByLabelText(/Downtime target/);
    const start = button('Review and start…') as HTMLButtonElement;
    assert.equal(start.disabled, false);
    // Blank used to become a 0 s target, and text a silent 5 s.
    for (const typed of ['', 'soon', '-1', '7200']) {
      fireEvent.change(downtime, { target: { value: typed } });
      assert.equal(downtime.getAttribute('aria-invalid'), 'true', `"${typed}" is refused`);
      assert.ok(screen.getByText('Enter a number from 0 to 3600.'));
      assert.equal(start.disabled, true, `no start with "${typed}"`);
    }
    fireEvent.change(downtime, { target: { value: '7.5' } });
    fireEvent.change(screen.getByLabelText(/VM memory/), { target: { value: 'lots' } });
    assert.ok(screen.getByText('Enter a whole number from 256 to 4194304.'));
    assert.equal(start.disabled, true);
    fireEvent.change(screen.getByLabelText(/VM memory/), { target: { value: '1024' } });
    fireEvent.change(screen.getByLabelText(/VM CPUs/), { target: { value: '1.5' } });
    assert.equal(start.disabled, true, 'half a CPU is refused');
    fireEvent.change(screen.getByLabelText(/VM CPUs/), { target: { value: '1' } });
    assert.equal(screen.queryByRole('alert'), null);
    fireEvent.click(start);
    fireEvent.click(button('Start migration'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'startMigration')));
    const request = fake.calls.find((c) => c.method === 'startMigration')?.arg as {
      downtimeTargetSeconds: number;
      vm: unknown;
    };
    assert.equal(request.downtimeTargetSeconds, 7.5, 'sent as typed');
    assert.deepEqual(request.vm, {
      boot: 'direct',
      memoryMiB: 1024,
      cpus: 1,
      keepSourceMac: false,
    });
    // Behind the form, the engine's side of the bridge refuses the same, naming the field.
    await assert.rejects(
      dispatchApiCall(fake as never, 'startMigration', { ...request, downtimeTargetSeconds: NaN }),
      { code: 'BAD_ARGUMENT', message: /startMigration: downtimeTargetSeconds/ },
    );
  });

  it('VM: the build, the console as it boots, and Next once the agent inside answers', async () => {
    const { fake, store } = show(<VmStep />);
    store.setState({ running: { vm: { boot: 'direct', memoryMiB: 1024, cpus: 1 } } as never });
    fake.emit({ type: 'stage', stage: 'running' });
    fake.emit({ type: 'phase', phase: 'vm', at: '' });
    fake.emit({ type: 'vm', progress: { step: 'build', line: 'Image ready: /vm/disk.qcow2' } });
    fake.emit({ type: 'vm', progress: { step: 'boot', line: '[    1.0] Linux version 6.1' } });
    fake.emit({
      type: 'vm',
      progress: { step: 'boot', line: 'P2V agent listening on 0.0.0.0:7443' },
    });
    await screen.findByText(/Image ready/);
    assert.equal(store.getState().step, 'vm', 'the wizard shows the VM step while it builds');
    assert.match(
      screen.getByRole('log').textContent ?? '',
      /Linux version 6\.1\nP2V agent listening/,
    );
    assert.equal(
      (button('Next') as HTMLButtonElement).disabled,
      true,
      'not before the agent answers',
    );
    fake.emit({
      type: 'vm',
      progress: { step: 'agent', line: 'The agent inside the VM answered' },
    });
    fake.emit({
      type: 'vm',
      progress: { step: 'check', line: 'Reading the VM’s files against what was sent' },
    });
    fake.emit({
      type: 'progress',
      phase: 'vm-check',
      value: 0.5,
      bytesDone: 50,
      bytesTotal: 100,
      filesDone: 2,
      filesTotal: 4,
      bytesPerSecond: 10,
      etaSeconds: 5,
      currentFile: 'etc/hosts',
    });
    await screen.findByText(/2 of 4 files read \(etc\/hosts\)/);
    assert.equal(
      screen.getByRole('progressbar').getAttribute('aria-valuenow'),
      String(Math.round(((3 + 0.5) / 4) * 100)),
      'the check fills the last of the four stages',
    );
    assert.equal((button('Next') as HTMLButtonElement).disabled, true, 'not while it checks');
    fake.emit({ type: 'phase', phase: 'rounds', at: '' });
    await screen.findByText(/the rounds now go into the VM/);
    assert.equal(store.getState().step, 'sync', 'the wizard follows the migration on to Sync');
  });

  it('VM: the engine’s lines in the wizard’s language, the VM’s own console as it came', async () => {
    const { fake } = show(<VmStep />);
    switchLanguage('zh-CN');
    try {
      fake.emit({ type: 'stage', stage: 'running' });
      fake.emit({ type: 'phase', phase: 'vm', at: '' });
      const imageReady = say('vm.lines.imageReady', {
        path: '/vm/disk.qcow2',
        format: 'qcow2',
        hash: '0123',
      });
      fake.emit({
        type: 'vm',
        progress: { step: 'build', line: imageReady.text, said: imageReady.message },
      });
      fake.emit({ type: 'vm', progress: { step: 'boot', line: 'Welcome to Debian GNU/Linux 12' } });
      await screen.findByText(/映像已就绪：\/vm\/disk\.qcow2（qcow2，XXH3-128 0123）/);
      assert.equal(screen.queryByText(/Image ready/), null);
      assert.match(screen.getByRole('log').textContent ?? '', /Welcome to Debian GNU\/Linux 12/);
    } finally {
      switchLanguage('en');
    }
  });

  it('says while the engine reconnects to the agent, and why, until it hears from it again', async () => {
    const { fake } = show(
      <>
        <ReconnectNotice />
        <CopyStep />
      </>,
    );
    fake.emit({ type: 'stage', stage: 'running' });
    fake.emit({ type: 'phase', phase: 'copy', at: '' });
    assert.equal(screen.queryByText(/Reconnecting/), null);
    fake.emit({
      type: 'reconnect',
      attempt: 2,
      reason:
        'The connection to the agent was lost. (nothing came from the agent at 10.0.0.9:7000 for 60 s)',
      error: {
        code: 'CONNECTION_LOST',
        message: 'The connection to the agent was lost.',
        detail: 'nothing came from the agent at 10.0.0.9:7000 for 60 s',
      },
    });
    const notice = await screen.findByRole('status');
    assert.match(notice.textContent ?? '', /Reconnecting, attempt 2/);
    assert.match(
      notice.textContent ?? '',
      /nothing came from the agent at 10\.0\.0\.9:7000 for 60 s/,
    );
    fake.emit({ type: 'warning', message: 'Not copied: x' });
    assert.ok(screen.getByRole('status'), 'a warning is not the agent answering');
    fake.emit({
      type: 'progress',
      phase: 'copy',
      value: 0.5,
      bytesDone: 1,
      bytesTotal: 2,
      filesDone: 1,
      filesTotal: 2,
      bytesPerSecond: 1,
      etaSeconds: 1,
      currentFile: 'a',
    });
    await waitFor(() => assertGone(screen.queryByText(/Reconnecting/), 'the notice'));
  });

  it('Sync: one bar per round, the prediction, and Cutover lit once converged', async () => {
    const { fake, store } = show(<SyncStep />);
    fake.emit({ type: 'stage', stage: 'running' });
    for (const [n, bytes] of [
      [1, 4e6],
      [2, 5e5],
      [3, 4e4],
    ] as const)
      fake.emit({
        type: 'round',
        summary: {
          round: n,
          startedAt: '',
          durationMs: 10,
          dirtyFiles: 1,
          scannedBytes: bytes,
          dirtyBytes: bytes,
          wireBytes: bytes,
          deleted: 0,
          final: false,
          ...(n === 3 ? { throttle: 30 } : {}),
        },
      });
    await waitFor(() => assert.equal(document.querySelectorAll('.chart rect').length, 3));
    assert.ok(screen.getByText('−30%'), 'a round the program was slowed in says by how much');
    fake.emit({
      type: 'progress',
      phase: 'rounds',
      value: 0.5,
      bytesDone: 1024 ** 2,
      bytesTotal: 2 * 1024 ** 2,
      filesDone: 1,
      filesTotal: 2,
      bytesPerSecond: 512 * 1024,
      etaSeconds: 2,
      currentFile: 'var/lib/db',
    });
    await screen.findByText('This round');
    assert.ok(
      screen.getByText(/512.0 KiB\/s · about 2.0 s left/),
      'rate and time left of the round',
    );
    assert.ok(!button('Cut over…').className.includes('lit'));
    fake.emit({ type: 'stage', stage: 'awaiting-cutover' });
    fake.emit({
      type: 'awaiting-cutover',
      decision: {
        converged: true,
        reason: 'downtime-target',
        predictedDowntimeMs: 1500,
        pendingFiles: 1,
      },
    });
    await screen.findByText(
      'The rounds converged (within the downtime target): ready to cut over.',
    );
    assert.ok(screen.getByText('Predicted downtime: 1.5 s'));
    assert.ok(button('Cut over…').className.includes('lit'));
    fireEvent.click(button('Cut over…'));
    assert.equal(store.getState().step, 'cutover');
  });

  it('Cutover: waits while an extra round runs, and is offered again when the engine asks', async () => {
    const { fake } = show(<CutoverStep />);
    const decision = {
      converged: true,
      reason: 'threshold',
      predictedDowntimeMs: 800,
      pendingFiles: 1,
    } as const;
    fake.emit({ type: 'stage', stage: 'awaiting-cutover' });
    fake.emit({ type: 'awaiting-cutover', decision });
    await screen.findByRole('alertdialog');
    assert.equal((button('Stop and cut over') as HTMLButtonElement).disabled, false);
    // Nobody confirmed in time: the engine syncs once more.
    fake.emit({ type: 'extra-round' });
    await screen.findByTestId('extra-round');
    assert.equal((button('Stop and cut over') as HTMLButtonElement).disabled, true);
    fake.emit({ type: 'awaiting-cutover', decision });
    await waitFor(() => assertGone(screen.queryByTestId('extra-round'), 'the extra round'));
    assert.equal((button('Stop and cut over') as HTMLButtonElement).disabled, false);
  });

  it('Cutover: names what will be stopped and the predicted downtime; confirming starts it', async () => {
    const { fake, store } = show(<CutoverStep />);
    store.setState({
      running: {
        target: { host: 'h', port: 1, token: 't', fingerprint: 'AB' },
        sources: ['/'],
        excludes: [],
        useDefaultExcludes: true,
        stopCommand: 'systemctl stop postgresql',
        rollbackCommand: null,
        downtimeTargetSeconds: 5,
        thresholdBytes: 1,
        maxRounds: 10,
      },
    });
    fake.emit({ type: 'stage', stage: 'awaiting-cutover' });
    fake.emit({
      type: 'awaiting-cutover',
      decision: { converged: true, reason: 'threshold', predictedDowntimeMs: 800, pendingFiles: 1 },
    });
    const dialog = await screen.findByRole('alertdialog');
    assert.match(dialog.textContent ?? '', /This runs on this machine: systemctl stop postgresql/);
    assert.match(dialog.textContent ?? '', /Predicted downtime: 800 ms/);
    fireEvent.click(button('Stop and cut over'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'cutOver')));
    fake.emit({ type: 'stage', stage: 'cutting-over' });
    fake.emit({
      type: 'cutover',
      step: 'confirmed',
      at: '2026-11-25T09:59:59Z',
      detail: 'predicted downtime 800 ms',
      said: { key: 'timelineDetail.predicted', params: { ms: 800 } },
    });
    fake.emit({ type: 'cutover', step: 'stopped', at: '2026-11-25T10:00:00Z' });
    await screen.findByText(/Program stopped/);
    await screen.findByText('Cutover confirmed: predicted downtime 800 ms');
    assert.equal(screen.queryByRole('alertdialog'), null);
    // A stop command that hangs, or second thoughts: until the target is asked to take over,
    // the cutover can be aborted, and the program starts here again.
    fireEvent.click(button(/Abort the cutover/));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'cancelMigration')));
    fake.emit({ type: 'cutover', step: 'stop-request', at: '2026-11-25T10:00:05Z' });
    await waitFor(() => assertGone(screen.queryByRole('button', { name: /Abort/ }), 'Abort'));
    switchLanguage('zh-CN');
    await screen.findByText('已确认切换：预测停机时间 800 毫秒');
  });

  it('Done: the result, and the report exported; a failed export says why', async () => {
    const fake = fakeApi({
      exportReport: failWith({ code: 'IO_ERROR', message: 'x', detail: 'no Chromium found' }),
    });
    show(<DoneStep />, fake);
    fake.emit({ type: 'done', ok: true, downtimeMs: 2300, reportDir: '/tmp/r' });
    fake.emit({ type: 'stage', stage: 'done' });
    await screen.findByText('The migration completed and the target took over.');
    assert.ok(screen.getByText('Measured downtime: 2.3 s'));
    fireEvent.click(button('PDF'));
    const alert = await screen.findByRole('alert');
    assert.match(alert.textContent ?? '', /could not be read or written.*no Chromium found/);
    cleanup();
    const working = fakeApi();
    show(<DoneStep />, working);
    fireEvent.click(button('HTML'));
    await screen.findByText('Saved: /tmp/report/report.html');
    assert.equal(
      screen.getByRole('link', { name: 'Download it' }).getAttribute('href'),
      '/download/report.html',
      'in browser mode the browser gets the file too',
    );
    assert.deepEqual(working.calls.find((c) => c.method === 'exportReport')?.arg, {
      format: 'html',
      language: 'en',
    });
  });

  it('Sync and Done: paths that are not copied are said, and the end is not a plain green', async () => {
    const { fake } = show(<SyncStep />);
    fake.emit({ type: 'stage', stage: 'running' });
    for (const path of ['etc/shadow', 'etc/shadow', 'run/app.sock'])
      fake.emit({
        type: 'warning',
        message: `${path} is not copied`,
        path,
        said: { key: 'warnings.skipped', params: { path, reason: 'EACCES', detail: '' } },
      });
    const notice = await screen.findByTestId('not-copied');
    assert.match(notice.textContent ?? '', /2 path\(s\) cannot be copied/);
    assert.match(notice.textContent ?? '', /etc\/shadow.*run\/app\.sock/);
    cleanup();
    const done = fakeApi({
      getSession: () =>
        Promise.resolve({
          stage: 'done',
          request: null,
          events: [],
          error: null,
          report: {
            notCopied: { count: 1, paths: [{ path: 'etc/shadow', reason: 'EACCES' }] },
          },
        }),
    });
    show(<DoneStep />, done);
    done.emit({ type: 'done', ok: true, downtimeMs: 2300, reportDir: '/tmp/r' });
    done.emit({ type: 'stage', stage: 'done' });
    const result = await screen.findByText(/but 1 path\(s\) were not copied/);
    assert.equal(result.className, 'warn', 'amber, not green');
    assert.ok(screen.getByText('etc/shadow (permission denied)'));
  });

  it('Done after a failed verification: how many differed, which, why, and a way on', async () => {
    const fake = fakeApi({
      getSession: () =>
        Promise.resolve({
          stage: 'failed',
          request: null,
          events: [],
          error: null,
          report: {
            verification: {
              mode: 'cached',
              files: 40,
              mismatches: ['var/lib/app/app.db', 'var/log/app.log'],
              ok: false,
              durationMs: 10,
            },
          },
        }),
    });
    const { store } = show(<DoneStep />, fake);
    fake.emit({ type: 'stage', stage: 'failed' });
    const why = await screen.findByTestId('verify-failed');
    assert.match(why.textContent ?? '', /2 file\(s\) on the target differed/);
    assert.match(why.textContent ?? '', /var\/lib\/app\/app\.db/);
    fireEvent.click(button('Resume'));
    await waitFor(() => assert.ok(fake.calls.some((c) => c.method === 'resumeMigration')));
    fireEvent.click(button('Start a new migration'));
    assert.equal(store.getState().step, 'selection');
  });

  it('the log: every step reaches it, it filters, and it copies what it shows', async () => {
    const { fake } = show(<App />);
    await screen.findByText('Debian GNU/Linux 12 (bookworm)');
    fake.emit({ type: 'stage', stage: 'running' });
    fake.emit({ type: 'phase', phase: 'copy', at: '2026-12-03T08:00:00Z' });
    fake.emit({
      type: 'warning',
      message: 'etc/shadow is not copied: EACCES',
      path: 'etc/shadow',
      said: {
        key: 'warnings.skipped',
        params: { path: 'etc/shadow', reason: 'EACCES', detail: '' },
      },
    });
    fake.emit({
      type: 'round',
      summary: {
        round: 1,
        startedAt: '',
        durationMs: 1500,
        dirtyFiles: 1,
        scannedBytes: 2048,
        dirtyBytes: 2048,
        wireBytes: 2100,
        deleted: 0,
        final: false,
      },
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Log (4)' }));
    const log = screen.getByRole('log', { name: 'What happened' });
    assert.match(log.textContent ?? '', /Now: running/);
    assert.match(log.textContent ?? '', /Phase: full copy/);
    assert.match(log.textContent ?? '', /etc\/shadow: EACCES \(not copied\)/);
    assert.match(log.textContent ?? '', /Round 1: 2.00 KiB sent in 1.5 s/);
    fireEvent.change(screen.getByLabelText('Show'), { target: { value: 'warning' } });
    assert.doesNotMatch(log.textContent ?? '', /Round 1/);
    let copied = '';
    Object.defineProperty(navigator, 'clipboard', {
      configurable: true,
      value: { writeText: (text: string) => Promise.resolve(void (copied = text)) },
    });
    fireEvent.click(button('Copy to the clipboard'));
    await screen.findByText('Copied.');
    assert.match(copied, /etc\/shadow: EACCES \(not copied\)/);
    assert.equal(copied.split('\n').length, 1, 'only what the filter shows');
    fireEvent.click(button('Close'));
    assert.equal(screen.queryByRole('log', { name: 'What happened' }), null);
  });

  it('every screen says in one line what happens now and what comes next, in both languages', async () => {
    const { store } = show(<App />);
    await screen.findByText('Debian GNU/Linux 12 (bookworm)');
    const lead = () => screen.getByTestId('step-lead').textContent ?? '';
    assert.match(lead(), /^Now: what this machine runs.*Next: the target’s agent\.$/);
    store.setState({ step: 'copy' });
    await waitFor(() =>
      assert.match(lead(), /^Now: the full copy, while the program keeps running/),
    );
    for (const catalog of [en, zhCN]) {
      const leads = STEPS.map((step) => catalog.lead[step]);
      assert.equal(new Set(leads).size, STEPS.length, 'a line of its own for every step');
    }
    store.setState({ step: 'done' });
    await waitFor(() => assert.match(lead(), /^The migration has ended/));
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'zh-CN' } });
    await waitFor(() => assert.match(lead(), /^迁移已结束/));
    store.setState({ step: 'sync' });
    await waitFor(() => assert.match(lead(), /^当前：逐轮只同步更改.*下一步：/));
  });

  it('the whole app switches to Simplified Chinese, every label with it', async () => {
    show(<App />);
    await screen.findByText('Debian GNU/Linux 12 (bookworm)');
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'zh-CN' } });
    await screen.findByRole('heading', { name: '本机信息' });
    assert.ok(screen.getByRole('button', { name: '下一步' }));
    assert.equal(document.documentElement.lang, 'zh-CN');
    assert.equal(document.querySelector('[aria-current="step"]')?.textContent, '本机');
  });
});
