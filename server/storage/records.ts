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

export function applyChange(record: StoryRecord, change: StoryChange): StoryRecord {
  const version = record.story.version + 1;
  let story: Story = { ...record.story, version, updatedAt: change.at };
  let events = record.events;
  let revision: Revision;
  switch (change.kind) {
    case 'event.created':
      if (events.some((e) => e.id === change.event.id)) {
        throw new ConflictError('event_exists', `An event "${change.event.id}" already exists in this story`, 'id');
      }
      events = [...events, change.event];
      revision = { storyVersion: version, kind: change.kind, at: change.at, actor: change.actor, eventId: change.event.id, changes: [] };
      break;
    case 'event.updated':
    case 'event.corrected':
    case 'event.retracted': {
      const index = events.findIndex((e) => e.id === change.event.id);
      if (index < 0) throw new NotFoundError('event', change.event.id);
      if (events[index]!.version !== change.expectedVersion) throw staleError('event', change.expectedVersion, events[index]!.version);
      events = events.with(index, change.event);
      revision = { storyVersion: version, kind: change.kind, at: change.at, actor: change.actor, eventId: change.event.id, changes: change.changes, ...(change.note ? { note: change.note } : {}) };
      break;
    }
    case 'event.deleted':
      if (!events.some((e) => e.id === change.eventId)) throw new NotFoundError('event', change.eventId);
      events = events.filter((e) => e.id !== change.eventId);
      revision = { storyVersion: version, kind: change.kind, at: change.at, actor: change.actor, eventId: change.eventId, changes: change.changes };
      break;
    case 'events.imported': {
      const taken = new Set(events.map((e) => e.id));
      const clash = change.events.find((e) => taken.has(e.id) || !taken.add(e.id));
      if (clash) throw new ConflictError('event_exists', `An event "${clash.id}" already exists in this story`, 'id');
      events = [...events, ...change.events];
      const ids = change.events.map((e) => e.id);
      revision = { storyVersion: version, kind: change.kind, at: change.at, actor: change.actor, changes: [{ field: 'events', before: null, after: ids }], ...(change.note ? { note: change.note } : {}) };
      break;
    }
    case 'story.updated':
      if (record.story.version !== change.expectedVersion) throw staleError('story', change.expectedVersion, record.story.version);
      story = { ...story, ...change.story };
      revision = { storyVersion: version, kind: change.kind, at: change.at, actor: change.actor, changes: change.changes };
      break;
  }
  return { story, events, revisions: [...record.revisions, revision] };
}

export function summaryOf(record: StoryRecord): StorySummary {
  return { ...record.story, eventCount: record.events.length };
}

export function byRecentUpdate(a: StorySummary, b: StorySummary): number {
  return b.updatedAt.localeCompare(a.updatedAt) || a.slug.localeCompare(b.slug);
}
