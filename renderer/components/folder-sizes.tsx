import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import { lines } from '../state/store.ts';
import { useWizard } from '../store-context.tsx';
import { ErrorBox } from './error-box.tsx';

/** Whether a line of the exclusions leaves out exactly this folder. */
const leavesOut = (line: string, path: string): boolean => line.replace(/\/(\*\*)?$/, '') === path;

/**
 * A volume's top folders with what each holds, measured on request (a walk of the volume), each
 * with a check box: unchecked, the folder goes into the exclusions; the exclusions stay the
 * truth and can still be typed in. Folders already left out, or where another volume is mounted,
 * are named without a box.
 */
export function FolderSizes({ volume }: { volume: string }) {
  const { t } = useTranslation();
  const excludes = useWizard((s) => s.selection.excludes);
  const setSelection = useWizard((s) => s.setSelection);
  const measured = useWizard((s) => s.folders);
  const call = useWizard((s) => s.foldersCall);
  const measureFolders = useWizard((s) => s.measureFolders);
  const typed = lines(excludes);
  const setLeftOut = (path: string, out: boolean): void => {
    const kept = typed.filter((line) => !leavesOut(line, path));
    setSelection({ excludes: (out ? [...kept, path] : kept).join('\n') });
  };
  const shown = measured?.path === volume ? measured.folders : null;
  return (
    <div className="folders">
      <button
        type="button"
        onClick={() => void measureFolders(volume)}
        disabled={call.busy}
        data-testid={`measure-folders-${volume}`}
      >
        {t('selection.folders', { volume })}
      </button>
      {call.busy ? (
        <span role="status" className="small">
          {' '}
          {t('selection.foldersBusy')}
        </span>
      ) : null}
      <ErrorBox error={call.error} onRetry={() => void measureFolders(volume)} />
      {shown ? (
        <>
          <p className="small">{t('selection.foldersHint')}</p>
          <ul className="folder-list" data-testid="folder-list">
            {shown.map((folder) => (
              <li key={folder.path}>
                {folder.skipped || folder.bytes === null ? (
                  <span className="small">
                    <code>{folder.path}</code>{' '}
                    {t(`selection.folderSkipped.${folder.skipped ?? 'excluded'}`)}
                  </span>
                ) : (
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={!typed.some((line) => leavesOut(line, folder.path))}
                      onChange={(e) => setLeftOut(folder.path, !e.target.checked)}
                    />
                    <code>{folder.path}</code> {formatBytes(folder.bytes)}
                    {folder.unreadableCount > 0
                      ? ` ${t('selection.folderUnreadable', { count: folder.unreadableCount })}`
                      : ''}
                  </label>
                )}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}
