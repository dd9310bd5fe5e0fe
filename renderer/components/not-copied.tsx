import { useTranslation } from 'react-i18next';

/**
 * Paths that are not copied (the source cannot read them, or they are sockets and devices),
 * said plainly wherever the migration is shown: they will be missing on the target.
 */
export function NotCopied(props: { count: number; paths: { path: string; reason?: string }[] }) {
  const { t } = useTranslation();
  if (props.count === 0) return null;
  const shown = props.paths.slice(0, 10);
  return (
    <div className="warn" role="status" data-testid="not-copied">
      <p>{t('notCopied.summary', { count: props.count })}</p>
      <ul className="mono small">
        {shown.map((p) => (
          <li key={p.path}>
            {p.path}
            {p.reason ? ` (${t(`notCopied.reasons.${p.reason}`, { defaultValue: p.reason })})` : ''}
          </li>
        ))}
        {props.count > shown.length ? (
          <li>{t('notCopied.more', { count: props.count - shown.length })}</li>
        ) : null}
      </ul>
    </div>
  );
}
