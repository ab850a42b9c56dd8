/**
 * The OU tree of generated organisations, in the shape landing zones commonly use: Security,
 * Infrastructure, Workloads (Prod / NonProd, split by business unit in bigger profiles, a PCI OU
 * nested one level deeper), Sandbox and Suspended; a few accounts stay directly under the root.
 * Accounts are placed by name, so the same account always lands in the same OU.
 */
import type { AccountSpec, OrganizationalUnitSpec } from "../model/spec.js";

const BUSINESS_UNITS = ["Payments", "Data", "Web", "Mobile", "Platform", "Research", "Retail", "Logistics", "Marketing", "Identity", "Search", "Media"];

const SECURITY = new Set(["security", "log-archive"]);
const INFRASTRUCTURE = new Set(["networking", "shared-services", "backup"]);
const PROD = new Set(["production", "payments-prod", "data-platform", "analytics"]);

export interface OrganizationTree {
  units: OrganizationalUnitSpec[];
  /** Account id → OU path ("Workloads/Prod/Payments"); absent: under the root. */
  placement: Map<string, string>;
}

/** `businessUnits` OUs under Workloads/Prod and Workloads/NonProd (0: none). */
export function organizationTree(members: AccountSpec[], businessUnits: number): OrganizationTree {
  const units = BUSINESS_UNITS.slice(0, businessUnits);
  const envChildren = (env: string): OrganizationalUnitSpec[] =>
    units.map((name, i) => ({ name, children: env === "Prod" && i === 0 && units.length >= 3 ? [{ name: "PCI" }] : undefined }));
  const tree: OrganizationalUnitSpec[] = [
    { name: "Security" },
    { name: "Infrastructure" },
    { name: "Workloads", children: [{ name: "Prod", children: envChildren("Prod") }, { name: "NonProd", children: envChildren("NonProd") }] },
    { name: "Sandbox" },
    { name: "Suspended" },
  ];
  const placement = new Map<string, string>();
  members.forEach((account, i) => {
    const name = account.name.replace(/-legacy$/, "");
    let path: string | undefined;
    if (account.state === "SUSPENDED") path = "Suspended";
    else if (SECURITY.has(name)) path = "Security";
    else if (INFRASTRUCTURE.has(name)) path = "Infrastructure";
    else if (name === "sandbox") path = "Sandbox";
    else if (i % 23 === 22) path = undefined; // a few accounts never moved out of the root
    else {
      const prod = PROD.has(name) || name.endsWith("-prod");
      const env = prod ? "Prod" : "NonProd";
      path = `Workloads/${env}`;
      if (units.length > 0) {
        const unit = name.startsWith("payments") ? "Payments" : /^(data|analytics|ml-)/.test(name) && units.includes("Data") ? "Data" : units[i % units.length]!;
        path += `/${unit}`;
        if (prod && unit === units[0] && units.length >= 3 && i % 3 === 0) path += "/PCI";
      }
    }
    if (path) placement.set(account.id, path);
  });
  return { units: tree, placement };
}
