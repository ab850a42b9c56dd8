/**
 * The organisation's shape for the call-plan model (src/resources/call-plan.ts), read from the
 * simulator's model — never from the connector — so "calls = plan" compares the connector with an
 * independent count of what the organisation requires.
 */
import type { OrgShape } from "../../src/resources/call-plan.js";
import type { SimModel } from "../../src/simulator/index.js";
import { managementCaller } from "../../test/resources/support/compare.js";
import { shapeOf } from "../../test/resources/support/shape.js";

export type Features = OrgShape["features"];

/**
 * Every feature on: IAM of every member account through OrganizationAccountAccessRole, Identity
 * Center, Organizations with its OU tree, access keys; managed policies in the default scope.
 */
export const ALL_FEATURES: Features = { organizations: true, identityCenter: true, crossAccountIam: true, organizationTree: true, syncSecrets: true };

/**
 * The shape of the simulator's organisation as the connector sees it with the management key (the
 * benchmark's credentials): member accounts are assumable when their role trusts that caller.
 */
export function orgShapeOf(model: SimModel, features: Features = ALL_FEATURES): OrgShape {
  return shapeOf(model, { features, ...managementCaller(model) });
}
