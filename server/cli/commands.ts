import { parseArgs } from 'node:util';
import type { Actor } from '../domain/accounts.js';
import type { AccountService } from '../services/accounts.js';
import type { StoryService } from '../services/stories.js';
import { detectFormat, exportStory, IMPORT_FORMATS, MAX_IMPORT_BYTES, parseImport, type ImportFormat } from '../web/interchange.js';

export const USAGE = `Usage:
  chrono user add <name> --role admin|editor [--password-stdin]
  chrono user list
  chrono user disable <name>
  chrono token create <name> [--label <label>]
  chrono token list
  chrono token revoke <id>
  chrono import <file> --story <slug> [--format csv|timelinejs|chrono] [--title T] [--language fr|en] [--time-zone Z] [--dry-run]
  chrono export <slug> --format csv|timelinejs|json [--out <file>]
  chrono migrate --to <postgres://…>   (copies this data directory into PostgreSQL, all or nothing)

Works on the data directory in CHRONO_DATA_DIR (default ./data). Users, tokens and exports work while
the server runs; an import needs the server stopped (or use the editor's import page).
Outside this project, use \`npm run chrono -- <command>\` (a bare \`npx chrono\` elsewhere fetches an unrelated package).`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  readPassword: (prompt: string) => Promise<string>;
  readStdin: () => Promise<string>;
}

/** Stories for import and export, opened only when asked (an import locks the data directory). */
export interface StoriesAccess {
  open(forWriting: boolean): Promise<{ service: StoryService; close(): Promise<void> }>;
  readFile(path: string): Promise<string>;
  writeFile(path: string, body: string): Promise<void>;
  /** copies the data directory into the database; says what it copied */
  migrate?(url: string): Promise<{ stories: number; events: number; revisions: number; users: number; tokens: number; sessions: number }>;
}

const SYSTEM_IMPORT: Actor = { name: 'cli', role: 'admin' };

function parseOptions(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      label: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      story: { type: 'string' },
      format: { type: 'string' },
      title: { type: 'string' },
      language: { type: 'string' },
      'time-zone': { type: 'string' },
      'dry-run': { type: 'boolean' },
      out: { type: 'string' },
      to: { type: 'string' },
    },
  });
}

