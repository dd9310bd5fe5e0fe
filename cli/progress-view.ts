import cliProgress from 'cli-progress';
import type { MigrationEvent } from '../shared/events.ts';
import { formatBytes, formatDuration } from '../shared/format.ts';

/** Shows engine events: one JSON line each with --json, a progress bar on a terminal, plain lines otherwise. */
export function createProgressView(json: boolean): {
  onEvent: (event: MigrationEvent) => void;
  stop: () => void;
} {
  if (json) {
    return {
      onEvent: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
      stop: () => undefined,
    };
  }
  const tty = Boolean(process.stderr.isTTY);
  let bar: cliProgress.SingleBar | null = null;
  let barPhase = '';
  const endBar = (): void => {
    bar?.stop();
    bar = null;
    barPhase = '';
  };
  const line = (text: string): void => {
    if (bar) endBar();
    process.stderr.write(`${text}\n`);
  };
  const onEvent = (event: MigrationEvent): void => {
    switch (event.type) {
      case 'phase':
        line(`== ${event.phase}`);
        break;
      case 'progress': {
        const rate = `${formatBytes(event.bytesPerSecond)}/s`;
        const eta = event.etaSeconds === null ? '?' : formatDuration(event.etaSeconds * 1000);
        const detail = `${formatBytes(event.bytesDone)}/${formatBytes(event.bytesTotal)}  ${event.filesDone}/${event.filesTotal} files  ${rate}  ETA ${eta}`;
        if (!tty) break;
        if (!bar || barPhase !== event.phase) {
          endBar();
          bar = new cliProgress.SingleBar(
            {
              format: `${event.phase.padEnd(8)} [{bar}] {percentage}% {detail}`,
              stream: process.stderr,
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(1000, 0, { detail });
          barPhase = event.phase;
        }
        bar.update(Math.round(event.value * 1000), { detail });
        break;
      }
      case 'round': {
        const r = event.summary;
        line(
          `round ${r.round}${r.final ? ' (after stop)' : ''}: ${r.dirtyFiles} files, ${formatBytes(r.dirtyBytes)} dirty, ${formatBytes(r.wireBytes)} on the wire, ${formatDuration(r.durationMs)}`,
        );
        break;
      }
      case 'convergence': {
        const d = event.decision;
        const predicted =
          d.predictedDowntimeMs < 0 ? 'unknown' : formatDuration(d.predictedDowntimeMs);
        line(
          d.converged
            ? `converged (${d.reason}); predicted last round ${predicted}`
            : `${d.pendingFiles} paths changed; predicted last round ${predicted}`,
        );
        break;
      }
      case 'vm':
        // The VM's console is shown as it boots, marked so it reads apart from our own lines.
        line(`vm ${event.progress.step.padEnd(5)}│ ${event.progress.line}`);
        break;
      case 'cutover':
        line(`cutover: ${event.step}${event.detail ? ` — ${event.detail}` : ''}`);
        break;
      case 'warning':
        line(`warning: ${event.message}`);
        break;
      case 'reconnect':
        line(`connection lost (${event.reason}); reconnecting, attempt ${event.attempt}`);
        break;
      case 'done':
        endBar();
        break;
    }
  };
  return { onEvent, stop: endBar };
}
