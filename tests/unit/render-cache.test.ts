import { RenderCache } from '../../server/web/render-cache.js';

describe('render cache', () => {
  it('keeps the most recently used pages within its entry and byte bounds', () => {
    const cache = new RenderCache(2, 1000);
    cache.set('a', 'A');
    cache.set('b', 'B');
    expect(cache.get('a')).toBe('A'); // a is now the most recent
    cache.set('c', 'C');
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe('A');
    expect(cache.get('c')).toBe('C');
  });

  it('evicts by size and never keeps a page larger than a quarter of its budget', () => {
    const cache = new RenderCache(10, 100);
    cache.set('big', 'x'.repeat(26));
    expect(cache.get('big')).toBeUndefined();
    cache.set('a', 'x'.repeat(25));
    cache.set('b', 'x'.repeat(25));
    cache.set('c', 'x'.repeat(25));
    cache.set('d', 'x'.repeat(25));
    cache.set('e', 'x'.repeat(25));
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('e')).toHaveLength(25);
  });
});