export async function runCli(argv: string[], accounts: AccountService, io: CliIo, stories?: StoriesAccess): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    io.err(`chrono: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [group, command, arg] = positionals;
  const key = `${group ?? ''} ${command ?? ''}`;
  if (values.help || !group) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  if (group === 'import' && command && values.story && stories) return runImport(command, values, stories, io);
  if (group === 'export' && command && stories) return runExport(command, values, stories, io);
  if (group === 'migrate' && stories?.migrate) {
    if (typeof values.to !== 'string' || !/^postgres(ql)?:\/\//.test(values.to)) {
      io.err('chrono: migrate needs --to postgres://user@host/database');
      return 2;
    }
    const copied = await stories.migrate(values.to);
    io.out(`Copied ${copied.stories} stories (${copied.events} events, ${copied.revisions} revisions), ${copied.users} users, ${copied.tokens} tokens and ${copied.sessions} sessions into PostgreSQL.`);
    return 0;
  }
  switch (key) {
    case 'user add': {
      if (!arg) break;
      let password: string;
      if (values['password-stdin']) password = (await io.readStdin()).replace(/\r?\n$/, '');
      else {
        password = await io.readPassword(`Password for ${arg}: `);
        if ((await io.readPassword('Again: ')) !== password) {
          io.err('chrono: the two passwords differ; nothing was saved');
          return 1;
        }
      }
      const user = await accounts.createUser(arg, values.role ?? '', password);
      io.out(`Added ${user.role} "${user.name}".`);
      return 0;
    }
    case 'user list': {
      const users = await accounts.listUsers();
      if (!users.length) io.out('No users yet. Add the first admin: chrono user add <name> --role admin');
      for (const u of users) io.out(`${u.name}\t${u.role}\t${u.disabled ? 'disabled' : 'active'}\tsince ${u.createdAt}`);
      return 0;
    }
    case 'user disable': {
      if (!arg) break;
      await accounts.disableUser(arg);
      io.out(`Disabled "${arg}": their sessions and tokens no longer work.`);
      return 0;
    }
    case 'token create': {
      if (!arg) break;
      const { token, record } = await accounts.createToken(arg, values.label ?? '');
      io.out(`Token ${record.id} for "${arg}" (shown once, keep it safe):`);
      io.out(token);
      return 0;
    }
    case 'token list': {
      for (const t of await accounts.listTokens()) {
        io.out(`${t.id}\t${t.userName}\t${t.label || '-'}\t${t.revokedAt ? `revoked ${t.revokedAt}` : 'active'}\tcreated ${t.createdAt}`);
      }
      return 0;
    }
    case 'token revoke': {
      if (!arg) break;
      await accounts.revokeToken(arg);
      io.out(`Revoked token ${arg}.`);
      return 0;
    }
  }
  io.err(`chrono: unknown or incomplete command "${positionals.join(' ')}"\n\n${USAGE}`);
  return 2;
}


async function runImport(file: string, values: Record<string, string | boolean | undefined>, stories: StoriesAccess, io: CliIo): Promise<number> {
  const text = await stories.readFile(file);
  if (Buffer.byteLength(text) > MAX_IMPORT_BYTES) {
    io.err(`chrono: ${file} is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB; nothing was imported`);
    return 1;
  }
  const format = (IMPORT_FORMATS as readonly string[]).includes(String(values.format)) ? (values.format as ImportFormat) : detectFormat(file, text);
  const parsed = parseImport(format, text);
  if (parsed.fileProblems.length) {
    for (const p of parsed.fileProblems) io.err(`chrono: ${p.message}`);
    return 1;
  }
  const story = {
    ...parsed.story,
    ...(values.title ? { title: String(values.title) } : {}),
    language: (values.language as 'fr' | 'en' | undefined) ?? parsed.story.language ?? 'fr',
    timeZone: (values['time-zone'] as string | undefined) ?? parsed.story.timeZone ?? 'Europe/Paris',
  };
  const { service, close } = await stories.open(true);
  try {
    const report = await service.importEvents({ slug: String(values.story), story: { title: String(values.story), ...story } }, parsed.rows, SYSTEM_IMPORT, values['dry-run'] === true);
    const bad = report.rows.filter((r) => r.problems.length);
    for (const r of bad) for (const p of r.problems) io.err(`row ${r.row}: ${p.field}: ${p.message}`);
    if (bad.length) {
      io.err(`chrono: ${bad.length} of ${report.rows.length} rows have errors; nothing was imported`);
      return 1;
    }
    io.out(
      report.stored
        ? `Imported ${report.rows.length} events into ${report.created ? 'the new story' : 'the story'} "${report.story.slug}" (${format}).`
        : `${report.rows.length} events would be imported into "${report.story.slug}" (${format}); dry run, nothing saved.`,
    );
    return 0;
  } finally {
    await close();
  }
}

async function runExport(slug: string, values: Record<string, string | boolean | undefined>, stories: StoriesAccess, io: CliIo): Promise<number> {
  const format = values.format === 'csv' || values.format === 'timelinejs' || values.format === 'json' ? values.format : undefined;
  if (!format) {
    io.err('chrono: --format csv|timelinejs|json is required');
    return 2;
  }
  const { service, close } = await stories.open(false);
  try {
    const record = await service.getStory(slug);
    const { body } = exportStory(record, format);
    if (values.out) {
      await stories.writeFile(String(values.out), body);
      io.out(`Exported "${slug}" (${record.events.length} events) to ${values.out}.`);
    } else io.out(body);
    return 0;
  } finally {
    await close();
  }
}
