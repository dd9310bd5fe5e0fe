import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { JobFileError, jobFileText, selectionFromJobFile } from '../state/job-file.ts';
import { useWizard } from '../store-context.tsx';

/** Hands `text` to the browser (or Electron's save dialog) as a file named `name`. */
function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  URL.revokeObjectURL(url);
}

/** Save the settings of What to move to a file, or open such a file and fill the form from it. */
export function JobSettings() {
  const { t } = useTranslation();
  const selection = useWizard((s) => s.selection);
  const setSelection = useWizard((s) => s.setSelection);
  const picker = useRef<HTMLInputElement>(null);
  const [said, setSaid] = useState<{ ok: boolean; text: string } | null>(null);

  const open = async (file: File) => {
    try {
      setSelection(selectionFromJobFile(await file.text()));
      setSaid({ ok: true, text: t('job.opened', { name: file.name }) });
    } catch (error) {
      const why =
        error instanceof JobFileError
          ? t(error.key, error.params)
          : (error as Error).message || String(error);
      setSaid({ ok: false, text: t('job.cannotOpen', { name: file.name, why }) });
    }
  };

  return (
    <div className="job-settings">
      <button
        type="button"
        onClick={() => {
          download('p2v-job.json', jobFileText(selection));
          setSaid({ ok: true, text: t('job.saved') });
        }}
      >
        {t('job.save')}
      </button>
      <button type="button" onClick={() => picker.current?.click()}>
        {t('job.open')}
      </button>
      <input
        ref={picker}
        type="file"
        accept=".json,application/json"
        hidden
        data-testid="job-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) void open(file);
        }}
      />
      {said ? (
        <p role={said.ok ? 'status' : 'alert'} className={said.ok ? 'note' : 'error'}>
          {said.text}
        </p>
      ) : null}
    </div>
  );
}
