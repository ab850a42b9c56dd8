const b = process.argv[2];
const { generatedConnectorApi, generatedSyncers } = await import(`${b}/bench/workers/generated-source.js`);
const sizes = { users: 1000, groups: 10, membersPerGroup: 100, resourcePageSize: 250, grantPageSize: 100 };
const api = generatedConnectorApi(sizes);
const [users] = generatedSyncers(sizes);
const res = (await users.listResources(undefined, undefined, {})).items[0];
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
for (let r = 0; r < 3; r++) {
  let a = cpu();
  for (let i = 0; i < 100000; i++) await api.grants.listGrants({ resource: res, pageToken: "", activeSyncId: "x" });
  const t1 = cpu() - a; a = cpu();
  for (let i = 0; i < 100000; i++) await users.listGrants(res, undefined, {});
  console.log("api.listGrants", (t1 / 100).toFixed(2), "µs/call; syncer alone", ((cpu() - a) / 100).toFixed(2), "µs/call");
}
