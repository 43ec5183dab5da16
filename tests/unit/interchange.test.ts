// Import and export: CSV (the TimelineJS template), TimelineJS JSON and Chrono JSON, through the
// interchange functions, the import service and the CLI commands.
import path from 'node:path';
import { runCli, type CliIo, type StoriesAccess } from '../../server/cli/commands.js';
import { APP_ROOT } from '../../server/config.js';
import { precisionOf } from '../../server/domain/dates.js';
import type { ChronoEvent } from '../../server/domain/types.js';
import { AccountService } from '../../server/services/accounts.js';
import { fixedClock } from '../../server/services/clock.js';
import { loadDemoIfEmpty } from '../../server/services/demo.js';
import { StoryService } from '../../server/services/stories.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';
import { MemoryStore } from '../../server/storage/memory-store.js';
import {
  exportStory,
  MAX_IMPORT_BYTES,
  parseChronoJson,
  parseCsv,
  parseImport,
  parseTimelineJs,
  toChronoJson,
  toCsv,
  toTimelineJs,
  type ParsedImport,
} from '../../server/web/interchange.js';
import { BAD_CSV } from '../fixtures/csv.js';

const DEMO_SLUG = 'openai-limogeage-sam-altman';
const ACTOR = { name: 't', role: 'admin' } as const;
const NOW = '2023-11-20T13:02:00.000Z';

async function setup() {
  const store = new MemoryStore();
  const clock = fixedClock(NOW);
  const service = new StoryService({ store, clock });
  await loadDemoIfEmpty(service, path.join(APP_ROOT, 'data', 'demo-story.json'));
  return { store, clock, service };
}

/** The demo story plus events that exercise every precision, an approximate date, media and a retraction. */
async function richDemo() {
  const h = await setup();
  h.clock.set('2023-11-20T14:00:00.000Z');
  await h.service.appendEvent(DEMO_SLUG, { id: 'annee', date: '2015', title: 'Fondation d’OpenAI', body: 'Une *année* seulement.', tags: ['OpenAI'], approximate: true }, ACTOR);
  await h.service.appendEvent(DEMO_SLUG, {
    id: 'mois',
    date: '2023-03',
    endDate: '2023-05',
    title: 'Printemps « agité », avec des guillemets "droits" & une esperluette',
    body: 'Premier paragraphe avec un [lien](https://example.org/a?b=1&c=2).\n\nSecond **paragraphe**.',
    sources: [{ label: 'Source, avec virgule | et barre', url: 'https://example.org/s1' }, { label: 'Autre', url: 'https://example.org/s2' }],
    tags: ['Printemps', 'Virgule'],
    importance: 'key',
    verification: 'disputed',
    media: { url: 'https://example.org/photo.jpg', alt: 'Une photo', caption: 'Légende', credit: 'Crédit' },
  }, ACTOR);
  await h.service.appendEvent(DEMO_SLUG, { id: 'tokyo', date: '2023-11-21T09:15', endDate: '2023-11-21T10:45', timeZone: 'Asia/Tokyo', title: 'Annonce à Tokyo', verification: 'unconfirmed' }, ACTOR);
  await h.service.appendEvent(DEMO_SLUG, { id: 'retire', date: '2023-11-21', title: 'Événement retiré' }, ACTOR);
  await h.service.retractEvent(DEMO_SLUG, 'retire', 'faux', ACTOR);
  return h;
}

/** What an export keeps of an event: everything a reader sees, not the bookkeeping. */
function portable(e: ChronoEvent) {
  return {
    id: e.id,
    date: e.date,
    precision: precisionOf(e.date),
    endDate: e.endDate,
    timeZone: e.timeZone,
    approximate: e.approximate,
    title: e.title,
    body: e.body,
    sources: e.sources,
    tags: e.tags,
    importance: e.importance,
    verification: e.verification,
    media: e.media,
  };
}

const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id);

async function importInto(service: StoryService, slug: string, parsed: ParsedImport, dryRun = false) {
  expect(parsed.fileProblems).toEqual([]);
  return service.importEvents({ slug, story: { title: slug, language: 'fr', timeZone: 'Europe/Paris', ...parsed.story } }, parsed.rows, ACTOR, dryRun);
}

