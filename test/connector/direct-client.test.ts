import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import type { ConnectorServices } from "../../src/connector/connector.js";
import { createDirectConnectorApi } from "../../src/connector/direct-client.js";

/** An in-process API whose Validate runs `body` with the call's HandlerContext. */
function apiWith(body: (ctx: HandlerContext) => Promise<void>) {
  const none = {};
  const services = {
    connector: { validate: async (_req: unknown, ctx: HandlerContext) => (await body(ctx), {}) },
    resourceTypes: none,
    resources: none,
    resourceGetter: none,
    entitlements: none,
    grants: none,
    grantManager: none,
    events: none,
  };
  return createDirectConnectorApi(services as unknown as ConnectorServices);
}

const codeOf = (reason: unknown) => (reason instanceof ConnectError ? Code[reason.code] : String(reason));

describe("in-process calls: the handler's signal, made on demand", () => {
  it("fires when the call ends, also for a signal first read after the end", async () => {
    let kept: HandlerContext | undefined;
    let early: AbortSignal | undefined;
    await apiWith(async (ctx) => {
      early = ctx.signal;
      expect(early.aborted).toBe(false);
    }).connector.validate({});
    expect(early?.aborted).toBe(true);
    expect(codeOf(early?.reason)).toBe("Canceled");

    await apiWith(async (ctx) => void (kept = ctx)).connector.validate({});
    expect(kept?.signal.aborted).toBe(true);
    expect(codeOf(kept?.signal.reason)).toBe("Canceled");
  });

  it("follows the caller's abort, before and after the signal is first read", async () => {
    const before = new AbortController();
    const reasonBefore = new Error("caller gave up");
    before.abort(reasonBefore);
    await apiWith(async (ctx) => {
      expect(ctx.signal.aborted).toBe(true);
      expect(ctx.signal.reason).toBe(reasonBefore);
    }).connector.validate({}, { signal: before.signal });

    const during = new AbortController();
    const reasonDuring = new Error("caller gave up later");
    await apiWith(async (ctx) => {
      const signal = ctx.signal;
      expect(signal.aborted).toBe(false);
      during.abort(reasonDuring);
      expect(signal.reason).toBe(reasonDuring);
    }).connector.validate({}, { signal: during.signal });
  });

  it("fires at the deadline, and a signal first read after the deadline is already aborted", async () => {
    const waited = await new Promise<string>((resolve) => {
      void apiWith(
        (ctx) =>
          new Promise<void>((done) => {
            ctx.signal.addEventListener("abort", () => (resolve(codeOf(ctx.signal.reason)), done()));
          }),
      ).connector.validate({}, { timeoutMs: 20 });
    });
    expect(waited).toBe("DeadlineExceeded");

    await apiWith(async (ctx) => {
      await new Promise((r) => setTimeout(r, 30));
      expect(ctx.timeoutMs()).toBeLessThanOrEqual(0);
      expect(ctx.signal.aborted).toBe(true);
      expect(codeOf(ctx.signal.reason)).toBe("DeadlineExceeded");
    }).connector.validate({}, { timeoutMs: 10 });
  });

  it("leaves no listener on the caller's signal once the call is over", async () => {
    const outer = new AbortController();
    let inner: AbortSignal | undefined;
    await apiWith(async (ctx) => void (inner = ctx.signal)).connector.validate({}, { signal: outer.signal });
    expect(codeOf(inner?.reason)).toBe("Canceled");
    outer.abort(new Error("late"));
    expect(codeOf(inner?.reason)).toBe("Canceled");
  });
});
