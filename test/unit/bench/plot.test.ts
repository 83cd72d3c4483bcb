import { expect } from 'chai';
import { renderBarChart, type PlotBar } from '../../../hack/bench/plot.js';

const bars: PlotBar[] = [
  { target: 'raw-http', op: 'GET', opsPerSecond: 40_000, p99Ms: 2 },
  { target: 'client (full path)', op: 'POST', opsPerSecond: 10_000, p99Ms: 8 },
  { target: 'redis <RESP> & co', op: 'SET', opsPerSecond: 80_000, p99Ms: null },
];

/** Every bar's width, in document order: the ops/s panel first, then p99. */
function widths(svg: string): number[] {
  return [...svg.matchAll(/<rect [^>]*width="([\d.]+)"/g)].map((m) => Number(m[1]));
}

describe('bench plot', () => {
  it('draws one bar per result and panel, and a dash where p99 is missing', () => {
    const svg = renderBarChart(bars);
    expect(svg.startsWith('<svg ')).to.equal(true);
    expect(svg.trimEnd().endsWith('</svg>')).to.equal(true);
    // Three ops/s bars, two p99 bars: redis's p99 is not reported, so it is a dash, not a bar.
    expect(svg.match(/<rect /g)).to.have.length(5);
    expect(svg).to.contain('– (not reported)');
  });

  it('labels every bar with its target and op, escaped', () => {
    const svg = renderBarChart(bars, 'a caption');
    expect(svg).to.contain('>raw-http GET</text>');
    expect(svg).to.contain('>client (full path) POST</text>');
    expect(svg).to.contain('>redis &lt;RESP&gt; &amp; co SET</text>');
    expect(svg).not.to.contain('<RESP>');
    expect(svg).to.contain('ops/s (higher is better)');
    expect(svg).to.contain('p99 latency, ms');
    expect(svg).to.contain('a caption');
    expect(svg).to.contain('>40,000</text>');
  });

  it('scales each panel to its largest value', () => {
    const [raw, client, redis, rawP99, clientP99] = widths(renderBarChart(bars));
    expect(redis).to.be.greaterThan(0);
    expect(raw! / redis!).to.be.closeTo(0.5, 0.001);
    expect(client! / redis!).to.be.closeTo(0.125, 0.001);
    // p99: 8 ms is the largest, so it spans what 80k ops/s spans in the other panel.
    expect(clientP99).to.be.closeTo(redis!, 0.1);
    expect(rawP99! / clientP99!).to.be.closeTo(0.25, 0.001);
  });

  it('draws an empty chart for no results', () => {
    const svg = renderBarChart([]);
    expect(svg).to.contain('<svg');
    expect(svg).not.to.contain('<rect');
  });
});
