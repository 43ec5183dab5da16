import { checkDate, formatEventDate, groupOf, isValidTimeZone, machineDate, startInstant } from '../../server/domain/dates.js';

// Runs under TZ=America/Los_Angeles (npm run test:jest) and TZ=Pacific/Kiritimati (npm run test:tz):
// the same expectations must hold in both, since no output may depend on the process's zone.
const PARIS = 'Europe/Paris';
const microsoft = { date: '2023-11-19T23:53', timeZone: 'America/Los_Angeles', approximate: false };

describe(`dates (process TZ=${process.env.TZ})`, () => {
  it('shows a day-precision date on its own day', () => {
    expect(formatEventDate({ date: '2023-11-20', timeZone: PARIS, approximate: false }, PARIS, 'fr').text).toBe('20 novembre 2023');
    expect(formatEventDate({ date: '2023-11-20', timeZone: PARIS, approximate: false }, PARIS, 'en').text).toBe('November 20, 2023');
  });

  it('formats each precision in French and English', () => {
    const fmt = (date: string, lang: 'fr' | 'en') => formatEventDate({ date, timeZone: PARIS, approximate: false }, PARIS, lang).text;
    expect(fmt('2023', 'fr')).toBe('2023');
    expect(fmt('2023-11', 'fr')).toBe('novembre 2023');
    expect(fmt('2023-11', 'en')).toBe('November 2023');
    expect(fmt('2023-11-17T18:30', 'fr')).toBe('17 novembre 2023, 18:30');
    expect(fmt('2023-11-17T18:30', 'en')).toBe('November 17, 2023, 6:30 PM');
  });

  it('shows the Microsoft announcement on 20 November in Paris, with its Los Angeles time', () => {
    const f = formatEventDate(microsoft, PARIS, 'fr');
    expect(f.text).toBe('20 novembre 2023, 08:53');
    expect(f.time).toBe('08:53');
    expect(f.original).toEqual({ text: '19 novembre, 23:53', zone: 'America/Los_Angeles', city: 'Los Angeles' });
    expect(machineDate(microsoft.date, microsoft.timeZone, PARIS)).toBe('2023-11-20T08:53:00+01:00');
    expect(groupOf(microsoft, PARIS, 'fr')).toMatchObject({ key: '2023-11-20', label: 'lundi 20 novembre 2023' });
  });

  it('gives no original time when the event was recorded in the story zone', () => {
    expect(formatEventDate({ date: '2023-11-20T08:53', timeZone: PARIS, approximate: false }, PARIS, 'fr').original).toBeUndefined();
  });

  it('marks approximate dates and formats ranges', () => {
    expect(formatEventDate({ date: '2023-11-21T22:00', timeZone: PARIS, approximate: true }, PARIS, 'fr').text).toBe('vers 21 novembre 2023, 22:00');
    expect(formatEventDate({ date: '2023-11-18', endDate: '2023-11-19', timeZone: PARIS, approximate: false }, PARIS, 'fr').text).toBe('18–19 novembre 2023');
    expect(formatEventDate({ date: '2023-11-18', endDate: '2023-11-19', timeZone: PARIS, approximate: false }, PARIS, 'en').text).toBe('November 18–19, 2023');
    expect(formatEventDate({ date: '2023-10', endDate: '2023-11', timeZone: PARIS, approximate: false }, PARIS, 'fr').text).toBe('octobre 2023 – novembre 2023');
  });

  it('starts a date-only event at midnight in the story zone and a timed one in its own zone', () => {
    expect(startInstant('2023-11-20', PARIS, PARIS)).toBe('2023-11-20T00:00:00+01:00');
    expect(startInstant('2023-11', PARIS, PARIS)).toBe('2023-11-01T00:00:00+01:00');
    expect(startInstant(microsoft.date, microsoft.timeZone, PARIS)).toBe('2023-11-20T08:53:00+01:00');
  });

  it('rejects impossible dates and wall-clock times skipped by a DST jump', () => {
    expect(checkDate('2023-02-30', PARIS)).toBe('invalid_date');
    expect(checkDate('2023-13-01', PARIS)).toBe('invalid_date');
    expect(checkDate('next tuesday', PARIS)).toBe('invalid_date');
    expect(checkDate('2023-11-20T24:00', PARIS)).toBe('invalid_date');
    expect(checkDate('2023-03-26T02:30', PARIS)).toBe('nonexistent_local_time');
    expect(checkDate('2023-03-12T02:30', 'America/Los_Angeles')).toBe('nonexistent_local_time');
    expect(checkDate('2023-03-26T03:30', PARIS)).toBeUndefined();
    expect(checkDate('2024-02-29', PARIS)).toBeUndefined();
  });

  it('knows IANA zones from anything else', () => {
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isValidTimeZone('+01:00')).toBe(false);
    expect(isValidTimeZone('')).toBe(false);
  });
});
