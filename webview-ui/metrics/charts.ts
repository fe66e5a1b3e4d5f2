/**
 * The Metrics view's small charts, drawn by uPlot (a few kB, canvas, fast with thousands of points). Colours come from
 * VS Code's chart colour variables, so light, dark and high-contrast themes each get theirs; a chart is a canvas, so
 * each has a text summary for screen readers beside it.
 */
import uPlot from 'uplot';
import type { MetricsBucket } from '../../protocol/metrics';

export interface ChartSpec {
  readonly title: string;
  readonly series: readonly { readonly label: string; readonly color: () => string; readonly bars?: boolean; readonly value: (bucket: MetricsBucket) => number | null }[];
  /** Writes a value on the axis and in the legend. */
  readonly format: (value: number) => string;
}

const HEIGHT = 110;

/** The value of a VS Code theme variable, with a fallback outside VS Code. */
function themeColor(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(`--vscode-${name}`).trim() || fallback;
}

export const COLORS = {
  blue: () => themeColor('charts-blue', '#3794ff'),
  red: () => themeColor('charts-red', '#f14c4c'),
  green: () => themeColor('charts-green', '#89d185'),
  yellow: () => themeColor('charts-yellow', '#cca700'),
  purple: () => themeColor('charts-purple', '#b180d7'),
};

export class SmallChart {
  private plot: uPlot | undefined;
  private buckets: readonly MetricsBucket[] = [];

  constructor(private readonly host: HTMLElement, private readonly spec: ChartSpec) {}

  /** New data: drawn in place when the shape is the same, else the chart is built again. */
  update(buckets: readonly MetricsBucket[]): void {
    const sameShape = this.plot && this.buckets.length === buckets.length;
    this.buckets = buckets;
    if (sameShape) this.plot!.setData(this.data());
    else this.rebuild();
  }

  /** The theme changed: colours are read again. */
  rebuild(): void {
    this.plot?.destroy();
    this.plot = undefined;
    if (this.buckets.length === 0) return;
    const foreground = themeColor('foreground', '#ccc');
    const grid = themeColor('charts-lines', 'rgba(128,128,128,0.25)');
    const axis = (format: (v: number) => string): uPlot.Axis => ({ stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '10px sans-serif', values: (_u, values) => values.map(format), size: 52 });
    this.plot = new uPlot({
      width: this.width(),
      height: HEIGHT,
      legend: { show: true, live: false },
      cursor: { show: true, points: { show: false } },
      // From zero, with room above the highest value; an all-zero chart gets a unit scale rather than a degenerate one.
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{ stroke: foreground, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 }, font: '10px sans-serif', size: 24 }, axis(this.spec.format)],
      series: [
        {},
        ...this.spec.series.map((series) => ({
          label: series.label,
          stroke: series.color(),
          fill: series.bars ? series.color() : undefined,
          width: series.bars ? 0 : 1.5,
          spanGaps: false,
          points: { show: !series.bars, size: 4 },
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : this.spec.format(v)),
          // Bars of one chart overlap, the later on top: failed runs show as the red part of all runs.
          ...(series.bars ? { paths: uPlot.paths.bars!({ size: [0.8, 40] }) } : {}),
        })),
      ],
    }, this.data(), this.host);
  }

  resize(): void {
    this.plot?.setSize({ width: this.width(), height: HEIGHT });
  }

  destroy(): void {
    this.plot?.destroy();
  }

  private data(): uPlot.AlignedData {
    return [this.buckets.map((b) => b.start / 1000), ...this.spec.series.map((series) => this.buckets.map((b) => series.value(b)))];
  }

  private width(): number {
    return Math.max(160, this.host.clientWidth);
  }
}
