import { describe, expect, it } from 'vitest';
import { textArray } from './text-array.js';

describe('textArray', () => {
  it('quotes every element and escapes backslashes and double quotes', () => {
    expect(textArray([])).toBe('{}');
    expect(textArray(['a', 'b c', 'x,y'])).toBe('{"a","b c","x,y"}');
    expect(textArray(['q"uote', 'back\\slash', 'NULL', '{}'])).toBe(
      '{"q\\"uote","back\\\\slash","NULL","{}"}',
    );
  });
});
