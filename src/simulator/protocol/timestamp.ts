/**
 * A point in time inside a result object. The query protocol writes it as ISO-8601 and the JSON
 * protocol as epoch seconds; `toJSON` does the latter so JSON.stringify needs no replacer walk
 * (which costs more than the rest of encoding a 100-item page).
 */
export class Timestamp {
  constructor(readonly epochMs: number) {}

  /** Epoch seconds, milliseconds as the fraction, as AWS's JSON services send them. */
  toJSON(): number {
    return this.epochMs / 1000;
  }

  /** ISO-8601 without milliseconds, as IAM writes it (2020-01-02T03:04:05Z). */
  toIso(): string {
    return `${new Date(this.epochMs).toISOString().slice(0, 19)}Z`;
  }
}

export const timestamp = (epochMs: number) => new Timestamp(epochMs);
