import { ConfigError, loadConfig } from '../../../src/config/config';

// API_WORKERS (issue 7): a whole number of processes or `auto`; anything else stops the start.
describe('API_WORKERS setting', () => {
  const load = (value?: string) => loadConfig({ DATABASE_URL: 'postgresql://x@y/z', ...(value === undefined ? {} : { API_WORKERS: value }) });

  it('defaults to one process and accepts a count or auto', () => {
    expect(load().API_WORKERS).toBe(1);
    expect(load('4').API_WORKERS).toBe(4);
    expect(load('auto').API_WORKERS).toBe('auto');
  });

  it.each(['0', '-1', '1.5', 'two', 'AUTO'])('refuses %s with a line naming the setting', (value) => {
    expect(() => load(value)).toThrow(ConfigError);
    expect(() => load(value)).toThrow(/API_WORKERS/);
  });
});