describe('export then import gives back the same events', () => {
  it.each([
    ['CSV', 'csv', (text: string) => parseCsv(text)],
    ['TimelineJS JSON', 'timelinejs', (text: string) => parseTimelineJs(text)],
    ['Chrono JSON', 'json', (text: string) => parseChronoJson(text)],
  ] as const)('through %s', async (_name, format, parse) => {
    const { service, store } = await richDemo();
    const record = await service.getStory(DEMO_SLUG);
    const exported = exportStory(record, format);
    if (format === 'csv') expect(exported.body).toBe(toCsv(record));
    if (format === 'timelinejs') expect(JSON.parse(exported.body)).toEqual(toTimelineJs(record));
    if (format === 'json') expect(JSON.parse(exported.body)).toEqual(JSON.parse(JSON.stringify(toChronoJson(record))));

    const report = await importInto(service, `copie-${format}`, parse(exported.body));
    expect(report.rows.filter((r) => r.problems.length)).toEqual([]);
    expect(report).toMatchObject({ stored: true, created: true });
    const copy = (await store.getStory(`copie-${format}`))!;
    expect(copy.story).toMatchObject({ title: record.story.title, summary: record.story.summary, language: 'fr', timeZone: 'Europe/Paris' });

    // the spreadsheet formats leave retracted events out; Chrono's own JSON keeps every event
    const kept = format === 'json' ? record.events : record.events.filter((e) => !e.retraction);
    expect(copy.events.map(portable).sort(byId)).toEqual(kept.map(portable).sort(byId));

    // the details that are easy to lose
    const get = (id: string) => copy.events.find((e) => e.id === id)!;
    expect(get('microsoft-recrute-sam-altman')).toMatchObject({ date: '2023-11-19T23:53', timeZone: 'America/Los_Angeles' });
    expect(get('week-end-de-negociations')).toMatchObject({ date: '2023-11-18', endDate: '2023-11-19', timeZone: 'Europe/Paris' });
    expect(get('annee')).toMatchObject({ date: '2015', approximate: true });
    expect(get('mois')).toMatchObject({ date: '2023-03', endDate: '2023-05', media: { url: 'https://example.org/photo.jpg', alt: 'Une photo', caption: 'Légende', credit: 'Crédit' } });
    expect(get('tokyo')).toMatchObject({ date: '2023-11-21T09:15', endDate: '2023-11-21T10:45', timeZone: 'Asia/Tokyo' });
    expect(get('le-conseil-limoge-sam-altman').sources).toEqual([{ label: 'OpenAI (communiqué)', url: 'https://openai.com/blog/openai-announces-leadership-transition' }]);
    expect(get('mois').sources).toEqual([{ label: 'Source, avec virgule | et barre', url: 'https://example.org/s1' }, { label: 'Autre', url: 'https://example.org/s2' }]);
  });

  it('writes the TimelineJS columns, with a title row, and the TimelineJS date objects', async () => {
    const { service } = await richDemo();
    const record = await service.getStory(DEMO_SLUG);
    const csv = toCsv(record);
    const header = csv.split(/\r?\n/)[0]!.split(',');
    expect(header.slice(0, 18)).toEqual([
      'Year', 'Month', 'Day', 'Time', 'End Year', 'End Month', 'End Day', 'End Time', 'Display Date', 'Headline', 'Text',
      'Media', 'Media Credit', 'Media Caption', 'Media Thumbnail', 'Type', 'Group', 'Background',
    ]);
    const tjs = toTimelineJs(record) as { title: { text: { headline: string } }; events: any[] };
    expect(tjs.title.text.headline).toBe(record.story.title);
    const microsoft = tjs.events.find((e) => e.unique_id === 'microsoft-recrute-sam-altman');
    expect(microsoft.start_date).toMatchObject({ year: 2023, month: 11, day: 19, hour: 23, minute: 53 });
    expect(microsoft.text.headline).toBe('Microsoft recrute Sam Altman et Greg Brockman');
    const weekend = tjs.events.find((e) => e.unique_id === 'week-end-de-negociations');
    expect(weekend.end_date).toEqual({ year: 2023, month: 11, day: 19 });
    expect(tjs.events.find((e) => e.unique_id === 'annee').start_date).toMatchObject({ year: 2015 });
    expect(tjs.events.find((e) => e.unique_id === 'annee').start_date).not.toHaveProperty('month');
    expect(tjs.events.map((e) => e.unique_id)).not.toContain('retire');
  });

  it('keeps the revisions in Chrono JSON', async () => {
    const { service } = await richDemo();
    const record = await service.getStory(DEMO_SLUG);
    const json = JSON.parse(exportStory(record, 'json').body);
    expect(json.format).toBe('chrono-story/1');
    expect(json.revisions).toHaveLength(record.revisions.length);
    expect(json.revisions.map((r: { kind: string }) => r.kind)).toEqual(expect.arrayContaining(['story.created', 'event.created', 'event.retracted']));
  });
});

