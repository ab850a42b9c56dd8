/** Connector services over the fake syncers, as a server or a direct client sees them. */
import { randomBytes } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectorServices, type ConnectorDeps } from "../../../src/connector/connector.js";
import { PageTokenCodec } from "../../../src/connector/page-token.js";
import { fakeGroupProvisioner, fakeGroupSyncer, fakeUserSyncer } from "./fake-syncers.js";

export function fakeServices(overrides: Partial<ConnectorDeps> = {}) {
  return createConnectorServices({
    syncers: [fakeUserSyncer, fakeGroupSyncer],
    provisioners: [fakeGroupProvisioner],
    provisioningEnabled: false,
    pageTokens: new PageTokenCodec(randomBytes(32)),
    describe: async () => ({ displayName: "AWS (fake)", description: "fake connector" }),
    validate: async () => undefined,
    cleanup: async () => undefined,
    ...overrides,
  });
}

export const failingValidate = async () => {
  throw new ConnectError("organizations:ListAccounts denied — add it to the connector's policy", Code.PermissionDenied);
};
