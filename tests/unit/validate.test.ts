import { ValidationError } from '../../server/domain/errors.js';
import { validateEvent, validateStory } from '../../server/domain/validate.js';

const story = { timeZone: 'Europe/Paris' };
const valid = { date: '2023-11-20', title: 'Lettre des salariés', sources: [{ label: 'Wired', url: 'https://www.wired.com/x' }] };

function problems(raw: unknown) {
  try {
    validateEvent(raw, story);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems.map((p) => `${p.field}:${p.code}`);
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('event validation', () => {
  it('fills defaults and the story zone', () => {
    expect(validateEvent(valid, story)).toEqual({
      ...valid,
      timeZone: 'Europe/Paris',
      approximate: false,
      body: '',
      tags: [],
      importance: 'normal',
      verification: 'confirmed',
    });
  });

  it.each([
    ['2023-02-30', 'date:invalid_date'],
    ['2023-13-01', 'date:invalid_date'],
    ['next tuesday', 'date:invalid_date'],
    ['2023-03-26T02:30', 'date:nonexistent_local_time'],
  ])('rejects the date %s and names the field', (date, expected) => {
    expect(problems({ ...valid, date })).toEqual([expected]);
  });

  it('rejects an unknown zone, an end before the start and reports every problem at once', () => {
    expect(problems({ ...valid, timeZone: 'Europe/Atlantis' })).toEqual(['timeZone:invalid_time_zone']);
    expect(problems({ ...valid, date: '2023-11-20', endDate: '2023-11-19' })).toEqual(['endDate:end_before_start']);
    expect(problems({ ...valid, date: '2023-11-20T10:00', endDate: '2023-11-20' })).toEqual(['endDate:end_before_start']);
    expect(problems({ date: 'soon', title: '', sources: [{ label: 'x', url: 'javascript:alert(1)' }], tags: ['a'.repeat(41)], importance: 'huge' })).toEqual(
      expect.arrayContaining(['date:invalid_date', 'title:required', 'sources.0.url:invalid_url', 'tags.0:too_long', 'importance:invalid_choice']),
    );
  });

  it('checks a timed end in the event zone against its start', () => {
    expect(() => validateEvent({ ...valid, date: '2023-11-19T23:00', endDate: '2023-11-19T23:53', timeZone: 'America/Los_Angeles' }, story)).not.toThrow();
  });

  it('rejects unknown fields, prototype keys and limits', () => {
    expect(problems({ ...valid, colour: 'red' })).toEqual(['colour:unknown_field']);
    expect(problems(JSON.parse('{"date":"2023-11-20","title":"x","__proto__":{"admin":true}}'))).toEqual(['__proto__:unknown_field']);
    expect(problems({ ...valid, title: 'x'.repeat(201) })).toEqual(['title:too_long']);
    expect(problems({ ...valid, body: 'x'.repeat(5001) })).toEqual(['body:too_long']);
    expect(problems({ ...valid, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) })).toEqual(['tags:too_many']);
    expect(problems({ ...valid, media: { url: 'https://a.example/i.jpg' } })).toEqual(['media.alt:required']);
    expect(problems({ ...valid, sources: [{ label: 'FTP', url: 'ftp://example.org/x' }] })).toEqual(['sources.0.url:invalid_url']);
    expect(problems('nope')).toEqual(['(body):invalid_type']);
  });

  it('keeps one copy of a tag whatever its case', () => {
    expect(validateEvent({ ...valid, tags: ['OpenAI', 'openai', 'Sam Altman'] }, story).tags).toEqual(['OpenAI', 'Sam Altman']);
  });
});

describe('story validation', () => {
  const base = { slug: 'openai', title: 'OpenAI', language: 'fr', timeZone: 'Europe/Paris' };

  it('accepts a story and defaults its status', () => {
    expect(validateStory(base)).toEqual({ ...base, summary: '', status: 'developing' });
  });

  it('rejects bad slugs, languages and zones, naming each field', () => {
    try {
      validateStory({ ...base, slug: 'Bad Slug!', language: 'de', timeZone: 'Paris' });
      throw new Error('should have failed');
    } catch (error) {
      expect((error as ValidationError).problems.map((p) => p.field).sort()).toEqual(['language', 'slug', 'timeZone']);
    }
    expect(() => validateStory({ ...base, slug: 'a'.repeat(81) })).toThrow(ValidationError);
  });
});
