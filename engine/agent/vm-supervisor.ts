import type { StartedVm, VmProgress, VmRequest } from '../../shared/vm-image.ts';
import type { VmWorkspace } from '../vm/launch-vm.ts';

/**
 * The one VM an agent builds and starts for a migration. A source that lost its connection
 * and asks again joins the same job (or gets its result) instead of building a second VM.
 */
export class VmSupervisor {
  private job: Promise<StartedVm> | null = null;
  private readonly listeners = new Set<(progress: VmProgress) => void>();
  private readonly seen: VmProgress[] = [];

  constructor(private readonly workspace: Omit<VmWorkspace, 'onProgress'>) {}

  /** Starts the VM, or joins the start already under way; progress so far is replayed first. */
  start(request: VmRequest, onProgress: (progress: VmProgress) => void): Promise<StartedVm> {
    for (const progress of this.seen) onProgress(progress);
    this.listeners.add(onProgress);
    if (!this.job) {
      // A new attempt: what a failed one printed is not replayed as this one's.
      this.seen.length = 0;
      // Loaded when a VM is asked for: an agent that only receives files starts without the
      // image build's packages.
      this.job = import('../vm/launch-vm.ts').then(({ startVmWithAgent }) =>
        startVmWithAgent(request, {
          ...this.workspace,
          onProgress: (progress) => {
            // Only the latest lines are replayed to a source that joins late.
            this.seen.push(progress);
            if (this.seen.length > 200) this.seen.shift();
            for (const listener of this.listeners) listener(progress);
          },
        }),
      );
      // A failed start may be asked for again.
      this.job.catch(() => {
        this.job = null;
      });
    }
    return this.job.finally(() => this.listeners.delete(onProgress));
  }
}
