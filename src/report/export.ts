import { once } from "node:events";
import type { Writable } from "node:stream";
import type { Report } from "./report.js";
import { cell, type Cell, type Column, type View } from "./views.js";

/**
 * CSV and JSON of the views, streamed (an access view of a large organisation has millions of
 * rows). CSV is RFC 4180 with a header row of column titles; a text cell that a spreadsheet would
 * run as a formula (starting with =, +, -, @, tab or carriage return) is prefixed with an
 * apostrophe. JSON is one document: the report's metadata and headline numbers, then each view's
 * columns and rows (objects keyed by column key). Dates are ISO 8601 in both.
 */
export async function writeCsv(report: Report, view: View, out: Writable): Promise<void> {
  const columns = view.columns;
  await write(out, `${columns.map((c) => csvCell(c.title, true)).join(",")}\r\n`);
  let buffer = "";
  for (const row of view.rows()) {
    buffer += `${columns.map((c) => csvCell(cellText(c, cell(report.tables, view, row, c)), c.type === "text")).join(",")}\r\n`;
    if (buffer.length > 1 << 16) {
      await write(out, buffer);
      buffer = "";
    }
  }
  if (buffer) await write(out, buffer);
}

export async function writeJson(report: Report, views: View[], out: Writable): Promise<void> {
  await write(out, `{"meta":${JSON.stringify(report.meta)},"summary":${JSON.stringify(report.summary)},"views":{`);
  for (const [i, view] of views.entries()) {
    const columns = view.columns;
    const head = { title: view.title, description: view.description, count: view.count, columns: columns.map((c) => ({ key: c.key, title: c.title, type: c.type })) };
    await write(out, `${i > 0 ? "," : ""}\n${JSON.stringify(view.name)}:${JSON.stringify(head).slice(0, -1)},"rows":[`);
    let buffer = "";
    let first = true;
    for (const row of view.rows()) {
      const record: Record<string, Cell> = {};
      for (const c of columns) record[c.key] = jsonValue(c, cell(report.tables, view, row, c));
      buffer += `${first ? "" : ","}\n${JSON.stringify(record)}`;
      first = false;
      if (buffer.length > 1 << 16) {
        await write(out, buffer);
        buffer = "";
      }
    }
    await write(out, `${buffer}\n]}`);
  }
  await write(out, "\n}}\n");
}

function cellText(column: Column, value: Cell): string {
  if (value === null || value === undefined) return "";
  if (column.type === "date") return typeof value === "number" ? new Date(value).toISOString() : String(value);
  return String(value);
}

const jsonValue = (column: Column, value: Cell): Cell => (column.type === "date" && typeof value === "number" ? new Date(value).toISOString() : value ?? null);

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field; `text` cells that a spreadsheet would run as a formula are defused. */
export function csvCell(text: string, isText: boolean): string {
  const safe = isText && FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}
