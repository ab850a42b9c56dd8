/** Compares a traversal with an independently computed expectation: exact id sets, then key fields. */
import { anyIs, anyUnpack } from "@bufbuild/protobuf/wkt";
import { expect } from "vitest";
import { ChildResourceTypeSchema } from "../../../src/gen/c1/connector/v2/annotation_resource_tree_pb.js";
import { GrantExpandableSchema, GrantMetadataSchema } from "../../../src/gen/c1/connector/v2/annotation_grant_pb.js";
import { Status_ResourceStatus } from "../../../src/gen/c1/connector/v2/resource_pb.js";
import type { SimModel } from "../../../src/simulator/index.js";
import { SIM_CREDENTIALS } from "../../../src/simulator/index.js";
import type { Expectation, ExpectationOptions } from "./expected.js";
import type { TraversalResult } from "./traversal.js";

const sorted = (keys: Iterable<string>) => [...keys].sort();

export function expectSameSync(result: TraversalResult, expected: Expectation): void {
  expect(result.duplicates).toEqual({ entitlements: [], grants: [] });
  expect(sorted(result.resources.keys())).toEqual(sorted(expected.resources.keys()));
  expect(sorted(result.entitlements.keys())).toEqual(sorted(expected.entitlements.keys()));
  expect(sorted(result.grants.keys())).toEqual(sorted(expected.grants.keys()));

  for (const [key, want] of expected.resources) {
    const got = result.resources.get(key)!;
    const parent = got.parentResourceId ? `${got.parentResourceId.resourceType}:${got.parentResourceId.resource}` : undefined;
    expect({ key, displayName: got.displayName, parent }).toEqual({ key, displayName: want.displayName, parent: want.parent });
    if (want.active !== undefined) {
      expect({ key, status: got.status?.status }).toEqual({
        key,
        status: want.active ? Status_ResourceStatus.ENABLED : Status_ResourceStatus.DISABLED,
      });
    }
    if (want.hasChildren !== undefined) {
      const children = got.annotations.filter((a) => anyIs(a, ChildResourceTypeSchema)).map((a) => anyUnpack(a, ChildResourceTypeSchema)!.resourceTypeId);
      expect({ key, children: children.sort() }).toEqual({ key, children: want.hasChildren ? ["group", "iam_policy", "iam_user", "role"] : [] });
    }
  }
  for (const [id, want] of expected.entitlements) {
    const got = result.entitlements.get(id)!;
    const resource = `${got.resource!.id!.resourceType}:${got.resource!.id!.resource}`;
    expect({ id, resource, slug: got.slug, displayName: got.displayName }).toEqual({
      id,
      resource: want.resource,
      slug: want.slug,
      displayName: want.displayName,
    });
  }
  for (const [id, want] of expected.grants) {
    const got = result.grants.get(id)!;
    const expandable = got.annotations.find((a) => anyIs(a, GrantExpandableSchema));
    expect({
      id,
      entitlementId: got.entitlement!.id,
      principal: `${got.principal!.id!.resourceType}:${got.principal!.id!.resource}`,
      expandsFrom: expandable ? anyUnpack(expandable, GrantExpandableSchema)!.entitlementIds : undefined,
      conditional: got.annotations.some((a) => anyIs(a, GrantMetadataSchema)) || undefined,
    }).toEqual({
      id,
      entitlementId: want.entitlementId,
      principal: want.principal,
      expandsFrom: want.expandsFrom,
      conditional: want.conditional,
    });
  }
}

/** The connector's own account and caller ARN when it uses the simulator's management key. */
export function managementCaller(model: SimModel): Pick<ExpectationOptions, "ownAccountId" | "callerArn"> {
  const binding = model.credentials.find((b) => b.accessKeyId === SIM_CREDENTIALS.management.accessKeyId)!;
  const user = binding.userName ? model.accounts.get(binding.accountId)!.iam.users.get(binding.userName) : undefined;
  return { ownAccountId: binding.accountId, callerArn: user?.arn ?? `arn:aws:iam::${binding.accountId}:root` };
}
