/** The page's stylesheet (inlined; system fonts only, nothing fetched). */
export const PAGE_STYLE = `
:root { --fg: #1b1f24; --muted: #5b6570; --line: #d8dee4; --bg: #ffffff; --soft: #f5f7f9; --accent: #1f5fbf;
  --admin: #b42318; --iam: #c4320a; --sso: #8a5a00; --direct: #1f5fbf; --indirect: #9ec1f2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: var(--bg); }
#app { padding: 16px 24px 24px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
.meta { margin: 0 0 6px; color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
.note { margin: 2px 0; padding: 6px 10px; background: #fff8e6; border-left: 3px solid #e0a100; font-size: 13px; }
.error { padding: 12px; background: #fdecea; border-left: 3px solid var(--admin); }
.summary { display: flex; flex-wrap: wrap; gap: 6px; margin: 10px 0; }
.card { display: flex; flex-direction: column; align-items: flex-start; min-width: 128px; max-width: 200px; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--soft); cursor: pointer; font: inherit; text-align: left; }
.card:hover { border-color: var(--accent); }
.card .value { font-size: 18px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 12px; }
.card.alert .value { color: var(--admin); }
.tabs { display: flex; gap: 2px; border-bottom: 1px solid var(--line); margin-top: 8px; flex-wrap: wrap; }
.tab { padding: 8px 14px; border: 1px solid transparent; border-bottom: none; background: none; font: inherit; cursor: pointer; border-radius: 6px 6px 0 0; color: var(--muted); }
.tab[aria-selected="true"] { border-color: var(--line); background: var(--bg); color: var(--fg); font-weight: 600; margin-bottom: -1px; }
.tab-count { margin-left: 6px; padding: 0 6px; border-radius: 8px; background: var(--soft); font-size: 12px; font-weight: normal; }
.pane { padding-top: 10px; }
.description { margin: 0 0 8px; color: var(--muted); }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 8px; }
.search { flex: 1 1 320px; min-width: 220px; padding: 6px 8px; font: inherit; border: 1px solid var(--line); border-radius: 4px; }
.facet, .account-select, .person-input { padding: 5px 6px; font: inherit; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); max-width: 260px; }
.account-select { max-width: 520px; }
.person-input { width: 320px; max-width: 100%; }
.toolbar button, .details button { padding: 5px 10px; font: inherit; border: 1px solid var(--line); border-radius: 4px; background: var(--soft); cursor: pointer; }
.status { margin-left: auto; color: var(--muted); font-variant-numeric: tabular-nums; }
.columns { position: relative; }
.columns summary { padding: 5px 10px; border: 1px solid var(--line); border-radius: 4px; background: var(--soft); cursor: pointer; list-style: none; }
.columns-list { position: absolute; z-index: 5; margin-top: 4px; padding: 8px; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; box-shadow: 0 4px 12px rgba(0,0,0,.12); display: grid; gap: 2px; min-width: 200px; }
.panel:empty { display: none; }
.panel { margin-bottom: 10px; }
.hint { color: var(--muted); margin: 6px 0; }
.table-area { display: flex; gap: 10px; align-items: flex-start; }
.vt { position: relative; flex: 1 1 auto; min-width: 0; border: 1px solid var(--line); border-radius: 4px; }
.vt-scroll { height: 60vh; min-height: 320px; overflow: auto; position: relative; }
.vt-head { position: sticky; top: 0; z-index: 2; display: grid; background: var(--soft); border-bottom: 1px solid var(--line); width: max-content; min-width: 100%; }
.vt-h { display: flex; gap: 4px; align-items: center; height: 32px; padding: 0 8px; border: none; border-right: 1px solid var(--line); background: none; font: inherit; font-weight: 600; text-align: left; cursor: pointer; overflow: hidden; white-space: nowrap; }
.vt-h:hover { background: #e9eef3; }
.vt-sort { color: var(--accent); }
.vt-spacer { position: relative; width: max-content; min-width: 100%; }
.vt-window { position: absolute; top: 0; left: 0; right: 0; will-change: transform; }
.vt-row { display: grid; height: 28px; /* ROW_HEIGHT in app.js */ border-bottom: 1px solid #eef1f4; cursor: pointer; width: max-content; min-width: 100%; }
.vt-row.odd { background: #fafbfc; }
.vt-row:hover { background: #eaf2fd; }
.vt-cell { padding: 4px 8px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.vt-cell[data-level="admin"] { color: var(--admin); font-weight: 600; }
.vt-cell[data-level="iam-write"] { color: var(--iam); font-weight: 600; }
.vt-cell[data-level="sso-write"] { color: var(--sso); font-weight: 600; }
.vt-empty { padding: 16px; color: var(--muted); }
.details { flex: 0 0 360px; max-height: 60vh; overflow: auto; padding: 10px 12px; border: 1px solid var(--line); border-radius: 4px; background: var(--soft); }
.details h3 { margin: 0 0 8px; }
.details dl, .card-fields { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 0; }
.details dt, .card-fields dt { color: var(--muted); }
.details dd, .card-fields dd { margin: 0; overflow-wrap: anywhere; }
.details-actions { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 10px; }
.person-card { margin-top: 8px; padding: 10px 12px; border: 1px solid var(--line); border-radius: 4px; background: var(--soft); max-width: 720px; }
.person-card h3 { margin: 0 0 6px; }
.person-card .hint { margin: 0; }
.matrix-area h3 { margin: 10px 0 4px; font-size: 15px; }
.mx-legend { display: flex; gap: 6px; align-items: center; color: var(--muted); font-size: 12px; margin-bottom: 4px; }
.mx-legend .mx-cell { display: inline-block; width: 14px; height: 14px; }
.mx-scroll { max-height: 45vh; overflow: auto; border: 1px solid var(--line); border-radius: 4px; position: relative; }
.mx-head { position: sticky; top: 0; z-index: 2; display: grid; background: var(--soft); border-bottom: 1px solid var(--line); width: max-content; }
.mx-corner { padding: 6px 8px; color: var(--muted); font-size: 12px; display: flex; align-items: flex-end; }
.mx-col { height: 150px; display: flex; align-items: flex-end; justify-content: center; padding-bottom: 4px; border-left: 1px solid #eef1f4; }
.mx-col span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-height: 140px; font-size: 12px; }
.mx-col.privileged span { color: var(--admin); font-weight: 600; }
.mx-body { position: relative; width: max-content; }
.mx-spacer { width: 1px; }
.mx-row { position: absolute; top: 0; left: 0; display: grid; height: 24px; align-items: center; }
.mx-name { padding: 0 8px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; font-size: 13px; }
.mx-cell { width: 18px; height: 18px; margin: 0 4px; border-radius: 3px; background: #f0f2f4; }
.mx-cell.direct { background: var(--direct); }
.mx-cell.indirect { background: var(--indirect); }
.mx-cell.privileged { box-shadow: 0 0 0 2px var(--admin); }
@media print { .vt-scroll, .mx-scroll { height: auto; max-height: none; overflow: visible; } .toolbar, .tabs { display: none; } }
`;
