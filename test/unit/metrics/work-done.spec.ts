import { MetricsService } from '../../../src/metrics/metrics.service';

// What the idle heap trim counts as work (src/core/idle-heap-trim.ts): requests the public
// listener answered and job attempts the process's workers finished, either way.
describe('MetricsService.workDone', () => {
  it('counts answered requests and finished job attempts, and the job counters by outcome', async () => {
    const metrics = new MetricsService();
    expect(metrics.workDone()).toBe(0);
    metrics.observeHttpRequest('POST', '/oxen/v4/lsrpc', 200, 0.001);
    metrics.observeHttpRequest('GET', '/', 404, 0.001);
    metrics.observeInnerRequest('GET', '/capabilities', 200, 0.001);
    expect(metrics.workDone()).toBe(2);
    metrics.observeJobAttempt('files', 'file-expiry', 'completed');
    metrics.observeJobAttempt('maintenance', 'prune-history', 'failed');
    expect(metrics.workDone()).toBe(4);
    const text = await metrics.registry.metrics();
    expect(text).toContain('scs_jobs_completed_total{queue="files",job="file-expiry"} 1');
    expect(text).toContain('scs_job_failures_total{queue="maintenance",job="prune-history"} 1');
    expect(text).not.toContain('scs_jobs_completed_total{queue="maintenance"');
  });
});
