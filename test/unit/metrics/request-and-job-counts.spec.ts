import { MetricsService } from '../../../src/metrics/metrics.service';

// What the idle heap trim counts (src/core/idle-heap-trim.ts): requests the public listener
// answered, not inner requests, not jobs; and the job attempts by outcome.
describe('MetricsService request and job counts', () => {
  it('counts answered requests for the trim, and job attempts by outcome', async () => {
    const metrics = new MetricsService();
    expect(metrics.httpRequestsAnswered()).toBe(0);
    metrics.observeHttpRequest('POST', '/oxen/v4/lsrpc', 200, 0.001);
    metrics.observeHttpRequest('GET', '/', 404, 0.001);
    metrics.observeInnerRequest('GET', '/capabilities', 200, 0.001);
    expect(metrics.httpRequestsAnswered()).toBe(2);
    metrics.observeJobAttempt('files', 'file-expiry', 'completed');
    metrics.observeJobAttempt('maintenance', 'prune-history', 'failed');
    expect(metrics.httpRequestsAnswered()).toBe(2);
    const text = await metrics.registry.metrics();
    expect(text).toContain('scs_jobs_completed_total{queue="files",job="file-expiry"} 1');
    expect(text).toContain('scs_job_failures_total{queue="maintenance",job="prune-history"} 1');
    expect(text).not.toContain('scs_jobs_completed_total{queue="maintenance"');
  });
});
