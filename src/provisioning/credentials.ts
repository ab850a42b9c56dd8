import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { Encrypter, Stanza, type Recipient } from "age-encryption";
import { CompactEncrypt, calculateJwkThumbprint, importJWK, type JWK } from "jose";
import { constants, createHash, createPublicKey, publicEncrypt, randomBytes, randomInt } from "node:crypto";
import {
  EncryptedDataSchema,
  type CredentialOptions,
  type EncryptedData,
  type EncryptionConfig,
  type PasswordConstraint,
} from "../gen/c1/connector/v2/resource_pb.js";

/**
 * Credentials made with an account (a console password, an access key) leave the connector only
 * encrypted, to the public keys the request names (baton's EncryptionConfig), exactly as baton-sdk's
 * providers encrypt them, so a platform decrypts them with its usual code:
 *
 *  - `baton/age/v1` (an `age1…` recipient): a binary age file;
 *  - `baton/jwk/v1` with an Ed25519 or RSA JWK: an age file to the key's SSH form (age's
 *    `ssh-ed25519` / `ssh-rsa` recipient types), standard-base64 text;
 *  - `baton/jwk/v1` with an EC JWK: a compact JWE (ECDH-ES, A256GCM), standard-base64 text.
 *
 * Everything is checked before anything is created, so a bad key never strands a new credential.
 * Plaintexts live only in memory for the request; nothing is logged or stored.
 */

export const AGE_PROVIDER = "baton/age/v1";
export const JWK_PROVIDER = "baton/jwk/v1";

/** The password a request asks for, if any. */
export interface PasswordRequest {
  length: number;
  constraints: PasswordConstraint[];
  forceChangeAtNextLogin: boolean;
}

/** Reads CredentialOptions; throws InvalidArgument/Unimplemented for what the account type cannot do. */
export function requestedPassword(options: CredentialOptions | undefined, randomPasswordAllowed: boolean, accountKind: string): PasswordRequest | undefined {
  switch (options?.options.case) {
    case undefined:
    case "noPassword":
    case "sso":
      return undefined;
    case "randomPassword": {
      if (!randomPasswordAllowed) {
        throw new ConnectError(`${accountKind} accounts get no password from the connector (credential option NO_PASSWORD)`, Code.InvalidArgument);
      }
      const length = Number(options.options.value.length);
      if (!Number.isInteger(length) || length < 8 || length > 64) throw new ConnectError("random_password.length must be 8 to 64", Code.InvalidArgument);
      return { length, constraints: options.options.value.constraints, forceChangeAtNextLogin: options.forceChangeAtNextLogin };
    }
    case "encryptedPassword":
      throw new ConnectError(
        "encrypted_password is not supported: the connector holds no private key to decrypt a chosen password; ask for random_password and receive it encrypted",
        Code.Unimplemented,
      );
  }
}

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const SYMBOLS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/**
 * A random password as baton-sdk makes one: each constraint's minimum from its character set
 * (without constraints, one upper, lower, digit and symbol), the rest from all of them, shuffled.
 * Uniform choices from the CSPRNG (crypto.randomInt).
 */
