import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { silentLogger, type Logger } from "../log.js";
import type { LearnedRate } from "./rate-controller.js";

/**
 * What pacing learned about AWS's quotas, kept in the state directory (`pacing.json`) so the next
 * run starts where this one ended instead of rediscovering every quota: per rate-limit bucket the
 * rate it sent at and the rate AWS last refused, per Identity Center instance the number of
 * outstanding assignment operations that worked.
 *
 * It only ever holds numbers and bucket names (service, account id, instance ARN), never anything
 * secret, and is written with mode 0600. Reading is tolerant: a missing, unreadable, oversized or
 * corrupt file, or a corrupt entry, is ignored (pacing starts from the quota table, as on a first
 * run) with a warning, never an error. Whatever it says, the limits it feeds are clamped to the
 * configured ceilings, so a tampered file can slow the connector down but never make it exceed a
 * published quota or an operator's cap. Entries are kept per AWS endpoint and regions (a simulator
 * and real AWS sharing a state directory do not mix) and forgotten after MAX_AGE_DAYS.
 */
export const PACING_FILE = "pacing.json";

const VERSION = 1;
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_ENTRIES = 5_000;
const MAX_AGE_DAYS = 30;
/** Rates above this are not believed (requests per second). */
const MAX_RATE = 100_000;

/** Outstanding account-assignment operations that worked, and the count at which AWS last refused one. */
export interface LearnedWindow {
  window: number;
  limit?: number;
}

const positive = (max: number) => z.number().finite().positive().max(max);
const rateEntry = z.object({ rate: positive(MAX_RATE), limit: positive(MAX_RATE).optional() });
const windowEntry = z.object({ window: positive(10_000), limit: positive(10_000).optional() });
const scopeShape = z.object({
  savedAt: z.string(),
  rates: z.record(z.string().max(300), z.unknown()).optional(),
  assignmentWindows: z.record(z.string().max(300), z.unknown()).optional(),
});
const fileShape = z.object({ version: z.literal(VERSION), scopes: z.record(z.string().max(500), z.unknown()) });

interface ScopeEntries {
  savedAt: string;
  rates: Record<string, LearnedRate>;
  assignmentWindows: Record<string, LearnedWindow>;
}

export class PacingMemory {
  readonly #rates: Record<string, LearnedRate>;
  readonly #windows: Record<string, LearnedWindow>;

  /** `path` undefined: remembers for this process only. */
  private constructor(
    readonly path: string | undefined,
    readonly scope: string,
    entries: ScopeEntries | undefined,
    private readonly log: Logger,
  ) {
    this.#rates = entries?.rates ?? {};
    this.#windows = entries?.assignmentWindows ?? {};
  }

  /** Nothing remembered, nothing saved. */
  static inProcess(): PacingMemory {
    return new PacingMemory(undefined, "", undefined, silentLogger);
  }

  /** Reads `<stateDir>/pacing.json` (tolerantly: see the top of this file). */
  static load(stateDir: string, scope: string, log: Logger = silentLogger, now = Date.now()): PacingMemory {
    const path = join(stateDir, PACING_FILE);
    const file = readFile(path, log);
    const entries = file && Object.hasOwn(file.scopes, scope) ? scopeEntries(file.scopes[scope], path, log, now) : undefined;
    return new PacingMemory(path, scope, entries, log);
  }

  rates(): Record<string, LearnedRate> {
    return { ...this.#rates };
  }

  window(key: string): LearnedWindow | undefined {
    return this.#windows[key];
  }

  setWindow(key: string, learned: LearnedWindow): void {
    this.#windows[key] = learned;
  }

  /**
   * Writes what was learned (the rate limiter's buckets, and the windows set here) into the file,
   * keeping other scopes' entries; atomically (temporary file, then rename). Never throws: a state
   * directory that cannot be written costs the next run its head start, nothing else.
   */
  save(rates: Record<string, LearnedRate>, now = Date.now()): void {
    Object.assign(this.#rates, rates);
    if (!this.path) return;
    // Other scopes' entries are kept; a file that cannot be read was reported when loading.
    const existing = readFile(this.path, silentLogger);
    const scopes: Record<string, unknown> = { ...(existing?.scopes ?? {}) };
    scopes[this.scope] = {
      savedAt: new Date(now).toISOString(),
      rates: newest(this.#rates),
      assignmentWindows: newest(this.#windows),
    };
    const body = `${JSON.stringify({ version: VERSION, scopes }, null, 1)}\n`;
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      writeFileSync(temporary, body, { mode: 0o600 });
      renameSync(temporary, this.path);
    } catch (error) {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // Nothing was written there either.
      }
      this.log.warn({ path: this.path, err: (error as Error).message }, "could not save the learned AWS request rates; the next run starts from the quota table");
    }
  }
}

/**
 * The scope a state directory's entries are kept under: the AWS endpoint (or real AWS) and the
 * regions. Only the endpoint's origin and path are kept: whatever else a URL may carry (user
 * info, a query) stays out of the file.
 */
export function pacingScope(endpoint: string | undefined, region: string, ssoRegion: string): string {
  let where = "aws";
  if (endpoint !== undefined) {
    try {
      const url = new URL(endpoint);
      where = `${url.origin}${url.pathname === "/" ? "" : url.pathname}`;
    } catch {
      where = "custom-endpoint";
    }
  }
  return `${where} ${region} ${ssoRegion}`;
}

function readFile(path: string, log: Logger): z.infer<typeof fileShape> | undefined {
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) {
      log.warn({ path }, "ignoring the learned AWS request rates: the file is too large");
      return undefined;
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") log.warn({ path, err: (error as Error).message }, "ignoring the learned AWS request rates: unreadable");
    return undefined;
  }
  let parsed: unknown;
  try {
    // No key of this file may reach an object's prototype.
    parsed = JSON.parse(text, (key, value: unknown) => (key === "__proto__" ? undefined : value));
  } catch {
    log.warn({ path }, "ignoring the learned AWS request rates: not JSON");
    return undefined;
  }
  const file = fileShape.safeParse(parsed);
  if (!file.success) {
    log.warn({ path }, "ignoring the learned AWS request rates: not a pacing file this connector knows");
    return undefined;
  }
  return file.data;
}

function scopeEntries(value: unknown, path: string, log: Logger, now: number): ScopeEntries | undefined {
  if (value === undefined) return undefined;
  const scope = scopeShape.safeParse(value);
  const savedAt = scope.success ? Date.parse(scope.data.savedAt) : Number.NaN;
  if (!scope.success || !Number.isFinite(savedAt)) {
    log.warn({ path }, "ignoring the learned AWS request rates: corrupt entry");
    return undefined;
  }
  if (now - savedAt > MAX_AGE_DAYS * 86_400_000) return undefined;
  return {
    savedAt: scope.data.savedAt,
    rates: validEntries(scope.data.rates, rateEntry),
    assignmentWindows: validEntries(scope.data.assignmentWindows, windowEntry),
  };
}

/** The entries that are well-formed (at most MAX_ENTRIES); the others are dropped one by one. */
function validEntries<T>(entries: Record<string, unknown> | undefined, shape: z.ZodType<T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of Object.entries(entries ?? {}).slice(0, MAX_ENTRIES)) {
    const entry = shape.safeParse(value);
    if (entry.success) out[key] = entry.data;
  }
  return out;
}

/** At most MAX_ENTRIES entries (the last ones set). */
function newest<T>(entries: Record<string, T>): Record<string, T> {
  const all = Object.entries(entries);
  return Object.fromEntries(all.slice(Math.max(0, all.length - MAX_ENTRIES)));
}
