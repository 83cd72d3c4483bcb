// Versions are hybrid logical clock stamps. They are encoded as strings whose
// lexicographic order is their causal order, so comparing two versions is a
// plain string comparison on every hop (router, server, hand-off).
//
//   <12 hex digits: wall-clock ms><4 hex digits: logical counter><writer id>
//
// The writer id breaks ties between routers that stamp in the same ms.

export type Version = string;

const MS_DIGITS = 12;
const COUNTER_DIGITS = 4;
const MAX_COUNTER = 0xffff;
/** Characters of a version before its writer id. */
export const STAMP_LENGTH = MS_DIGITS + COUNTER_DIGITS;

/** The version older than every real one; a missing entry has this version. */
export const ZERO_VERSION: Version = '0'.repeat(STAMP_LENGTH);

export function encodeVersion(ms: number, counter: number, writer: string): Version {
  return ms.toString(16).padStart(MS_DIGITS, '0') + counter.toString(16).padStart(COUNTER_DIGITS, '0') + writer;
}

export function decodeVersion(version: Version): { ms: number; counter: number; writer: string } {
  return {
    ms: parseInt(version.slice(0, MS_DIGITS), 16),
    counter: parseInt(version.slice(MS_DIGITS, STAMP_LENGTH), 16),
    writer: version.slice(STAMP_LENGTH),
  };
}

/** True for strings produced by encodeVersion; the wire format is checked with it. */
export function isVersion(text: unknown): text is Version {
  return typeof text === 'string' && text.length > STAMP_LENGTH && /^[0-9a-f]{16}/.test(text);
}

/** Negative when a is older than b, zero when equal, positive when newer. */
export function compareVersions(a: Version, b: Version): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A hybrid logical clock (Kulkarni et al.): it follows wall-clock time, never
 * goes backwards, and moves past any version it has observed from elsewhere.
 */
export class HybridLogicalClock {
  private lastMs = 0;
  private counter = 0;

  constructor(private readonly writer: string, private readonly now: () => number = Date.now) {
    if (writer.length === 0) throw new Error('an HLC needs a writer id');
  }

  /** A new version, newer than every version this clock has issued or observed. */
  next(): Version {
    const wall = this.now();
    if (wall > this.lastMs) {
      this.lastMs = wall;
      this.counter = 0;
    } else if (this.counter < MAX_COUNTER) {
      this.counter++;
    } else {
      // The counter is exhausted within one ms: borrow the next ms rather than repeat.
      this.lastMs++;
      this.counter = 0;
    }
    return encodeVersion(this.lastMs, this.counter, this.writer);
  }

  /** Moves the clock past a version seen from another writer. */
  observe(version: Version): void {
    const { ms, counter } = decodeVersion(version);
    if (ms > this.lastMs || (ms === this.lastMs && counter > this.counter)) {
      this.lastMs = ms;
      this.counter = counter;
    }
  }
}
