import { closeSync, constants, fsyncSync, openSync, renameSync, unlinkSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { dirname } from "node:path";

// zstd-napi is CommonJS with a native module behind it: load it as such.
const zstd = createRequire(import.meta.url)("zstd-napi/binding") as typeof import("zstd-napi/binding.js");

/**
 * The c1z v1 container: the 5 magic bytes "C1ZF\0", then exactly one zstd frame whose content is
 * the SQLite database. Compression and decompression stream in chunks, so a multi-GB database
 * never sits in memory; the frame declares its content size (Frame_Content_Size) like baton's
 * writer does since v0.3, and its window stays far below the 128 MiB baton's reader accepts.
 */
export const C1Z_V1_MAGIC = Buffer.from("C1ZF\0", "latin1");
export const C1Z_V3_MAGIC = Buffer.from("C1Z3\0", "latin1");

/** baton's reader refuses frames whose window exceeds this (BATON_DECODER_MAX_MEMORY_MB default). */
export const MAX_WINDOW_BYTES = 128 * 1024 * 1024;
const WINDOW_LOG_MAX = 27;
const CHUNK = 1 << 20;
const DECOMPRESSED_CHUNK = 4 << 20;
const MAX_WORKERS = 4;

/** A file that is not a readable c1z v1: the message is one line, fit for a user. */
export class C1zFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "C1zFormatError";
  }
}

export interface CompressOptions {
  /** zstd level; 3 (zstd's default) trades little speed for noticeably smaller files than 1. */
  level?: number;
}

/** Writes `dbPath` as a c1z to `outPath` (created or truncated), fsynced. Returns the file size. */
export async function writeC1z(dbPath: string, outPath: string, options: CompressOptions = {}): Promise<number> {
  const input = await open(dbPath, "r");
  const output = await open(outPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  try {
    const size = (await input.stat()).size;
    const cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, options.level ?? 3);
    cctx.setParameter(zstd.CParameter.checksumFlag, 1);
    cctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
    // Still one frame, and the same bytes for any number of workers; nothing else runs while a
    // sync publishes, so the compression gets every core.
    cctx.setParameter(zstd.CParameter.nbWorkers, Math.min(availableParallelism(), MAX_WORKERS));
    cctx.setPledgedSrcSize(size);
    await output.write(C1Z_V1_MAGIC);
    let written = C1Z_V1_MAGIC.length;
    const inBuf = Buffer.allocUnsafe(CHUNK);
    const outBuf = Buffer.allocUnsafe(zstd.cStreamOutSize());
    let position = 0;
    for (;;) {
      const { bytesRead } = await input.read(inBuf, 0, CHUNK, position);
      position += bytesRead;
      const last = position >= size || bytesRead === 0;
      let src = inBuf.subarray(0, bytesRead);
      const directive = last ? zstd.EndDirective.end : zstd.EndDirective.continue;
      for (;;) {
        const [remaining, produced, consumed] = cctx.compressStream2(outBuf, src, directive);
        if (produced > 0) {
          await output.write(outBuf.subarray(0, produced));
          written += produced;
        }
        src = src.subarray(consumed);
        if (last ? remaining === 0 : src.length === 0) break;
      }
      if (last) break;
    }
    if (position !== size) throw new Error(`database ${dbPath} changed size while being compressed`);
    await output.sync();
    return written;
  } finally {
    await output.close();
    await input.close();
  }
}

export interface FrameHeader {
  contentSize?: number;
  windowSize: number;
  checksum: boolean;
}

