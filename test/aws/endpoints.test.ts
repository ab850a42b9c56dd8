import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ListUsersCommand } from "@aws-sdk/client-iam";
import { ListUsersCommand as ListStoreUsersCommand } from "@aws-sdk/client-identitystore";
import { ListAccountsCommand } from "@aws-sdk/client-organizations";
import { ListInstancesCommand } from "@aws-sdk/client-sso-admin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../src/aws/clients.js";
import { loadConfig } from "../../src/config/load-config.js";

interface Hit {
  server: string;
  service: string;
  action: string;
}

/** A stand-in AWS endpoint that records which service (SigV4 scope) and action reached it. */
function recordingEndpoint(name: string, hits: Hit[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? "")?.[1] ?? "?";
      const target = req.headers["x-amz-target"];
      const action = typeof target === "string" ? target.split(".").pop()! : (new URLSearchParams(body).get("Action") ?? "?");
      hits.push({ server: name, service, action });
      const xml = (op: string, inner: string) =>
        `<${op}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><${op}Result>${inner}</${op}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${op}Response>`;
      if (action === "AssumeRole") {
        const exp = new Date(Date.now() + 3600_000).toISOString();
        res.writeHead(200, { "content-type": "text/xml" }).end(
          xml("AssumeRole", `<Credentials><AccessKeyId>ASIAHOP</AccessKeyId><SecretAccessKey>hop-secret</SecretAccessKey><SessionToken>hop-token</SessionToken><Expiration>${exp}</Expiration></Credentials>`),
        );
      } else if (action === "GetCallerIdentity") {
        res.writeHead(200, { "content-type": "text/xml" }).end(xml("GetCallerIdentity", "<Account>222222222222</Account><Arn>arn:aws:sts::222222222222:assumed-role/r/s</Arn><UserId>AROA:s</UserId>"));
      } else if (action === "ListUsers" && service === "iam") {
        res.writeHead(200, { "content-type": "text/xml" }).end(xml("ListUsers", "<IsTruncated>false</IsTruncated><Users/>"));
      } else {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end("{}");
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

const hits: Hit[] = [];
let main: { url: string; server: Server };
let other: { url: string; server: Server };
beforeAll(async () => {
  main = await recordingEndpoint("main", hits);
  other = await recordingEndpoint("other", hits);
});
afterAll(() => {
  main.server.close();
  other.server.close();
});

const assumeRoleFlags = {
  globalAccessKeyId: "AKIAEXAMPLEBASE00001",
  globalSecretAccessKey: "base-secret-key",
  useAssume: true,
  roleArn: "arn:aws:iam::222222222222:role/customer",
  externalId: "customer-external-id",
  globalAwsSsoRegion: "eu-west-1",
};

/** One call on every client, the role hop included. */
async function exercise(flags: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  hits.length = 0;
  const clients = createAwsClients(loadConfig({ flags, env, cwd: "/nonexistent" }));
  try {
    await clients.callerIdentity();
    await (await clients.iam()).send(new ListUsersCommand({}));
    await clients.identityStore().send(new ListStoreUsersCommand({ IdentityStoreId: "d-1234567890" }));
    await clients.ssoAdmin().send(new ListInstancesCommand({}));
    await clients.organizations().send(new ListAccountsCommand({}));
  } finally {
    clients.destroy();
  }
  return hits.map((h) => `${h.server} ${h.service}:${h.action}`).sort();
}

describe("endpoint overrides reach every client, the STS client of each role hop included", () => {
  it("--aws-endpoint, with AWS_ENDPOINT_URL_IAM winning for IAM", async () => {
    const seen = await exercise({ ...assumeRoleFlags, awsEndpoint: main.url }, { AWS_ENDPOINT_URL_IAM: other.url });
    expect(seen).toEqual([
      "main identitystore:ListUsers",
      "main organizations:ListAccounts",
      "main sso:ListInstances",
      "main sts:AssumeRole",
      "main sts:GetCallerIdentity",
      "other iam:ListUsers",
    ]);
  });

  it("AWS_ENDPOINT_URL, with AWS_ENDPOINT_URL_STS for STS (role hop included) and per-service names", async () => {
    const seen = await exercise(assumeRoleFlags, {
      AWS_ENDPOINT_URL: main.url,
      AWS_ENDPOINT_URL_STS: other.url,
      AWS_ENDPOINT_URL_SSO_ADMIN: other.url,
      AWS_ENDPOINT_URL_IDENTITYSTORE: other.url,
      AWS_ENDPOINT_URL_ORGANIZATIONS: other.url,
    });
    expect(seen).toEqual([
      "main iam:ListUsers",
      "other identitystore:ListUsers",
      "other organizations:ListAccounts",
      "other sso:ListInstances",
      "other sts:AssumeRole",
      "other sts:GetCallerIdentity",
    ]);
  });

  it("signs with the configured regions: global for IAM/STS/Organizations, Identity Center's for the others", async () => {
    const regions: string[] = [];
    const server = createServer((req, res) => {
      regions.push(/Credential=[^/]+\/[^/]+\/([^/]+)\/([^/]+)\//.exec(req.headers.authorization ?? "")!.slice(1).join(" "));
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const clients = createAwsClients(
      loadConfig({ flags: { awsEndpoint: url, globalRegion: "us-west-2", globalAwsSsoRegion: "eu-central-1", globalAccessKeyId: "AKIAEXAMPLEBASE00001", globalSecretAccessKey: "k" }, env: {}, cwd: "/nonexistent" }),
    );
    await clients.ssoAdmin().send(new ListInstancesCommand({}));
    await clients.organizations().send(new ListAccountsCommand({}));
    clients.destroy();
    server.close();
    expect(regions).toEqual(["eu-central-1 sso", "us-west-2 organizations"]);
  });
});
