import type { AwsClients } from "../aws/clients.js";
import type { ConnectorConfig } from "../config/config.js";
import type { AccountCreator, Provisioner, ResourceDeleter } from "../connector/resource-syncer.js";
import type { Logger } from "../log.js";
import { createAccountAssignmentProvisioners } from "./account-assignment.js";
import type { AssignmentQueue } from "./assignment-queue.js";
import { AuditLog } from "./audit-log.js";
import { startExpiryScheduler } from "./expiry-scheduler.js";
import { createIamGroupMembershipProvisioner } from "./iam-group-membership.js";
import { createIamPolicyProvisioners } from "./iam-policies.js";
import { GrantLedger } from "./ledger.js";
import { createAccountCreator, createResourceDeleters } from "./accounts.js";
import { withAuditedAccounts, withAuditedDeletion, withRecording, type Recorder } from "./recording.js";
import { createSsoGroupMembershipProvisioner } from "./sso-group-membership.js";
import { openStateDb, type StateDb } from "./state-db.js";
import type { Clock } from "./wait-for-assignment.js";

export interface ProvisioningContext {
  aws: AwsClients;
  config: ConnectorConfig;
  log: Logger;
  /** Aborted when the connector shuts down (assignment operations outlive any one request until then). */
  shutdown?: AbortSignal;
  /** Injectable time for the assignment polling (tests). */
  clock?: Clock;
  /** Wall-clock time for expiries and the audit log (tests). */
  now?: () => number;
}

export interface Provisioning {
  /** CreateAccount for the configured account type (create-account-resource-type), audited. */
  accountCreator: AccountCreator;
  /** DeleteResource for IAM and Identity Center users, audited. */
  deleters: ResourceDeleter[];
  /** One per provisionable resource type (group, sso_group, account, permission_set_assignment, iam_policy, inline_policy), audited and JIT-recorded. */
  provisioners: Provisioner[];
  /**
   * Revokes time-bound grants at expiry, overdue ones first (run by `connector serve --provisioning`).
   * Returns a function that stops it.
   */
  startExpiryScheduler(options?: { rescanMs?: number }): () => Promise<void>;
  /** The per-instance account-assignment queue (its observed maximum of outstanding operations). */
  assignmentQueue: AssignmentQueue;
  /** Closes the state database. */
  close(): void;
}

/** Builds the provisioners and the recording (audit + JIT ledger) applied once around all of them. */
export function createProvisioning(ctx: ProvisioningContext): Provisioning {
  const { aws, config, log } = ctx;
  const shutdown = ctx.shutdown ?? new AbortController().signal;
  const now = ctx.now ?? Date.now;

  let db: StateDb | undefined;
  let recorder: Recorder | undefined;
  // Opened on first use: a connector that never provisions never writes to the state directory.
  const record = (): Recorder => {
    if (!recorder) {
      db = openStateDb(config.stateDir);
      recorder = {
        audit: new AuditLog(db, now),
        ledger: new GrantLedger(db, now),
        log,
        confirmationAllowanceMs: config.provisioning.assignmentDeadlineMs,
        now,
      };
    }
    return recorder;
  };

  const assignments = createAccountAssignmentProvisioners({ aws, config, log, shutdown, ...(ctx.clock ? { clock: ctx.clock } : {}) });
  const provisioners = [
    createIamGroupMembershipProvisioner({ aws, log }),
    createSsoGroupMembershipProvisioner({ aws, log }),
    ...createIamPolicyProvisioners({ aws, log }),
    ...assignments.provisioners,
  ].map((p) => withRecording(p, record));

  return {
    provisioners,
    accountCreator: withAuditedAccounts(createAccountCreator({ aws, config, log }), record),
    deleters: createResourceDeleters({ aws, config, log }).map((d) => withAuditedDeletion(d, record)),
    assignmentQueue: assignments.queue,
    startExpiryScheduler: (options = {}) =>
      startExpiryScheduler({ ledger: record().ledger, provisioners, log, now, ...options }),
    close() {
      recorder?.ledger.close();
      db?.close();
      db = undefined;
      recorder = undefined;
    },
  };
}
