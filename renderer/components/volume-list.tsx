import { useTranslation } from 'react-i18next';
import { formatBytes } from '../../shared/format.ts';
import type { Volume } from '../../shared/inspection.ts';

/** The machine's volumes with their use, one line each. */
export function VolumeList(props: { volumes: Volume[] }) {
  const { t } = useTranslation();
  return (
    <ul>
      {props.volumes.map((v) => (
        <li key={v.mountpoint}>
          {t('machine.volumeLine', {
            mountpoint: v.mountpoint,
            fsType: v.fsType ?? '?',
            used: formatBytes(v.usedBytes),
            size: formatBytes(v.sizeBytes),
          })}
        </li>
      ))}
    </ul>
  );
}
