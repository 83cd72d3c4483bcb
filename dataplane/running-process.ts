// What each role's start function hands back to main.
export interface RunningProcess {
  /** Stops the process's work; resolves when it is safe to exit. */
  shutdown(): Promise<void>;
}
