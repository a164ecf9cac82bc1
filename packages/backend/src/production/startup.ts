/** One readable line per error in the cause chain (Backstage wraps plugin failures in causes). */
export function describeStartupError(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth++) {
    if (current instanceof Error) {
      lines.push(`${current.name}: ${current.message}`);
      current = (current as { cause?: unknown }).cause;
    } else {
      lines.push(String(current));
      break;
    }
  }
  return lines.join('\n  caused by ');
}

/**
 * Ends the process with exit code 1 and a clear message when the backend does not start (a bad
 * config value, a plugin whose init throws) or when a promise rejects unhandled before it has
 * started, instead of leaving a process that is alive but never listens. After a successful
 * start, Backstage's own handlers log unhandled rejections.
 */
export function exitOnStartupFailure(
  started: Promise<unknown>,
  options: { exit?: (code: number) => void; write?: (text: string) => void } = {},
): Promise<void> {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const write = options.write ?? ((text: string) => process.stderr.write(text));
  let done = false;
  function onUnhandled(reason: unknown) {
    fail('hit an unhandled rejection during startup', reason);
  }
  function fail(what: string, error: unknown) {
    if (done) return;
    done = true;
    process.off('unhandledRejection', onUnhandled);
    write(`Frontier Guard backend ${what}, exiting with code 1:\n  ${describeStartupError(error)}\n`);
    exit(1);
  }
  process.on('unhandledRejection', onUnhandled);
  return started.then(
    () => {
      done = true;
      process.off('unhandledRejection', onUnhandled);
    },
    error => fail('failed to start', error),
  );
}
