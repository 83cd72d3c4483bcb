// The last resort of a stopping process: a worker thread that kills it with
// SIGKILL at a deadline. A timer on the main thread cannot do this, since it
// never fires while that thread is stuck (pino's synchronous flush at exit
// once held a router for ever; docs/architecture.md, "Logs never block").
import { Worker } from 'node:worker_threads';

/**
 * Kills this process `afterMs` from now unless it has exited by then; it does
 * not keep the process alive. A watchdog that cannot run reports to
 * `onFailure` rather than throw: it must never cut the drain short.
 */
export function armExitWatchdog(afterMs: number, onFailure: (error: unknown) => void): void {
  // No imports: the worker evaluates this as CommonJS or as a module, as the process's flags say.
  const killAtDeadline = `setTimeout(() => process.kill(${process.pid}, 'SIGKILL'), ${Math.max(0, Math.round(afterMs))});`;
  try {
    new Worker(killAtDeadline, { eval: true }).on('error', onFailure).unref();
  } catch (error) {
    onFailure(error);
  }
}
