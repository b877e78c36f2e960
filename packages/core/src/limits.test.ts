import { describe, expect, it } from 'vitest';
import { checkBoundedString, checkName, checkOptionalString } from './limits.js';

describe('string limits', () => {
  it.each([
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate', '\udc00'],
    ['a low surrogate before its high one', 'a\udc00\ud800b'],
  ])('refuse %s in names, strings and optional strings, naming the field', (_name, value) => {
    const message = 'must be well-formed Unicode (no lone surrogates)';
    expect(() => checkName('name', value, 1024)).toThrow(`name: ${message}`);
    expect(() => checkBoundedString('leaseId', value, 128)).toThrow(`leaseId: ${message}`);
    expect(() => checkOptionalString('owner', value, 256)).toThrow(`owner: ${message}`);
  });

  it('accept any well-formed text, astral characters included', () => {
    expect(checkName('name', 'order/😀/ü', 1024)).toBe('order/😀/ü');
    expect(checkOptionalString('owner', undefined, 256)).toBeUndefined();
  });
});