/** A sheet made from the TimelineJS Google Sheets template, exported as CSV (CRLF, no Chrono columns). */
const TEMPLATE_CSV = [
  'Year,Month,Day,Time,End Year,End Month,End Day,End Time,Display Date,Headline,Text,Media,Media Credit,Media Caption,Media Thumbnail,Type,Group,Background',
  ',,,,,,,,,Une chronologie TimelineJS,"<p>Faite avec le <b>modèle</b> officiel.</p>",,,,,title,,',
  '1969,7,20,20:17:40,,,,,,Premiers pas sur la Lune,"<p>Neil Armstrong pose le pied sur la Lune.</p><p>Un <i>petit</i> pas &amp; un bond.</p>",https://example.org/lune.jpg,NASA,La Lune,,,Espace,',
  '1969,,,,1972,,,,,Le programme Apollo,"Des missions, de 1969 à 1972<br>sur plusieurs années",,,,,,Espace,',
  '1961,4,,,,,,,,Gagarine en orbite,"<a href=""https://example.org/gagarine"">Un lien</a> vers la source",,,,,,,',
  '1960,,,,1975,,,,,La course à l’espace,,,,,,era,,',
  '2023,11,17,9:05,2023,11,17,18:30,Le 17 novembre,Une journée entière,Sans média,,,,,,,#ffffff',
  '',
].join('\r\n');

describe('a TimelineJS template sheet without Chrono’s columns', () => {
  it('imports headline, dates, text and media; the era row is skipped', async () => {
    const { service, store } = await setup();
    const parsed = parseImport('csv', TEMPLATE_CSV);
    expect(parsed.story).toEqual({ title: 'Une chronologie TimelineJS', summary: 'Faite avec le **modèle** officiel.' });
    const report = await importInto(service, 'modele', parsed);
    expect(report.rows.filter((r) => r.problems.length)).toEqual([]);
    expect(report.stored).toBe(true);
    const { story, events } = (await store.getStory('modele'))!;
    expect(story.title).toBe('Une chronologie TimelineJS');
    const titles = events.map((e) => e.title);
    expect(titles).toEqual(['Premiers pas sur la Lune', 'Le programme Apollo', 'Gagarine en orbite', 'Une journée entière']);
    const [moon, apollo, gagarin, day] = events as [ChronoEvent, ChronoEvent, ChronoEvent, ChronoEvent];
    expect(moon).toMatchObject({
      date: '1969-07-20T20:17',
      timeZone: 'Europe/Paris',
      body: 'Neil Armstrong pose le pied sur la Lune.\n\nUn *petit* pas & un bond.',
      media: { url: 'https://example.org/lune.jpg', credit: 'NASA', caption: 'La Lune', alt: 'La Lune' },
      tags: ['Espace'],
      importance: 'normal',
      verification: 'confirmed',
      approximate: false,
    });
    expect(apollo).toMatchObject({ date: '1969', endDate: '1972', body: 'Des missions, de 1969 à 1972\nsur plusieurs années' });
    expect(gagarin).toMatchObject({ date: '1961-04', body: '[Un lien](https://example.org/gagarine) vers la source', tags: [] });
    expect(day).toMatchObject({ date: '2023-11-17T09:05', endDate: '2023-11-17T18:30', body: 'Sans média' });
    // ids come from the headlines
    expect(moon.id).toMatch(/^premiers-pas-sur-la-lune/);
  });

  it('imports TimelineJS JSON without Chrono’s extra field', async () => {
    const { service, store } = await setup();
    const json = JSON.stringify({
      title: { text: { headline: 'Titre JSON', text: '<p>Résumé</p>' } },
      events: [
        { start_date: { year: '1969', month: '7', day: '20', hour: '20', minute: '17' }, text: { headline: 'Lune', text: '<p>Un pas</p>' }, media: { url: 'https://example.org/l.jpg', caption: 'Légende', credit: 'NASA' }, group: 'Espace' },
        { start_date: { year: 1961 }, end_date: { year: 1962, month: 3 }, text: { headline: 'Années' } },
      ],
    });
    const report = await importInto(service, 'json-tjs', parseImport('timelinejs', json));
    expect(report.stored).toBe(true);
    const { story, events } = (await store.getStory('json-tjs'))!;
    expect(story).toMatchObject({ title: 'Titre JSON', summary: 'Résumé' });
    expect(events.map((e) => [e.title, e.date, e.endDate, e.body, e.tags])).toEqual([
      ['Lune', '1969-07-20T20:17', undefined, 'Un pas', ['Espace']],
      ['Années', '1961', '1962-03', '', []],
    ]);
    expect(events[0]!.media).toEqual({ url: 'https://example.org/l.jpg', alt: 'Légende', caption: 'Légende', credit: 'NASA' });
  });
});


