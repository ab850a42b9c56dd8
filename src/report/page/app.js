// The access review page: reads the data embedded in the document (no network), shows each view
// as a sortable, filterable table, and stays responsive with millions of rows — only the rows in
// sight are in the DOM, filtering walks the rows in chunks between frames, and sorting sorts
// numeric keys (rank × stride + position) with the typed-array sort.
//
// Plain browser JavaScript, inlined as is into the report (src/report/html.ts); no dependencies.

const ROW_HEIGHT = 28;
const CHUNK = 131072;
/** Browsers cap an element's height; taller tables scroll through a scaled spacer. */
const MAX_SCROLL_PX = 8_000_000;
const TABLES = { principal: "principals", target: "targets", via: "vias" };

/** Per view: the columns shown at first, the columns offered as drop-down filters, the first sort. */
const VIEW_UI = {
  privileged: {
    visible: ["privilege", "account", "principal", "principalType", "accessKind", "access", "path", "privilegeReason"],
    facets: ["privilege", "accessKind", "principalType", "account"],
    sort: { key: "privilege", dir: 1 },
  },
  "by-account": {
    visible: ["account", "principal", "principalType", "accessKind", "access", "path", "privilege", "lastSignIn"],
    facets: ["accessKind", "privilege", "pathKind", "principalType"],
    sort: null,
  },
  "by-person": {
    visible: ["principal", "principalType", "lastSignIn", "account", "accessKind", "access", "path", "privilege"],
    facets: ["accessKind", "privilege", "pathKind", "account"],
    sort: { key: "principal", dir: 1 },
  },
  stale: {
    visible: ["reason", "days", "principal", "principalType", "status", "lastSignIn", "grants", "accounts", "privilegedGrants"],
    facets: ["reason", "principalType", "status"],
    sort: null,
  },
  changes: {
    visible: ["change", "account", "principal", "accessKind", "access", "path", "privilege", "privilegeBefore"],
    facets: ["change", "accessKind", "privilege", "account"],
    sort: null,
  },
  outside: {
    visible: ["finding", "account", "principal", "accessKind", "access", "requestedBy", "when", "detail", "inEarlierSync"],
    facets: ["finding", "accessKind", "account"],
    sort: null,
  },
};

const WIDTHS = {
  account: 170, accountId: 130, principal: 230, principalType: 110, email: 220, status: 90, lastSignIn: 110, accessKind: 120,
  access: 210, privilege: 170, privilegeReason: 260, policies: 240, path: 300, pathKind: 120, entitlementId: 360, principalId: 360,
  reason: 200, days: 110, created: 110, grants: 100, accounts: 90, privilegedGrants: 120, change: 140, privilegeBefore: 150,
  finding: 290, requestedBy: 170, when: 170, detail: 300, inEarlierSync: 120,
};

const VIEW_ORDER = ["privileged", "by-account", "by-person", "stale", "changes", "outside"];
const VIEW_TITLES = { privileged: "Privileged access", "by-account": "By account", "by-person": "By person", stale: "Stale access", changes: "Changes", outside: "Outside the process" };
const MISSING_VIEW = {
  changes: "No earlier sync was compared. Run the report with --since OTHER.c1z (or a sync id of the same file) to see what was granted and removed.",
  outside: "No provisioning state was given. Run the report with --state-dir DIR (the connector's state directory) to compare AWS with what was granted through the connector.",
};

const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
const numberFormat = new Intl.NumberFormat("en");
const nextFrame = () => new Promise((resolve) => setTimeout(resolve, 0));

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// ---------------------------------------------------------------------------------------------
// Data

function base64Bytes(text) {
  const binary = atob(text.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

async function inflate(bytes) {
  if (typeof DecompressionStream === "undefined") throw new Error("This browser cannot read the report (it lacks DecompressionStream): open it in a current Chrome, Edge, Firefox or Safari.");
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).arrayBuffer();
}

function decode(buffer) {
  const view = new DataView(buffer);
  const headerOffset = view.getUint32(0, true);
  const headerLength = view.getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, headerOffset, headerLength)));
  const types = { u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i32: Int32Array };
  const arrays = header.buffers.map((b) => new types[b.type](buffer, b.offset, b.length));
  for (const dataset of Object.values(header.datasets)) {
    for (const source of Object.keys(dataset.entities)) dataset.entities[source] = arrays[dataset.entities[source].buffer];
  }
  return header;
}

/** Reads columns of one dataset's rows. */
class Dataset {
  constructor(data, name) {
    const dataset = data.datasets[name];
    this.count = dataset.count;
    this.entities = dataset.entities;
    this.fields = dataset.fields;
    this.tables = data.tables;
  }

  entity(row, source) {
    const array = this.entities[source];
    return array ? array[row] : -1;
  }

