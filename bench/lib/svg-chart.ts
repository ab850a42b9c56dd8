/**
 * A hand-written SVG bar chart: one panel per profile (each with its own scale, since profiles
 * differ tenfold in size), the quota bound and the measured wall time side by side, and the
 * 1.10 × bound target as a dashed line. No chart library: a few rectangles and labels.
 */
export interface WallVsBound {
  profile: string;
  wallSeconds: number;
  boundSeconds: number;
}

const PANEL_WIDTH = 220;
const PANEL_HEIGHT = 240;
const TOP = 56;
const BOTTOM = 46;
const BAR_WIDTH = 56;
const COLORS = { bound: "#8da0cb", wall: "#fc8d62", missed: "#d7301f", target: "#333333" };

const escape = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const label = (s: number) => (s >= 100 ? `${s.toFixed(0)} s` : `${s.toFixed(1)} s`);

/** A round axis maximum at least `value` (1, 1.2, 1.5, 2, … 8, 10 × a power of ten), so the tallest bar fills most of its panel. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(value, 1e-9)));
  for (const step of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function panel(point: WallVsBound, x: number, targetFactor: number): string {
  const target = point.boundSeconds * targetFactor;
  const top = niceMax(Math.max(point.wallSeconds, target) * 1.08);
  const plotHeight = PANEL_HEIGHT - TOP - BOTTOM;
  const y = (s: number) => TOP + plotHeight - (s / top) * plotHeight;
  const missed = point.wallSeconds > target;
  const bars = [
    { name: "bound", value: point.boundSeconds, color: COLORS.bound, cx: x + PANEL_WIDTH / 2 - BAR_WIDTH / 2 - 6 },
    { name: "wall", value: point.wallSeconds, color: missed ? COLORS.missed : COLORS.wall, cx: x + PANEL_WIDTH / 2 + BAR_WIDTH / 2 + 6 },
  ];
  const parts = [
    `<text x="${x + PANEL_WIDTH / 2}" y="${TOP - 28}" text-anchor="middle" font-weight="bold">${escape(point.profile)}</text>`,
    `<text x="${x + PANEL_WIDTH / 2}" y="${TOP - 12}" text-anchor="middle" font-size="11">wall / bound = ${(point.wallSeconds / point.boundSeconds).toFixed(2)}×${missed ? " (MISSED)" : ""}</text>`,
    `<line x1="${x + 20}" y1="${y(0)}" x2="${x + PANEL_WIDTH - 20}" y2="${y(0)}" stroke="#999"/>`,
  ];
  for (const bar of bars) {
    const h = y(0) - y(bar.value);
    parts.push(`<rect x="${bar.cx - BAR_WIDTH / 2}" y="${y(bar.value)}" width="${BAR_WIDTH}" height="${h}" fill="${bar.color}"><title>${bar.name}: ${label(bar.value)}</title></rect>`);
    parts.push(`<text x="${bar.cx}" y="${y(bar.value) - 4}" text-anchor="middle" font-size="11">${label(bar.value)}</text>`);
    parts.push(`<text x="${bar.cx}" y="${y(0) + 16}" text-anchor="middle" font-size="11">${bar.name}</text>`);
  }
  // The target line spans the bars; its label sits to their right, clear of the value labels.
  const barsEnd = bars[1]!.cx + BAR_WIDTH / 2;
  parts.push(
    `<line x1="${x + 28}" y1="${y(target)}" x2="${barsEnd + 4}" y2="${y(target)}" stroke="${COLORS.target}" stroke-dasharray="5,4"/>`,
    `<text x="${barsEnd + 7}" y="${y(target) + 4}" font-size="10">×${targetFactor.toFixed(2)}</text>`,
  );
  return parts.join("\n  ");
}

export function wallVsBoundChart(points: WallVsBound[], options: { title: string; subtitle: string; targetFactor: number }): string {
  const width = Math.max(1, points.length) * PANEL_WIDTH + 20;
  const height = PANEL_HEIGHT + 50;
  const panels = points.map((p, i) => panel(p, 10 + i * PANEL_WIDTH, options.targetFactor));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">
  <rect width="100%" height="100%" fill="white"/>
  <text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escape(options.title)}</text>
  <text x="${width / 2}" y="${height - 12}" text-anchor="middle" font-size="11" fill="#555">${escape(options.subtitle)}</text>
  <g transform="translate(0, 20)">
  ${panels.join("\n  ")}
  </g>
</svg>
`;
}