/** Parses a zstd frame header (RFC 8878 §3.1.1.1); `buf` starts at the frame's magic number. */
export function parseFrameHeader(buf: Uint8Array): FrameHeader {
  if (buf.length < 6 || buf[0] !== 0x28 || buf[1] !== 0xb5 || buf[2] !== 0x2f || buf[3] !== 0xfd) {
    throw new C1zFormatError("not a zstd frame after the c1z header");
  }
  const fhd = buf[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  const checksum = (fhd & 0x04) !== 0;
  const dictIdBytes = [0, 1, 2, 4][fhd & 0x03]!;
  let offset = 5;
  let windowSize = 0;
  if (!singleSegment) {
    const wd = buf[offset++]!;
    const windowLog = 10 + (wd >> 3);
    const base = 2 ** windowLog;
    windowSize = base + (base / 8) * (wd & 0x07);
  }
  offset += dictIdBytes;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  let contentSize: number | undefined;
  if (fcsBytes > 0) {
    if (buf.length < offset + fcsBytes) throw new C1zFormatError("truncated zstd frame header");
    const view = Buffer.from(buf.buffer, buf.byteOffset + offset, fcsBytes);
    contentSize =
      fcsBytes === 1 ? view.readUInt8(0) : fcsBytes === 2 ? view.readUInt16LE(0) + 256 : fcsBytes === 4 ? view.readUInt32LE(0) : Number(view.readBigUInt64LE(0));
  }
  if (singleSegment) windowSize = contentSize ?? 0;
  return { contentSize, windowSize, checksum };
}

/**
 * What baton's reader (baton-sdk v0.25) decompresses at most by default: a v1 file whose frame
 * declares a larger database is refused before decoding unless BATON_DECODER_MAX_DECODED_SIZE_MB
 * raises the cap.
 */
export const BATON_READER_MAX_DECODED_BYTES = 10 * 1024 ** 3;

/**
 * A warning for a published c1z whose database is larger than baton's reader opens by default
 * (read from the frame header's content size); undefined when it is within the cap.
 */
export async function decodedSizeWarning(c1zPath: string): Promise<string | undefined> {
  const file = await open(c1zPath, "r");
  try {
    const head = Buffer.alloc(32);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    const size = parseFrameHeader(head.subarray(C1Z_V1_MAGIC.length, bytesRead)).contentSize;
    if (size === undefined || size <= BATON_READER_MAX_DECODED_BYTES) return undefined;
    const gib = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
    const mib = Math.ceil(size / 1024 ** 2);
    return `${c1zPath} holds a ${gib(size)} GiB database: baton's reader opens at most ${gib(BATON_READER_MAX_DECODED_BYTES)} GiB unless BATON_DECODER_MAX_DECODED_SIZE_MB is set (at least ${mib}); connector inspect and report read it as it is`;
  } finally {
    await file.close();
  }
}

/** Magic-number check; throws C1zFormatError naming what the file is instead. */
export function checkMagic(head: Uint8Array, path: string): void {
  const magic = Buffer.from(head.subarray(0, 5));
  if (magic.equals(C1Z_V1_MAGIC)) return;
  if (magic.equals(C1Z_V3_MAGIC)) {
    throw new C1zFormatError(`${path} is a c1z v3 (Pebble) file; only v1 (SQLite) files are supported — convert it with baton's sqlite engine`);
  }
  throw new C1zFormatError(`${path} is not a c1z file (bad magic bytes)`);
}

/**
 * Decompresses the c1z at `c1zPath` into a new SQLite file at `dbPath`, fsynced unless `durable`
 * is false (a temporary copy that is read and deleted: forcing it to disk only costs time, and a
 * database larger than the page cache is written out anyway). Refuses anything but one complete,
 * intact zstd frame: a truncated, corrupted or padded file is an error, never a silently shorter
 * database.
 */
export async function readC1zToDb(c1zPath: string, dbPath: string, options: { durable?: boolean } = {}): Promise<void> {
  const input = await open(c1zPath, "r").catch((error: NodeJS.ErrnoException) => {
    throw new C1zFormatError(error.code === "ENOENT" ? `${c1zPath} does not exist` : `cannot open ${c1zPath}: ${error.message}`);
  });
  const output = await open(dbPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  let writing: Promise<unknown> | undefined;
  try {
    const size = (await input.stat()).size;
    if (size < C1Z_V1_MAGIC.length) throw new C1zFormatError(`${c1zPath} is truncated (${size} bytes)`);
    const head = Buffer.alloc(32);
    const { bytesRead: headBytes } = await input.read(head, 0, head.length, 0);
    checkMagic(head, c1zPath);
    const frame = parseFrameHeader(head.subarray(5, headBytes));
    if (frame.windowSize > MAX_WINDOW_BYTES) {
      throw new C1zFormatError(`${c1zPath} uses a ${frame.windowSize}-byte zstd window; at most ${MAX_WINDOW_BYTES} is accepted`);
    }
    const dctx = new zstd.DCtx();
    dctx.setParameter(zstd.DParameter.windowLogMax, WINDOW_LOG_MAX);
    const inBuf = Buffer.allocUnsafe(CHUNK);
    // Two output buffers: zstd fills one (on this thread) while the other is being written (on
    // libuv's), so decompressing and writing overlap. 4 MiB each rather than zstd's suggested
    // 128 KiB: a multi-GB database is thousands fewer writes.
    const outBufs = [0, 1].map(() => Buffer.allocUnsafe(Math.max(zstd.dStreamOutSize(), DECOMPRESSED_CHUNK)));
    let next = 0;
    let position = C1Z_V1_MAGIC.length;
    let producedTotal = 0;
    let frameDone = false;
    while (position < size) {
      const { bytesRead } = await input.read(inBuf, 0, CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      let src = inBuf.subarray(0, bytesRead);
      while (src.length > 0 || !frameDone) {
        if (frameDone) {
          throw new C1zFormatError(`${c1zPath} is corrupted: data after the end of the compressed database`);
        }
        // This buffer's last write was awaited before the other buffer's was started.
        const outBuf = outBufs[next]!;
        let result: [number, number, number];
        try {
          result = dctx.decompressStream(outBuf, src);
        } catch (error) {
          throw new C1zFormatError(`${c1zPath} is corrupted: ${(error as Error).message}`);
        }
        const [remaining, produced, consumed] = result;
        if (produced > 0) {
          // One write in flight at a time keeps them in order.
          await writing;
          writing = output.write(outBuf.subarray(0, produced));
          // Awaited before the next write or the end; until then a failure (a full disk) must not count as unhandled.
          writing.catch(() => undefined);
          next = 1 - next;
          producedTotal += produced;
        }
        src = src.subarray(consumed);
        if (remaining === 0) frameDone = true;
        if (src.length === 0 && produced < outBuf.length) break;
      }
    }
    await writing;
    if (!frameDone) throw new C1zFormatError(`${c1zPath} is truncated: the compressed database ends early`);
    if (frame.contentSize !== undefined && frame.contentSize !== producedTotal) {
      throw new C1zFormatError(`${c1zPath} is corrupted: declared ${frame.contentSize} bytes, decoded ${producedTotal}`);
    }
    if (options.durable ?? true) await output.sync();
  } finally {
    // A failure may leave a write in flight: it ends before the file is closed (its error is not the one to report).
    await writing?.catch(() => undefined);
    await output.close();
    await input.close();
  }
}

/**
 * Replaces `target` with the finished file at `tmpPath`: rename (atomic on POSIX), then fsync the
 * directory so the new name survives a power cut. Readers see the old file or the new one, never
 * a mix or a truncation.
 */
export function replaceAtomically(tmpPath: string, target: string): void {
  renameSync(tmpPath, target);
  fsyncPath(dirname(target));
}

/** Flushes a file's (or a directory's) writes to disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

export function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