describe('a file with bad rows', () => {
  it('gets a report naming each bad row by its spreadsheet line, and stores nothing', async () => {
    const { service, store } = await setup();
    const before = await store.listStories();
    const report = await importInto(service, 'mauvais', parseCsv(BAD_CSV));
    expect(report.stored).toBe(false);
    expect(report.rows.map((r) => r.row)).toEqual([2, 3, 4, 5, 6]);
    const bad = report.rows.filter((r) => r.problems.length).map((r) => ({ row: r.row, fields: r.problems.map((p) => [p.field, p.code]) }));
    expect(bad).toEqual([
      { row: 3, fields: [['date', 'invalid_date']] },
      { row: 4, fields: [['title', 'required']] },
      { row: 5, fields: [['timeZone', 'invalid_time_zone']] },
    ]);
    for (const r of report.rows.filter((r) => r.problems.length)) for (const p of r.problems) expect(p.message).toBeTruthy();
    expect(await store.getStory('mauvais')).toBeUndefined();
    expect(await store.listStories()).toEqual(before);
  });

  it('adds nothing to an existing story either', async () => {
    const { service, store } = await setup();
    const before = structuredClone(await store.getStory(DEMO_SLUG));
    const report = await importInto(service, DEMO_SLUG, parseCsv(BAD_CSV));
    expect(report).toMatchObject({ stored: false, created: false });
    expect(report.rows.filter((r) => r.problems.length).map((r) => r.row)).toEqual([3, 4, 5]);
    expect(await store.getStory(DEMO_SLUG)).toEqual(before);
  });

  it('refuses files that are not the TimelineJS sheet as a whole', async () => {
    expect(parseCsv('Name,Date\nx,2023').fileProblems.map((p) => p.code)).toEqual(['missing_columns']);
    expect(parseCsv('Year,Headline\n"unterminated').fileProblems.map((p) => p.code)).toEqual(['invalid_csv']);
    expect(parseTimelineJs('{').fileProblems.map((p) => p.code)).toEqual(['invalid_json']);
    expect(parseTimelineJs('{"title":{}}').fileProblems.map((p) => p.code)).toEqual(['invalid_timelinejs']);
  });
});

// ---------------------------------------------------------------------------------------
// the CLI's import and export

function fakeIo() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readPassword: async () => {
      throw new Error('no password expected');
    },
    readStdin: async () => {
      throw new Error('no stdin expected');
    },
  };
  return { io, out, err };
}

/** A StoriesAccess over the in-memory service, with files kept in a map. */
function access(service: StoryService, files: Record<string, string> = {}) {
  const written: Record<string, string> = {};
  let opened = 0;
  const stories: StoriesAccess = {
    open: async () => {
      opened++;
      return { service, close: async () => {} };
    },
    readFile: async (file) => {
      if (!(file in files)) throw new Error(`ENOENT: ${file}`);
      return files[file]!;
    },
    writeFile: async (file, body) => {
      written[file] = body;
    },
  };
  return { stories, written, opened: () => opened };
}

function accounts() {
  return new AccountService({ accounts: new MemoryAccountStore(), clock: fixedClock(NOW) });
}

