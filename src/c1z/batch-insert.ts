import type { Database, Statement } from "better-sqlite3";

/**
 * Multi-row upserts: one statement writes up to 64 rows, and a value every row of the batch has
 * (the sync id, the entitlement of a page of grants) is bound once, not once per row. Binding is
 * most of what an insert costs from JavaScript, and a page of records usually differs in only a
 * column or two.
 *
 * The statement is INSERT … SELECT from a VALUES list, which SQLite reads in order, so rows get
 * their ids in batch order and a record repeated within a batch upserts the earlier one, exactly
 * as one statement per record would.
 */

/** Where a column's value comes from. */
export type ColumnSource =
  /** Every row has this value (bound once, by name). */
  | { value: unknown }
  /** One value per row. */
  | { values: ArrayLike<unknown> }
  /** One value per row, computed when the row is bound. */
  | { each: (row: number) => unknown }
  /** An SQL expression; `{column}` stands for another column's value. */
  | { sql: string };

export interface BatchTable {
  table: string;
  /** Columns in insert order. */
  columns: readonly string[];
  /** The ON CONFLICT clause. */
  conflict: string;
}

/**
 * Rows per statement: a batch is cut into these (largest first), so a few statements serve every
 * size. 100 is the page size of most AWS listings (and so of most grant pages): one statement per
 * page instead of three (64 + 32 + 4) binds the page's shared values once — about a tenth less
 * insert time per grant (1M grants, engine benchmark's shape).
 */
const CHUNKS = [100, 64, 32, 16, 8, 4, 2, 1];

export class BatchInsert {
  readonly #statements = new Map<string, Statement>();

  constructor(
    private readonly db: Database,
    private readonly spec: BatchTable,
  ) {}

  /** Writes `count` rows. */
  run(count: number, sources: Record<string, ColumnSource>): void {
    this.#each(count, sources, "", (statement, perRow, shared) => void statement.run(perRow, shared));
  }

  /** Writes `count` rows; returns what `returning` names for each row written (in no particular order). */
  returning<R>(count: number, sources: Record<string, ColumnSource>, returning: string): R[] {
    const out: R[] = [];
    this.#each(count, sources, returning, (statement, perRow, shared) => {
      for (const row of statement.all(perRow, shared) as R[]) out.push(row);
    });
    return out;
  }

  #each(count: number, sources: Record<string, ColumnSource>, returning: string, execute: (statement: Statement, perRow: unknown[], shared: Record<string, unknown>) => void): void {
    const { columns } = this.spec;
    const shared: Record<string, unknown> = {};
    const perRowSources: Array<Extract<ColumnSource, { values: unknown } | { each: unknown }>> = [];
    let key = returning;
    for (const column of columns) {
      const source = sources[column];
      if (!source) throw new Error(`no value for column ${column} of ${this.spec.table}`);
      if ("value" in source) {
        shared[column] = source.value;
        key += "|v";
      } else if ("sql" in source) key += `|s:${source.sql}`;
      else {
        perRowSources.push(source);
        key += "|r";
      }
    }
    const perRow: unknown[] = [];
    for (let from = 0; from < count; ) {
      const size = CHUNKS.find((c) => c <= count - from)!;
      perRow.length = 0;
      for (let i = from; i < from + size; i++) {
        for (const source of perRowSources) perRow.push("values" in source ? source.values[i] : source.each(i));
      }
      execute(this.#statement(key, size, sources, returning), perRow, shared);
      from += size;
    }
  }

  #statement(key: string, size: number, sources: Record<string, ColumnSource>, returning: string): Statement {
    const cacheKey = `${key}#${size}`;
    let statement = this.#statements.get(cacheKey);
    if (!statement) this.#statements.set(cacheKey, (statement = this.db.prepare(this.#sql(size, sources, returning))));
    return statement;
  }

  #sql(size: number, sources: Record<string, ColumnSource>, returning: string): string {
    const { table, columns, conflict } = this.spec;
    const select = new Map<string, string>();
    let perRow = 0;
    for (const column of columns) {
      const source = sources[column]!;
      if ("value" in source) select.set(column, `@${column}`);
      else if (!("sql" in source)) select.set(column, `column${++perRow}`);
    }
    for (const column of columns) {
      const source = sources[column]!;
      if ("sql" in source) select.set(column, source.sql.replace(/\{(\w+)\}/g, (_, name: string) => select.get(name) ?? `{${name}}`));
    }
    const row = `(${Array.from({ length: perRow }, () => "?").join(", ")})`;
    // No per-row column at all: the VALUES list still sets the number of rows.
    const values = perRow > 0 ? Array.from({ length: size }, () => row).join(", ") : Array.from({ length: size }, () => "(null)").join(", ");
    return `insert into ${table} (${columns.join(", ")})
      select ${columns.map((c) => select.get(c)).join(", ")} from (values ${values}) where true
      ${conflict}${returning ? ` returning ${returning}` : ""}`;
  }
}
