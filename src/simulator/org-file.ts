/**
 * Loading an organisation from a JSON file (`--org FILE`). The shape is checked with zod and
 * the references with the model builder; either way the error names the offending field, e.g.
 * `accounts[2].iam.users[0].groups[1]: unknown IAM group Deployers`.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { OrgSpecError } from "./model/build.js";
import type { OrgSpec } from "./model/spec.js";

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be an ISO-8601 time");
const accountId = z.string().regex(/^\d{12}$/, "must be a 12-digit account id");
const iamName = z.string().min(1).max(128).regex(/^[\w+=,.@-]+$/, "must contain only alphanumerics and +=,.@_-");
const iamPath = z.string().regex(/^\/([\x21-\x7e]*\/)?$/, "must start and end with /");
const policyDocument = z.record(z.string(), z.unknown());
const tags = z.record(z.string(), z.string());
const inlinePolicies = z.array(z.strictObject({ name: iamName, document: policyDocument }));
const policyArn = z.string().regex(/^arn:aws:iam::(aws|\d{12}):policy\/([\x21-\x7e]*\/)?[\w+=,.@-]+$/, "must be a managed policy ARN");
const awsPolicyArn = z.string().regex(/^arn:aws:iam::aws:policy\/([\x21-\x7e]*\/)?[\w+=,.@-]+$/, "must be an AWS-managed policy ARN (arn:aws:iam::aws:policy/…)");
const policyPath = z.string().regex(/^((\/[A-Za-z0-9.,+@=_-]+)*)\/$/, "must be / or /segment/…/");
const status = z.enum(["Active", "Inactive"]);
const credentialId = (prefix: string, length: number) => z.string().regex(new RegExp(`^${prefix}[A-Z0-9]{${length}}$`), `must be ${prefix} followed by ${length} upper-case letters or digits`);
const ouName = z.string().min(1).max(128).regex(/^[^/]+$/, "must not contain /");

interface OuSpecInput {
  id?: string;
  name: string;
  children?: OuSpecInput[];
}
const organizationalUnit: z.ZodType<OuSpecInput> = z.lazy(() =>
  z.strictObject({
    id: z.string().regex(/^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$/, "must look like ou-<4-32>-<8-32> lower-case alphanumerics").optional(),
    name: ouName,
    children: z.array(organizationalUnit).optional(),
  }),
);

const iamEntity = {
  name: iamName,
  path: iamPath.optional(),
  id: z.string().regex(/^[A-Z0-9]{16,128}$/, "must be an IAM unique id such as AIDA…").optional(),
  createdAt: iso.optional(),
  attachedPolicies: z.array(policyArn).optional(),
  inlinePolicies: inlinePolicies.optional(),
};

const iamUser = z.strictObject({
  ...iamEntity,
  tags: tags.optional(),
  groups: z.array(iamName).optional(),
  passwordLastUsed: iso.optional(),
  permissionsBoundary: policyArn.optional(),
  loginProfile: z.strictObject({ createdAt: iso.optional(), passwordResetRequired: z.boolean().optional() }).optional(),
  accessKeys: z
    .array(
      z.strictObject({
        id: credentialId("AKIA", 16).optional(),
        status: status.optional(),
        createdAt: iso.optional(),
        lastUsed: z.strictObject({ date: iso, service: z.string().min(1), region: z.string().min(1) }).optional(),
      }),
    )
    .optional(),
  mfaDevices: z.array(z.strictObject({ serialNumber: z.string().regex(/^[\w+=/:,.@-]{9,256}$/, "must be an MFA serial number").optional(), enableDate: iso.optional() })).optional(),
  signingCertificates: z.array(z.strictObject({ id: z.string().regex(/^[A-Z0-9]{24,128}$/, "must be 24+ upper-case letters or digits").optional(), status: status.optional(), uploadDate: iso.optional() })).optional(),
  sshPublicKeys: z.array(z.strictObject({ id: credentialId("APKA", 16).optional(), status: status.optional(), uploadDate: iso.optional() })).optional(),
  serviceSpecificCredentials: z
    .array(z.strictObject({ serviceName: z.string().min(1), id: credentialId("ACCA", 17).optional(), status: status.optional(), createdAt: iso.optional() }))
    .optional(),
});

const policyReference = z.strictObject({ name: iamName, path: policyPath.optional() });

const resourceId = z.string().regex(/^([0-9a-f]{10}-|)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be a UUID or <10 hex>-<UUID>");

export const orgSpecSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1),
  seed: z.number().int().optional(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be a region such as us-east-1").optional(),
  organization: z
    .strictObject({
      id: z.string().regex(/^o-[a-z0-9]{10,32}$/, "must look like o-<10-32 lower-case alphanumerics>").optional(),
      featureSet: z.enum(["ALL", "CONSOLIDATED_BILLING"]).optional(),
      managementAccountId: accountId,
      rootId: z.string().regex(/^r-[0-9a-z]{4,32}$/, "must look like r-<4-32 lower-case alphanumerics>").optional(),
      organizationalUnits: z.array(organizationalUnit).optional(),
    })
    .nullable()
    .optional(),
  accounts: z
    .array(
      z.strictObject({
        id: accountId,
        name: z.string().min(1).max(128),
        email: z.string().min(6).max(64).includes("@"),
        state: z.enum(["ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"]).optional(),
        inOrganization: z.boolean().optional(),
        joinedMethod: z.enum(["CREATED", "INVITED"]).optional(),
        joinedAt: iso.optional(),
        alias: z.string().regex(/^[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?$/, "must be a valid account alias").min(3).max(63).optional(),
        organizationalUnit: z.string().min(1).optional(),
        iam: z
          .strictObject({
            users: z.array(iamUser).optional(),
            groups: z.array(z.strictObject(iamEntity)).optional(),
            roles: z
              .array(
                z.strictObject({
                  ...iamEntity,
                  name: z.string().min(1).max(64).regex(/^[\w+=,.@-]+$/),
                  description: z.string().max(1000).optional(),
                  maxSessionDuration: z.number().int().min(3600).max(43200).optional(),
                  trustPolicy: policyDocument,
                  tags: tags.optional(),
                  permissionsBoundary: policyArn.optional(),
                  lastUsed: z.strictObject({ date: iso, region: z.string().min(1) }).optional(),
                }),
              )
              .optional(),
            policies: z
              .array(
                z.strictObject({
                  name: iamName,
                  path: policyPath.optional(),
                  id: z.string().regex(/^[A-Z0-9]{16,128}$/, "must be an IAM unique id such as ANPA…").optional(),
                  description: z.string().max(1000).optional(),
                  createdAt: iso.optional(),
                  document: policyDocument,
                  previousVersions: z.array(z.strictObject({ document: policyDocument, createdAt: iso.optional() })).max(4, "a managed policy has at most 5 versions").optional(),
                  updatedAt: iso.optional(),
                  tags: tags.optional(),
                }),
              )
              .optional(),
          })
          .optional(),
      }),
    )
    .min(1),
  identityCenter: z
    .strictObject({
      instanceId: z.string().regex(/^ssoins-[0-9a-f]{16}$/, "must look like ssoins-<16 hex>").optional(),
      identityStoreId: z.string().regex(/^d-[0-9a-f]{10}$/, "must look like d-<10 hex>").optional(),
      name: z.string().optional(),
      homeAccountId: accountId.optional(),
      createdAt: iso.optional(),
      users: z.array(
        z.strictObject({
          id: resourceId.optional(),
          userName: z.string().min(1).max(128),
          givenName: z.string().min(1),
          familyName: z.string().min(1),
          displayName: z.string().optional(),
          email: z.string().includes("@").optional(),
          status: z.enum(["ENABLED", "DISABLED"]).optional(),
          createdAt: iso.optional(),
        }),
      ),
      groups: z.array(
        z.strictObject({
          id: resourceId.optional(),
          displayName: z.string().min(1).max(1024),
          description: z.string().optional(),
          createdAt: iso.optional(),
          members: z.array(z.string()).optional(),
        }),
      ),
      permissionSets: z.array(
        z.strictObject({
          id: z.string().regex(/^ps-[0-9a-f]{16}$/, "must look like ps-<16 hex>").optional(),
          name: z.string().min(1).max(32).regex(/^[\w+=,.@-]+$/),
          description: z.string().min(1).max(700).optional(),
          sessionDuration: z.string().regex(/^PT(\d+H)?(\d+M)?$/, "must be an ISO-8601 duration such as PT1H").optional(),
          relayState: z.string().optional(),
          createdAt: iso.optional(),
          managedPolicies: z.array(awsPolicyArn).optional(),
          customerManagedPolicies: z.array(policyReference).optional(),
          inlinePolicy: policyDocument.optional(),
          permissionsBoundary: z.strictObject({ managedPolicyArn: awsPolicyArn.optional(), customerManagedPolicy: policyReference.optional() }).optional(),
        }),
      ),
      assignments: z
        .array(
          z.strictObject({
            accountId,
            permissionSet: z.string(),
            principalType: z.enum(["USER", "GROUP"]),
            principal: z.string(),
          }),
        )
        .optional(),
      provisioned: z.array(z.strictObject({ accountId, permissionSet: z.string() })).optional(),
    })
    .nullable()
    .optional(),
  awsManagedPolicies: z
    .array(z.strictObject({ name: iamName, path: policyPath.optional(), description: z.string().max(1000).optional(), document: policyDocument }))
    .optional(),
  credentials: z
    .array(
      z.strictObject({
        accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, "must be an access key id such as AKIA…"),
        secretAccessKey: z.string().min(1),
        accountId,
        userName: z.string().optional(),
        label: z.string().optional(),
      }),
    )
    .optional(),
});

/** Validates parsed JSON as an OrgSpec; throws OrgSpecError naming the first bad field. */
export function parseOrgSpec(value: unknown): OrgSpec {
  const result = orgSpecSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new OrgSpecError(formatPath(issue.path), issue.message);
  }
  const { $schema: _ignored, ...spec } = result.data;
  return spec as OrgSpec;
}

export async function loadOrgFile(file: string): Promise<OrgSpec> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new OrgSpecError("(file)", `cannot read ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new OrgSpecError("(file)", `${file} is not valid JSON: ${(error as Error).message}`);
  }
  return parseOrgSpec(json);
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return "(root)";
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("");
}
