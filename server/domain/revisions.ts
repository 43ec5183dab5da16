import type { ChronoEvent, Story } from './types.js';

export const CHANGE_KINDS = ['story.created', 'story.updated', 'event.created', 'event.updated', 'event.corrected', 'event.retracted', 'event.deleted', 'events.imported'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface FieldChange {
  field: string;
  before: unknown;
  after: unknown;
}

/** One accepted change: who, when, what. Its storyVersion is the version the change produced. */
export interface Revision {
  storyVersion: number;
  kind: ChangeKind;
  at: string;
  actor: string;
  eventId?: string;
  changes: FieldChange[];
  /** a correction's public note, or a retraction's reason */
  note?: string;
}

interface Meta {
  at: string;
  actor: string;
}

/** What a write asks the store to do to a story; the store applies it with records.applyChange. */
export type StoryChange =
  | (Meta & { kind: 'event.created'; event: ChronoEvent })
  | (Meta & { kind: 'event.updated' | 'event.corrected' | 'event.retracted'; event: ChronoEvent; expectedVersion: number; changes: FieldChange[]; note?: string })
  | (Meta & { kind: 'event.deleted'; eventId: string; changes: FieldChange[] })
  | (Meta & { kind: 'events.imported'; events: ChronoEvent[]; note?: string })
  | (Meta & { kind: 'story.updated'; story: Omit<Story, 'version' | 'updatedAt' | 'createdAt' | 'slug'>; expectedVersion: number; changes: FieldChange[] });

const IGNORED = new Set(['version', 'updatedAt', 'createdAt', 'corrections', 'retraction']);

/** The fields that differ between two versions of a record, compared by value. */
export function diff(before: object, after: object): FieldChange[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((f) => !IGNORED.has(f));
  return fields
    .filter((f) => JSON.stringify(b[f]) !== JSON.stringify(a[f]))
    .map((field) => ({ field, before: b[field] ?? null, after: a[field] ?? null }));
}
