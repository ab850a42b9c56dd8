import Table from "cli-table3";
import { Option } from "commander";

/**
 * Command output on stdout, for every command that prints a result: one `-o, --output` option
 * (table or json), writes that wait for a slow reader instead of queueing without bound (a pipe
 * into `cat` or `less` must not exhaust memory), and tables for people.
 */
export type OutputFormat = "table" | "json";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["table", "json"];

/** `-o, --output <format>`: the same option, the same choices, on every command that prints a result. */
export function outputOption(description = "output format"): Option {
  return new Option("-o, --output <format>", description).choices(OUTPUT_FORMATS).default("table");
}

/** Box tables without a rule between every row. */
export const COMPACT_TABLE = { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" };

/**
 * Writes to stdout, waiting while the pipe is full. A closed pipe (EPIPE) is handled once, by the
 * CLI runner, which ends the process quietly.
 */
export async function writeOut(text: string): Promise<void> {
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      process.stdout.off("drain", done).off("close", done).off("error", done);
      resolve();
    };
    process.stdout.once("drain", done).once("close", done).once("error", done);
  });
}

/** Prints rows as JSON (an array of objects) or as a table with the given columns. */
export async function printRows<T extends object>(rows: T[], columns: Array<[header: string, cell: (row: T) => string]>, output: OutputFormat): Promise<void> {
  if (output === "json") return writeOut(`${JSON.stringify(rows, null, 2)}\n`);
  const table = new Table({ head: columns.map(([header]) => header), style: { head: [], border: [] }, wordWrap: true });
  for (const row of rows) table.push(columns.map(([, cell]) => cell(row)));
  return writeOut(`${table.toString()}\n`);
}

/** Prints one result as JSON or as a two-column table. */
export async function printRecord(record: Record<string, unknown>, output: OutputFormat): Promise<void> {
  if (output === "json") return writeOut(`${JSON.stringify(record, null, 2)}\n`);
  const table = new Table({ style: { head: [], border: [] }, wordWrap: true });
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    table.push({ [key]: Array.isArray(value) ? value.join("\n") : String(value) });
  }
  return writeOut(`${table.toString()}\n`);
}

/**
 * Output written in chunks of about 64 KiB: one write (and one wait for a slow reader) per chunk,
 * not per row, and never more than a chunk held in memory.
 */
export class ChunkedOut {
  #pending: string[] = [];
  #size = 0;

  async add(text: string): Promise<void> {
    this.#pending.push(text);
    this.#size += text.length;
    if (this.#size >= 64 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#size === 0) return;
    const text = this.#pending.join("");
    this.#pending = [];
    this.#size = 0;
    await writeOut(text);
  }
}

/**
 * A table streamed row by row in plain aligned columns (no box: rows can be grepped, cut and
 * sorted). Column widths come from the header and the first `sample` rows; a longer cell later
 * shifts the rest of its row rather than being cut — an id is never shortened.
 */
export class ColumnStream {
  readonly #out = new ChunkedOut();
  #sampled: string[][] = [];
  #widths: number[] | undefined;
  #rows = 0;

  constructor(
    private readonly headers: string[],
    private readonly sample = 1000,
  ) {}

  async row(cells: Array<string | number>): Promise<void> {
    this.#rows++;
    const text = cells.map((c) => oneLine(String(c)));
    if (this.#widths) return this.#out.add(this.#line(text));
    this.#sampled.push(text);
    if (this.#sampled.length >= this.sample) await this.#emitSample();
  }

  /** Ends the table with "N row(s)" (or `none` when there was no row). */
  async end(none = "no rows"): Promise<void> {
    if (this.#rows === 0) {
      await this.#out.add(`${none}\n`);
    } else {
      if (!this.#widths) await this.#emitSample();
      await this.#out.add(`${this.#rows} row(s)\n`);
    }
    await this.#out.flush();
  }

  async #emitSample(): Promise<void> {
    const widths = this.headers.map((h) => h.length);
    for (const row of this.#sampled) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
    this.#widths = widths;
    await this.#out.add(this.#line(this.headers));
    for (const row of this.#sampled) await this.#out.add(this.#line(row));
    this.#sampled = [];
  }

  #line(cells: string[]): string {
    const last = cells.length - 1;
    return `${cells.map((cell, i) => (i === last ? cell : cell.padEnd(this.#widths![i] ?? 0))).join("  ").trimEnd()}\n`;
  }
}

/** A JSON document `{ ...head, "<key>": [ items… ] }` streamed one item at a time. */
export class JsonArrayStream {
  readonly #out = new ChunkedOut();
  #first = true;

  constructor(
    private readonly head: Record<string, unknown>,
    private readonly key: string,
  ) {}

  async item(value: unknown): Promise<void> {
    if (this.#first) {
      const head = JSON.stringify(this.head);
      await this.#out.add(`${head.slice(0, -1)}${head === "{}" ? "" : ","}${JSON.stringify(this.key)}:[\n`);
    }
    await this.#out.add(`${this.#first ? "" : ",\n"}${JSON.stringify(value)}`);
    this.#first = false;
  }

  async end(): Promise<void> {
    if (this.#first) {
      await this.#out.add(`${JSON.stringify({ ...this.head, [this.key]: [] })}\n`);
    } else {
      await this.#out.add("\n]}\n");
    }
    await this.#out.flush();
  }
}

function oneLine(text: string): string {
  return text.includes("\n") ? text.replace(/\s*\n\s*/g, " ") : text;
}
