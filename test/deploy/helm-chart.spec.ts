import Ajv from 'ajv';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { configSchema } from '../../src/config/config.schema';
import { RenderFailure, renderChart, type RenderedChart } from './helm-template';

// The Helm chart, checked without helm or a cluster (neither exists on these machines): values
// against values.schema.json, the templates rendered (helm-template.ts) with the default values and
// with every option switched on, each manifest against the Kubernetes schemas, and the facts that
// make several replicas safe and the pods locked down.

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'helm', 'session-community-server');
const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as object;
const defaults = YAML.parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const KEY = Buffer.alloc(32, 7).toString('base64');

/** Values with every optional part on: Ingress, ServiceMonitor, existing Secrets, fs storage, no HPA. */
const EVERYTHING_ON = {
  baseUrl: 'https://sogs.example.org',
  fullnameOverride: 'sogs',
  imagePullSecrets: [{ name: 'registry' }],
  database: { existingSecret: 'db', existingSecretKey: 'url' },
  redis: { url: 'redis://redis:6379' },
  storage: { driver: 'fs', fs: { existingClaim: 'sogs-files' } },
  keys: { serverKey: KEY, masterKey: KEY, previousMasterKeys: [KEY] },
  api: { autoscaling: { enabled: false }, replicas: 3, podAnnotations: { a: 'b' }, nodeSelector: { zone: 'x' } },
  ingress: { enabled: true, className: 'nginx', annotations: { 'x/y': 'z' }, tls: [{ secretName: 'tls', hosts: ['sogs.example.org'] }] },
  serviceMonitor: { enabled: true, labels: { release: 'prom' } },
  config: { LOG_LEVEL: 'debug', UPLOAD_QUOTA_BYTES: '1000000' },
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validateSchema = ajv.compile(schema);
function validateValues(values: unknown): string | null {
  return validateSchema(values) ? null : ajv.errorsText(validateSchema.errors);
}

type Validation = { kind: string; name: string; error: string | null }[];

/**
 * Validates several renderings in one child process (starting Node and loading the schemas is the
 * slow part): name → one result per manifest.
 */
function kubernetesErrors(sets: Record<string, RenderedChart>): Record<string, Validation> {
  const names = Object.keys(sets);
  const docs = names.flatMap((name) => sets[name].manifests.map((m) => m.doc));
  const out = execFileSync(process.execPath, [join(__dirname, 'k8s-validate.mjs')], { cwd: ROOT, input: JSON.stringify(docs) });
  const results = JSON.parse(out.toString()) as Validation;
  const byName: Record<string, Validation> = {};
  let at = 0;
  for (const name of names) {
    byName[name] = results.slice(at, at + sets[name].manifests.length);
    at += sets[name].manifests.length;
  }
  return byName;
}

/** A parsed manifest seen loosely (any path may be read; the assertions check the values). */
interface Doc {
  [key: string]: Json;
}
// An interface, not a type alias, so that Json can refer to itself.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
interface JsonList extends Array<Json> {}
type Json = Doc & JsonList & string;
const find = (r: RenderedChart, kind: string, nameEnd: string): Doc => {
  const m = r.manifests.find((x) => x.doc.kind === kind && String((x.doc.metadata as Doc).name).endsWith(nameEnd));
  if (!m) throw new Error(`no ${kind} named …${nameEnd}`);
  return m.doc as Doc;
};

describe('values.yaml and values.schema.json', () => {
  it('the default values match the schema', () => {
    expect(validateValues(defaults)).toBeNull();
  });

  it('the schema refuses typos, wrong types and settings the chart owns', () => {
    expect(validateValues({ ...defaults, replicaCount: 3 })).toMatch(/additional properties/);
    expect(validateValues({ ...defaults, api: { ...(defaults.api as object), replicas: 'two' } })).toMatch(/integer/);
    expect(validateValues({ ...defaults, storage: { driver: 'gcs' } })).toMatch(/allowed values/);
    expect(validateValues({ ...defaults, storage: { driver: 'fs' } })).not.toBeNull();
    expect(validateValues({ ...defaults, keys: { serverKey: 'not-a-key' } })).toMatch(/pattern/);
    expect(validateValues({ ...defaults, config: { DATABASE_URL: 'postgresql://x' } })).not.toBeNull();
    expect(validateValues({ ...defaults, securityContext: { readOnlyRootFilesystem: false } })).not.toBeNull();
    expect(validateValues({ ...defaults, ...EVERYTHING_ON })).toBeNull();
  });

  it('every config entry is a real server setting and parses with the server config schema', () => {
    const known = new Set(Object.keys(configSchema.shape));
    const config = defaults.config as Record<string, unknown>;
    for (const name of Object.keys(config)) expect(known.has(name) ? name : `unknown setting ${name}`).toBe(name);
    const parsed = configSchema.safeParse({ DATABASE_URL: 'postgresql://x@y/z', ...config });
    expect(parsed.success ? 'ok' : parsed.error.message).toBe('ok');
  });

  it('documents every field: each value in values.yaml has a comment above it or above its parent', () => {
    const doc = YAML.parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string[], parentDocumented: boolean) => {
      if (!YAML.isMap(node)) return;
      node.items.forEach((pair, index) => {
        const key = YAML.isScalar(pair.key) ? String(pair.key.value) : '?';
        // A comment above a map's first key is kept on the map node; a documented parent covers its parts.
        const documented = Boolean((pair.key as YAML.Scalar).commentBefore) || (index === 0 && Boolean(node.commentBefore)) || parentDocumented;
        if (YAML.isMap(pair.value)) walk(pair.value, [...path, key], documented);
        else if (!documented) undocumented.push([...path, key].join('.'));
      });
    };
    walk(doc.contents, [], false);
    expect(undocumented).toEqual([]);
  });
});

