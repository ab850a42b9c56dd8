import { describe, expect, it } from "vitest";
import { applyKnobPatch } from "../../src/simulator/knobs.js";
import { fastKnobs, parseKnobPatch } from "../../src/simulator/index.js";
import { knobPatchFromFlags, parseFault, parseFailureRule, parseRange } from "../../src/simulator/knob-flags.js";

describe("knob flags", () => {
  it("parse ranges, faults and failure rules", () => {
    expect(parseRange("30-80", "--latency")).toEqual({ fixedMs: 30, jitterMs: 50 });
    expect(parseRange("5", "--latency")).toEqual({ fixedMs: 5, jitterMs: 0 });
    expect(() => parseRange("80-30", "--latency")).toThrow(/--latency/);
    expect(parseFault("slow:0.1:iam/ListUsers:2000")).toEqual({ kind: "slow", rate: 0.1, services: ["iam"], operations: ["ListUsers"], delayMs: 2000 });
    expect(parseFault("throttle:0.05")).toEqual({ kind: "throttle", rate: 0.05 });
    expect(() => parseFault("explode:0.1")).toThrow(/unknown kind/);
    expect(() => parseFault("reset:0.1:ec2")).toThrow(/unknown service "ec2"/);
    expect(parseFailureRule("account=123456789012,permissionSet=AdministratorAccess,op=create,reason=nope")).toEqual({
      accountId: "123456789012",
      permissionSetName: "AdministratorAccess",
      operation: "create",
      reason: "nope",
    });
  });

  it("build a patch that validates and applies over the preset", () => {
    const patch = knobPatchFromFlags({
      seed: "9",
      latency: "30-80",
      serviceLatency: ["sso-admin=100"],
      quota: ["sso-admin=5/10"],
      assignmentDelay: "1000-3000",
      maxOutstanding: "4",
      principalAssignmentsIncludeGroups: "false",
      shortPageRate: "0.2",
      fault: ["internal:0.01:identitystore"],
    });
    const knobs = applyKnobPatch(fastKnobs(), parseKnobPatch(patch));
    expect(knobs.seed).toBe(9);
    expect(knobs.latency).toEqual({ fixedMs: 30, jitterMs: 50, perService: { "sso-admin": { fixedMs: 100, jitterMs: 0 } } });
    expect(knobs.quotas.enabled).toBe(true);
    expect(knobs.quotas.services["sso-admin"]).toEqual({ rate: 5, burst: 10 });
    expect(knobs.quotas.services.iam).toEqual({ rate: 20, burst: 20 });
    expect(knobs.assignments).toMatchObject({ fixedMs: 1000, jitterMs: 2000, maxOutstanding: 4 });
    expect(knobs.principalAssignmentsIncludeGroups).toBe(false);
    expect(knobs.faults).toEqual([{ kind: "internal", rate: 0.01, services: ["identitystore"] }]);
    expect(knobPatchFromFlags({ quotas: false })).toEqual({ quotas: { enabled: false, services: {} } });
  });

  it("reject bad values naming the flag or field", () => {
    expect(() => knobPatchFromFlags({ shortPageRate: "2" })).toThrow(/--short-page-rate/);
    expect(() => knobPatchFromFlags({ quota: ["iam=fast"] })).toThrow(/--quota/);
    expect(() => parseKnobPatch({ assignments: { maxOutstanding: -1 } })).toThrow(/assignments\.maxOutstanding/);
    expect(() => parseKnobPatch({ latency: { fixed: 3 } })).toThrow(/latency/);
  });
});
