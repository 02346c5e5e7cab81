// Validates Kubernetes manifests (JSON array on stdin) against the Kubernetes OpenAPI schemas that
// the npm package kubernetes-models compiles (plus the Prometheus Operator CRDs). Run by
// helm-chart.spec.ts as a plain Node process: these packages are ESM with import-only exports, which
// jest's CommonJS resolver cannot load. Prints one JSON array: [{ kind, name, error }].
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const MODELS = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': Ingress,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = JSON.parse(input).map((doc) => {
  const Model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  const result = { kind: doc.kind, name: doc.metadata?.name ?? null, error: null };
  if (!Model) {
    result.error = `no schema for ${doc.apiVersion} ${doc.kind}`;
    return result;
  }
  try {
    new Model(doc).validate();
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  }
  return result;
});
process.stdout.write(JSON.stringify(results));
