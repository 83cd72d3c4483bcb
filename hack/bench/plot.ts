// `--plot FILE.svg`: the table's ops/s and p99 as two panels of horizontal
// bars, one bar per row and panel. A pure function from results to text, so
// it is testable and the bench needs no charting dependency.

export interface PlotBar {
  target: string;
  op: string;
  opsPerSecond: number;
  /** null when the load generator gave none: drawn as a dash, not a bar. */
  p99Ms: number | null;
}

const LABEL_WIDTH = 300;
const PANEL_WIDTH = 300;
const GAP = 40;
const ROW = 22;
const BAR = 15;
const TOP = 50;
const COLORS: Record<string, string> = { GET: '#4e79a7', POST: '#f28e2b', SET: '#e15759' };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function format(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}

/** One panel: bars scaled so that the largest value spans the panel. */
function panel(bars: PlotBar[], x: number, title: string, value: (b: PlotBar) => number | null): string[] {
  const max = Math.max(0, ...bars.map((b) => value(b) ?? 0));
  const parts = [`<text x="${x}" y="${TOP - 14}" font-weight="bold">${escape(title)}</text>`];
  bars.forEach((bar, i) => {
    const y = TOP + i * ROW;
    const v = value(bar);
    if (v === null) {
      parts.push(`<text x="${x + 4}" y="${y + BAR - 3}">– (not reported)</text>`);
      return;
    }
    const width = max > 0 ? (v / max) * PANEL_WIDTH : 0;
    parts.push(
      `<rect x="${x}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" fill="${COLORS[bar.op] ?? '#76b7b2'}"><title>${escape(`${bar.target} ${bar.op}: ${format(v)}`)}</title></rect>`,
      `<text x="${(x + width + 4).toFixed(1)}" y="${y + BAR - 3}">${format(v)}</text>`,
    );
  });
  return parts;
}

export function renderBarChart(bars: PlotBar[], caption = ''): string {
  const left = LABEL_WIDTH;
  const right = LABEL_WIDTH + PANEL_WIDTH + GAP + 60;
  const width = right + PANEL_WIDTH + 80;
  const height = TOP + bars.length * ROW + (caption ? 30 : 10);
  const labels = bars.map((bar, i) =>
    `<text x="${LABEL_WIDTH - 8}" y="${TOP + i * ROW + BAR - 3}" text-anchor="end">${escape(`${bar.target} ${bar.op}`)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    ...labels,
    ...panel(bars, left, 'ops/s (higher is better)', (b) => b.opsPerSecond),
    ...panel(bars, right, 'p99 latency, ms (lower is better)', (b) => b.p99Ms),
    caption ? `<text x="8" y="${height - 10}" fill="#555">${escape(caption)}</text>` : '',
    '</svg>',
    '',
  ].filter((line) => line !== '').join('\n');
}
