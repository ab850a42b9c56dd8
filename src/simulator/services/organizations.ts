/**
 * Organizations (awsJson1_1, `AWSOrganizationsV20161128.<Op>`). Any member may describe the
 * organisation; only the management account may list or describe accounts; an account outside
 * every organisation gets AWSOrganizationsNotInUseException.
 */
import { SimError } from "../errors.js";
import { ACCOUNT_ID, organizationAccountArn } from "../model/ids.js";
import { mapSequence } from "../model/keyed-list.js";
import type { Account, Organization } from "../model/types.js";
import { timestamp } from "../protocol/timestamp.js";
import { requiredString } from "../validate.js";
import { callerAccount, page, type RequestContext, type ServiceDefinition } from "./service.js";

/** The organisation the caller belongs to. */
function organizationOf(ctx: RequestContext): Organization {
  const organization = ctx.sim.model.organization;
  if (!organization || !callerAccount(ctx).inOrganization) {
    throw SimError.coded("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.");
  }
  return organization;
}

function requireManagement(ctx: RequestContext): Organization {
  const organization = organizationOf(ctx);
  if (ctx.caller.accountId !== organization.managementAccountId) {
    throw SimError.of("accessDenied", "You don't have permissions to access this resource.");
  }
  return organization;
}

/** `Status` is the older field (no CLOSED); `State` its replacement. */
const accountShape = (organization: Organization, a: Account) => ({
  Id: a.id,
  Arn: organizationAccountArn(organization.managementAccountId, organization.id, a.id),
  Email: a.email,
  Name: a.name,
  Status: a.state === "CLOSED" ? "SUSPENDED" : a.state,
  State: a.state,
  JoinedMethod: a.joinedMethod,
  JoinedTimestamp: timestamp(a.joinedAt),
});

export const organizationsService: ServiceDefinition = {
  name: "organizations",
  protocol: "json",
  operations: {
    DescribeOrganization(ctx) {
      const organization = organizationOf(ctx);
      const management = ctx.sim.model.accounts.get(organization.managementAccountId)!;
      return {
        Organization: {
          Id: organization.id,
          Arn: organization.arn,
          FeatureSet: organization.featureSet,
          MasterAccountArn: organizationAccountArn(management.id, organization.id, management.id),
          MasterAccountId: management.id,
          MasterAccountEmail: management.email,
          AvailablePolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED" }],
        },
      };
    },
    ListAccounts(ctx, input) {
      const organization = requireManagement(ctx);
      const members = organizationMembers(ctx);
      const result = page(ctx, mapSequence(members, (a) => accountShape(organization, a)), input);
      return { Accounts: result.items, NextToken: result.nextToken };
    },
    DescribeAccount(ctx, input) {
      const organization = requireManagement(ctx);
      const id = requiredString(input, "AccountId", { max: 12, pattern: ACCOUNT_ID });
      const account = ctx.sim.model.accounts.get(id);
      if (!account?.inOrganization) {
        throw SimError.coded("AccountNotFoundException", "You specified an account that doesn't exist.");
      }
      return { Account: accountShape(organization, account) };
    },
  },
};

/** Members in model order, computed once per model: accounts never join or leave at run time. */
const membersCache = new WeakMap<object, Account[]>();
function organizationMembers(ctx: RequestContext): Account[] {
  const accounts = ctx.sim.model.accounts;
  let members = membersCache.get(accounts);
  if (!members) {
    members = [...accounts].filter((a) => a.inOrganization);
    membersCache.set(accounts, members);
  }
  return members;
}
