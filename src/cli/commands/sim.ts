/**
 * `connector sim`: runs the local AWS simulator as a standalone server and prints the endpoint
 * and the environment to export. Knobs: flags, a JSON knob file, or later via POST /_sim/knobs.
 */
import { readFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { createLogger } from "../../log.js";
import { OrgSpecError, PRESETS, SIM_CREDENTIALS, parseChangeScript, parseKnobPatch, startSimulator, type PresetName, type Simulator } from "../../simulator/index.js";
import { knobPatchFromFlags, type KnobFlags } from "../../simulator/knob-flags.js";
import { UserError } from "../fatal.js";
import { interruptSignal } from "../runner.js";

interface SimOptions extends KnobFlags {
  listen: string;
  profile?: string;
  org?: string;
  preset: PresetName;
  knobs?: string;
  changes?: string;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function simCommand(): Command {
  return new Command("sim")
    .description("Run the local AWS simulator (IAM, STS, Identity Store, SSO Admin, Organizations) for demos and tests.")
    .option("--listen <host:port>", "address to listen on (loopback by default)", "127.0.0.1:4566")
    .addOption(new Option("--profile <name>", "generated organisation: demo, small, medium, large").conflicts("org"))
    .option("--org <file>", "load the organisation from a JSON file (docs/simulator.md)")
    .option("--seed <n>", "seed for the generator and the fault/latency PRNG (default 1)")
    .addOption(new Option("--preset <name>", "starting knobs").choices(Object.keys(PRESETS)).default("fast"))
    .option("--knobs <file>", "JSON file with knob overrides (same shape as POST /_sim/knobs)")
    .option("--latency <ms[-ms]>", "latency per call, e.g. 30-80")
    .option("--service-latency <service=ms[-ms]>", "latency for one service (repeatable)", collect)
    .option("--quotas", "enable per-service token-bucket quotas")
    .option("--no-quotas", "disable quotas")
    .option("--quota <service=rate[/burst]>", "quota for one service, e.g. sso-admin=20/20 (repeatable; enables quotas)", collect)
    .option("--assignment-delay <ms[-ms]>", "time until an assignment operation completes")
    .option("--max-outstanding <n>", "cap on IN_PROGRESS assignment operations per instance (0 = none)")
    .option("--assignment-failure-rate <p>", "probability that an assignment operation FAILS")
    .option("--fail-assignment <rule>", "FAIL matching assignment operations: account=…,permissionSet=…,principal=…,op=create|delete,reason=… (repeatable)", collect)
    .option("--principal-assignments-include-groups <bool>", "ListAccountAssignmentsForPrincipal(USER) includes group assignments (true|false)")
    .option("--short-page-rate <p>", "probability of a short page that still carries a token")
    .option("--fault <kind:rate[:service[/op]][:ms]>", "inject throttle|internal|reset|slow faults (repeatable)", collect)
    .option("--cloudtrail-delay <ms[-ms]>", "time until LookupEvents shows a write's CloudTrail event (AWS: typically minutes)")
    .option("--changes <file>", "apply a change script (JSON, docs/simulator.md) once started: writes recorded by CloudTrail like a client's")
    .addOption(new Option("--log-level <level>", "log level").choices(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"))
    .action(async (options: SimOptions) => runSimulator(options));
}

async function runSimulator(options: SimOptions): Promise<void> {
  const logger = createLogger({ level: options.logLevel });
  const { host, port } = parseListen(options.listen);
  if (!isLoopback(host)) logger.warn({ host }, "the simulator is listening beyond loopback; it has no real authentication");
  let sim: Simulator;
  try {
    const flagPatch = knobPatchFromFlags(options);
    const filePatch = options.knobs ? parseKnobPatch(JSON.parse(await readFile(options.knobs, "utf8"))) : undefined;
    sim = await startSimulator({
      host,
      port,
      profile: options.profile,
      orgFile: options.org,
      seed: options.seed === undefined ? undefined : Number(options.seed),
      preset: options.preset,
      logger,
    });
    if (filePatch) sim.knobs.update(filePatch);
    sim.knobs.update(flagPatch);
    if (options.changes) {
      const outcomes = sim.applyChanges(parseChangeScript(JSON.parse(await readFile(options.changes, "utf8"))));
      const refused = outcomes.filter((o) => !o.ok);
      if (refused.length > 0) {
        await sim.stop();
        const first = refused[0]!;
        throw new UserError(`--changes: ${refused.length} of ${outcomes.length} changes were refused (change ${first.index}: ${first.error?.code}: ${first.error?.message})`);
      }
      logger.info({ changes: outcomes.length }, "change script applied");
    }
  } catch (error) {
    if (error instanceof OrgSpecError) throw new UserError(`invalid organisation: ${error.message}`);
    if (error instanceof Error && !(error instanceof TypeError)) throw new UserError(error.message);
    throw error;
  }
  process.stdout.write(banner(sim, options));
  logger.info({ endpoint: sim.endpoint }, "simulator ready");
  const interrupted = interruptSignal();
  await new Promise((resolve) => interrupted.addEventListener("abort", resolve, { once: true }));
  logger.info({ reason: (interrupted.reason as Error).message, calls: sim.counters.snapshot().totals.calls }, "simulator stopping");
  await sim.stop();
}

function banner(sim: Simulator, options: SimOptions): string {
  const { model } = sim;
  const source = options.org ? `org file ${options.org}` : `profile ${options.profile ?? "demo"}`;
  const lines = [
    `# AWS simulator listening on ${sim.endpoint} (${source}, preset ${options.preset})`,
    `# organization ${model.organization?.id ?? "(none)"}, management account ${model.organization?.managementAccountId ?? "-"}, ` +
      `${model.accounts.length} accounts, identity store ${model.identityStore?.id ?? "-"}`,
    `# admin: ${sim.endpoint}/_sim/counters, ${sim.endpoint}/_sim/knobs`,
    `export AWS_ENDPOINT_URL=${sim.endpoint}`,
    `export AWS_REGION=${sim.region}`,
    `export AWS_DEFAULT_REGION=${sim.region}`,
    `export AWS_ACCESS_KEY_ID=${sim.credentials.accessKeyId}`,
    `export AWS_SECRET_ACCESS_KEY=${sim.credentials.secretAccessKey}`,
  ];
  for (const binding of sim.bindings) {
    if (binding.accessKeyId === SIM_CREDENTIALS.management.accessKeyId) continue;
    const who = binding.userName ? `user ${binding.userName}` : "root";
    lines.push(`# ${binding.label}: ${binding.accessKeyId} / ${binding.secretAccessKey} (${who} in ${binding.accountId})`);
  }
  return `${lines.join("\n")}\n`;
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(listen) ?? /^()()(\d+)$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`--listen: expected HOST:PORT or PORT, got "${listen}"`);
  }
  return { host: match[1] || match[2] || "127.0.0.1", port };
}

const isLoopback = (host: string) => host === "localhost" || host === "::1" || host.startsWith("127.");
