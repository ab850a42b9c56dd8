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
