/** The signals that end a migration the same way: Ctrl-C, a service stop, a dropped SSH session. */
export const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * While a migration runs, SIGINT, SIGTERM and SIGHUP all cancel it through `controller`: before
 * the target is asked to take over, the engine rolls back (starts the program here again); after,
 * it waits for the target's answer. A second signal never abandons that: it is only said to be
 * waited for. A terminal that hung up makes writes to it fail; they are dropped, not fatal,
 * so the rollback finishes. Returns a function that puts the defaults back.
 */
export function cancelOnSignals(controller: AbortController): () => void {
  const ignoreWriteErrors = (): void => undefined;
  process.stdout.on('error', ignoreWriteErrors);
  process.stderr.on('error', ignoreWriteErrors);
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) {
      process.stderr.write(
        `\n${signal}: stopping the migration. A cutover under way is rolled back or finished first; wait for it.\n`,
      );
      controller.abort(signal);
      return;
    }
    process.stderr.write(
      `\n${signal} again: still finishing the rollback or the handover, which must not be cut short.\n`,
    );
  };
  for (const signal of ENDING_SIGNALS) process.on(signal, onSignal);
  return () => {
    for (const signal of ENDING_SIGNALS) process.off(signal, onSignal);
    process.stdout.off('error', ignoreWriteErrors);
    process.stderr.off('error', ignoreWriteErrors);
  };
}
