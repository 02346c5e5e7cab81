import Ajv from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';

// Issue 21 item 8: docker-compose.seaweedfs.yml, the override for a maintained S3 server. Without a
// Docker engine, the test applies it to docker-compose.yml the way Compose merges files (mappings
// merged key by key, sequences such as command and healthcheck.test replaced, `!override`
// replaced whole) and checks the merged stack against the Compose schema and the facts it needs.

const ROOT = join(__dirname, '..', '..');
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonMap = { [key: string]: Json };

function load(file: string): { doc: JsonMap; overrides: Set<string> } {
  const parsed = YAML.parseDocument(readFileSync(join(ROOT, file), 'utf8'), { merge: true });
  if (parsed.errors.length) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  const overrides = new Set<string>();
  YAML.visit(parsed, {
    Map(_key, node, path) {
      if (node.tag === '!override')
        overrides.add(
          path
            .filter((p) => YAML.isPair(p))
            .map((p) => String((p.key as YAML.Scalar).value))
            .join('.'),
        );
    },
  });
  return { doc: parsed.toJS() as JsonMap, overrides };
}

const isMap = (v: Json | undefined): v is JsonMap => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compose's merge of a later file into an earlier one, for the shapes these files use. */
function merge(base: Json | undefined, over: Json, overrides: Set<string>, path: string): Json {
  if (overrides.has(path) || !isMap(base) || !isMap(over)) return over;
  const out: JsonMap = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = merge(base[key], value, overrides, path ? `${path}.${key}` : key);
  return out;
}

/** Compose's `${VAR:-default}` with nothing set: what a first try without .env gets. */
const interpolate = (text: string) => text.replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');

interface Service {
  image?: string;
  profiles?: string[];
  ports?: unknown[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  configs?: Array<{ source: string; target: string }>;
  command?: string[];
}

describe('docker-compose.seaweedfs.yml (SeaweedFS instead of MinIO)', () => {
  const base = load('docker-compose.yml');
  const over = load('docker-compose.seaweedfs.yml');
  const merged = merge(base.doc, over.doc, over.overrides, '') as JsonMap & {
    services: Record<string, Service>;
    configs: Record<string, { content: string }>;
    volumes: Record<string, unknown>;
  };
  const started = Object.entries(merged.services).filter(([, s]) => !s.profiles);

  it('the merged stack matches the Compose specification schema', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'dclint', 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    expect(validate(merged) ? null : ajv.errorsText(validate.errors)).toBeNull();
  });

  it('MinIO and its bucket job do not start; SeaweedFS does, pinned, with a health check and a volume', () => {
    expect(started.map(([name]) => name).sort()).toEqual(['api', 'keys', 'migrate', 'postgres', 'redis', 'seaweedfs', 'worker']);
    const seaweedfs = merged.services.seaweedfs;
    expect(seaweedfs.image).toMatch(/^chrislusf\/seaweedfs:\d+\.\d+$/);
    expect(seaweedfs.healthcheck?.test[0]).toBe('CMD');
    expect(merged.volumes).toHaveProperty('seaweedfs');
    expect(seaweedfs.ports).toBeUndefined();
  });

  it('api and worker talk to SeaweedFS and wait for it, not for the MinIO bucket job', () => {
    for (const name of ['api', 'worker']) {
      const s = merged.services[name];
      expect(s.environment!.S3_ENDPOINT).toBe('http://seaweedfs:8333');
      expect(s.environment!.STORAGE_DRIVER).toBe('s3');
      expect(s.depends_on).toEqual({
        keys: { condition: 'service_completed_successfully' },
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
        seaweedfs: { condition: 'service_healthy' },
      });
    }
    // Every service that starts depends only on services that start.
    for (const [name, s] of started)
      for (const dep of Object.keys(s.depends_on ?? {})) expect({ name, dep, starts: !merged.services[dep].profiles }).toEqual({ name, dep, starts: true });
  });

  it("the app's S3 identity has the app's keys and may act on its bucket only", () => {
    const seaweedfs = merged.services.seaweedfs;
    const config = seaweedfs.configs!.find((c) => seaweedfs.command!.includes(`-s3.config=${c.target}`));
    expect(config).toBeDefined();
    const s3 = JSON.parse(interpolate(merged.configs[config!.source].content)) as {
      identities: Array<{ credentials: Array<{ accessKey: string; secretKey: string }>; actions: string[] }>;
    };
    const app = merged.services.api.environment!;
    expect(s3.identities).toHaveLength(1);
    expect(s3.identities[0].credentials).toEqual([{ accessKey: interpolate(app.S3_ACCESS_KEY), secretKey: interpolate(app.S3_SECRET_KEY) }]);
    const bucket = interpolate(app.S3_BUCKET);
    expect(s3.identities[0].actions.length).toBeGreaterThan(0);
    for (const action of s3.identities[0].actions) expect(action).toMatch(new RegExp(`^(Read|Write|List|Tagging|Admin):${bucket}$`));
  });

  it('the README says how to use it', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('docker compose -f docker-compose.yml -f docker-compose.seaweedfs.yml up -d');
  });
});