export function generatePassword(request: Pick<PasswordRequest, "length" | "constraints">): string {
  const chars: string[] = [];
  const pick = (set: string) => {
    if (set.length === 0) throw new ConnectError("a password constraint has an empty char_set", Code.InvalidArgument);
    chars.push(set[randomInt(set.length)]!);
  };
  if (request.constraints.length > 0) {
    for (const c of request.constraints) for (let i = 0; i < c.minCount; i++) pick(c.charSet);
  } else {
    for (const set of [UPPER, LOWER, DIGITS, SYMBOLS]) pick(set);
  }
  if (chars.length > request.length) {
    throw new ConnectError(`password length ${request.length} is less than the constraints' minimums (${chars.length})`, Code.InvalidArgument);
  }
  while (chars.length < request.length) pick(UPPER + LOWER + DIGITS + SYMBOLS);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

/** One recipient a credential is encrypted to. */
interface Sealer {
  seal(plaintext: Uint8Array): Promise<{ bytes: Uint8Array; keyIds: string[] }>;
  provider: string;
}

/** Parses and checks every encryption config; throws InvalidArgument naming the bad one. */
export async function encryptionTargets(configs: readonly EncryptionConfig[]): Promise<Sealer[]> {
  const sealers: Sealer[] = [];
  for (const [index, config] of configs.entries()) {
    try {
      sealers.push(await sealerFor(config));
    } catch (error) {
      const reason = error instanceof ConnectError ? error.rawMessage : (error as Error).message;
      throw new ConnectError(`encryption config ${index}: ${reason}`, Code.InvalidArgument);
    }
  }
  return sealers;
}

/** Encrypts one credential to every target, as baton's EncryptedData. */
export async function sealCredential(
  sealers: readonly Sealer[],
  credential: { name: string; description: string; schema?: string; bytes: Uint8Array },
): Promise<EncryptedData[]> {
  return Promise.all(
    sealers.map(async (s) => {
      const { bytes, keyIds } = await s.seal(credential.bytes);
      return create(EncryptedDataSchema, {
        provider: s.provider,
        // baton-sdk fills the deprecated key_id for JWK keys (the thumbprint), not for age recipients.
        keyId: s.provider === JWK_PROVIDER ? keyIds[0]! : "",
        name: credential.name,
        description: credential.description,
        schema: credential.schema ?? "",
        encryptedBytes: bytes,
        keyIds,
      });
    }),
  );
}

async function sealerFor(config: EncryptionConfig): Promise<Sealer> {
  const provider = config.provider.trim().toLowerCase();
  const which = config.config.case;
  if (which === "ageRecipientConfig" && (provider === "" || provider === AGE_PROVIDER)) {
    const recipient = config.config.value.recipient;
    if (!/^age1[0-9a-z]+$/.test(recipient)) throw new Error("age: expected one canonical age1… recipient");
    const keyId = createHash("sha256").update(recipient, "utf8").digest("hex");
    // Rejects a malformed recipient now rather than after the account exists.
    await ageEncrypt(recipient, new Uint8Array(0));
    return { provider: AGE_PROVIDER, seal: async (plaintext) => ({ bytes: await ageEncrypt(recipient, plaintext), keyIds: [keyId] }) };
  }
  if (which === "jwkPublicKeyConfig" && (provider === "" || provider === JWK_PROVIDER)) {
    const jwk = parseJwk(config.config.value.pubKey);
    const keyId = Buffer.from(await calculateJwkThumbprint(publicPart(jwk), "sha256"), "base64url").toString("hex");
    const seal = jwkSealer(jwk);
    await seal(new Uint8Array(0));
    return {
      provider: JWK_PROVIDER,
      seal: async (plaintext) => ({ bytes: new TextEncoder().encode(Buffer.from(await seal(plaintext)).toString("base64")), keyIds: [keyId] }),
    };
  }
  throw new Error(`unsupported provider "${config.provider}" (supported: ${AGE_PROVIDER} with an age recipient, ${JWK_PROVIDER} with a public JWK)`);
}

function parseJwk(bytes: Uint8Array): JWK {
  let jwk: JWK;
  try {
    jwk = JSON.parse(new TextDecoder().decode(bytes)) as JWK;
  } catch {
    throw new Error("jwk: not a JSON Web Key");
  }
  if (typeof jwk !== "object" || jwk === null) throw new Error("jwk: not a JSON Web Key");
  if ("d" in jwk || "p" in jwk) throw new Error("jwk: a private key was sent; send only the public key");
  return jwk;
}

/** The members RFC 7638 thumbprints cover (what baton's key id is computed from). */
function publicPart(jwk: JWK): JWK {
  if (jwk.kty === "OKP") return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
  if (jwk.kty === "EC") return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  if (jwk.kty === "RSA") return { kty: jwk.kty, e: jwk.e, n: jwk.n };
  throw new Error(`jwk: unsupported key type "${String(jwk.kty)}"`);
}

function jwkSealer(jwk: JWK): (plaintext: Uint8Array) => Promise<Uint8Array> {
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") {
    const pub = Buffer.from(jwk.x ?? "", "base64url");
    if (pub.length !== 32) throw new Error("jwk: Ed25519 key must be 32 bytes");
    const recipient = sshEd25519Recipient(new Uint8Array(pub));
    return (plaintext) => ageEncrypt(recipient, plaintext);
  }
  if (jwk.kty === "RSA") {
    const key = createPublicKey({ key: jwk as never, format: "jwk" });
    const recipient = sshRsaRecipient(key, sshRsaWire(jwk));
    return (plaintext) => ageEncrypt(recipient, plaintext);
  }
  if (jwk.kty === "EC") {
    return async (plaintext) => {
      const key = await importJWK(publicPart(jwk), "ECDH-ES");
      const jwe = await new CompactEncrypt(plaintext).setProtectedHeader({ alg: "ECDH-ES", enc: "A256GCM" }).encrypt(key);
      return new TextEncoder().encode(jwe);
    };
  }
  throw new Error(`jwk: unsupported key (kty ${String(jwk.kty)}${jwk.crv ? `, crv ${jwk.crv}` : ""}); use Ed25519, RSA or an EC key`);
}

