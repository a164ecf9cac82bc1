import { describeStartupError, exitOnStartupFailure } from './startup';

describe('exitOnStartupFailure', () => {
  it('exits 1 with the whole cause chain when the start fails', async () => {
    const exit = jest.fn();
    const written: string[] = [];
    const cause = new Error("Invalid type in config for key 'backend.listen.port'");
    await exitOnStartupFailure(Promise.reject(new Error("Plugin 'app' startup failed", { cause })), {
      exit,
      write: t => written.push(t),
    });
    expect(exit).toHaveBeenCalledWith(1);
    expect(written.join('')).toContain('failed to start, exiting with code 1');
    expect(written.join('')).toContain("caused by Error: Invalid type in config for key 'backend.listen.port'");
  });

  it('exits 1 on an unhandled rejection before the start completes, and not after', async () => {
    const listeners = process.listenerCount('unhandledRejection');
    const exit = jest.fn();
    let resolveStart!: () => void;
    const started = new Promise<void>(r => (resolveStart = r));
    const done = exitOnStartupFailure(started, { exit, write: () => {} });
    (process.emit as (event: string, ...args: unknown[]) => boolean)('unhandledRejection', new Error('boom'), Promise.resolve());
    expect(exit).toHaveBeenCalledWith(1);
    resolveStart();
    await done;
    expect(exit).toHaveBeenCalledTimes(1);

    const later = jest.fn();
    await exitOnStartupFailure(Promise.resolve(), { exit: later, write: () => {} });
    (process.emit as (event: string, ...args: unknown[]) => boolean)('unhandledRejection', new Error('after start'), Promise.resolve());
    expect(later).not.toHaveBeenCalled();
    expect(process.listenerCount('unhandledRejection')).toBe(listeners);
  });

  it('describes non-Error values', () => {
    expect(describeStartupError('plain')).toBe('plain');
  });
});
