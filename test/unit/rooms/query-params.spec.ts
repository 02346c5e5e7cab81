import { BadRequestException, NotFoundException } from '@nestjs/common';
import { intPath, intQuery, optionalIntQuery } from '../../../src/rooms/query-params';

describe('integer parameters (protocol §5)', () => {
  it('defaults, clamps and rejects non-integers', () => {
    expect(intQuery(undefined, 'limit', 100, 1, 256)).toBe(100);
    expect(intQuery('1000', 'limit', 100, 1, 256)).toBe(256);
    expect(intQuery('0', 'limit', 100, 1, 256)).toBe(1);
    expect(intQuery('-5', 'reactors', 4, 0, 20)).toBe(0);
    for (const bad of ['abc', '1.5', ['1', '2']]) {
      expect(() => intQuery(bad, 'limit', 100, 1, 256)).toThrow(BadRequestException);
    }
    expect(optionalIntQuery(undefined, 'limit')).toBeNull();
    expect(() => optionalIntQuery('x', 'limit')).toThrow(BadRequestException);
  });
  it('path ids: digits only, 404 otherwise', () => {
    expect(intPath('42')).toBe(42);
    expect(() => intPath('-1')).toThrow(NotFoundException);
    expect(() => intPath('1e3')).toThrow(NotFoundException);
    expect(() => intPath('99999999999')).toThrow(NotFoundException);
    expect(intPath('99999999999', { clamp: true })).toBe(2_147_483_647);
  });
});
