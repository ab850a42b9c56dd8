/** The AWS request ids a provisioning answer reports (RequestId annotations, audit log), without blanks or repeats. */
export function requestIds(...values: Array<string | undefined>): string[] {
  return [...new Set(values.filter((v): v is string => typeof v === "string" && v !== ""))];
}
