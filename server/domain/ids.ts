import { LIMITS } from './validate.js';

/** A readable, URL-safe id from a title ("Microsoft recrute Sam Altman" → "microsoft-recrute-sam-altman"). */
export function slugify(text: string, max = 60): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '');
}

/** The first of `base`, `base-2`, `base-3`… that is not taken. */
export function uniqueId(base: string, taken: (id: string) => boolean): string {
  const root = (base || 'event').slice(0, LIMITS.id - 6).replace(/-+$/, '');
  if (!taken(root)) return root;
  for (let n = 2; ; n++) if (!taken(`${root}-${n}`)) return `${root}-${n}`;
}
