import { AWS_SERVICES, type AwsRateSetting, type AwsServiceId } from "./config.js";

/**
 * `--aws-rate`: how each AWS service is paced. A comma-separated list of SERVICE=SETTING, where
 * SERVICE is one of AWS_SERVICES or `all` (every service not named on its own), and SETTING is
 *
 *   - a number: a cap in requests per second, never exceeded (pacing starts there, or lower if an
 *     earlier run learned that AWS allows less);
 *   - `auto` (the default): learn the rate AWS allows, from the quota table's rate, never above a
 *     quota AWS publishes (SSO Admin's 20/s);
 *   - `unlimited`: learn it without a ceiling (a published quota raised for the account, or a
 *     local AWS);
 *   - `off`: no client-side pacing (only the cap on requests in flight).
 */
export type AwsRateSettings = Partial<Record<AwsServiceId | "all", AwsRateSetting>>;

const KEYWORDS = new Set(["auto", "unlimited", "off"]);
export const MIN_RATE_CAP = 0.01;
export const MAX_RATE_CAP = 100_000;

export function parseAwsRates(text: string): AwsRateSettings {
  const out: AwsRateSettings = {};
  const items = text.split(",").map((item) => item.trim());
  if (items.every((item) => item === "")) throw new Error("expected SERVICE=RATE pairs separated by commas");
  for (const item of items) {
    if (item === "") continue;
    const match = /^([a-z0-9-]+)\s*=\s*(\S+)$/i.exec(item);
    if (!match) throw new Error(`expected SERVICE=RATE, got "${item}"`);
    const service = match[1]!.toLowerCase();
    const setting = match[2]!.toLowerCase();
    if (service !== "all" && !(AWS_SERVICES as readonly string[]).includes(service)) {
      throw new Error(`unknown service "${service}" (known: ${[...AWS_SERVICES, "all"].join(", ")})`);
    }
    if (service in out) throw new Error(`${service} is given twice`);
    out[service as AwsServiceId | "all"] = rateSetting(service, setting);
  }
  return out;
}

function rateSetting(service: string, setting: string): AwsRateSetting {
  if (KEYWORDS.has(setting)) return setting as AwsRateSetting;
  const rate = /^\d+(\.\d+)?$/.test(setting) ? Number(setting) : Number.NaN;
  if (!(rate >= MIN_RATE_CAP && rate <= MAX_RATE_CAP)) {
    throw new Error(`${service}: expected requests per second (${MIN_RATE_CAP} to ${MAX_RATE_CAP}), auto, unlimited or off`);
  }
  return rate;
}

/**
 * One setting per service from `--aws-rate` and the older per-service `--rate-limit-<service>`
 * caps. Both are caps, so when both name a service the lower number applies; a cap together with
 * `unlimited` or `off` for the same service contradicts itself and is refused.
 */
export function combineRateSettings(
  awsRates: AwsRateSettings | undefined,
  rateLimits: Partial<Record<AwsServiceId, number>>,
): Record<AwsServiceId, AwsRateSetting> | { conflict: AwsServiceId; setting: AwsRateSetting } {
  const out = {} as Record<AwsServiceId, AwsRateSetting>;
  for (const service of AWS_SERVICES) {
    const named = awsRates?.[service] ?? awsRates?.all;
    const cap = rateLimits[service];
    if (cap === undefined) out[service] = named ?? "auto";
    else if (named === undefined || named === "auto") out[service] = cap;
    else if (typeof named === "number") out[service] = Math.min(named, cap);
    else return { conflict: service, setting: named };
  }
  return out;
}
