import { toCsv } from '../../../src/console/csv';
import { auditCsv } from '../../../src/console/console.views';
import { parseCsv } from '../../support/csv';

// The audit export (issue 17): CSV that a strict RFC 4180 reader gives back field for field.

describe('toCsv', () => {
  it('quotes what needs quoting and reads back field for field', () => {
    const rows = [
      ['plain', 'with, comma', 'with "quotes"', 'two\nlines', 'cr\r\nlf', '', 'ünïcødé 👍'],
      ['"', ',', '""', 'x'],
    ];
    const text = toCsv(rows);
    expect(text).toBe('plain,"with, comma","with ""quotes""","two\nlines","cr\r\nlf",,ünïcødé 👍\r\n"""",",","""""",x\r\n');
    expect(parseCsv(text)).toEqual(rows);
  });

  it('defuses fields a spreadsheet would run as formulas', () => {
    const text = toCsv([['=HYPERLINK("http://evil")', '+1', '-2', '@SUM(A1)', '\tx', 'a=b']]);
    expect(parseCsv(text)).toEqual([[`'=HYPERLINK("http://evil")`, "'+1", "'-2", "'@SUM(A1)", "'\tx", 'a=b']]);
  });
});

describe('auditCsv', () => {
  it('has a header and one row per entry, times in ISO 8601 UTC and details as JSON', () => {
    const text = auditCsv([
      { id: 2, at: 1_764_000_000.5, actor: 'console', action: 'ban', room: 'lobby', target: `05${'ab'.repeat(32)}`, reason: 'spam, "again"\nand again', details: { until: 5 } },
      { id: 1, at: 1_764_000_000, actor: 'cli', action: 'room.create', room: null, target: null, reason: null, details: null },
    ]);
    expect(parseCsv(text)).toEqual([
      ['id', 'at', 'actor', 'action', 'room', 'target', 'reason', 'details'],
      ['2', '2025-11-24T16:00:00.500Z', 'console', 'ban', 'lobby', `05${'ab'.repeat(32)}`, 'spam, "again"\nand again', '{"until":5}'],
      ['1', '2025-11-24T16:00:00.000Z', 'cli', 'room.create', '', '', '', ''],
    ]);
  });
});
