// Pure record transitions shared by every adapter, so they agree on what a write means.
import { ConflictError, NotFoundError } from '../domain/errors.js';
import type { Revision, StoryChange } from '../domain/revisions.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import type { StoryRecord } from './store.js';

export function newRecord(story: Story, events: readonly ChronoEvent[], actor: string): StoryRecord {
  const revision: Revision = { storyVersion: story.version, kind: 'story.created', at: story.createdAt, actor, changes: [] };
  return { story, events: [...events], revisions: [revision] };
}

export function staleError(what: string, expected: number, actual: number): ConflictError {
  return new ConflictError('version_mismatch', `The ${what} was changed meanwhile (version ${actual}, not ${expected}); reload it and apply your change again`, 'version');
}

/** The revision a change records once it has produced story version `version`. */
export function revisionFor(change: StoryChange, version: number): Revision {
  const base = { storyVersion: version, kind: change.kind, at: change.at, actor: change.actor };
  switch (change.kind) {
    case 'event.created':
      return { ...base, eventId: change.event.id, changes: [] };
    case 'event.updated':
    case 'event.corrected':
    case 'event.retracted':
      return { ...base, eventId: change.event.id, changes: change.changes, ...(change.note ? { note: change.note } : {}) };
    case 'event.deleted':
      return { ...base, eventId: change.eventId, changes: change.changes };
    case 'events.imported':
      return { ...base, changes: [{ field: 'events', before: null, after: change.events.map((e) => e.id) }], ...(change.note ? { note: change.note } : {}) };
    case 'story.updated':
      return { ...base, changes: change.changes };
  }
}

export function eventExists(id: string): ConflictError {
  return new ConflictError('event_exists', `An event "${id}" already exists in this story`, 'id');
}

export function applyChange(record: StoryRecord, change: StoryChange): StoryRecord {
  const version = record.story.version + 1;
  let story: Story = { ...record.story, version, updatedAt: change.at };
  let events = record.events;
  switch (change.kind) {
    case 'event.created':
      if (events.some((e) => e.id === change.event.id)) throw eventExists(change.event.id);
      events = [...events, change.event];
      break;
    case 'event.updated':
    case 'event.corrected':
    case 'event.retracted': {
      const index = events.findIndex((e) => e.id === change.event.id);
      if (index < 0) throw new NotFoundError('event', change.event.id);
      if (events[index]!.version !== change.expectedVersion) throw staleError('event', change.expectedVersion, events[index]!.version);
      events = events.with(index, change.event);
      break;
    }
    case 'event.deleted':
      if (!events.some((e) => e.id === change.eventId)) throw new NotFoundError('event', change.eventId);
      events = events.filter((e) => e.id !== change.eventId);
      break;
    case 'events.imported': {
      const taken = new Set(events.map((e) => e.id));
      const clash = change.events.find((e) => taken.has(e.id) || !taken.add(e.id));
      if (clash) throw eventExists(clash.id);
      events = [...events, ...change.events];
      break;
    }
    case 'story.updated':
      if (record.story.version !== change.expectedVersion) throw staleError('story', change.expectedVersion, record.story.version);
      story = { ...story, ...change.story };
      break;
  }
  return { story, events, revisions: [...record.revisions, revisionFor(change, version)] };
}

export function summaryOf(record: StoryRecord): StorySummary {
  return { ...record.story, eventCount: record.events.length };
}

export function byRecentUpdate(a: StorySummary, b: StorySummary): number {
  return b.updatedAt.localeCompare(a.updatedAt) || a.slug.localeCompare(b.slug);
}
