import { LeaseholdError } from '@leasehold/core';

/**
 * Refuses a query string whose parameters are not percent-encoded UTF-8. Fastify's parser keeps
 * such a parameter as its raw text, so `?key=%FF` would silently name the key `%FF`, the same key
 * as `?key=%25FF`; names must be well-formed Unicode on every API (DESIGN §8).
 */
export function checkQueryString(url: string): void {
  const start = url.indexOf('?');
  if (start === -1) return;
  for (const pair of url.slice(start + 1).split('&')) {
    const [name = '', value = ''] = pair.split('=', 2);
    if (decodes(name) && decodes(value)) continue;
    const field = decodes(name) ? decodeURIComponent(name.replaceAll('+', ' ')) : 'query';
    throw new LeaseholdError('INVALID_ARGUMENT', `${field}: must be percent-encoded UTF-8`, { field });
  }
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text.replaceAll('+', ' '));
    return true;
  } catch {
    return false;
  }
}
