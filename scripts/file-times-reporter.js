// A second reporter for the test runner, beside the usual one: how long each test file took,
// one "seconds<TAB>file" line each, which run-tests.js prints as a table at the end. Files run
// one at a time, so a file's time runs from the previous file's last result to its own last
// result (loading and hooks included, which the tests' own durations leave out).
export default async function* fileTimes(source) {
  let lastResultAt = Date.now();
  const spans = new Map();
  for await (const event of source) {
    const file = event.data?.file;
    if (!file || (event.type !== 'test:pass' && event.type !== 'test:fail')) continue;
    const now = Date.now();
    spans.set(file, { from: spans.get(file)?.from ?? lastResultAt, to: now });
    lastResultAt = now;
  }
  for (const [file, { from, to }] of spans) yield `${(to - from) / 1000}\t${file}\n`;
}
