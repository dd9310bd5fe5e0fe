import cliProgress from 'cli-progress';
import type { TFunction } from 'i18next';
import { describeEvent } from '../shared/describe-event.ts';
import type { MigrationEvent } from '../shared/events.ts';
import { formatBytes, formatDuration } from '../shared/format.ts';
import { renderMessage } from '../shared/i18n/render-message.ts';
import { cliTranslator } from './cli-language.ts';

/**
 * Shows engine events: one JSON line each with --json (English texts, with each sentence's key),
 * a progress bar on a terminal, plain lines otherwise, in the CLI's language (`t`).
 */
export function createProgressView(
  json: boolean,
  t: TFunction = cliTranslator(),
): {
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
        line(`== ${describeEvent(t, event)}`);
        break;
      case 'progress': {
        const rate = t('copy.rate', { rate: formatBytes(event.bytesPerSecond) });
        const eta = event.etaSeconds === null ? '?' : formatDuration(event.etaSeconds * 1000, t);
        const detail = t('cli.progress', {
          bytes: `${formatBytes(event.bytesDone)}/${formatBytes(event.bytesTotal)}`,
          files: `${event.filesDone}/${event.filesTotal}`,
          rate,
          eta,
        });
        if (!tty) break;
        if (!bar || barPhase !== event.phase) {
          endBar();
          bar = new cliProgress.SingleBar(
            {
              format: `${t(`log.phases.${event.phase}`, { defaultValue: event.phase })} [{bar}] {percentage}% {detail}`,
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
          t(r.final ? 'cli.roundFinal' : 'cli.round', {
            n: r.round,
            files: r.dirtyFiles,
            dirty: formatBytes(r.dirtyBytes),
            wire: formatBytes(r.wireBytes),
            time: formatDuration(r.durationMs, t),
          }),
        );
        break;
      }
      case 'convergence':
      case 'reconnect':
        line(describeEvent(t, event));
        break;
      case 'vm': {
        // The VM's console is shown as it boots, marked so it reads apart from our own lines.
        const { step, said, line: text } = event.progress;
        line(`vm ${step.padEnd(5)}│ ${said ? renderMessage(t, said) : text}`);
        break;
      }
      case 'cutover':
        line(t('cli.cutover', { text: describeEvent(t, event) }));
        break;
      case 'warning':
        line(t('cli.warning', { text: describeEvent(t, event) }));
        break;
      case 'done':
        endBar();
        break;
    }
  };
  return { onEvent, stop: endBar };
}
