/** Name pools for generated organisations: realistic first, synthetic once a pool runs out. */

export const FIRST_NAMES = [
  "Alice", "Bob", "Carmen", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jamal",
  "Katarzyna", "Liam", "Mei", "Nadia", "Oscar", "Priya", "Quentin", "Rosa", "Samuel", "Tomoko",
  "Umar", "Valentina", "Wei", "Ximena", "Yusuf", "Zara", "Aaron", "Beatriz", "Chen", "Daniela",
  "Emeka", "Fatima", "Gustavo", "Hannah", "Ivan", "Julia", "Kofi", "Lucia", "Mateo", "Noor",
  "Olga", "Pedro", "Rahul", "Sofia", "Thabo", "Uma", "Viktor", "Wanjiru", "Yara", "Zoltan",
];

export const LAST_NAMES = [
  "Anderson", "Baptiste", "Chowdhury", "Dubois", "Eriksen", "Fernandes", "Garcia", "Hughes", "Ivanova", "Jensen",
  "Kowalski", "Lindqvist", "Martins", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka",
  "Usman", "Varga", "Walsh", "Xu", "Yilmaz", "Zhang", "Abbott", "Becker", "Castillo", "Dlamini",
  "Evans", "Fischer", "Gonzalez", "Haddad", "Ishikawa", "Jovanovic", "Kim", "Lopez", "Mensah", "Novak",
  "Olsen", "Park", "Reyes", "Singh", "Takahashi", "Uchenna", "Vasquez", "Weber", "Young", "Zimmermann",
];

export const ACCOUNT_NAMES = [
  "production", "staging", "development", "sandbox", "security", "log-archive", "shared-services",
  "networking", "data-platform", "analytics", "payments-prod", "payments-staging", "ml-research", "backup",
];

export const ENVIRONMENTS = ["prod", "staging", "dev", "test"];

export const GROUP_NAMES: Array<[string, string]> = [
  ["Engineering", "All product engineers"],
  ["Platform Admins", "Platform team with administrative access"],
  ["Security", "Security operations and audit"],
  ["Finance", "Billing and cost management"],
  ["Data Science", "Analytics and machine learning"],
  ["Support", "Customer support engineers"],
  ["SRE", "Site reliability engineering on-call"],
  ["Contractors", "External contractors with limited access"],
];

export const DEPARTMENTS = ["eng", "data", "ops", "sec", "fin", "sales", "support", "research"];

export const PERMISSION_SETS: Array<{ name: string; description: string; duration: string; policies: string[] }> = [
  { name: "AdministratorAccess", description: "Full access to AWS services and resources", duration: "PT1H", policies: ["AdministratorAccess"] },
  { name: "ReadOnlyAccess", description: "Read-only access to all AWS services", duration: "PT8H", policies: ["ReadOnlyAccess"] },
  { name: "PowerUserAccess", description: "Full access except IAM and Organizations management", duration: "PT4H", policies: ["PowerUserAccess"] },
  { name: "SecurityAudit", description: "Read security configuration metadata", duration: "PT8H", policies: ["SecurityAudit"] },
  { name: "Billing", description: "Billing and cost management", duration: "PT4H", policies: ["job-function/Billing"] },
  { name: "ViewOnlyAccess", description: "View resources and basic metadata", duration: "PT12H", policies: ["job-function/ViewOnlyAccess"] },
];

export const IAM_GROUP_NAMES = ["Admins", "Deployers", "Auditors", "Developers", "Operators", "BillingViewers"];
