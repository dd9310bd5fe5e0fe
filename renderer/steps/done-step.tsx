import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { ReportRequest } from '../../shared/api.ts';
import type { ErrorInfo } from '../../shared/errors.ts';
import type { MigrationReport } from '../../shared/report.ts';
import { formatDuration } from '../../shared/format.ts';
import type { Language } from '../../shared/i18n/index.ts';
import { ApiError } from '../api/socket-api.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { NotCopied } from '../components/not-copied.tsx';
import { RunControls } from '../components/run-controls.tsx';
import { useApi, useWizard } from '../store-context.tsx';

/** Step 8: the result, the measured downtime, and the report in three formats. */
export function DoneStep() {
  const { t, i18n } = useTranslation();
  const api = useApi();
  const session = useWizard((s) => s.session);
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [report, setReport] = useState<MigrationReport | null>(null);
  useEffect(() => {
    void api.getSession().then(
      (snapshot) => setReport(snapshot.report),
      () => undefined,
    );
  }, [api, session.stage]);
  const verification = report?.verification ?? null;
  const exportAs = async (format: ReportRequest['format']): Promise<void> => {
    setError(null);
    setSaved(null);
    try {
      const { path } = await api.exportReport({ format, language: i18n.language as Language });
      setSaved(path);
    } catch (failure) {
      setError(
        failure instanceof ApiError ? failure.info : { code: 'IO_ERROR', message: String(failure) },
      );
    }
  };
  const ok = session.result?.ok === true;
  const notCopied = report?.notCopied ?? {
    count: session.notCopied.length,
    paths: session.notCopied.map((path) => ({ path, reason: '' })),
  };
  const partly = ok && notCopied.count > 0;
  return (
    <section aria-labelledby="done-heading">
      <h2 id="done-heading">{t('done.heading')}</h2>
      <p className={partly ? 'warn' : ok ? 'ok' : 'bad'} role="status" data-testid="done-result">
        {partly
          ? t('done.okButNotCopied', { count: notCopied.count })
          : ok
            ? t('done.ok')
            : t('done.failed')}
      </p>
      <NotCopied count={notCopied.count} paths={notCopied.paths} />
      {session.handedOverBefore ? (
        <p data-testid="handed-over-before">
          {t('done.handedOverBefore', {
            at: new Date(session.handedOverBefore.at).toLocaleString(),
            target: `${session.handedOverBefore.target.host}:${session.handedOverBefore.target.port}`,
          })}
        </p>
      ) : null}
      <ErrorBox error={session.error} />
      {verification && !verification.ok && verification.mismatches.length > 0 ? (
        <div className="warn" data-testid="verify-failed">
          <p>{t('done.verifyFailedWhy', { count: verification.mismatches.length })}</p>
          <ul className="mono small">
            {verification.mismatches.slice(0, 10).map((path) => (
              <li key={path}>{path}</li>
            ))}
          </ul>
          <p>{t('done.verifyFailedWayOn')}</p>
        </div>
      ) : null}
      <RunControls />
      {verification ? (
        <p data-testid="verification">
          {t('done.verification', {
            result: verification.ok ? t('done.passed') : t('done.failedShort'),
            files: verification.files,
          })}
        </p>
      ) : null}
      {session.result?.downtimeMs != null ? (
        <p data-testid="downtime">
          {t('done.downtime', { time: formatDuration(session.result.downtimeMs, t) })}
        </p>
      ) : null}
      <h3>{t('done.export')}</h3>
      <div className="row">
        {(['html', 'json', 'pdf'] as const).map((format) => (
          <button key={format} type="button" onClick={() => void exportAs(format)}>
            {format.toUpperCase()}
          </button>
        ))}
        <button type="button" onClick={() => void api.openReportFolder().catch(() => undefined)}>
          {t('done.openFolder')}
        </button>
      </div>
      {saved ? (
        <p role="status" className="mono small" data-testid="saved">
          <span data-testid="saved-path">{t('done.exported', { path: saved })}</span>
          {/* Browser mode: the file is on the machine the wizard runs on; the browser gets it too. */}
          {window.p2v ? null : (
            <>
              {' '}
              <a href={`/download/${saved.split(/[\\/]/).pop() ?? ''}`} download>
                {t('done.download')}
              </a>
            </>
          )}
        </p>
      ) : null}
      <ErrorBox error={error} />
    </section>
  );
}
