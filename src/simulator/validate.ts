/**
 * Server-side input validation. The SDK validates nothing client-side (aws-behaviour.md §3), so
 * length, pattern, range and required checks happen here, with coral-style messages. Query
 * inputs arrive as strings and JSON inputs as typed values; both go through the same helpers.
 */
import { SimError, constraintMessage } from "./errors.js";

export interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
  oneOf?: readonly string[];
}

export interface IntRule {
  min: number;
  max: number;
}

/** Coral reports members in lower camel case ("userName", "maxResults"). */
const memberName = (field: string) => field.charAt(0).toLowerCase() + field.slice(1);

function invalid(value: unknown, field: string, constraint: string, reason: string): SimError {
  return SimError.of("validation", constraintMessage(value, memberName(field), constraint), { Reason: reason });
}

export function optionalString(input: Record<string, unknown>, field: string, rule: StringRule = {}): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(value, field, "Member must be a string", "INVALID_PATTERN");
  if (rule.min !== undefined && value.length < rule.min) {
    throw invalid(value, field, `Member must have length greater than or equal to ${rule.min}`, "MIN_LENGTH_EXCEEDED");
  }
  if (rule.max !== undefined && value.length > rule.max) {
    throw invalid(value, field, `Member must have length less than or equal to ${rule.max}`, "MAX_LENGTH_EXCEEDED");
  }
  if (rule.pattern && !rule.pattern.test(value)) {
    throw invalid(value, field, `Member must satisfy regular expression pattern: ${rule.pattern.source}`, "INVALID_PATTERN");
  }
  if (rule.oneOf && !rule.oneOf.includes(value)) {
    throw invalid(value, field, `Member must satisfy enum value set: [${rule.oneOf.join(", ")}]`, "INVALID_ENUM");
  }
  return value;
}

export function requiredString(input: Record<string, unknown>, field: string, rule: StringRule = {}): string {
  const value = optionalString(input, field, rule);
  if (value === undefined) throw invalid(undefined, field, "Member must not be null", "INPUT_REQUIRED");
  return value;
}

/** Integers; query-protocol values arrive as decimal strings. */
export function optionalInt(input: Record<string, unknown>, field: string, rule: IntRule): number | undefined {
  const raw = input[field];
  if (raw === undefined || raw === null || raw === "") return undefined;
  const value = typeof raw === "string" && /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw invalid(raw, field, "Member must be an integer", "INVALID_PATTERN");
  }
  if (value < rule.min) {
    throw invalid(value, field, `Member must have value greater than or equal to ${rule.min}`, "MIN_VALUE_EXCEEDED");
  }
  if (value > rule.max) {
    throw invalid(value, field, `Member must have value less than or equal to ${rule.max}`, "MAX_VALUE_EXCEEDED");
  }
  return value;
}

export function optionalObject(input: Record<string, unknown>, field: string): Record<string, unknown> | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalid(value, field, "Member must be a structure", "INVALID_PATTERN");
  return value as Record<string, unknown>;
}

export function requiredObject(input: Record<string, unknown>, field: string): Record<string, unknown> {
  const value = optionalObject(input, field);
  if (!value) throw invalid(undefined, field, "Member must not be null", "INPUT_REQUIRED");
  return value;
}

export function optionalArray(input: Record<string, unknown>, field: string, rule: { max?: number } = {}): unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(value, field, "Member must be a list", "INVALID_LIST_MEMBER");
  if (rule.max !== undefined && value.length > rule.max) {
    throw invalid(`[${value.length} items]`, field, `Member must have length less than or equal to ${rule.max}`, "MAX_LIMIT_EXCEEDED_FILTER");
  }
  return value;
}
