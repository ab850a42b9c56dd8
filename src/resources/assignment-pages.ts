import { ListAccountAssignmentsCommand, type AccountAssignment } from "@aws-sdk/client-sso-admin";
import { continuesListing } from "../aws/middleware.js";
import type { CallContext } from "../connector/resource-syncer.js";
import { SSO_PAGE_SIZE, type IdentityCenter } from "./identity-center.js";
import type { ResourceContext } from "./index.js";
import { advancingPage, nextToken } from "./paging.js";

export interface AssignmentPage {
  assignments: AccountAssignment[];
  /** The AWS token of the pair's next page; undefined on the last. */
  next?: string;
}

/** The two listings built from a pair's account assignments. */
export type AssignmentReader = "account" | "binding";

interface SharedPage {
  page: Promise<AssignmentPage>;
  readers: Set<AssignmentReader>;
}

/**
 * ListAccountAssignments, read once per page per sync although two listings need it: an
 * account's grants (its flat `<accountId>|<permissionSetArn>` entitlements) and the grants of the
 * pair's `permission_set_assignment` (its `assigned` entitlement). Whichever asks first for a page
 * (pair and AWS token) makes the call; the other gets the same answer, and the page is forgotten
 * once both have it. Each listing thus keeps returning the grants of its own entitlements (which
 * lets grant expansion start during the listings) without a second read of any pair.
 *
 * Memory: pages one listing has read and the other not yet — at most the assignments of the
 * accounts whose bindings are not yet listed (a few hundred bytes per assignment). A failed read
 * is forgotten so a retry reaches AWS; a sync that resumes in a new process reads again the pages
 * it had not handed to both.
 */
export class AssignmentPages {
  constructor(
    private readonly ctx: ResourceContext,
    private readonly identityCenter: IdentityCenter,
  ) {}

  async page(
    reader: AssignmentReader,
    pair: { accountId: string; permissionSetArn: string },
    token: string | undefined,
    call: CallContext,
    /** When the account's listing started: its calls keep their place at the rate limiter. */
    listingStartedAt?: number,
  ): Promise<AssignmentPage> {
    const fetch = async (): Promise<AssignmentPage> => {
      const { instanceArn } = await this.identityCenter.instance(call);
      const page = await advancingPage(token, async () => {
        const command = new ListAccountAssignmentsCommand({
          InstanceArn: instanceArn,
          AccountId: pair.accountId,
          PermissionSetArn: pair.permissionSetArn,
          MaxResults: SSO_PAGE_SIZE,
          NextToken: token,
        });
        const out = await this.ctx.aws
          .ssoAdmin()
          .send(listingStartedAt === undefined ? command : continuesListing(command, listingStartedAt), { abortSignal: call.signal });
        return { items: out.AccountAssignments ?? [], next: nextToken(out.NextToken) };
      });
      return { assignments: page.items, next: page.next };
    };
    if (call.syncId === "") return fetch();
    const shared = this.ctx.cache.progress(call.syncId, "sso:assignment-pages", () => new Map<string, SharedPage>());
    const key = `${pair.accountId}|${pair.permissionSetArn}|${token ?? ""}`;
    let entry = shared.get(key);
    if (!entry) {
      const created: SharedPage = { page: fetch(), readers: new Set() };
      created.page.catch(() => {
        if (shared.get(key) === created) shared.delete(key);
      });
      shared.set(key, (entry = created));
    }
    entry.readers.add(reader);
    if (entry.readers.size === 2) shared.delete(key);
    return entry.page;
  }
}
