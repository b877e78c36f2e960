import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findStoreType, storeTypeNames } from './stores/registry.js';
import { describeYamlError } from './yaml-error.js';

/** A lock-store component read from a Dapr Component YAML file. */
export interface ComponentSpec {
  readonly name: string;
  readonly type: string;
  readonly version: string;
  /** Metadata values by lower-cased name (Dapr matches names case-insensitively). */
  readonly metadata: ReadonlyMap<string, string>;
  readonly file: string;
}

/** A component file that cannot be used; the message names the file and the field. */
export class ComponentError extends Error {
  override readonly name = 'ComponentError';
}

/**
 * Reads every `*.yaml`/`*.yml` in `folder`. Components of other kinds (state stores…) are skipped,
 * so a Dapr app's folder can be reused. `folderFound` is false when the folder does not exist.
 */
export function loadComponents(folder: string): {
  components: ComponentSpec[];
  skipped: string[];
  folderFound: boolean;
} {
  let entries: string[];
  try {
    if (!statSync(folder).isDirectory()) throw new ComponentError(`${folder}: not a folder`);
    entries = readdirSync(folder)
      .filter((f) => /\.ya?ml$/i.test(f))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      return { components: [], skipped: [], folderFound: false };
    throw error;
  }
  const components: ComponentSpec[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    const file = join(folder, entry);
    const source = readFileSync(file, 'utf8');
    for (const doc of parseAllDocuments(source)) {
      const [syntax] = doc.errors;
      if (syntax) throw new ComponentError(`not valid YAML: ${describeYamlError(file, source, syntax)}`);
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      const spec = readComponent(file, value);
      if (spec === undefined) skipped.push(file);
      else components.push(spec);
    }
  }
  const seen = new Set<string>();
  for (const c of components) {
    if (seen.has(c.name))
      throw new ComponentError(`${c.file}: metadata.name: duplicate lock store name "${c.name}"`);
    seen.add(c.name);
  }
  return { components, skipped, folderFound: true };
}

function readComponent(file: string, value: unknown): ComponentSpec | undefined {
  const doc = record(file, 'document', value);
  if (doc.kind !== 'Component') return undefined;
  if (typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('dapr.io/')) {
    throw new ComponentError(`${file}: apiVersion: must be dapr.io/v1alpha1`);
  }
  const meta = record(file, 'metadata', doc.metadata);
  const spec = record(file, 'spec', doc.spec);
  const type = text(file, 'spec.type', spec.type);
  if (!type.startsWith('lock.')) return undefined;
  if (findStoreType(type) === undefined) {
    throw new ComponentError(
      `${file}: spec.type: unsupported lock store "${type}" (use one of ${storeTypeNames().join(', ')})`,
    );
  }
  const name = text(file, 'metadata.name', meta.name);
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    throw new ComponentError(
      `${file}: metadata.name: "${name}" must be 1-63 letters, digits, '.', '_' or '-'`,
    );
  }
  const version = spec.version === undefined ? 'v1' : text(file, 'spec.version', spec.version);
  if (version !== 'v1') throw new ComponentError(`${file}: spec.version: must be v1, got "${version}"`);
  const metadata = new Map<string, string>();
  const items = spec.metadata ?? [];
  if (!Array.isArray(items))
    throw new ComponentError(`${file}: spec.metadata: must be a list of {name, value}`);
  items.forEach((item: unknown, i) => {
    const entry = record(file, `spec.metadata[${i}]`, item);
    const key = text(file, `spec.metadata[${i}].name`, entry.name);
    const raw = entry.value;
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
      throw new ComponentError(`${file}: spec.metadata[${i}].value: "${key}" needs a string value`);
    }
    metadata.set(key.toLowerCase(), String(raw));
  });
  return { name, type, version, metadata, file };
}

function record(file: string, field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ComponentError(`${file}: ${field}: must be a mapping`);
  }
  return value as Record<string, unknown>;
}

function text(file: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new ComponentError(`${file}: ${field}: must be a non-empty string`);
  return value;
}
