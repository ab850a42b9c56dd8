/**
 * The incremental sync's promise, as a property: for a generated organisation, a full sync, then
 * any script of AWS changes made through the SDK, then `--incremental` (reading CloudTrail) — the
 * file's newest sync equals a fresh full sync of the changed organisation: resources, entitlements,
 * grants and grant-expansion sources, byte for byte. Scripts chain: each incremental sync continues
 * from the previous one, as they would in production.
 *
 * Sizes: small organisations (the demo profile, a different seed per run), the simulator's fast
 * knobs, every feature on (member accounts' IAM, the OU tree). Runs × scripts is the number of
 * scripts checked; each takes an incremental and a full sync (1–3 s on the shared 2-core machine).
 *
 * CI checks 4 × 12 = 48 scripts (about 1.5 minutes); the full count is an environment setting:
 *   INCREMENTAL_PROPERTY_RUNS=12 INCREMENTAL_PROPERTY_SCRIPTS=17 npx vitest run test/sync/incremental.property.test.ts
 * (216 scripts, 10–18 minutes; docs/sync.md#incremental-syncs gives the last result).
 */
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createChangeTracking } from "../../src/changes/change-tracking.js";
import { createConnector } from "../../src/connector/build.js";
import { defaultConfig } from "../../src/config/config.js";
import { startSimulator, type Simulator } from "../../src/simulator/index.js";
import { runSync } from "../../src/sync/engine.js";
import { runIncrementalSync } from "../../src/sync/incremental.js";
import { CHANGE_KINDS, ChangeApplier, changeArbitrary, everyKindArbitrary, type ChangeKind } from "./support/aws-changes.js";
import { contentDifferences, syncContent } from "./support/sync-content.js";

const RUNS = Number(process.env.INCREMENTAL_PROPERTY_RUNS ?? 4);
/** Random scripts per run, after the first one, which makes every kind of change once in a random order. */
const SCRIPTS_PER_RUN = Number(process.env.INCREMENTAL_PROPERTY_SCRIPTS ?? 11);

const dir = mkdtempSync(join(tmpdir(), "incremental-property-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function connectorFor(sim: Simulator) {
  const config = defaultConfig({
    aws: { region: sim.region, ssoRegion: sim.region, endpoint: sim.endpoint, staticCredentials: { ...sim.credentials } },
    features: { organizations: true, identityCenter: true, crossAccountIam: true, organizationTree: true },
    rateLimits: { requestsPerSecond: { iam: 5000, sts: 5000, identitystore: 5000, sso: 5000, organizations: 5000, cloudtrail: 5000 } },
    pageTokenSecret: "incremental-property",
    stateDir: join(dir, "state"),
  });
  const connector = createConnector(config);
  // Assignments complete at once with the fast knobs: nothing needs re-applying next time.
  const changes = createChangeTracking(connector.config, connector.aws, { overlapMs: 60_000, settleMs: 0 });
  return { connector, changes };
}

async function fullSync(sim: Simulator, target: string) {
  const { connector, changes } = connectorFor(sim);
  try {
    return await runSync({ target, api: connector.api, changes, writerThread: false });
  } finally {
    await connector.close();
  }
}

describe("incremental sync equals a fresh full sync", () => {
  const seen = new Map<ChangeKind, number>();
  let scripts = 0;

  it(`after ${RUNS} × ${SCRIPTS_PER_RUN + 1} random scripts of AWS changes (every kind)`, { timeout: 60 * 60_000 }, async () => {
    let run = 0;
    const scriptsArbitrary = fc
      .tuple(everyKindArbitrary, fc.array(fc.array(changeArbitrary, { minLength: 1, maxLength: 6 }), { minLength: SCRIPTS_PER_RUN, maxLength: SCRIPTS_PER_RUN }))
      .map(([first, rest]) => [first, ...rest]);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), scriptsArbitrary, async (seed, script) => {
        run++;
        const sim = await startSimulator({ profile: "demo", seed });
        const applier = new ChangeApplier(sim);
        const file = join(dir, `run-${run}.c1z`);
        try {
          await fullSync(sim, file);
          for (const [step, changes] of script.entries()) {
            for (const change of changes) if (await applier.apply(change)) seen.set(change.kind, (seen.get(change.kind) ?? 0) + 1);
            const { connector, changes: tracking } = connectorFor(sim);
            const incremental = await runIncrementalSync({ target: file, api: connector.api, changes: tracking, writerThread: false }).finally(() => connector.close());
            expect(incremental.fallback, `script ${step} of seed ${seed} fell back to a full sync`).toBeUndefined();
            const fresh = join(dir, `run-${run}-fresh.c1z`);
            rmSync(fresh, { force: true });
            await fullSync(sim, fresh);
            const differences = contentDifferences(await syncContent(file), await syncContent(fresh));
            expect(differences, `seed ${seed}, script ${step}: ${JSON.stringify(changes)}`).toEqual([]);
            scripts++;
          }
        } finally {
          applier.destroy();
          await sim.stop();
          rmSync(file, { force: true });
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    // Every kind of change was made (and accepted by AWS) somewhere in the runs.
    const missing = CHANGE_KINDS.filter((kind) => !seen.get(kind));
    expect(missing, `kinds AWS never accepted: ${missing.join(", ")}`).toEqual([]);
    expect(scripts).toBe(RUNS * (SCRIPTS_PER_RUN + 1));
  });
});
