/**
 * Credentials the connector encrypts for a new account (src/provisioning/credentials.ts) open with
 * baton-sdk's own Go code, as a platform opens them: baton/jwk/v1 with Ed25519, RSA and EC keys
 * through baton-sdk's JWK provider's Decrypt, baton/age/v1 with filippo.io/age (what baton-sdk's age
 * provider encrypts with). The key ids we send must be the ones baton-sdk computes for the same key
 * (RFC 7638 thumbprint for JWKs, SHA-256 of the recipient for age), or a platform cannot match them.
 */
import { create } from "@bufbuild/protobuf";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { beforeAll, expect, test } from "vitest";
import { EncryptionConfigSchema, type EncryptionConfig } from "../../src/gen/c1/connector/v2/resource_pb.js";
import { encryptionTargets, sealCredential } from "../../src/provisioning/credentials.js";
import { buildDecrypter, isUnavailable, skipOrFail, type Unavailable } from "./go-tools.js";

let decrypter: string | Unavailable;
beforeAll(() => {
  decrypter = buildDecrypter();
}, 600_000);

const jwkConfig = (publicKey: KeyObject): EncryptionConfig =>
  create(EncryptionConfigSchema, {
    provider: "baton/jwk/v1",
    config: { case: "jwkPublicKeyConfig", value: { pubKey: new TextEncoder().encode(JSON.stringify(publicKey.export({ format: "jwk" }))) } },
  });
const privateJwk = (privateKey: KeyObject) => JSON.stringify(privateKey.export({ format: "jwk" }));

test("baton-sdk (Go) opens what the connector encrypts, for every key kind, and computes the same key ids", { timeout: 120_000 }, async (ctx) => {
  if (isUnavailable(decrypter)) return skipOrFail(ctx.skip, decrypter);
  const ed25519 = generateKeyPairSync("ed25519");
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const ageIdentity = await generateX25519Identity();
  const targets = [
    { config: jwkConfig(ed25519.publicKey), privateKey: privateJwk(ed25519.privateKey) },
    { config: jwkConfig(rsa.publicKey), privateKey: privateJwk(rsa.privateKey) },
    { config: jwkConfig(ec.publicKey), privateKey: privateJwk(ec.privateKey) },
    {
      config: create(EncryptionConfigSchema, { provider: "baton/age/v1", config: { case: "ageRecipientConfig", value: { recipient: await identityToRecipient(ageIdentity) } } }),
      privateKey: ageIdentity,
    },
  ];
  // A password-like secret with every symbol class, and a JSON access key, as CreateAccount sends them.
  const secrets = ["pä$$-W0rd!\"#%&'()*+,-./:;<=>?@[\\]^_`{|}~", JSON.stringify({ access_key_id: "AKIAEXAMPLE", secret_access_key: "s3cr3t/+=" })];

  const sealers = await encryptionTargets(targets.map((t) => t.config));
  const items = [];
  for (const secret of secrets) {
    const sealed = await sealCredential(sealers, { name: "password", description: "", bytes: new TextEncoder().encode(secret) });
    items.push(...sealed.map((data, i) => ({ secret, data, privateKey: targets[i]!.privateKey })));
  }
  const input = items.map(({ data, privateKey }) => ({ provider: data.provider, privateKey, encryptedBytes: Buffer.from(data.encryptedBytes).toString("base64"), keyIds: data.keyIds }));
  const output = JSON.parse(execFileSync(decrypter, [], { input: JSON.stringify(input), encoding: "utf8" })) as Array<{ plaintext: string; keyId: string }>;

  expect(output.map((o) => o.plaintext)).toEqual(items.map((i) => i.secret));
  expect(output.map((o) => o.keyId)).toEqual(items.map((i) => i.data.keyIds[0]));
  // The deprecated key_id, which baton-sdk's JWK provider still fills, carries the same thumbprint.
  expect(items.filter((i) => i.data.provider === "baton/jwk/v1").every((i) => i.data.keyId === i.data.keyIds[0])).toBe(true);
});
