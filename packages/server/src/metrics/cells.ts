import type { Registry } from 'prom-client';

/** A counter's value for one set of label values. */
export class CounterCell {
  value = 0;

  inc(): void {
    this.value++;
  }
}

/** A histogram's buckets for one set of label values; `observe` allocates nothing. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

type Labels = Record<string, string>;
type Sample = { labels: Labels; value: number; metricName?: string };

/**
 * A counter or histogram whose cells are plain numbers, read into the exposition only at scrape
 * time. prom-client's own hash their labels and allocate on every call, which costs more than a
 * request on the client stream; these cost a few map lookups and an add. Cells are found by up to
 * three label values through nested maps, so a lookup allocates nothing.
 */
export class CellFamily<C extends CounterCell | HistogramCell> {
  readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum';
  private readonly byFirst = new Map<string, Map<string, Map<string, C>>>();
  private readonly cells: { labels: Labels; cell: C }[] = [];

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly buckets?: readonly number[],
    /** `le` before the other labels, as prom-client's own histograms print it. */
    private readonly leFirst = false,
  ) {
    this.type = buckets ? 'histogram' : 'counter';
    registry.registerMetric(this as never);
  }

  /** The cell of these label values (as many as the family has labels), made on first use. */
  labels(a: string, b = '', c = ''): C {
    let byB = this.byFirst.get(a);
    if (!byB) this.byFirst.set(a, (byB = new Map<string, Map<string, C>>()));
    let byC = byB.get(b);
    if (!byC) byB.set(b, (byC = new Map<string, C>()));
    let cell = byC.get(c);
    if (!cell) {
      cell = (this.buckets ? new HistogramCell(this.buckets) : new CounterCell()) as C;
      byC.set(c, cell);
      const values = [a, b, c];
      const labels: Labels = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      this.cells.push({ labels, cell });
    }
    return cell;
  }

  /** The family as prom-client's registry reads it: cumulative buckets, sum and count. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const { labels, cell } of this.cells) {
      if (cell instanceof CounterCell) {
        values.push({ labels, value: cell.value });
        continue;
      }
      const bucket = `${this.name}_bucket`;
      let cumulative = 0;
      this.buckets!.forEach((le, i) => {
        cumulative += cell.counts[i]!;
        values.push({ labels: this.withLe(labels, String(le)), value: cumulative, metricName: bucket });
      });
      values.push({ labels: this.withLe(labels, '+Inf'), value: cell.count, metricName: bucket });
      values.push({ labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  private withLe(labels: Labels, le: string): Labels {
    return this.leFirst ? { le, ...labels } : { ...labels, le };
  }
}
