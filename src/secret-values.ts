/**
 * Last line of defence against credentials in logs and error messages: every secret the process
 * holds (configured keys, external IDs, the bearer token, page-token secret, assumed-role
 * credentials) is registered here, and log lines and outgoing error messages pass through
 * scrubSecrets. Secrets are never logged on purpose; this catches the accident.
 */
const MIN_SECRET_LENGTH = 6;
/** Assumed-role credentials are renewed hourly per role; keep only the most recent ones. */
const MAX_SECRETS = 512;
const REPLACEMENT = "[redacted]";

const secrets = new Set<string>();

export function registerSecret(...values: Array<string | undefined>): void {
  for (const value of values) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || secrets.has(value)) continue;
    secrets.add(value);
    if (secrets.size > MAX_SECRETS) secrets.delete(secrets.values().next().value as string);
  }
}

/** Replaces every registered secret (and its JSON-escaped and URL-encoded forms) in `text`. */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) {
    for (const form of forms(secret)) {
      if (out.includes(form)) out = out.split(form).join(REPLACEMENT);
    }
  }
  return out;
}

function forms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const url = encodeURIComponent(secret);
  return [...new Set([secret, json, url])];
}
