import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatWithTabwriter } from '../../../../functions/core/snapshot-contents/tabwriter';

const golden = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'tabwriter.golden.json'), 'utf8')) as { texts: string[]; outputs: Record<string, string[]> };

describe('formatWithTabwriter', () => {
  for (const [params, outputs] of Object.entries(golden.outputs)) {
    const [minwidth, padding] = params.split(',').map(Number);
    it.each(golden.texts.map((text, i) => [JSON.stringify(text).slice(0, 40), text, outputs[i]]))(
      `minwidth ${minwidth}, padding ${padding}: %s is laid out as Go does`,
      (_label, text, expected) => {
        expect(formatWithTabwriter(text, { minwidth, padding, padchar: ' ' })).toBe(expected);
      },
    );
  }

  it('counts a rune, not a UTF-16 unit or a byte, per character', () => {
    // Act
    const out = formatWithTabwriter('🚀\tx\nab\ty\n', { minwidth: 0, padding: 1, padchar: ' ' });

    // Assess
    expect(out).toBe('🚀  x\nab y\n');
  });

  it('counts an escaped invalid byte as one rune', () => {
    expect(formatWithTabwriter('\udc80\tx\nab\ty', { minwidth: 0, padding: 1, padchar: ' ' })).toBe('\udc80  x\nab y');
  });
});
