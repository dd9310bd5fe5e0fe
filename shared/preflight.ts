import type { Message } from './i18n/message.ts';

/** One pre-flight finding: blockers stop the wizard before any copy; warnings need a reading. */
export interface PreflightCheck {
  id:
    | 'free-space'
    | 'hibernation'
    | 'encryption'
    | 'duplicate-identity'
    | 'target-unknown'
    | 'xattrs'
    | 'vm-disk'
    | 'auto-converge';
  level: 'ok' | 'warning' | 'blocker';
  title: string;
  /** What was found and what to do about it. */
  detail: string;
  titleMessage: Message;
  detailMessage: Message;
}
