import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { bandwidthFromText } from '../state/bandwidth-text.ts';
import { useWizard } from '../store-context.tsx';

/** A bandwidth limit in Mbit/s as typed: blank means none; anything else must be a limit. */
export function BandwidthField(props: { value: string; onChange: (value: string) => void }) {
  const { t } = useTranslation();
  const hintId = useId();
  const valid = bandwidthFromText(props.value) !== undefined;
  return (
    <label>
      {t('bandwidth.label')}
      <input
        inputMode="decimal"
        placeholder={t('bandwidth.none')}
        value={props.value}
        aria-invalid={!valid}
        aria-describedby={hintId}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <span id={hintId} className={valid ? 'small hint' : 'field-error hint'}>
        {valid ? t('bandwidth.hint') : t('bandwidth.invalid')}
      </span>
    </label>
  );
}

/**
 * The running migration's bandwidth limit, changed while it runs: the new limit applies to what
 * is sent from then on, and the rate shown follows it.
 */
export function BandwidthControl(props: {
  current: number | null;
  busy: boolean;
  onApply: (mbit: number | null) => void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState(props.current === null ? '' : String(props.current));
  const wanted = bandwidthFromText(text);
  return (
    <form
      className="row bandwidth"
      onSubmit={(e) => {
        e.preventDefault();
        if (wanted !== undefined) props.onApply(wanted);
      }}
    >
      <BandwidthField value={text} onChange={setText} />
      <button
        type="submit"
        disabled={props.busy || wanted === undefined || wanted === props.current}
      >
        {t('bandwidth.apply')}
      </button>
      <span role="status" className="small">
        {props.current === null
          ? t('bandwidth.nowNone')
          : t('bandwidth.now', { mbit: props.current })}
      </span>
    </form>
  );
}

/** The bandwidth control of the running migration, on the Copy and Sync steps. */
export function LiveBandwidth() {
  const running = useWizard((s) => s.running);
  const stage = useWizard((s) => s.session.stage);
  const call = useWizard((s) => s.sessionCall);
  const setBandwidth = useWizard((s) => s.setBandwidth);
  if (!running || !['running', 'paused', 'awaiting-cutover'].includes(stage)) return null;
  return (
    <BandwidthControl
      current={running.bandwidthLimitMbit ?? null}
      busy={call.busy}
      onApply={(mbit) => void setBandwidth(mbit)}
    />
  );
}
