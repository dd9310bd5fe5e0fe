import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { INTERFACE_NAME } from '../../shared/vm-image.ts';

/** Whether the typed bridge is one the agent would take: blank (none) or an interface name. */
export function bridgeValid(text: string): boolean {
  return text.trim() === '' || INTERFACE_NAME.test(text.trim());
}

/**
 * The conversion host's bridge to the source's network, for the VM's card: blank keeps the VM
 * off every network; a name puts its card there, to take the source's address at the handover.
 */
export function BridgeField(props: { value: string; onChange: (value: string) => void }) {
  const { t } = useTranslation();
  const hintId = useId();
  const valid = bridgeValid(props.value);
  return (
    <label>
      {t('selection.vmBridge')}
      <input
        className="mono"
        spellCheck={false}
        placeholder={t('selection.vmBridgeNone')}
        value={props.value}
        aria-invalid={!valid}
        aria-describedby={hintId}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <span id={hintId} className={valid ? 'small hint' : 'field-error hint'}>
        {valid ? t('selection.vmBridgeHint') : t('selection.vmBridgeInvalid')}
      </span>
    </label>
  );
}
