import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { MetricsService } from '../metrics/metrics.service';
import { IdleHeapTrim, youngGenerationCollection, youngGenerationBytes } from './idle-heap-trim';

/** V8 starts the young generation at 1 MB; below this it has nothing worth giving back. */
const MIN_YOUNG_BYTES = 4 * 1048576;
/** How often the answered-request count is read: the trim comes at most this late. */
const CHECK_MS = 1000;
/** Collections per idle spell: a later one finds the allocation rate low if the first did not (see IdleHeapTrim). */
const MAX_COLLECTIONS = 3;

/** Runs IdleHeapTrim on this process's answered requests: IDLE_HEAP_TRIM_SECONDS after the last one (0: never). */
@Injectable()
export class IdleHeapTrimService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('IdleHeapTrim');
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    const seconds = this.config.IDLE_HEAP_TRIM_SECONDS;
    if (seconds === 0) return;
    const collectYoungGeneration = youngGenerationCollection();
    if (!collectYoungGeneration) {
      this.logger.warn('this Node.js refuses --expose-gc at run time: an idle process keeps its young generation');
      return;
    }
    const port = { requestsSoFar: () => this.metrics.httpRequestsAnswered(), youngGenerationBytes, collectYoungGeneration };
    const trim = new IdleHeapTrim(port, { idleMs: seconds * 1000, minYoungBytes: MIN_YOUNG_BYTES, maxCollections: MAX_COLLECTIONS, nowMs: performance.now() });
    this.timer = setInterval(() => {
      if (trim.check(performance.now())) this.metrics.idleHeapTrims.inc();
    }, CHECK_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }
}
