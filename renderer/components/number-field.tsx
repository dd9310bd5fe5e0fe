import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { z } from 'zod';

/** Whether `text` is a number the schema takes; blank is not (Number('') would be 0). */
export function isValidNumber(schema: z.ZodNumber, text: string): boolean {
  return text.trim() !== '' && schema.safeParse(Number(text)).success;
}

/**
 * A number the technician types, checked against the same schema the API checks it with: what
 * it does not take is said under the field, in the technician's language, with the range.
 */
export function NumberField(props: {
  label: string;
  schema: z.ZodNumber;
  value: string;
  onChange: (value: string) => void;
}) {
  const { t } = useTranslation();
  const hintId = useId();
  const { schema } = props;
  const valid = isValidNumber(schema, props.value);
  return (
    <label>
      {props.label}
      <input
        inputMode={schema.isInt ? 'numeric' : 'decimal'}
        value={props.value}
        aria-invalid={!valid}
        aria-describedby={valid ? undefined : hintId}
        onChange={(e) => props.onChange(e.target.value)}
      />
      {valid ? null : (
        <span id={hintId} className="field-error">
          {t(schema.isInt ? 'selection.wholeNumber' : 'selection.number', {
            min: schema.minValue,
            max: schema.maxValue,
          })}
        </span>
      )}
    </label>
  );
}
