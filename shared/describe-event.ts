import type { TFunction } from 'i18next';
import type { SessionEvent } from './api.ts';
import { formatBytes, formatDuration } from './format.ts';
import { renderMessage } from './i18n/render-message.ts';

/** One event in a sentence, in the language `t` speaks: the wizard's log and the CLI's lines. */
export function describeEvent(t: TFunction, event: SessionEvent): string {
  switch (event.type) {
    case 'stage':
      return t('log.stage', {
        stage: t(`log.stages.${event.stage}`, { defaultValue: event.stage }),
      });
    case 'phase':
      return t('log.phase', { phase: t(`log.phases.${event.phase}`) });
    case 'warning':
      return event.said ? renderMessage(t, event.said) : event.message;
    case 'reconnect':
      return t('log.reconnect', { attempt: event.attempt, reason: event.reason });
    case 'round':
      return t('log.round', {
        n: event.summary.round,
        bytes: formatBytes(event.summary.dirtyBytes),
        time: formatDuration(event.summary.durationMs, t),
      });
    case 'convergence':
    case 'awaiting-cutover':
      return t('log.convergence', {
        reason: t(`reasons.${event.decision.reason}`),
        time:
          event.decision.predictedDowntimeMs >= 0
            ? formatDuration(event.decision.predictedDowntimeMs, t)
            : '?',
      });
    case 'cutover': {
      const step = t(`stepsTimeline.${event.step}`, { defaultValue: event.step });
      const detail = event.said ? renderMessage(t, event.said) : event.detail;
      return detail ? t('cutover.stepDetail', { step, detail }) : step;
    }
    case 'vm':
      return `${event.progress.step}: ${event.progress.said ? renderMessage(t, event.progress.said) : event.progress.line}`;
    case 'done':
      return event.ok ? t('done.ok') : t('done.failed');
    default:
      return event.type;
  }
}