/** The least a release must set: the database (the chart refuses to render without one). */
const DATABASE = { database: { url: 'postgresql://scs:pw@db:5432/scs' } };
const rendered = renderChart(CHART, { release: 'scs', namespace: 'chat', values: DATABASE });
const everything = renderChart(CHART, { release: 'prod', values: EVERYTHING_ON });
const broken = structuredClone(rendered);
(find(broken, 'Deployment', '-api').spec as Doc).replicas = 'two' as Json;
delete (find(broken, 'Service', '-admin').spec as Doc).ports[0].port;
let validation: Record<string, Validation>;
beforeAll(() => {
  validation = kubernetesErrors({ defaults: rendered, everything, broken });
});

describe('the chart rendered with the default values', () => {
  it('renders the expected resources', () => {
    const kinds = rendered.manifests.map((m) => `${String(m.doc.kind)}/${String((m.doc.metadata as Doc).name)}`).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap/scs-session-community-server-config',
        'Deployment/scs-session-community-server-api',
        'Deployment/scs-session-community-server-worker',
        'HorizontalPodAutoscaler/scs-session-community-server-api',
        'Job/scs-session-community-server-migrate',
        'PodDisruptionBudget/scs-session-community-server-api',
        'Secret/scs-session-community-server-env',
        'Secret/scs-session-community-server-keys',
        'Secret/scs-session-community-server-migrate',
        'Service/scs-session-community-server',
        'Service/scs-session-community-server-admin',
      ].sort(),
    );
  });

  it('every manifest is valid against the Kubernetes schemas', () => {
    expect(validation.defaults.filter((r) => r.error)).toEqual([]);
    expect(validation.defaults).toHaveLength(rendered.manifests.length);
  });

  it('the validator is able to fail', () => {
    expect(validation.broken.filter((r) => r.error).map((r) => r.name)).toEqual(['scs-session-community-server-api', 'scs-session-community-server-admin']);
  });

  it('API and worker pods run non-root with a read-only root filesystem, /tmp as an emptyDir', () => {
    for (const name of ['-api', '-worker']) {
      const pod = find(rendered, 'Deployment', name).spec.template.spec as Doc;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.enableServiceLinks).toBe(false);
      for (const c of pod.containers as Doc[]) {
        expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
        expect(c.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
        expect(c.volumeMounts).toContainEqual({ name: 'keys', mountPath: '/keys', readOnly: true });
        expect(c.resources.requests.cpu).toBeDefined();
      }
      expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '256Mi' } });
      expect((pod.volumes as Doc[]).find((v) => v.name === 'keys')?.secret.secretName).toBe('scs-session-community-server-keys');
    }
  });

  it('probes hit the admin port; the admin listener binds the pod IP', () => {
    const api = find(rendered, 'Deployment', '-api').spec.template.spec.containers[0] as Doc;
    expect(api.args).toEqual(['api']);
    expect(api.ports).toContainEqual({ name: 'admin', containerPort: 3001, protocol: 'TCP' });
    expect(api.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    expect(api.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(api.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    const worker = find(rendered, 'Deployment', '-worker').spec.template.spec.containers[0] as Doc;
    expect(worker.args).toEqual(['worker']);
    expect(worker.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    const data = find(rendered, 'ConfigMap', '-config').data as Record<string, string>;
    expect(data).toMatchObject({ ADMIN_HOST: '0.0.0.0', ADMIN_PORT: '3001', PORT: '3000', KEY_FILE: '/keys/key_x25519', MASTER_KEY_FILE: '/keys/master_key' });
  });

  it('the ConfigMap holds every config value and parses with the server config schema', () => {
    const data = find(rendered, 'ConfigMap', '-config').data as Record<string, string>;
    for (const [name, value] of Object.entries(defaults.config as Record<string, unknown>)) expect(data[name]).toBe(String(value));
    const known = new Set(Object.keys(configSchema.shape));
    expect(Object.keys(data).filter((k) => !known.has(k))).toEqual([]);
    const parsed = configSchema.safeParse({ ...data, DATABASE_URL: 'postgresql://x@y/z' });
    expect(parsed.success ? 'ok' : parsed.error.message).toBe('ok');
  });

  it('the migration Job is a pre-install/pre-upgrade hook reading a hook Secret created before it', () => {
    const job = find(rendered, 'Job', '-migrate');
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '0' });
    const container = job.spec.template.spec.containers[0] as Doc;
    expect(container.args).toEqual(['migrate']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const secretName = container.env.find((e: Doc) => e.name === 'DATABASE_URL')!.valueFrom.secretKeyRef.name;
    const secret = find(rendered, 'Secret', '-migrate');
    expect(secret.metadata.name).toBe(secretName);
    expect(secret.metadata.annotations['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(Number(secret.metadata.annotations['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations['helm.sh/hook-weight']));
    // Hooks run before the release's own resources exist: the Job may not need any of them.
    const releaseSecrets = rendered.manifests.filter((m) => !(m.doc.metadata as Doc).annotations?.['helm.sh/hook']).map((m) => (m.doc.metadata as Doc).name);
    expect(JSON.stringify(job)).not.toMatch(new RegExp(releaseSecrets.map((n) => `"${n}"`).join('|')));
  });

  it('the HPA scales the API Deployment on CPU; the PDB and Services select exactly the API pods', () => {
    const api = find(rendered, 'Deployment', '-api');
    const hpa = find(rendered, 'HorizontalPodAutoscaler', '-api');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: api.metadata.name });
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    expect(api.spec.replicas).toBeUndefined(); // the HPA owns the count
    const podLabels = api.spec.template.metadata.labels as Record<string, string>;
    expect(api.spec.selector.matchLabels).toEqual(podLabels);
    const pdb = find(rendered, 'PodDisruptionBudget', '-api');
    expect(pdb.spec.selector.matchLabels).toEqual(podLabels);
    expect(find(rendered, 'Service', 'server').spec.selector).toEqual(podLabels);
    const worker = find(rendered, 'Deployment', '-worker');
    const workerLabels = worker.spec.template.metadata.labels as Record<string, string>;
    const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(matches(pdb.spec.selector.matchLabels, workerLabels)).toBe(false);
    expect(matches(find(rendered, 'Service', 'server').spec.selector, workerLabels)).toBe(false);
    const admin = find(rendered, 'Service', '-admin');
    expect(matches(admin.spec.selector, podLabels) && matches(admin.spec.selector, workerLabels)).toBe(true);
  });

  it('only the public port is behind the main Service; keys are generated once and kept', () => {
    const svc = find(rendered, 'Service', 'server');
    expect(svc.spec.ports).toEqual([{ name: 'public', port: 80, targetPort: 'public', protocol: 'TCP' }]);
    const keys = find(rendered, 'Secret', '-keys');
    expect(keys.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    for (const k of ['key_x25519', 'master_key']) expect(Buffer.from(keys.data[k] as string, 'base64')).toHaveLength(32);
    expect(keys.data.key_x25519).not.toBe(keys.data.master_key);
  });

  it('pods roll when the config or the connection Secret changes', () => {
    const before = find(rendered, 'Deployment', '-api').spec.template.metadata.annotations;
    const after = find(renderChart(CHART, { release: 'scs', values: { ...DATABASE, config: { LOG_LEVEL: 'debug' } } }), 'Deployment', '-api').spec.template.metadata.annotations;
    expect(after['checksum/config']).not.toBe(before['checksum/config']);
    expect(after['checksum/env']).toBe(before['checksum/env']);
  });

  it('NOTES.txt tells how to print the join URL and warns about missing connections', () => {
    expect(rendered.notes).toContain('community-server keys show');
    expect(rendered.notes).toContain('community-server rooms add');
  });

  it('refuses to render without a database, saying what to set (the migration hook would fail first)', () => {
    expect(() => renderChart(CHART, { release: 'scs' })).toThrow(RenderFailure);
    expect(() => renderChart(CHART, { release: 'scs' })).toThrow(/^database.url or database.existingSecret must be set: /);
    expect(() => renderChart(CHART, { release: 'scs', values: { migration: { enabled: false } } })).toThrow(/database.url or database.existingSecret must be set/);
    expect(() => renderChart(CHART, { release: 'scs', values: { database: { existingSecret: 'db' } } })).not.toThrow();
  });

  it('the admin port listens on the pod network but only a ClusterIP Service reaches it', () => {
    const config = find(rendered, 'ConfigMap', '').data;
    expect(config.ADMIN_HOST).toBe('0.0.0.0');
    const admin = find(rendered, 'Service', '-admin').spec;
    expect(admin.type).toBe('ClusterIP');
    expect(admin.ports).toEqual([expect.objectContaining({ name: 'admin', targetPort: 'admin' })]);
    const publicService = find(rendered, 'Service', 'scs-session-community-server').spec;
    expect(publicService.ports.map((p: Doc) => p.targetPort)).toEqual(['public']);
  });
});