  value(row, column) {
    if (column.source === "row") return this.fields[column.field][row] ?? null;
    const index = this.entity(row, column.source);
    if (index === undefined || index < 0) return null;
    return this.tables[TABLES[column.source]][column.field][index] ?? null;
  }

  text(row, column) {
    return formatValue(this.value(row, column), column.type);
  }
}

function formatValue(value, type) {
  if (value === null || value === undefined || value === "") return "";
  if (type === "date") return new Date(value).toISOString().slice(0, 10);
  if (type === "number") return numberFormat.format(value);
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// The virtualised table

class VirtualTable {
  constructor(columns, dataset, options) {
    this.columns = columns;
    this.dataset = dataset;
    this.options = options;
    this.rows = new Uint32Array(0);
    this.pool = [];
    this.root = el("div", { class: "vt", role: "table", "aria-rowcount": 0 });
    this.scroller = el("div", { class: "vt-scroll" });
    this.head = el("div", { class: "vt-head", role: "row" });
    this.spacer = el("div", { class: "vt-spacer" });
    this.window = el("div", { class: "vt-window", role: "rowgroup" });
    this.spacer.append(this.window);
    this.scroller.append(this.head, this.spacer);
    this.empty = el("div", { class: "vt-empty", text: "No rows match.", hidden: true });
    this.root.append(this.scroller, this.empty);
    this.scroller.addEventListener("scroll", () => this.render(), { passive: true });
    new ResizeObserver(() => this.render()).observe(this.scroller);
    this.setColumns(columns);
  }

  setColumns(columns) {
    this.columns = columns;
    this.template = columns.map((c) => `${WIDTHS[c.key] ?? 160}px`).join(" ");
    this.head.replaceChildren(
      ...columns.map((c) =>
        el(
          "button",
          { class: "vt-h", role: "columnheader", "data-key": c.key, type: "button", title: `Sort by ${c.title}`, onclick: () => this.options.onSort(c) },
          el("span", { text: c.title }),
          el("span", { class: "vt-sort", "aria-hidden": "true" }),
        ),
      ),
    );
    this.head.style.gridTemplateColumns = this.template;
    for (const row of this.pool) row.remove();
    this.pool = [];
    this.render();
  }

  showSort(sort) {
    for (const h of this.head.children) {
      const active = sort && h.dataset.key === sort.key;
      h.setAttribute("aria-sort", active ? (sort.dir > 0 ? "ascending" : "descending") : "none");
      h.querySelector(".vt-sort").textContent = active ? (sort.dir > 0 ? "▲" : "▼") : "";
    }
  }

  setRows(rows) {
    this.rows = rows;
    this.root.setAttribute("aria-rowcount", String(rows.length));
    this.empty.hidden = rows.length > 0;
    const full = rows.length * ROW_HEIGHT;
    this.scaled = full > MAX_SCROLL_PX;
    this.spacer.style.height = `${this.scaled ? MAX_SCROLL_PX : full}px`;
    this.scroller.scrollTop = 0;
    this.render();
  }

  firstVisible() {
    const viewport = Math.max(0, this.scroller.clientHeight - this.head.offsetHeight);
    const visible = Math.ceil(viewport / ROW_HEIGHT);
    if (!this.scaled) return { first: Math.floor(this.scroller.scrollTop / ROW_HEIGHT), top: null, visible };
    const range = MAX_SCROLL_PX - viewport;
    const ratio = range > 0 ? Math.min(1, this.scroller.scrollTop / range) : 0;
    return { first: Math.round(ratio * Math.max(0, this.rows.length - visible)), top: this.scroller.scrollTop, visible };
  }

  render() {
    const { first, top, visible } = this.firstVisible();
    const count = Math.max(0, Math.min(visible + 2, this.rows.length - first));
    while (this.pool.length < count) {
      const row = el("div", { class: "vt-row", role: "row" });
      row.style.gridTemplateColumns = this.template;
      for (let c = 0; c < this.columns.length; c++) row.append(el("div", { class: "vt-cell", role: "cell" }));
      row.addEventListener("click", (event) => this.options.onRowClick(Number(row.dataset.row), event));
      this.window.append(row);
      this.pool.push(row);
    }
    this.window.style.transform = `translateY(${top ?? first * ROW_HEIGHT}px)`;
    for (let i = 0; i < this.pool.length; i++) {
      const node = this.pool[i];
      if (i >= count) {
        node.hidden = true;
        continue;
      }
      node.hidden = false;
      const r = this.rows[first + i];
      node.dataset.row = String(r);
      node.setAttribute("aria-rowindex", String(first + i + 1));
      node.classList.toggle("odd", (first + i) % 2 === 1);
      const cells = node.children;
      for (let c = 0; c < this.columns.length; c++) {
        const column = this.columns[c];
        const text = this.dataset.text(r, column);
        const cell = cells[c];
        if (cell.textContent !== text) {
          cell.textContent = text;
          cell.title = text;
        }
        if (column.key === "privilege") cell.dataset.level = String(this.dataset.value(r, { source: "target", field: "level" }) ?? "");
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// A view: toolbar, optional panel (matrix, person card), table, row details

class ViewPane {
  constructor(app, spec) {
    this.app = app;
    this.spec = spec;
    this.ui = VIEW_UI[spec.name];
    this.dataset = new Dataset(app.data, spec.dataset);
    this.columnsByKey = new Map(spec.columns.map((c) => [c.key, c]));
    this.visible = this.ui.visible.filter((k) => this.columnsByKey.has(k));
    this.sort = this.ui.sort;
    this.facets = {};
    this.query = "";
    this.account = null;
    this.person = null;
    this.generation = 0;
    this.rankCache = new Map();
    this.base = this.baseRows();

    this.root = el("section", { class: "pane", "data-view": spec.name, "data-state": "loading", hidden: true });
    this.status = el("span", { class: "status", role: "status", "aria-live": "polite" });
    this.search = el("input", {
      type: "search",
      class: "search",
      placeholder: "Filter: any words (name, account, permission set, group…)",
      "aria-label": `Filter ${spec.title}`,
      oninput: () => {
        // Pending from the first keystroke: whoever waits for "ready" waits for this filter.
        this.root.dataset.state = "filtering";
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => this.setQuery(this.search.value), 150);
      },
    });
    const toolbar = el("div", { class: "toolbar" }, this.search);
    for (const key of this.ui.facets) {
      const column = this.columnsByKey.get(key);
      if (!column) continue;
      const select = el("select", { class: "facet", "data-facet": key, "aria-label": column.title, onchange: () => this.setFacet(key, select.value) }, el("option", { value: "", text: `${column.title}: all` }));
      for (const value of this.distinctValues(column)) select.append(el("option", { value, text: value || "(none)" }));
      toolbar.append(select);
    }
    toolbar.append(this.columnMenu(), el("button", { type: "button", class: "download", text: "Download CSV", onclick: () => this.download() }), this.status);
    this.panel = el("div", { class: "panel" });
    this.table = new VirtualTable(this.visibleColumns(), this.dataset, { onSort: (c) => this.toggleSort(c), onRowClick: (r) => this.showDetails(r) });
    this.details = el("aside", { class: "details", hidden: true, "aria-label": "Row details" });
    this.root.append(el("p", { class: "description", text: spec.description }), toolbar, this.panel, el("div", { class: "table-area" }, this.table.root, this.details));
    if (spec.name === "by-account") this.setupAccountPanel();
    if (spec.name === "by-person") this.setupPersonPanel();
  }

  /** The rows this view is about, in the dataset's order. */
  baseRows() {
    const ds = this.dataset;
    const keep =
      this.spec.name === "privileged"
        ? (r) => ds.value(r, { source: "target", field: "level" }) !== ""
        : this.spec.name === "by-person"
          ? (r) => ds.value(r, { source: "principal", field: "kind" }) === "user"
          : null;
    const out = new Uint32Array(ds.count);
    let n = 0;
    for (let r = 0; r < ds.count; r++) if (!keep || keep(r)) out[n++] = r;
    return out.subarray(0, n);
  }

  visibleColumns() {
    return this.visible.map((k) => this.columnsByKey.get(k));
  }

  distinctValues(column) {
    const values = new Set();
    if (column.source === "row") {
      for (const r of this.base) values.add(String(this.dataset.value(r, column) ?? ""));
    } else {
      const seen = new Uint8Array(this.app.data.tables[TABLES[column.source]][column.field].length);
      const entities = this.dataset.entities[column.source];
      for (const r of this.base) {
        const e = entities[r];
        if (e >= 0 && !seen[e]) {
          seen[e] = 1;
          values.add(String(this.dataset.value(r, column) ?? ""));
        }
      }
    }
    const list = [...values];
    const sortColumn = column.sortField ? { ...column, field: column.sortField } : null;
    if (sortColumn) {
      const rankOf = new Map();
      const table = this.app.data.tables[TABLES[column.source]];
      table[column.field].forEach((v, i) => rankOf.set(v, table[column.sortField][i]));
      return list.sort((a, b) => (rankOf.get(a) ?? 0) - (rankOf.get(b) ?? 0));
    }
    return list.sort(collator.compare);
  }

  columnMenu() {
    const menu = el("details", { class: "columns" }, el("summary", { text: "Columns" }));
    const list = el("div", { class: "columns-list" });
    for (const column of this.spec.columns) {
      const box = el("input", { type: "checkbox", checked: this.visible.includes(column.key), onchange: () => this.toggleColumn(column.key, box.checked) });
      list.append(el("label", {}, box, ` ${column.title}`));
    }
    menu.append(list);
    return menu;
  }

  toggleColumn(key, on) {
    const order = this.spec.columns.map((c) => c.key);
    this.visible = on ? [...new Set([...this.visible, key])].sort((a, b) => this.keyOrder(a, order) - this.keyOrder(b, order)) : this.visible.filter((k) => k !== key);
    this.table.setColumns(this.visibleColumns());
    this.table.showSort(this.sort);
  }

  keyOrder(key, order) {
    const preferred = this.ui.visible.indexOf(key);
    return preferred >= 0 ? preferred : 100 + order.indexOf(key);
  }

  show() {
    this.root.hidden = false;
    if (!this.started) {
      this.started = true;
      this.refresh();
    } else {
      this.table.render();
    }
  }

  setQuery(query) {
    this.query = query;
    this.refresh();
  }

  setFacet(key, value) {
    if (value === "") delete this.facets[key];
    else this.facets[key] = value;
    const select = this.root.querySelector(`select[data-facet="${key}"]`);
    if (select && select.value !== value) select.value = value;
    this.refresh();
  }

  toggleSort(column) {
    this.sort = this.sort && this.sort.key === column.key ? { key: column.key, dir: -this.sort.dir } : { key: column.key, dir: 1 };
    this.refresh();
  }

  /** Filters (in chunks, abandoning stale work) and sorts, then shows the rows. */
  async refresh() {
    const generation = ++this.generation;
    this.root.dataset.state = "filtering";
    this.status.textContent = "Filtering…";
    const ds = this.dataset;
    const tables = this.app.data.tables;
    const terms = this.query.toLowerCase().split(/\s+/).filter(Boolean);
    const textColumns = this.spec.columns.filter((c) => c.type === "text");
    // Per term and source: which table entries match. Rows then only look up integers.
    const termMatches = terms.map((term) => {
      const bySource = {};
      for (const source of Object.keys(TABLES)) {
        const columns = textColumns.filter((c) => c.source === source);
        if (columns.length === 0 || !ds.entities[source]) continue;
        const table = tables[TABLES[source]];
        const size = table[columns[0].field].length;
        const hits = new Uint8Array(size);
        for (const c of columns) {
          const values = table[c.field];
          for (let i = 0; i < size; i++) if (!hits[i] && values[i] && String(values[i]).toLowerCase().includes(term)) hits[i] = 1;
        }
        bySource[source] = hits;
      }
      const rowColumns = textColumns.filter((c) => c.source === "row");
      return { bySource, rowColumns, term };
    });
    // Facets and the view's own selection (account, person) as allowed table entries.
    const allowed = [];
    for (const [key, value] of Object.entries(this.facets)) {
      const column = this.columnsByKey.get(key);
      if (column.source === "row") {
        allowed.push({ row: (r) => String(ds.value(r, column) ?? "") === value });
        continue;
      }
      const values = tables[TABLES[column.source]][column.field];
      const ok = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) ok[i] = String(values[i] ?? "") === value ? 1 : 0;
      allowed.push({ source: column.source, ok });
    }
    if (this.account !== null) {
      const values = tables.targets.accountId;
      const ok = new Uint8Array(values.length);
      for (let i = 0; i < values.length; i++) ok[i] = values[i] === this.account ? 1 : 0;
      allowed.push({ source: "target", ok });
    }
    if (this.person !== null) {
      const ok = new Uint8Array(tables.principals.key.length);
      ok[this.person] = 1;
      allowed.push({ source: "principal", ok });
    }

    // Filtering keeps order: walk the rows already sorted (sorted once per column and direction).
    const base = this.sort ? await this.sortedBase(this.columnsByKey.get(this.sort.key), this.sort.dir, generation) : this.base;
    if (!base) return;
    const out = new Uint32Array(base.length);
    let n = 0;
    for (let start = 0; start < base.length; start += CHUNK) {
      const end = Math.min(base.length, start + CHUNK);
      for (let i = start; i < end; i++) {
        const r = base[i];
        let pass = true;
        for (const a of allowed) {
          if (a.row ? !a.row(r) : !a.ok[ds.entity(r, a.source)]) {
            pass = false;
            break;
          }
        }
        if (!pass) continue;
        for (const t of termMatches) {
          let hit = false;
          for (const source in t.bySource) {
            const e = ds.entity(r, source);
            if (e >= 0 && t.bySource[source][e]) {
              hit = true;
              break;
            }
          }
          if (!hit) for (const c of t.rowColumns) if (String(ds.value(r, c) ?? "").toLowerCase().includes(t.term)) hit = true;
          if (!hit) {
            pass = false;
            break;
          }
        }
        if (pass) out[n++] = r;
      }
      if (end < base.length) {
        this.status.textContent = `Filtering… ${Math.round((end / base.length) * 100)}%`;
        await nextFrame();
        if (generation !== this.generation) return;
      }
    }
    const rows = out.subarray(0, n);
    this.rowsShown = rows;
    this.table.setRows(rows);
    this.table.showSort(this.sort);
    const total = base.length;
    this.status.textContent = n === total ? `${numberFormat.format(total)} rows` : `Showing ${numberFormat.format(n)} of ${numberFormat.format(total)} rows`;
    this.root.dataset.count = String(n);
    this.root.dataset.state = "ready";
    if (this.spec.name === "by-account") this.renderMatrix();
    if (this.spec.name === "by-person") this.renderPersonCard();
    this.app.ready(this);
  }

  /** Ranks of a column's values, per table entry (or per row for row fields), computed once. */
  ranks(column) {
    const key = column.key;
    if (this.rankCache.has(key)) return this.rankCache.get(key);
    const field = column.sortField ?? column.field;
    let values;
    if (column.source === "row") values = this.dataset.fields[field];
    else values = this.app.data.tables[TABLES[column.source]][field];
    const order = Array.from(values.keys());
    const numeric = column.type !== "text" || column.sortField;
    order.sort((a, b) => {
      const x = values[a];
      const y = values[b];
      const xEmpty = x === null || x === undefined || x === "";
      const yEmpty = y === null || y === undefined || y === "";
      if (xEmpty || yEmpty) return xEmpty === yEmpty ? 0 : xEmpty ? 1 : -1;
      return numeric ? x - y : collator.compare(String(x), String(y));
    });
    const ranks = new Int32Array(values.length);
    let rank = 0;
    for (let i = 0; i < order.length; i++) {
      if (i > 0 && values[order[i]] !== values[order[i - 1]]) rank = i;
      ranks[order[i]] = rank;
    }
    this.rankCache.set(key, ranks);
    return ranks;
  }

  /**
   * The view's rows sorted by a column, stably (ties keep the view's order), computed once per
   * column and direction and in slices between frames: keys = rank × stride + position, sorted
   * run by run with the typed-array sort, then merged pairwise. Undefined if a newer refresh began.
   */
  async sortedBase(column, dir, generation) {
    const cacheKey = `${column.key} ${dir}`;
    if (this.sortCache?.key === cacheKey) return this.sortCache.rows;
    this.status.textContent = "Sorting…";
    const rows = this.base;
    const n = rows.length;
    const ranks = this.ranks(column);
    const stride = 2 ** Math.ceil(Math.log2(n + 1));
    const max = ranks.length;
    let keys = new Float64Array(n);
    const stale = async () => {
      await nextFrame();
      return generation !== this.generation;
    };
    for (let start = 0; start < n; start += CHUNK) {
      for (let i = start; i < Math.min(n, start + CHUNK); i++) {
        const r = rows[i];
        const index = column.source === "row" ? r : this.dataset.entity(r, column.source);
        const rank = index >= 0 ? ranks[index] : max;
        keys[i] = (dir > 0 ? rank : max - rank) * stride + i;
      }
      keys.subarray(start, Math.min(n, start + CHUNK)).sort();
      if (n > CHUNK && (await stale())) return undefined;
    }
    let spare = new Float64Array(n);
    for (let width = CHUNK; width < n; width *= 2) {
      for (let lo = 0; lo < n; lo += 2 * width) {
        mergeRuns(keys, spare, lo, Math.min(n, lo + width), Math.min(n, lo + 2 * width));
        if (await stale()) return undefined;
      }
      [keys, spare] = [spare, keys];
    }
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = rows[keys[i] % stride];
    this.sortCache = { key: cacheKey, rows: out };
    return out;
  }

  showDetails(r) {
    const ds = this.dataset;
    const list = el("dl");
    for (const column of this.spec.columns) {
      const text = ds.text(r, column);
      if (column.type === "date" && text) list.append(el("dt", { text: column.title }), el("dd", { text: new Date(ds.value(r, column)).toISOString() }));
      else list.append(el("dt", { text: column.title }), el("dd", { text: text || "—" }));
    }
    const actions = el("div", { class: "details-actions" });
    const principal = ds.entity(r, "principal");
    if (principal >= 0 && this.app.data.tables.principals.kind[principal] === "user") {
      actions.append(el("button", { type: "button", text: "All access of this person", onclick: () => this.app.showPerson(principal) }));
    }
    const target = ds.entity(r, "target");
    const account = target >= 0 ? this.app.data.tables.targets.accountId[target] : "";
    if (account) actions.append(el("button", { type: "button", text: "This account", onclick: () => this.app.showAccount(account) }));
    actions.append(el("button", { type: "button", text: "Close", onclick: () => (this.details.hidden = true) }));
    this.details.replaceChildren(el("h3", { text: "Details" }), list, actions);
    this.details.hidden = false;
  }

  download() {
    const columns = this.spec.columns;
    const rows = this.rowsShown ?? this.base;
    const parts = [`${columns.map((c) => csvCell(c.title, true)).join(",")}\r\n`];
    let buffer = "";
    for (let i = 0; i < rows.length; i++) {
      buffer += `${columns.map((c) => csvCell(csvText(this.dataset.value(rows[i], c), c.type), c.type === "text")).join(",")}\r\n`;
      if (buffer.length > 1 << 20) {
        parts.push(buffer);
        buffer = "";
      }
    }
    parts.push(buffer);
    const url = URL.createObjectURL(new Blob(parts, { type: "text/csv" }));
    const link = el("a", { href: url, download: `${this.spec.name}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  // --- by account: account selector and the people × access matrix

  setupAccountPanel() {
    const tables = this.app.data.tables;
    const counts = new Map();
    const targets = this.dataset.entities.target;
    for (const r of this.base) {
      const account = tables.targets.accountId[targets[r]];
      counts.set(account, (counts.get(account) ?? 0) + 1);
    }
    const nameOf = (id) => (id ? tables.targets.accountName[tables.targets.accountId.indexOf(id)] || id : "");
    const accounts = [...counts.keys()].sort((a, b) => (a === "" ? 1 : b === "" ? -1 : collator.compare(nameOf(a), nameOf(b))));
    this.accountSelect = el(
      "select",
      { class: "account-select", "aria-label": "Account", onchange: () => this.setAccount(this.accountSelect.value === "*" ? null : this.accountSelect.value) },
      el("option", { value: "*", text: `All accounts (${numberFormat.format(accounts.length)})` }),
      ...accounts.map((id) => el("option", { value: id, text: id ? `${nameOf(id)} (${id}) — ${numberFormat.format(counts.get(id))} grants` : `Identity Center, no account — ${numberFormat.format(counts.get(id))} grants` })),
    );
    this.matrix = el("div", { class: "matrix-area" });
    this.panel.append(el("label", { class: "account-label" }, "Account ", this.accountSelect), this.matrix);
  }

  setAccount(account) {
    this.account = account;
    if (this.accountSelect) this.accountSelect.value = account === null ? "*" : account;
    this.refresh();
  }

  renderMatrix() {
    if (this.account === null || this.account === "") {
      this.matrix.replaceChildren(el("p", { class: "hint", text: "Choose an account to see who holds which permission set, role or group in it." }));
      return;
    }
    if (this.matrixAccount === this.account) return;
    this.matrixAccount = this.account;
    const ds = this.dataset;
    const tables = this.app.data.tables;
    const matrixKinds = new Set(["permission-set", "iam-role", "iam-group"]);
    const people = new Map();
    const columns = new Map();
    for (const r of this.base) {
      const t = ds.entity(r, "target");
      if (tables.targets.accountId[t] !== this.account || !matrixKinds.has(tables.targets.kind[t])) continue;
      const p = ds.entity(r, "principal");
      if (tables.principals.kind[p] !== "user") continue;
      const how = tables.vias.how[ds.entity(r, "via")] ?? "";
      if (!columns.has(t)) columns.set(t, columns.size);
      let cells = people.get(p);
      if (!cells) people.set(p, (cells = new Map()));
      cells.set(t, { direct: how.split(" + ").includes("direct"), via: tables.vias.text[ds.entity(r, "via")] });
    }
    const targetList = [...columns.keys()].sort((a, b) => collator.compare(tables.targets.kindLabel[a], tables.targets.kindLabel[b]) || collator.compare(tables.targets.name[a], tables.targets.name[b]));
    const personList = [...people.keys()].sort((a, b) => collator.compare(tables.principals.name[a], tables.principals.name[b]));
    if (targetList.length === 0) {
      this.matrix.replaceChildren(el("p", { class: "hint", text: "No user holds a permission set, IAM role or IAM group in this account." }));
      return;
    }
    const template = `220px repeat(${targetList.length}, 26px)`;
    const head = el(
      "div",
      { class: "mx-head", role: "row" },
      el("div", { class: "mx-corner", text: `${numberFormat.format(personList.length)} people × ${targetList.length} permission sets, roles, groups` }),
      ...targetList.map((t) =>
        el("div", { class: `mx-col${tables.targets.level[t] ? " privileged" : ""}`, role: "columnheader", title: `${tables.targets.kindLabel[t]} ${tables.targets.name[t]}${tables.targets.levelLabel[t] ? ` — ${tables.targets.levelLabel[t]}` : ""}` }, el("span", { text: tables.targets.name[t] })),
      ),
    );
    head.style.gridTemplateColumns = template;
    const body = el("div", { class: "mx-body", role: "rowgroup" });
    const spacer = el("div", { class: "mx-spacer" });
    spacer.style.height = `${personList.length * 24}px`;
    body.append(spacer);
    const scroller = el("div", { class: "mx-scroll", role: "grid", "aria-label": "People by access in this account" }, head, body);
    const draw = () => {
      const first = Math.max(0, Math.floor((scroller.scrollTop - head.offsetHeight) / 24));
      const visible = Math.ceil(scroller.clientHeight / 24) + 2;
      const rows = [];
      for (let i = first; i < Math.min(personList.length, first + visible); i++) {
        const p = personList[i];
        const cells = people.get(p);
        const row = el("div", { class: "mx-row", role: "row" }, el("div", { class: "mx-name", role: "rowheader", text: tables.principals.name[p], title: tables.principals.name[p] }));
        row.style.gridTemplateColumns = template;
        row.style.transform = `translateY(${i * 24}px)`;
        for (const t of targetList) {
          const cell = cells.get(t);
          const label = cell ? `${tables.principals.name[p]} — ${tables.targets.name[t]}: ${cell.via}` : "";
          row.append(el("div", { class: `mx-cell${cell ? (cell.direct ? " direct" : " indirect") : ""}${cell && tables.targets.level[t] ? " privileged" : ""}`, role: "gridcell", title: label, "aria-label": label || "none" }));
        }
        rows.push(row);
      }
      body.replaceChildren(spacer, ...rows);
    };
    scroller.addEventListener("scroll", draw, { passive: true });
    const legend = el(
      "div",
      { class: "mx-legend" },
      el("span", { class: "mx-cell direct" }),
      " direct ",
      el("span", { class: "mx-cell indirect" }),
      " through a group or role ",
      el("span", { class: "mx-cell direct privileged" }),
      " privileged",
    );
    this.matrix.replaceChildren(el("h3", { text: `Who holds what in ${tables.targets.accountName[targetList[0]] || this.account} (${this.account})` }), legend, scroller);
    draw();
  }

  // --- by person: person finder and card

  setupPersonPanel() {
    const names = this.app.data.tables.principals.name;
    const kinds = this.app.data.tables.principals.kind;
    this.personList = el("datalist", { id: "people-list" });
    this.personInput = el("input", {
      type: "search",
      class: "person-input",
      list: "people-list",
      placeholder: "Find a person by name",
      "aria-label": "Person",
      oninput: () => {
        const text = this.personInput.value.toLowerCase();
        const matches = [];
        for (let i = 0; i < names.length && matches.length < 50; i++) if (kinds[i] === "user" && names[i].toLowerCase().includes(text)) matches.push(i);
        this.personList.replaceChildren(...matches.map((i) => el("option", { value: names[i] })));
        const exact = matches.find((i) => names[i] === this.personInput.value);
        if (exact !== undefined) this.setPerson(exact);
        else if (this.personInput.value === "" && this.person !== null) this.setPerson(null);
      },
    });
    this.card = el("div", { class: "person-card" });
    this.panel.append(el("label", { class: "person-label" }, "Person ", this.personInput), this.personList, this.card);
  }

  setPerson(person) {
    this.person = person;
    if (this.personInput) this.personInput.value = person === null ? "" : this.app.data.tables.principals.name[person];
    this.refresh();
  }

  renderPersonCard() {
    if (this.person === null) {
      this.card.replaceChildren(el("p", { class: "hint", text: "Find a person to see their access across accounts, with the path of every grant." }));
      return;
    }
    const p = this.person;
    const tables = this.app.data.tables;
    const rows = this.rowsShown;
    const accounts = new Set();
    let privileged = 0;
    for (const r of rows) {
      const t = this.dataset.entity(r, "target");
      if (tables.targets.accountId[t]) accounts.add(tables.targets.accountId[t]);
      if (tables.targets.level[t]) privileged++;
    }
    const field = (label, value) => [el("dt", { text: label }), el("dd", { text: value || "—" })];
    const last = tables.principals.lastLoginMs[p];
    this.card.replaceChildren(
      el("h3", { text: tables.principals.name[p] }),
      el(
        "dl",
        { class: "card-fields" },
        ...field("Type", tables.principals.typeLabel[p]),
        ...field("E-mail", tables.principals.email[p]),
        ...field("Status", tables.principals.status[p]),
        ...field("Last sign-in", last ? new Date(last).toISOString() : "not recorded"),
        ...field("Grants", numberFormat.format(rows.length)),
        ...field("Accounts", numberFormat.format(accounts.size)),
        ...field("Privileged grants", numberFormat.format(privileged)),
      ),
    );
  }
}

/** Merges the sorted runs src[lo, mid) and src[mid, hi) into dst[lo, hi). */
function mergeRuns(src, dst, lo, mid, hi) {
  let i = lo;
  let j = mid;
  let k = lo;
  while (i < mid && j < hi) dst[k++] = src[i] <= src[j] ? src[i++] : src[j++];
  while (i < mid) dst[k++] = src[i++];
  while (j < hi) dst[k++] = src[j++];
}

function csvText(value, type) {
  if (value === null || value === undefined) return "";
  if (type === "date") return new Date(value).toISOString();
  return String(value);
}

function csvCell(text, isText) {
  const safe = isText && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

// ---------------------------------------------------------------------------------------------
// The application: header, summary, tabs

class App {
  constructor(data) {
    this.data = data;
    this.panes = new Map();
    this.specs = new Map(data.views.map((v) => [v.name, v]));
  }

  start() {
    const root = document.getElementById("app");
    const meta = this.data.meta;
    const sync = meta.sync;
    const header = el(
      "header",
      {},
      el("h1", { text: "AWS access review" }),
      el(
        "p",
        { class: "meta" },
        `Sync ${sync.syncId} of ${sync.label}, ${sync.endedAt ? `finished ${sync.endedAt}` : `started ${sync.startedAt} (unfinished)`}`,
        meta.since ? ` · compared with sync ${meta.since.syncId} (${meta.since.endedAt ?? meta.since.startedAt})` : "",
        ` · generated ${meta.generatedAt}`,
      ),
      ...meta.notes.map((note) => el("p", { class: "note", text: note })),
    );
    const summary = el("div", { class: "summary" });
    for (const item of this.data.summary) {
      summary.append(
        el(
          "button",
          { type: "button", class: `card${item.key.startsWith("privileged") && item.value > 0 ? " alert" : ""}`, "data-summary": item.key, onclick: () => item.view && this.showView(item.view) },
          el("span", { class: "value", text: numberFormat.format(item.value) }),
          el("span", { class: "label", text: item.label }),
        ),
      );
    }
    this.tabs = el("nav", { class: "tabs", role: "tablist" });
    for (const name of VIEW_ORDER) {
      const spec = this.specs.get(name);
      this.tabs.append(
        el(
          "button",
          { type: "button", role: "tab", class: "tab", "data-tab": name, "aria-selected": "false", onclick: () => this.showView(name) },
          el("span", { text: VIEW_TITLES[name] }),
          el("span", { class: "tab-count", text: spec ? numberFormat.format(spec.count) : "—" }),
        ),
      );
    }
    this.main = el("main", {});
    root.replaceChildren(header, summary, this.tabs, this.main);
    window.addEventListener("hashchange", () => this.showView(this.viewFromHash()));
    this.showView(this.viewFromHash());
  }

  viewFromHash() {
    const name = decodeURIComponent(location.hash.slice(1));
    return VIEW_ORDER.includes(name) ? name : "privileged";
  }

  pane(name) {
    let pane = this.panes.get(name);
    if (!pane) {
      const spec = this.specs.get(name);
      if (spec) pane = new ViewPane(this, spec);
      else {
        pane = { root: el("section", { class: "pane missing", "data-view": name, "data-state": "ready", hidden: true }, el("p", { class: "hint", text: MISSING_VIEW[name] })), show() { this.root.hidden = false; } };
      }
      this.panes.set(name, pane);
      this.main.append(pane.root);
    }
    return pane;
  }

  showView(name) {
    if (this.current === name) return this.panes.get(name);
    this.current = name;
    if (location.hash.slice(1) !== name) history.replaceState(null, "", `#${name}`);
    for (const tab of this.tabs.children) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    for (const pane of this.panes.values()) pane.root.hidden = true;
    const pane = this.pane(name);
    pane.show();
    return pane;
  }

  showPerson(principal) {
    this.showView("by-person").setPerson(principal);
  }

  showAccount(account) {
    this.showView("by-account").setAccount(account);
  }

  ready(pane) {
    if (!this.firstReady) {
      this.firstReady = true;
      performance.mark("report-ready");
      document.body.dataset.ready = "true";
    }
  }
}

async function main() {
  const holder = document.getElementById("report-data");
  try {
    const data = decode(await inflate(base64Bytes(holder.textContent)));
    holder.textContent = "";
    window.accessReview = new App(data);
    window.accessReview.start();
  } catch (error) {
    document.getElementById("app").replaceChildren(el("p", { class: "error", role: "alert", text: error instanceof Error ? error.message : String(error) }));
    document.body.dataset.ready = "error";
  }
}

main();
