import { describe, expect, it } from 'vitest';
import { ImageCache } from '../../apps/ingest/src/image-cache.js';

describe('ImageCache', () => {
  it('keeps the latest image per row and evicts the oldest beyond capacity', () => {
    const cache = new ImageCache(3);
    cache.set('r', '1', { image: 'a', version: 1n });
    cache.set('r', '2', { image: 'b', version: 2n });
    cache.set('r', '1', { image: 'a2', version: 3n });
    cache.set('r', '3', { image: 'c', version: 4n });
    cache.set('r', '4', { image: 'd', version: 5n });
    expect(cache.get('r', '2')).toBeUndefined(); // oldest untouched row went first
    expect(cache.get('r', '1')).toEqual({ image: 'a2', version: 3n });
    expect(cache.get('r', '4')).toEqual({ image: 'd', version: 5n });
  });

  it('forgets deleted rows, truncated tables and everything on clear', () => {
    const cache = new ImageCache(10);
    cache.set('r', '1', { image: 'a', version: 1n });
    cache.set('p', '1', { image: 'x', version: 1n });
    cache.delete('r', '1');
    expect(cache.get('r', '1')).toBeUndefined();
    cache.set('r', '2', { image: 'b', version: 2n });
    cache.clearTable('p');
    expect(cache.get('p', '1')).toBeUndefined();
    expect(cache.get('r', '2')).toBeDefined();
    cache.clear();
    expect(cache.get('r', '2')).toBeUndefined();
  });
});
