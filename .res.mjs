const b = process.argv[2];
const { RowEncoder } = await import(`${b}/src/c1z/rows.js`);
const { generatedSyncers } = await import(`${b}/bench/workers/generated-source.js`);
const [users] = generatedSyncers({ users: 100000, groups: 10, membersPerGroup: 100, resourcePageSize: 250, grantPageSize: 100 });
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const enc = new RowEncoder();
for (let r = 0; r < 3; r++) {
  let a = cpu(); const pages = [];
  for (let o = 0; o < 100000; o += 250) pages.push((await users.listResources(undefined, { o }, {})).items);
  const make = cpu() - a; a = cpu();
  for (const p of pages) enc.resources(p);
  console.log("make", (make / 100).toFixed(2), "µs/user; encode", ((cpu() - a) / 100).toFixed(2), "µs/user", enc.resources(pages[0]).data.length / 250, "bytes");
}
