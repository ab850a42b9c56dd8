import { gzipSync } from "node:zlib";
import type { Report } from "./report.js";
import { cell, type View } from "./views.js";

/**
 * The data the page embeds, packed small: a JSON header (metadata, headline numbers, the views'
 * column definitions, the shared tables column by column, and row fields of the smaller views)
 * followed by the row arrays as little-endian typed arrays (a large organisation's access view is
 * millions of rows of three table indexes), all gzip-compressed. The page inflates it with the
 * browser's DecompressionStream.
 *
 * Layout: u32 header offset, u32 header length, the buffers (each 4-byte aligned, at the offset
 * the header gives), then the header JSON (UTF-8).
 */
export interface BufferRef {
  buffer: number;
}

interface BufferSpec {
  type: "u8" | "u16" | "u32" | "i32";
  offset: number;
  length: number;
}

export interface PageDataset {
  count: number;
  /** Per source, a buffer of table indexes (-1: none). */
  entities: Partial<Record<"principal" | "target" | "via", BufferRef>>;
  /** Row fields (small views only). */
  fields: Record<string, Array<string | number | null>>;
}

export function encodePageData(report: Report, views: View[]): Buffer {
  const buffers: Array<{ data: ArrayBufferView; spec: BufferSpec }> = [];
  const addBuffer = (values: ArrayLike<number>): BufferRef => {
    let max = 0;
    let min = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v > max) max = v;
      if (v < min) min = v;
    }
    const data = min < 0 ? Int32Array.from(values) : max < 256 ? Uint8Array.from(values) : max < 65_536 ? Uint16Array.from(values) : Uint32Array.from(values);
    const type = min < 0 ? "i32" : max < 256 ? "u8" : max < 65_536 ? "u16" : "u32";
    buffers.push({ data, spec: { type, offset: 0, length: values.length } });
    return { buffer: buffers.length - 1 };
  };

  const { tables, access } = report;
  const datasets: Record<string, PageDataset> = {
    access: { count: access.count, entities: { principal: addBuffer(access.principal), target: addBuffer(access.target), via: addBuffer(access.via) }, fields: {} },
  };
  const pageViews = views.map((view) => {
    const columns = view.columns;
    if (view.name === "privileged" || view.name === "by-account" || view.name === "by-person") {
      return { name: view.name, title: view.title, description: view.description, count: view.count, columns, dataset: "access" };
    }
    const rows = [...view.rows()];
    const sources = [...new Set(view.columns.filter((c) => c.source !== "row").map((c) => c.source as "principal" | "target" | "via"))];
    const entities: PageDataset["entities"] = {};
    for (const source of sources) entities[source] = addBuffer(rows.map((row) => view.entity(row, source)));
    const fields: PageDataset["fields"] = {};
    for (const c of view.columns.filter((c) => c.source === "row")) fields[c.field] = rows.map((row) => cell(tables, view, row, c));
    datasets[view.name] = { count: rows.length, entities, fields };
    return { name: view.name, title: view.title, description: view.description, count: view.count, columns, dataset: view.name };
  });

  const columnar = <T extends object>(entries: T[]) => {
    const out: Record<string, unknown[]> = {};
    for (const key of entries.length > 0 ? Object.keys(entries[0]!) : []) out[key] = entries.map((e) => (e as Record<string, unknown>)[key]);
    return out;
  };
  const header = {
    meta: report.meta,
    summary: report.summary,
    views: pageViews,
    tables: {
      principals: columnar(tables.principals),
      targets: columnar(tables.targets),
      vias: columnar(tables.vias),
    },
    datasets,
    buffers: [] as BufferSpec[],
  };

  // Buffers first (their offsets do not depend on the header), the header last.
  let offset = 8;
  header.buffers = buffers.map(({ data, spec }) => {
    const placed = { ...spec, offset };
    offset = align(offset + data.byteLength);
    return placed;
  });
  const headerBytes = Buffer.from(JSON.stringify(header), "utf8");
  const out = Buffer.alloc(offset + headerBytes.length);
  out.writeUInt32LE(offset, 0);
  out.writeUInt32LE(headerBytes.length, 4);
  header.buffers.forEach((spec, i) => {
    const data = buffers[i]!.data;
    // Typed arrays are little-endian on every platform Node runs on.
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, spec.offset);
  });
  headerBytes.copy(out, offset);
  return gzipSync(out, { level: 6 });
}

const align = (n: number) => (n + 3) & ~3;
