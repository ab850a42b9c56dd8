/**
 * Organizations (awsJson1_1, `AWSOrganizationsV20161128.<Op>`). Any member may describe the
 * organisation; only the management account may list or describe accounts; an account outside
 * every organisation gets AWSOrganizationsNotInUseException.
 */
import { SimError } from "../errors.js";
import { ACCOUNT_ID, OU_ID, organizationAccountArn } from "../model/ids.js";
import { mapSequence, sequenceOf } from "../model/keyed-list.js";
import { childAccounts, childUnits, isParent } from "../model/organization.js";
import type { Account, Organization, OrganizationalUnit } from "../model/types.js";
import { timestamp } from "../protocol/timestamp.js";
import { requiredString, type StringRule } from "../validate.js";
import { callerAccount, page, type Input, type RequestContext, type ServiceDefinition } from "./service.js";

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

const PARENT_ID: StringRule = { max: 100, pattern: /^(r-[0-9a-z]{4,32})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/ };
const CHILD_ID: StringRule = { max: 100, pattern: /^(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$/ };
const CHILD_TYPES = ["ACCOUNT", "ORGANIZATIONAL_UNIT"] as const;

const unitShape = (u: OrganizationalUnit) => ({ Id: u.id, Arn: u.arn, Name: u.name });

/** The root or OU named by ParentId (management account only). */
function parentOf(ctx: RequestContext, input: Input): { organization: Organization; parentId: string } {
  const organization = requireManagement(ctx);
  const parentId = requiredString(input, "ParentId", PARENT_ID);
  if (!isParent(organization, parentId)) throw SimError.coded("ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified.");
  return { organization, parentId };
}

export const organizationsService: ServiceDefinition = {
  name: "organizations",
  protocol: "json",
  writes: new Set<string>(),
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
    ListRoots(ctx, input) {
      const { root } = requireManagement(ctx);
      const result = page(ctx, sequenceOf([root]), input);
      return {
        Roots: result.items.map((r) => ({ Id: r.id, Arn: r.arn, Name: r.name, PolicyTypes: [{ Type: "SERVICE_CONTROL_POLICY", Status: "ENABLED" }] })),
        NextToken: result.nextToken,
      };
    },
    ListOrganizationalUnitsForParent(ctx, input) {
      const { organization, parentId } = parentOf(ctx, input);
      const result = page(ctx, childUnits(organization, parentId), input, parentId);
      return { OrganizationalUnits: result.items.map(unitShape), NextToken: result.nextToken };
    },
    ListAccountsForParent(ctx, input) {
      const { organization, parentId } = parentOf(ctx, input);
      const result = page(ctx, mapSequence(childAccounts(organization, parentId), (a) => accountShape(organization, a)), input, parentId);
      return { Accounts: result.items, NextToken: result.nextToken };
    },
    ListChildren(ctx, input) {
      const { organization, parentId } = parentOf(ctx, input);
      const type = requiredString(input, "ChildType", { oneOf: CHILD_TYPES });
      const children =
        type === "ACCOUNT"
          ? mapSequence(childAccounts(organization, parentId), (a) => ({ Id: a.id, Type: "ACCOUNT" }))
          : mapSequence(childUnits(organization, parentId), (u) => ({ Id: u.id, Type: "ORGANIZATIONAL_UNIT" }));
      const result = page(ctx, children, input, `${parentId}/${type}`);
      return { Children: result.items, NextToken: result.nextToken };
    },
    ListParents(ctx, input) {
      const organization = requireManagement(ctx);
      const childId = requiredString(input, "ChildId", CHILD_ID);
      const parentId = OU_ID.test(childId) ? organization.units.get(childId)?.parentId : ctx.sim.model.accounts.get(childId)?.parentId;
      if (!parentId) throw SimError.coded("ChildNotFoundException", "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.");
      const result = page(ctx, sequenceOf([parentId]), input, childId);
      return { Parents: result.items.map((id) => ({ Id: id, Type: id === organization.root.id ? "ROOT" : "ORGANIZATIONAL_UNIT" })), NextToken: result.nextToken };
    },
    DescribeOrganizationalUnit(ctx, input) {
      const organization = requireManagement(ctx);
      const id = requiredString(input, "OrganizationalUnitId", { max: 68, pattern: OU_ID });
      const unit = organization.units.get(id);
      if (!unit) throw SimError.coded("OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.");
      return { OrganizationalUnit: unitShape(unit) };
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