describe('chrono import and export commands', () => {
  it('exports a story as CSV, TimelineJS JSON and Chrono JSON (with its revisions)', async () => {
    const { service } = await richDemo();
    const record = await service.getStory(DEMO_SLUG);
    const csv = fakeIo();
    expect(await runCli(['export', DEMO_SLUG, '--format', 'csv'], accounts(), csv.io, access(service).stories)).toBe(0);
    expect(csv.out).toEqual([toCsv(record)]);
    expect(csv.err).toEqual([]);
    expect(parseCsv(csv.out[0]!).rows).toHaveLength(record.events.filter((e) => !e.retraction).length);

    const tjs = fakeIo();
    expect(await runCli(['export', DEMO_SLUG, '--format', 'timelinejs'], accounts(), tjs.io, access(service).stories)).toBe(0);
    expect(JSON.parse(tjs.out.join('\n'))).toEqual(toTimelineJs(record));

    const json = fakeIo();
    expect(await runCli(['export', DEMO_SLUG, '--format', 'json'], accounts(), json.io, access(service).stories)).toBe(0);
    const data = JSON.parse(json.out.join('\n'));
    expect(data.story).toEqual(record.story);
    expect(data.events).toHaveLength(record.events.length);
    expect(data.revisions).toEqual(JSON.parse(JSON.stringify(record.revisions)));
    expect(data.revisions.length).toBeGreaterThan(1);

    const file = fakeIo();
    const files = access(service);
    expect(await runCli(['export', DEMO_SLUG, '--format', 'csv', '--out', 'sortie.csv'], accounts(), file.io, files.stories)).toBe(0);
    expect(files.written['sortie.csv']).toBe(toCsv(record));
    expect(file.out).toEqual([`Exported "${DEMO_SLUG}" (${record.events.length} events) to sortie.csv.`]);
  });

  it('refuses an export without a known format', async () => {
    const { service } = await setup();
    for (const args of [['export', DEMO_SLUG], ['export', DEMO_SLUG, '--format', 'xml']]) {
      const { io, out, err } = fakeIo();
      expect(await runCli(args, accounts(), io, access(service).stories)).toBe(2);
      expect(out).toEqual([]);
      expect(err.join('\n')).toContain('--format csv|timelinejs|json');
    }
  });

  it('imports a file into a new story, and a dry run saves nothing', async () => {
    const { service, store } = await setup();
    const files = { 'modele.csv': TEMPLATE_CSV };
    const dry = fakeIo();
    expect(await runCli(['import', 'modele.csv', '--story', 'modele', '--dry-run'], accounts(), dry.io, access(service, files).stories)).toBe(0);
    expect(dry.out.join('\n')).toContain('dry run, nothing saved');
    expect(await store.getStory('modele')).toBeUndefined();

    const real = fakeIo();
    expect(await runCli(['import', 'modele.csv', '--story', 'modele', '--language', 'en', '--time-zone', 'America/New_York'], accounts(), real.io, access(service, files).stories)).toBe(0);
    expect(real.out).toEqual(['Imported 4 events into the new story "modele" (csv).']);
    const record = (await store.getStory('modele'))!;
    expect(record.story).toMatchObject({ title: 'Une chronologie TimelineJS', language: 'en', timeZone: 'America/New_York' });
    expect(record.events.map((e) => e.timeZone)).toEqual(Array(4).fill('America/New_York'));
  });

  it('reports each bad row and imports nothing', async () => {
    const { service, store } = await setup();
    const before = await store.listStories();
    const { io, out, err } = fakeIo();
    expect(await runCli(['import', 'mauvais.csv', '--story', 'mauvais'], accounts(), io, access(service, { 'mauvais.csv': BAD_CSV }).stories)).toBe(1);
    expect(out).toEqual([]);
    expect(err).toEqual([
      expect.stringMatching(/^row 3: date: /),
      expect.stringMatching(/^row 4: title: /),
      expect.stringMatching(/^row 5: timeZone: /),
      'chrono: 3 of 5 rows have errors; nothing was imported',
    ]);
    expect(await store.listStories()).toEqual(before);
  });

  it('refuses a 10 MB file without opening the stories', async () => {
    const { service, store } = await setup();
    const before = structuredClone(await store.getStory(DEMO_SLUG));
    const line = '2023,11,20,,,,,,,Ligne,,\n';
    const big = `${BAD_CSV.split('\n')[0]}\n${line.repeat(Math.ceil((10 * 1024 * 1024) / line.length))}`;
    expect(Buffer.byteLength(big)).toBeGreaterThanOrEqual(10 * 1024 * 1024);
    expect(Buffer.byteLength(big)).toBeGreaterThan(MAX_IMPORT_BYTES);
    for (const slug of ['gros', DEMO_SLUG]) {
      const files = access(service, { 'big.csv': big });
      const { io, out, err } = fakeIo();
      expect(await runCli(['import', 'big.csv', '--story', slug], accounts(), io, files.stories)).toBe(1);
      expect(out).toEqual([]);
      expect(err).toEqual(['chrono: big.csv is larger than 5 MB; nothing was imported']);
      expect(files.opened()).toBe(0);
    }
    expect(await store.getStory('gros')).toBeUndefined();
    expect(await store.getStory(DEMO_SLUG)).toEqual(before);
  });
});
