/**
 * The thread that owns a sync's working database (started by store.ts): it applies the engine's
 * operations in order — inserts, checkpoints, grant expansion, sealing, compression — while the
 * main thread keeps talking to the connector. That puts SQLite and zstd on the second core.
 */
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { StoreCore } from "./store-core.js";
import { AFTER_FAILURE, Progress, serializeError, type OpMessage, type WorkerMessage } from "./store-protocol.js";

function serveStore(port: MessagePort, progress: Int32Array): void {
  const post = (message: WorkerMessage) => port.postMessage(message);
  const core = new StoreCore((event) => post({ kind: "event", event }));
  const inbox: OpMessage[] = [];
  let running = false;
  let failure: unknown;

  async function apply(message: OpMessage): Promise<void> {
    try {
      if (failure !== undefined && !AFTER_FAILURE.has(message.op)) throw failure;
      const method = core[message.op] as (...args: unknown[]) => unknown;
      const value = await method.apply(core, message.args);
      if (message.reply) post({ kind: "reply", seq: message.seq, ok: true, value });
    } catch (error) {
      if (failure === undefined) {
        failure = error;
        // Nobody may be waiting for this operation: say so at once, so the engine stops sending.
        if (!message.reply) post({ kind: "failed", error: serializeError(error) });
      }
      if (message.reply) post({ kind: "reply", seq: message.seq, ok: false, error: serializeError(error) });
    }
  }

  /** Publishes `seq` as applied; wakes the engine if it waits for it. */
  function applied(seq: number): void {
    Atomics.store(progress, Progress.APPLIED, seq);
    const waitingFor = Atomics.load(progress, Progress.WAITING_FOR);
    if (waitingFor > 0 && seq >= waitingFor && Atomics.compareExchange(progress, Progress.WAITING_FOR, waitingFor, 0) === waitingFor) {
      post({ kind: "processed" });
    }
  }

  async function drain(): Promise<void> {
    running = true;
    while (inbox.length > 0) {
      const message = inbox.shift()!;
      await apply(message);
      applied(message.seq);
    }
    running = false;
  }

  port.on("message", (message: OpMessage) => {
    inbox.push(message);
    if (!running) void drain();
  });
}

if (parentPort) serveStore(parentPort, new Int32Array((workerData as { progress: SharedArrayBuffer }).progress));