async function ageEncrypt(recipient: string | Recipient, plaintext: Uint8Array): Promise<Uint8Array> {
  const encrypter = new Encrypter();
  encrypter.addRecipient(recipient);
  return encrypter.encrypt(plaintext);
}

// --- age's SSH recipient types (filippo.io/age/agessh), which baton-sdk uses for Ed25519 and RSA JWKs.

const ED25519_LABEL = new TextEncoder().encode("age-encryption.org/v1/ssh-ed25519");
const RSA_LABEL = "age-encryption.org/v1/ssh-rsa";

/** SSH wire string: uint32 big-endian length, then the bytes. */
function sshString(bytes: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An SSH mpint: big-endian, a leading zero when the top bit is set. */
function sshMpint(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return sshString(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

/** First 4 bytes of SHA-256 of the SSH public key, unpadded base64 (age's stanza tag). */
const sshTag = (wire: Uint8Array) => Buffer.from(sha256(wire).subarray(0, 4)).toString("base64").replace(/=+$/, "");
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64").replace(/=+$/, "");

function sshEd25519Recipient(publicKey: Uint8Array): Recipient {
  const wire = Buffer.concat([sshString(Buffer.from("ssh-ed25519")), sshString(publicKey)]);
  const theirs = ed25519.utils.toMontgomery(publicKey);
  const tweak = hkdf(sha256, new Uint8Array(0), wire, ED25519_LABEL, 32);
  return {
    wrapFileKey(fileKey) {
      const ephemeral = randomBytes(32);
      const ours = x25519.getPublicKey(ephemeral);
      const shared = x25519.getSharedSecret(tweak, x25519.getSharedSecret(ephemeral, theirs));
      const wrappingKey = hkdf(sha256, shared, Buffer.concat([ours, theirs]), ED25519_LABEL, 32);
      const body = chacha20poly1305(wrappingKey, new Uint8Array(12)).encrypt(fileKey);
      return [new Stanza(["ssh-ed25519", sshTag(wire), b64(ours)], body)];
    },
  };
}

function sshRsaWire(jwk: JWK): Buffer {
  return Buffer.concat([
    sshString(Buffer.from("ssh-rsa")),
    sshMpint(Buffer.from(jwk.e ?? "", "base64url")),
    sshMpint(Buffer.from(jwk.n ?? "", "base64url")),
  ]);
}

function sshRsaRecipient(key: ReturnType<typeof createPublicKey>, wire: Buffer): Recipient {
  return {
    wrapFileKey(fileKey) {
      const body = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256", oaepLabel: Buffer.from(RSA_LABEL) }, fileKey);
      return [new Stanza(["ssh-rsa", sshTag(wire)], new Uint8Array(body))];
    },
  };
}
