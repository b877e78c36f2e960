type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | ((event: Event) => void) | undefined>;

/** Builds an element: attributes (`on*` become listeners) and children (text is escaped by the DOM). */
export function h(tag: string, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** An element by id (the page defines every one the script uses). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

/** A duration for people: `850 ms`, `12.4 s`, `3 m 05 s`, `2 h 10 m`. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} m`;
}

/** A rate with sensible precision. */
export function rate(value: number | undefined, unit: string): string {
  if (value === undefined) return '—';
  return `${value >= 100 ? Math.round(value) : value.toFixed(value >= 10 ? 1 : 2)} ${unit}`;
}

/** A lease id shortened for tables; the full id is in the title. */
export function shortId(id: string | undefined): HTMLElement | string {
  if (id === undefined) return '—';
  return h('span', { class: 'mono', title: id }, id.length > 14 ? `${id.slice(0, 12)}…` : id);
}

/** An inline SVG sparkline of the last values (absent points drawn as gaps). */
export function sparkline(values: readonly (number | undefined)[], color = '#2f6feb'): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const width = 120;
  const height = 26;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  const known = values.filter((v): v is number => v !== undefined);
  const max = Math.max(1e-9, ...known);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  let path = '';
  values.forEach((value, index) => {
    if (value === undefined) return;
    const x = (index * step).toFixed(1);
    const y = (height - 2 - (value / max) * (height - 4)).toFixed(1);
    path += `${path === '' || values[index - 1] === undefined ? 'M' : 'L'}${x} ${y} `;
  });
  const line = document.createElementNS(ns, 'path');
  line.setAttribute('d', path.trim());
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', color);
  line.setAttribute('stroke-width', '1.5');
  line.setAttribute('vector-effect', 'non-scaling-stroke');
  svg.append(line);
  return svg;
}

/** A table, or an empty-state line when there are no rows. */
export function table(head: string[], rows: HTMLElement[], empty: string): HTMLElement {
  if (rows.length === 0) return h('div', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((t) => h('th', {}, t)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

/** An app's name as a badge; `?` when unknown. */
export function appBadge(app: string | undefined): HTMLElement {
  return h('span', { class: 'badge', title: 'app' }, app ?? '?');
}
