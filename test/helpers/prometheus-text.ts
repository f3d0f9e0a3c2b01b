/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4): every line is a
 * `# HELP`, a `# TYPE` or a sample `name{label="value",...} number`; a sample's family must have
 * been typed first. Anything else throws, so a malformed /metrics fails the test that reads it.
 */
export interface Sample {
  name: string;
  labels: Map<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of the sample of that name whose labels include `labels`; undefined when none. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  text.split('\n').forEach((line, i) => {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) return;
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!new RegExp(`^${NAME}$`).test(name) || !TYPES.has(type)) throw new Error(`bad TYPE at ${where}`);
      if (types.has(name)) throw new Error(`family typed twice at ${where}`);
      types.set(name, type);
      return;
    }
    if (line.startsWith('#')) return;
    const match = line.match(SAMPLE);
    if (!match) throw new Error(`not a sample at ${where}`);
    const [, name, labelText, valueText] = match;
    const family = [...types.keys()].find(
      (f) =>
        name === f ||
        (/^(histogram|summary)$/.test(types.get(f)!) &&
          /^_(bucket|sum|count)$/.test(name.slice(f.length)) &&
          name.startsWith(f)),
    );
    if (family === undefined) throw new Error(`sample of an untyped family at ${where}`);
    const labels = new Map<string, string>();
    let rest = labelText ?? '';
    while (rest !== '') {
      const label = rest.match(LABEL);
      if (!label) throw new Error(`bad labels at ${where}`);
      labels.set(
        label[1],
        label[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
      );
      rest = rest.slice(label[0].length);
    }
    // As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case.
    const special = new Map([
      ['nan', NaN],
      ['+inf', Infinity],
      ['inf', Infinity],
      ['-inf', -Infinity],
    ]);
    const value = special.get(valueText.toLowerCase()) ?? Number(valueText);
    if (Number.isNaN(value) && valueText.toLowerCase() !== 'nan') throw new Error(`bad value at ${where}`);
    samples.push({ name, labels, value });
  });
  return {
    types,
    samples,
    value(name, wanted = {}) {
      const found = samples.find(
        (s) => s.name === name && Object.entries(wanted).every(([k, v]) => s.labels.get(k) === v),
      );
      return found?.value;
    },
  };
}
