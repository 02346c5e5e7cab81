import Ajv from 'ajv';
import { DCLinter } from 'dclint';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';

// docker-compose.yml, checked without a Docker engine (none exists on these machines): the Compose
// specification's JSON schema (as shipped in the dclint package), dclint's rules, and the facts the
// stack relies on (start order, persistence, what is published).

const ROOT = join(__dirname, '..', '..');
const COMPOSE = join(ROOT, 'docker-compose.yml');
const text = readFileSync(COMPOSE, 'utf8');
// merge: true resolves the `<<: *app` merge keys the way Compose does.
const compose = YAML.parse(text, { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  ports?: { target: number; published: string; host_ip: string }[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  read_only?: boolean;
  tmpfs?: string[];
  restart?: string;
}
const APP_SERVICES = ['api', 'worker', 'migrate', 'keys'];

function schemaErrors(doc: unknown): string | null {
  const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'dclint', 'schemas', 'compose.schema.json'), 'utf8')) as Record<string, unknown>;
  // The file names draft-07 by its https URL, which Ajv knows as http: it is draft-07 all the same.
  delete schema.$schema;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  return validate(doc) ? null : ajv.errorsText(validate.errors);
}

function lint(source: string) {
  const dir = mkdtempSync(join(tmpdir(), 'compose-'));
  try {
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, source);
    // Key and service ordering rules are style only; every other rule (security, best practice) applies.
    const linter = new DCLinter({
      rules: { 'service-keys-order': 0, 'services-alphabetical-order': 0, 'top-level-properties-order': 0 },
      quiet: true,
      debug: false,
      exclude: [],
    });
    return linter.lintFiles([file], false)[0];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('docker-compose.yml', () => {
  it('matches the Compose specification schema', () => {
    expect(schemaErrors(compose)).toBeNull();
  });

  it('the schema check is able to fail', () => {
    const broken = structuredClone(compose);
    (broken.services.api.depends_on as Record<string, { condition: string }>).migrate.condition = 'service_finished';
    expect(schemaErrors(broken)).toMatch(/allowed values/);
    expect(schemaErrors({ ...compose, services: { ...compose.services, api: { ...compose.services.api, restart_policy: 'always' } } })).toMatch(/additional properties/);
  });

  it('passes dclint (schema and rules) with no error or warning', () => {
    const result = lint(text);
    expect(result.messages.map((m: { line: number; rule: string; message: string }) => `${m.line}: ${m.rule}: ${m.message}`)).toEqual([]);
    expect(lint(text.replace('quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z', 'quay.io/minio/minio:latest')).errorCount).toBeGreaterThan(0);
  });

  it('has the full stack, every app role from one image', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'bucket', 'keys', 'migrate', 'minio', 'postgres', 'redis', 'worker']);
    const images = new Set(APP_SERVICES.map((s) => compose.services[s].image));
    expect(images.size).toBe(1);
    expect(compose.services.api.command).toEqual(['api']);
    expect(compose.services.worker.command).toEqual(['worker']);
    expect(compose.services.migrate.command).toEqual(['migrate']);
    expect(compose.services.keys.command).toEqual(['init-keys']);
  });

  it('api and worker start after migrate, keys and the bucket completed and Redis is healthy', () => {
    for (const name of ['api', 'worker']) {
      expect(compose.services[name].depends_on).toEqual({
        bucket: { condition: 'service_completed_successfully' },
        keys: { condition: 'service_completed_successfully' },
        migrate: { condition: 'service_completed_successfully' },
        redis: { condition: 'service_healthy' },
      });
      expect(compose.services[name].healthcheck?.test.join(' ')).toMatch(/127\.0\.0\.1:3001\/(healthz|readyz)/);
    }
    expect(compose.services.migrate.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(compose.services.bucket.depends_on).toEqual({ minio: { condition: 'service_healthy' } });
    for (const name of ['migrate', 'keys', 'bucket']) expect(compose.services[name].restart).toBe('no');
    for (const name of ['postgres', 'redis', 'minio']) expect(compose.services[name].healthcheck).toBeDefined();
  });

  it('only the public port of the api is published; the admin port is not', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'api') expect(service.ports).toEqual([{ target: 3000, published: '${PUBLIC_PORT:-3000}', host_ip: '0.0.0.0', protocol: 'tcp' }]);
      else expect(service.ports).toBeUndefined();
    }
    expect(text).not.toMatch(/3001["']?\s*$|:3001"/m);
  });

  it('every stateful service has a named volume; Redis persists (AOF) and never evicts queue keys', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['keys', 'minio', 'postgres', 'redis']);
    expect(compose.services.postgres.volumes).toEqual(['postgres:/var/lib/postgresql/data']);
    expect(compose.services.redis.volumes).toEqual(['redis:/data']);
    expect(compose.services.minio.volumes).toEqual(['minio:/data']);
    expect(compose.services.keys.volumes).toEqual(['keys:/keys']);
    expect(compose.services.api.volumes).toEqual(['keys:/keys:ro']);
    expect(compose.services.worker.volumes).toEqual(['keys:/keys:ro']);
    const redis = compose.services.redis.command!.join(' ');
    expect(redis).toContain('--appendonly yes');
    expect(redis).toContain('--maxmemory-policy noeviction');
  });

  it('app containers run with a read-only root, /tmp in memory, keys from the keys volume and S3 on MinIO', () => {
    for (const name of APP_SERVICES) {
      const s = compose.services[name];
      expect(s.read_only).toBe(true);
      expect(s.tmpfs).toEqual(['/tmp']);
      expect(s.environment).toMatchObject({
        KEY_FILE: '/keys/key_x25519',
        MASTER_KEY_FILE: '/keys/master_key',
        STORAGE_DRIVER: 's3',
        S3_ENDPOINT: 'http://minio:9000',
        REDIS_URL: 'redis://redis:6379',
      });
      expect(s.environment!.DATABASE_URL).toMatch(/^postgresql:\/\/scs:.*@postgres:5432\/scs$/);
    }
  });

  it('the admin port listens on the container network (for a scraper there) and is never published', () => {
    for (const name of ['api', 'worker']) expect(compose.services[name].environment!.ADMIN_HOST).toBe('0.0.0.0');
    // Published ports are checked above; the image does not even declare the admin port.
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toMatch(/^EXPOSE 3000$/m);
  });

  it('the app reaches MinIO as a user of its own with a policy for the bucket alone, never as root', () => {
    const app = compose.services.api.environment!;
    const minio = compose.services.minio.environment!;
    expect(app.S3_ACCESS_KEY).not.toBe(minio.MINIO_ROOT_USER);
    expect(app.S3_SECRET_KEY).not.toBe(minio.MINIO_ROOT_PASSWORD);
    const bucket = compose.services.bucket;
    expect(bucket.environment).toMatchObject({ S3_ACCESS_KEY: app.S3_ACCESS_KEY, S3_SECRET_KEY: app.S3_SECRET_KEY, S3_BUCKET: app.S3_BUCKET });
    const script = bucket.command!.join(' ');
    expect(script).toContain('mc admin user add local "$$S3_ACCESS_KEY" "$$S3_SECRET_KEY"');
    expect(script).toContain('mc admin policy attach local scs-app --user "$$S3_ACCESS_KEY"');
    // The policy names the bucket and its objects, nothing else.
    expect(script).toMatch(/"Resource":\["arn:aws:s3:::%s","arn:aws:s3:::%s\/\*"\]\}\]\}' "\$\$S3_BUCKET" "\$\$S3_BUCKET"/);
  });

  it('every image is pinned to a release, none floats on a major version', () => {
    const images = Object.entries(compose.services)
      .filter(([name]) => !APP_SERVICES.includes(name))
      .map(([, s]) => s.image!);
    expect(images.sort()).toEqual(['postgres:17.6', 'quay.io/minio/mc:RELEASE.2025-04-03T17-07-56Z', 'quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z', 'redis:7.4.5']);
  });
});
