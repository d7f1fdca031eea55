/**
 * dashboards/grafana/qingliu-outfalls.json queries what the store writes: every query names the
 * measurement, the fields and the tags of the line protocol `readingLine` produces, and real
 * pollutant codes, so a change of the schema cannot leave Grafana drawing empty panels.
 */
import { readFile } from 'node:fs/promises';
import { POLLUTANT_CODES } from '@qingliu/protocol';
import { readingLine } from './line-protocol.js';
import { READING_MEASUREMENT } from './influx-store.js';

const DASHBOARD = new URL('../../../dashboards/grafana/qingliu-outfalls.json', import.meta.url);

/** What one written line holds: its measurement, tag keys and field keys. */
function written(): { measurement: string; tags: Set<string>; fields: Set<string> } {
  const line = readingLine(READING_MEASUREMENT, {
    enterprise: 'ent-a', outfall: 'out-a', device: 'dev-a', pollutant: 'w01018', value: 42.5, unit: 'mg/L', ts: 1_790_000_000_000, seq: 7, flag: 'N', batch: 3,
  });
  const [series, fieldSet] = line.split(' ') as [string, string, string];
  const [measurement, ...tags] = series.split(',');
  return { measurement: measurement!, tags: new Set(tags.map((t) => t.split('=')[0]!)), fields: new Set(fieldSet.split(',').map((f) => f.split('=')[0]!)) };
}

interface Panel {
  title: string;
  targets?: { query: string; rawQuery?: boolean }[];
}

describe('the Grafana dashboard', () => {
  let queries: { where: string; query: string }[];
  const schema = written();

  beforeAll(async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: { name: string; query: string }[] } };
    queries = [
      ...dashboard.templating.list.map((v) => ({ where: `variable ${v.name}`, query: v.query })),
      ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, query: t.query }))),
    ];
  });

  it('has variables for enterprise and outfall and a panel per pollutant', () => {
    expect(queries.filter((q) => q.where.startsWith('variable')).map((q) => q.where)).toEqual(['variable enterprise', 'variable outfall']);
    for (const code of POLLUTANT_CODES) expect(queries.some((q) => q.query.includes(`"pollutant" = '${code}'`))).toBe(true);
  });

  it('names the measurement the store writes in every query', () => {
    for (const { where, query } of queries) {
      expect([where, /FROM "([^"]+)"/.exec(query)?.[1]]).toEqual([where, schema.measurement]);
    }
  });

  it('reads only fields the store writes, and filters and groups by its tags (or its flag field)', () => {
    for (const { where, query } of queries) {
      for (const [, field] of query.matchAll(/\b(?:mean|count|min|max|last|sum)\("([^"]+)"\)/gi)) expect([where, schema.fields.has(field!)]).toEqual([where, true]);
      for (const [, key] of query.matchAll(/WITH KEY = "([^"]+)"/g)) expect([where, schema.tags.has(key!)]).toEqual([where, true]);
      const conditions = query.replace(/FROM "[^"]+"/, '').replace(/WITH KEY = "[^"]+"/, '');
      for (const [, name] of conditions.matchAll(/"([^"]+)"\s*(?:=~|!=|=)/g)) {
        expect([where, name, schema.tags.has(name!) || schema.fields.has(name!)]).toEqual([where, name, true]);
      }
      const groupBy = /GROUP BY (.+?)(?: fill\(|$)/.exec(query)?.[1] ?? '';
      for (const [, tag] of groupBy.matchAll(/"([^"]+)"/g)) expect([where, tag, schema.tags.has(tag!)]).toEqual([where, tag, true]);
      for (const [, code] of query.matchAll(/"pollutant" = '([^']+)'/g)) expect(POLLUTANT_CODES).toContain(code);
    }
  });
});
