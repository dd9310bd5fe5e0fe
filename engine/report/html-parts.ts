/** Escapes text for HTML content and attribute values. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A table with a header row; every cell escaped. */
export function table(headers: string[], rows: string[][]): string {
  const head = headers.map((h) => `<th scope="col">${escape(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((c) => `<td>${escape(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A two-column table whose first column names each row. */
export function keyValueTable(rows: string[][]): string {
  const body = rows
    .map(
      ([key, value]) =>
        `<tr><th scope="row">${escape(key ?? '')}</th><td>${escape(value ?? '')}</td></tr>`,
    )
    .join('');
  return `<table class="summary"><tbody>${body}</tbody></table>`;
}