describe('the chart rendered with every option on', () => {
  const rendered = everything;

  it('every manifest is valid against the Kubernetes schemas', () => {
    expect(validation.everything.filter((r) => r.error)).toEqual([]);
    const kinds = new Set(rendered.manifests.map((m) => m.doc.kind));
    for (const kind of ['Ingress', 'ServiceMonitor']) expect(kinds.has(kind)).toBe(true);
    expect(kinds.has('HorizontalPodAutoscaler')).toBe(false);
  });

  it('existing Secrets are referenced by name and not created; inline values land in the -env Secret', () => {
    const api = find(rendered, 'Deployment', '-api');
    expect(api.spec.replicas).toBe(3);
    const env = api.spec.template.spec.containers[0].env as Doc[];
    expect(env.find((e) => e.name === 'DATABASE_URL')?.valueFrom.secretKeyRef).toEqual({ name: 'db', key: 'url' });
    expect(env.find((e) => e.name === 'REDIS_URL')?.valueFrom.secretKeyRef).toEqual({ name: 'sogs-env', key: 'REDIS_URL' });
    expect(env.find((e) => e.name === 'S3_ACCESS_KEY')).toBeUndefined();
    const secret = find(rendered, 'Secret', '-env');
    expect(Object.keys(secret.data)).toEqual(['REDIS_URL']);
    expect(Buffer.from(secret.data.REDIS_URL as string, 'base64').toString()).toBe('redis://redis:6379');
    expect(rendered.manifests.some((m) => (m.doc.metadata as Doc).name === 'sogs-migrate' && m.doc.kind === 'Secret')).toBe(false);
    expect(find(rendered, 'Job', '-migrate').spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef).toEqual({ name: 'db', key: 'url' });
  });

  it('fs storage mounts the claim; old master keys are mounted and listed for rotation', () => {
    const pod = find(rendered, 'Deployment', '-worker').spec.template.spec as Doc;
    expect(pod.volumes).toContainEqual({ name: 'files', persistentVolumeClaim: { claimName: 'sogs-files' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'files', mountPath: '/data/files' });
    const data = find(rendered, 'ConfigMap', '-config').data as Record<string, string>;
    expect(data).toMatchObject({ STORAGE_DRIVER: 'fs', STORAGE_DIR: '/data/files', MASTER_KEY_OLD_FILES: '/keys/master_key_old_0', BASE_URL: 'https://sogs.example.org' });
    expect(data.S3_ENDPOINT).toBeUndefined();
    const keys = find(rendered, 'Secret', '-keys');
    expect(keys.data).toEqual({ key_x25519: KEY, master_key: KEY, master_key_old_0: KEY });
    expect(pod.imagePullSecrets).toEqual([{ name: 'registry' }]);
  });

  it('the Ingress routes to the public port and the ServiceMonitor scrapes /metrics on the admin port', () => {
    const ingress = find(rendered, 'Ingress', 'sogs');
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'sogs', port: { name: 'public' } });
    const monitor = find(rendered, 'ServiceMonitor', 'sogs');
    expect(monitor.metadata.labels.release).toBe('prom');
    expect(monitor.spec.endpoints).toEqual([{ port: 'admin', path: '/metrics', interval: '30s' }]);
    expect(monitor.spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'session-community-server',
      'app.kubernetes.io/instance': 'prod',
      'app.kubernetes.io/component': 'admin',
    });
    const adminLabels = find(rendered, 'Service', '-admin').metadata.labels as Record<string, string>;
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) expect(adminLabels[k]).toBe(v);
  });
});
