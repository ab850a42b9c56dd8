import { createOrganization, generateOrgSpec } from "./src/simulator/index.js";
const cpu: number[] = [];
const wall: number[] = [];
for (let i = 0; i < 5; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  createOrganization({ org: generateOrgSpec({ profile: "large" }) });
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
console.log("cpu median", Math.round(median(cpu)), "wall median", Math.round(median(wall)));
