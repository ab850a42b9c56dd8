import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { createDirectConnectorApi } from "../../src/connector/direct-client.js";
import { fakeServices } from "./support/services.js";

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: "OK", message: "" };
  } catch (error) {
    const e = ConnectError.from(error);
    return { code: Code[e.code], message: e.rawMessage };
  }
}

const unknown = { id: { resourceType: "no_such_type", resource: "x" } };

describe("routing by resource type", () => {
  const api = createDirectConnectorApi(fakeServices());

  it("unknown types: List* → NotFound, GetResource → Unimplemented", async () => {
    expect(await codeOf(api.resources.listResources({ resourceTypeId: "no_such_type" }))).toEqual({ code: "NotFound", message: 'unknown resource type "no_such_type"' });
    expect((await codeOf(api.entitlements.listEntitlements({ resource: unknown }))).code).toBe("NotFound");
    expect((await codeOf(api.grants.listGrants({ resource: unknown }))).code).toBe("NotFound");
    expect((await codeOf(api.entitlements.listStaticEntitlements({ resourceTypeId: "no_such_type" }))).code).toBe("NotFound");
    expect((await codeOf(api.resourceGetter.getResource({ resourceId: unknown.id }))).code).toBe("Unimplemented");
  });

  it("ListStaticEntitlements answers an empty list for known types", async () => {
    const res = await api.entitlements.listStaticEntitlements({ resourceTypeId: "fake_user" });
    expect(res.list).toEqual([]);
    expect(res.nextPageToken).toBe("");
  });

  it("GetResource: types without a getter → Unimplemented; missing resource → NotFound", async () => {
    expect((await codeOf(api.resourceGetter.getResource({ resourceId: { resourceType: "fake_user", resource: "bob" } }))).code).toBe("Unimplemented");
    expect((await codeOf(api.resourceGetter.getResource({ resourceId: { resourceType: "fake_group", resource: "nobody" } }))).code).toBe("NotFound");
  });

  it("malformed requests → InvalidArgument", async () => {
    expect((await codeOf(api.resources.listResources({ resourceTypeId: "" }))).code).toBe("InvalidArgument");
    expect((await codeOf(api.resources.listResources({ resourceTypeId: "x".repeat(1025) }))).code).toBe("InvalidArgument");
    expect((await codeOf(api.resources.listResources({ resourceTypeId: "fake_user", pageSize: 251 }))).code).toBe("InvalidArgument");
    expect((await codeOf(api.entitlements.listEntitlements({}))).code).toBe("InvalidArgument");
    expect((await codeOf(api.grants.listGrants({ resource: { id: { resourceType: "fake_group", resource: "" } } }))).code).toBe("InvalidArgument");
    expect((await codeOf(api.resourceGetter.getResource({}))).code).toBe("InvalidArgument");
  });

  it("provisioning disabled → FailedPrecondition \"provisioning is not enabled\", whatever the request", async () => {
    expect(await codeOf(api.grantManager.grant({}))).toEqual({ code: "FailedPrecondition", message: "provisioning is not enabled" });
    expect(await codeOf(api.grantManager.revoke({}))).toEqual({ code: "FailedPrecondition", message: "provisioning is not enabled" });
  });

  it("provisioning enabled: types without a provisioner → Unimplemented", async () => {
    const enabled = createDirectConnectorApi(fakeServices({ provisioningEnabled: true }));
    const result = await codeOf(
      enabled.grantManager.grant({
        entitlement: { id: "e", resource: { id: { resourceType: "fake_user", resource: "bob" } } },
        principal: { id: { resourceType: "fake_user", resource: "alice" } },
      }),
    );
    expect(result.code).toBe("Unimplemented");
  });

  it("a syncer aborted by the request deadline answers DeadlineExceeded", async () => {
    const slow = createDirectConnectorApi(
      fakeServices({
        validate: (signal) =>
          new Promise((_, reject) => signal.addEventListener("abort", () => reject(Object.assign(new Error("aborted"), { name: "AbortError" })))),
      }),
    );
    expect((await codeOf(slow.connector.validate({}, { timeoutMs: 20 }))).code).toBe("DeadlineExceeded");
  });
});
