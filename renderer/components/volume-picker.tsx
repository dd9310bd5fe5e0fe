import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import type { Volume } from '../../shared/inspection.ts';
import { lines } from '../state/store.ts';
import { useWizard } from '../store-context.tsx';
import { FolderSizes } from './folder-sizes.tsx';

/** Whether a line of the folder list names this mount point (as DIR or DIR:TARGETPATH). */
const names = (line: string, mountpoint: string): boolean =>
  line === mountpoint || line.startsWith(`${mountpoint}:`);

/**
 * The volumes the inspection found, each with its use and a check box that adds its mount point
 * to the folder list or takes it out; the list stays the truth and can still be typed in. Under
 * them, what the checked volumes hold against the target's free space, before anything is measured.
 */
export function VolumePicker({ volumes }: { volumes: Volume[] }) {
  const { t } = useTranslation();
  const sources = useWizard((s) => s.selection.sources);
  const setSelection = useWizard((s) => s.setSelection);
  const target = useWizard((s) => s.targetInfo);
  const typed = lines(sources);
  const checked = volumes.filter((v) => typed.some((line) => names(line, v.mountpoint)));
  const held = checked.reduce((sum, v) => sum + v.usedBytes, 0);
  const toggle = (mountpoint: string, on: boolean): void => {
    const kept = typed.filter((line) => !names(line, mountpoint));
    setSelection({ sources: (on ? [...kept, mountpoint] : kept).join('\n') });
  };
  if (volumes.length === 0) return null;
  return (
    <fieldset data-testid="volume-picker">
      <legend>{t('selection.volumes')}</legend>
      {volumes.map((v) => (
        <div key={v.mountpoint}>
          <label className="check">
            <input
              type="checkbox"
              checked={checked.includes(v)}
              onChange={(e) => toggle(v.mountpoint, e.target.checked)}
            />
            <code>{v.mountpoint}</code>{' '}
            {t('selection.volumeUse', {
              fsType: v.fsType ?? '?',
              used: formatBytes(v.usedBytes),
              size: formatBytes(v.sizeBytes),
            })}
          </label>
          {checked.includes(v) ? <FolderSizes volume={v.mountpoint} /> : null}
        </div>
      ))}
      {checked.length > 0 ? (
        <p
          className={target && held > target.freeBytes ? 'small bad' : 'small'}
          data-testid="volumes-need"
        >
          {t('selection.volumesNeed', {
            count: checked.length,
            bytes: formatBytes(held),
            free: target ? formatBytes(target.freeBytes) : '?',
          })}
        </p>
      ) : null}
    </fieldset>
  );
}
