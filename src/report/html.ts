import { readFileSync } from "node:fs";
import { encodePageData } from "./page-data.js";
import { PAGE_STYLE } from "./page/style.js";
import type { Report } from "./report.js";
import type { View } from "./views.js";

/**
 * The review as one self-contained HTML file: the stylesheet, the page's script and the data are
 * all inside it, and its Content-Security-Policy forbids fetching anything — it opens from disk or
 * as an e-mail attachment, offline.
 */
// As written in src/, or as tsc emitted it into dist/ (with its source-map comment, which a page has no use for).
const PAGE_SCRIPT = readFileSync(new URL("./page/app.js", import.meta.url), "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, "");

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export function renderHtml(report: Report, views: View[]): string {
  if (/<\/script/i.test(PAGE_SCRIPT)) throw new Error("the page script must not contain a closing script tag");
  const data = encodePageData(report, views).toString("base64");
  const title = `AWS access review — ${report.meta.sync.label} (${report.meta.sync.endedAt ?? report.meta.sync.startedAt})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="aws-access-connector report">
<title>${escapeHtml(title)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<div id="app"><p class="loading">Loading the access review…</p><noscript>This review needs JavaScript to show its tables; the CSV and JSON forms (connector report --format csv|json) need none.</noscript></div>
<script id="report-data" type="application/octet-stream">${data}</script>
<script type="module">${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
