import { groupByDay, sortEvents } from '../../server/domain/chronology.js';
import type { ChronoEvent } from '../../server/domain/types.js';

const PARIS = 'Europe/Paris';
let n = 0;
function ev(id: string, date: string, timeZone = PARIS): ChronoEvent {
  const createdAt = new Date(Date.UTC(2024, 0, 1, 0, 0, n++)).toISOString();
  return { id, date, timeZone, approximate: false, title: id, body: '', sources: [], tags: [], importance: 'normal', verification: 'confirmed', createdAt, updatedAt: createdAt, version: 1 };
}

describe('chronological order', () => {
  const events = [
    ev('letter', '2023-11-20'),
    ev('microsoft', '2023-11-19T23:53', 'America/Los_Angeles'),
    ev('fired', '2023-11-17'),
    ev('november', '2023-11'),
    ev('year', '2023'),
    ev('shear', '2023-11-19'),
    ev('sutskever', '2023-11-20'),
  ];

  it('orders by start instant, coarse before fine, then creation order', () => {
    expect(sortEvents(events, PARIS).map((e) => e.id)).toEqual(['year', 'november', 'fired', 'shear', 'letter', 'sutskever', 'microsoft']);
  });

  it('reverses for newest first', () => {
    expect(sortEvents(events, PARIS, 'desc').map((e) => e.id)).toEqual(['microsoft', 'sutskever', 'letter', 'shear', 'fired', 'november', 'year']);
  });

  it('groups by day in the story zone, with month and year headings for coarse dates', () => {
    const groups = groupByDay(sortEvents(events, PARIS), PARIS, 'fr');
    expect(groups.map((g) => [g.heading.label, g.events.map((e) => e.id)])).toEqual([
      ['2023', ['year']],
      ['novembre 2023', ['november']],
      ['vendredi 17 novembre 2023', ['fired']],
      ['dimanche 19 novembre 2023', ['shear']],
      ['lundi 20 novembre 2023', ['letter', 'sutskever', 'microsoft']],
    ]);
  });
});
