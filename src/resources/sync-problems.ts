/**
 * Things a sync could not read but went on without: member accounts whose IAM could not be
 * synced, and an organization tree that could not be read. Each is logged as a warning when it happens, shown on the affected resource (status
 * and description of its `account_iam` resource), and collected here so a sync summary can print
 * them. Kept per sync id for the few most recent syncs, independently of the sync cache (which
 * Cleanup drops before a summary may be printed).
 */
export type SyncProblemKind =
  /** The member-account role could not be assumed: no IAM users, groups or roles for that account. */
  | "member-account-unreachable"
  /** The role was assumed but reading the account's IAM was refused. */
  | "member-account-iam-unreadable"
  /** Organizations refused a tree read (sync-org-tree): accounts are synced without their OU. */
  | "organization-tree-unreadable";

export interface SyncProblem {
  kind: SyncProblemKind;
  /** The member account concerned, when the problem is about one. */
  accountId?: string;
  accountName?: string;
  /** What failed and why, naming the role or IAM action; never credentials. */
  message: string;
}

export class SyncProblems {
  readonly #bySync = new Map<string, Map<string, SyncProblem>>();

  constructor(private readonly maxSyncs = 8) {}

  /** Records a problem once per (kind, account) per sync. */
  add(syncId: string, problem: SyncProblem): void {
    let problems = this.#bySync.get(syncId);
    if (!problems) {
      problems = new Map();
      this.#bySync.set(syncId, problems);
      while (this.#bySync.size > this.maxSyncs) this.#bySync.delete(this.#bySync.keys().next().value as string);
    }
    const key = `${problem.kind}:${problem.accountId ?? ""}`;
    if (!problems.has(key)) problems.set(key, problem);
  }

  /** The problems of one sync, in the order they were found. */
  list(syncId: string): SyncProblem[] {
    return [...(this.#bySync.get(syncId)?.values() ?? [])];
  }
}
