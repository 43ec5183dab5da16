// Pure record transitions shared by every adapter, so they agree on what a write means.
import { ConflictError } from '../domain/errors.js';
import type { ChronoEvent, Story, StorySummary } from '../domain/types.js';
import type { StoryRecord } from './store.js';

export function withAppended(record: StoryRecord, event: ChronoEvent, at: string): StoryRecord {
  if (record.events.some((e) => e.id === event.id)) {
    throw new ConflictError('event_exists', `An event "${event.id}" already exists in this story`, 'id');
  }
  const story: Story = { ...record.story, version: record.story.version + 1, updatedAt: at };
  return { story, events: [...record.events, event] };
}

export function summaryOf(record: StoryRecord): StorySummary {
  return { ...record.story, eventCount: record.events.length };
}

export function byRecentUpdate(a: StorySummary, b: StorySummary): number {
  return b.updatedAt.localeCompare(a.updatedAt) || a.slug.localeCompare(b.slug);
}
