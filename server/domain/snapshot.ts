import type { Revision } from './revisions.js';
import type { ChronoEvent, Story } from './types.js';

export interface Snapshot {
  story: Story;
  events: ChronoEvent[];
}

/**
 * The story as it stood at instant `at`: every change recorded after it is undone, newest
 * first, so an article embedding the timeline "as of" its publication never changes.
 */
export function snapshotAt(record: { story: Story; events: readonly ChronoEvent[]; revisions: readonly Revision[] }, at: string): Snapshot | undefined {
  const when = Date.parse(at);
  if (Date.parse(record.story.createdAt) > when) return undefined;
  let story = { ...record.story };
  const events = new Map(record.events.map((e) => [e.id, { ...e } as ChronoEvent]));
  const later = record.revisions.filter((r) => Date.parse(r.at) > when).reverse();
  for (const r of later) {
    const event = r.eventId ? events.get(r.eventId) : undefined;
    switch (r.kind) {
      case 'event.created':
        if (r.eventId) events.delete(r.eventId);
        break;
      case 'event.updated':
      case 'event.corrected':
      case 'event.retracted':
        if (!event) break;
        for (const c of r.changes) {
          if (c.field === 'retraction') delete event.retraction;
          else if (c.before === null) delete (event as unknown as Record<string, unknown>)[c.field];
          else (event as unknown as Record<string, unknown>)[c.field] = c.before;
        }
        event.corrections = (event.corrections ?? []).filter((c) => Date.parse(c.at) <= when);
        if (!event.corrections.length) delete event.corrections;
        break;
      case 'event.deleted': {
        const before = r.changes.find((c) => c.field === 'event')?.before as ChronoEvent | undefined;
        if (before && r.eventId) events.set(r.eventId, { ...before });
        break;
      }
      case 'story.updated':
        for (const c of r.changes) (story as unknown as Record<string, unknown>)[c.field] = c.before;
        break;
      case 'events.imported':
        for (const id of (r.changes[0]?.after as string[] | undefined) ?? []) events.delete(id);
        break;
      case 'story.created':
        break;
    }
  }
  const last = record.revisions.filter((r) => Date.parse(r.at) <= when).at(-1);
  if (last) story = { ...story, version: last.storyVersion, updatedAt: last.at };
  return { story, events: [...events.values()] };
}
