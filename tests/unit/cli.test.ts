import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli, USAGE, type CliIo } from '../../server/cli/commands.js';
import { APP_ROOT } from '../../server/config.js';
import { NotFoundError, ValidationError } from '../../server/domain/errors.js';
import { AccountService } from '../../server/services/accounts.js';
import { fixedClock } from '../../server/services/clock.js';
import { sha256 } from '../../server/services/passwords.js';
import { MemoryAccountStore } from '../../server/storage/memory-account-store.js';

const PASSWORD = 'correct horse battery staple';
const NOW = '2023-11-20T13:02:00.000Z';

/** A CliIo that records what the command printed and answers prompts from lists. */
function fakeIo(options: { stdin?: string; passwords?: string[] } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const prompts: string[] = [];
  const passwords = [...(options.passwords ?? [])];
  let stdinReads = 0;
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    readPassword: async (prompt) => {
      prompts.push(prompt);
      const next = passwords.shift();
      if (next === undefined) throw new Error('no more passwords');
      return next;
    },
    readStdin: async () => {
      stdinReads++;
      if (options.stdin === undefined) throw new Error('nothing on stdin');
      return options.stdin;
    },
  };
  return { io, out, err, prompts, stdinReads: () => stdinReads };
}

function setup() {
  const store = new MemoryAccountStore();
  const accounts = new AccountService({ accounts: store, clock: fixedClock(NOW) });
  return { store, accounts };
}

describe('chrono CLI commands', () => {
  it('adds a user with the password from stdin (trailing newline dropped)', async () => {
    const { accounts } = setup();
    const { io, out, err, prompts } = fakeIo({ stdin: `${PASSWORD}\n` });
    expect(await runCli(['user', 'add', 'ada', '--role', 'admin', '--password-stdin'], accounts, io)).toBe(0);
    expect(out).toEqual(['Added admin "ada".']);
    expect(err).toEqual([]);
    expect(prompts).toEqual([]);
    expect(await accounts.checkPassword('ada', PASSWORD)).toEqual({ name: 'ada', role: 'admin' });
    expect(await accounts.checkPassword('ada', `${PASSWORD}\n`)).toBeUndefined();
  });

  it('adds a user with the password asked twice', async () => {
    const { accounts } = setup();
    const { io, out, prompts, stdinReads } = fakeIo({ passwords: [PASSWORD, PASSWORD] });
    expect(await runCli(['user', 'add', 'eve', '--role', 'editor'], accounts, io)).toBe(0);
    expect(prompts).toEqual(['Password for eve: ', 'Again: ']);
    expect(stdinReads()).toBe(0);
    expect(out).toEqual(['Added editor "eve".']);
    expect(await accounts.checkPassword('eve', PASSWORD)).toEqual({ name: 'eve', role: 'editor' });
  });

  it('saves nothing when the two passwords differ', async () => {
    const { accounts } = setup();
    const { io, out, err } = fakeIo({ passwords: [PASSWORD, `${PASSWORD}!`] });
    expect(await runCli(['user', 'add', 'eve', '--role', 'editor'], accounts, io)).toBe(1);
    expect(err).toEqual(['chrono: the two passwords differ; nothing was saved']);
    expect(out).toEqual([]);
    expect(await accounts.listUsers()).toEqual([]);
  });

  it('refuses a bad role or a short password, saving nothing', async () => {
    const { accounts } = setup();
    const role = runCli(['user', 'add', 'eve', '--role', 'owner', '--password-stdin'], accounts, fakeIo({ stdin: PASSWORD }).io);
    await expect(role).rejects.toBeInstanceOf(ValidationError);
    await expect(role).rejects.toMatchObject({ problems: [{ field: 'role', code: 'invalid_choice' }] });
    const noRole = runCli(['user', 'add', 'eve', '--password-stdin'], accounts, fakeIo({ stdin: PASSWORD }).io);
    await expect(noRole).rejects.toMatchObject({ problems: [{ field: 'role' }] });
    const short = runCli(['user', 'add', 'eve', '--role', 'editor', '--password-stdin'], accounts, fakeIo({ stdin: 'short\n' }).io);
    await expect(short).rejects.toMatchObject({ problems: [{ field: 'password', code: 'too_short' }] });
    const name = runCli(['user', 'add', 'Eve Smith', '--role', 'editor', '--password-stdin'], accounts, fakeIo({ stdin: PASSWORD }).io);
    await expect(name).rejects.toMatchObject({ problems: [{ field: 'name', code: 'invalid_format' }] });
    expect(await accounts.listUsers()).toEqual([]);
  });

  it('refuses a name already taken', async () => {
    const { accounts } = setup();
    await runCli(['user', 'add', 'eve', '--role', 'editor', '--password-stdin'], accounts, fakeIo({ stdin: PASSWORD }).io);
    await expect(runCli(['user', 'add', 'eve', '--role', 'admin', '--password-stdin'], accounts, fakeIo({ stdin: PASSWORD }).io)).rejects.toMatchObject({ code: 'user_exists' });
    expect((await accounts.listUsers()).map((u) => u.role)).toEqual(['editor']);
  });

  it('lists users, with a hint when there are none', async () => {
    const { accounts } = setup();
    const empty = fakeIo();
    expect(await runCli(['user', 'list'], accounts, empty.io)).toBe(0);
    expect(empty.out).toEqual(['No users yet. Add the first admin: chrono user add <name> --role admin']);
    await accounts.createUser('ada', 'admin', PASSWORD);
    await accounts.createUser('eve', 'editor', PASSWORD);
    await accounts.disableUser('eve');
    const { io, out } = fakeIo();
    expect(await runCli(['user', 'list'], accounts, io)).toBe(0);
    expect(out).toEqual([`ada\tadmin\tactive\tsince ${NOW}`, `eve\teditor\tdisabled\tsince ${NOW}`]);
    expect(out.join('\n')).not.toContain('scrypt');
  });

  it('disables a user, whose tokens then stop working', async () => {
    const { accounts } = setup();
    await accounts.createUser('eve', 'editor', PASSWORD);
    const { token } = await accounts.createToken('eve', 'laptop');
    const { io, out } = fakeIo();
    expect(await runCli(['user', 'disable', 'eve'], accounts, io)).toBe(0);
    expect(out).toEqual(['Disabled "eve": their sessions and tokens no longer work.']);
    expect((await accounts.listUsers())[0]?.disabled).toBe(true);
    expect(await accounts.actorForToken(token)).toBeUndefined();
    await expect(runCli(['user', 'disable', 'ghost'], accounts, fakeIo().io)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creates a token, prints it once and stores only its hash', async () => {
    const { accounts, store } = setup();
    await accounts.createUser('eve', 'editor', PASSWORD);
    const { io, out } = fakeIo();
    expect(await runCli(['token', 'create', 'eve', '--label', 'laptop'], accounts, io)).toBe(0);
    expect(out).toHaveLength(2);
    const token = out[1]!;
    expect(token).toMatch(/^chrono_[A-Za-z0-9_-]{40,}$/);
    expect(out.filter((line) => line.includes(token))).toHaveLength(1);
    const tokens = await accounts.listTokens();
    expect(tokens).toHaveLength(1);
    expect(out[0]).toBe(`Token ${tokens[0]!.id} for "eve" (shown once, keep it safe):`);
    expect(tokens[0]).toMatchObject({ userName: 'eve', label: 'laptop', hash: sha256(token), createdAt: NOW });
    expect(tokens[0]).not.toHaveProperty('revokedAt');
    expect(JSON.stringify(tokens)).not.toContain(token);
    expect(JSON.stringify(await store.listTokens())).not.toContain(token);
    expect(JSON.stringify(tokens)).not.toContain(token.slice('chrono_'.length));
    expect(await accounts.actorForToken(token)).toEqual({ name: 'eve', role: 'editor' });
  });

  it('refuses a token for an unknown or disabled user', async () => {
    const { accounts } = setup();
    await expect(runCli(['token', 'create', 'ghost'], accounts, fakeIo().io)).rejects.toBeInstanceOf(NotFoundError);
    await accounts.createUser('eve', 'editor', PASSWORD);
    await accounts.disableUser('eve');
    await expect(runCli(['token', 'create', 'eve'], accounts, fakeIo().io)).rejects.toBeInstanceOf(NotFoundError);
    expect(await accounts.listTokens()).toEqual([]);
  });

  it('lists tokens without the tokens themselves', async () => {
    const { accounts } = setup();
    await accounts.createUser('eve', 'editor', PASSWORD);
    const laptop = await accounts.createToken('eve', 'laptop');
    const bot = await accounts.createToken('eve', '');
    await accounts.revokeToken(bot.record.id);
    const { io, out } = fakeIo();
    expect(await runCli(['token', 'list'], accounts, io)).toBe(0);
    expect(out.sort()).toEqual(
      [`${laptop.record.id}\teve\tlaptop\tactive\tcreated ${NOW}`, `${bot.record.id}\teve\t-\trevoked ${NOW}\tcreated ${NOW}`].sort(),
    );
    expect(out.join('\n')).not.toContain(laptop.token);
    expect(out.join('\n')).not.toContain(laptop.record.hash);
  });

  it('revokes a token, which then stops working', async () => {
    const { accounts } = setup();
    await accounts.createUser('eve', 'editor', PASSWORD);
    const { token, record } = await accounts.createToken('eve', 'laptop');
    const { io, out } = fakeIo();
    expect(await runCli(['token', 'revoke', record.id], accounts, io)).toBe(0);
    expect(out).toEqual([`Revoked token ${record.id}.`]);
    expect((await accounts.listTokens())[0]?.revokedAt).toBe(NOW);
    expect(await accounts.actorForToken(token)).toBeUndefined();
    await expect(runCli(['token', 'revoke', 'nope'], accounts, fakeIo().io)).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([[['user', 'remove', 'eve']], [['tokens', 'list']], [['user', 'add']], [['token', 'revoke']], [['user']]])('answers %j with usage and exit code 2', async (argv) => {
    const { accounts } = setup();
    const { io, out, err } = fakeIo();
    expect(await runCli(argv, accounts, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([`chrono: unknown or incomplete command "${argv.join(' ')}"\n\n${USAGE}`]);
  });

  it('prints usage with exit code 2 when given nothing, and 0 with --help', async () => {
    const { accounts } = setup();
    const none = fakeIo();
    expect(await runCli([], accounts, none.io)).toBe(2);
    expect(none.out).toEqual([USAGE]);
    const help = fakeIo();
    expect(await runCli(['--help'], accounts, help.io)).toBe(0);
    expect(help.out).toEqual([USAGE]);
  });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `chrono` entry point in a child process on a data directory of its own. */
function chrono(args: string[], dataDir: string, stdin = ''): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, CHRONO_DATA_DIR: dataDir };
  delete env.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(APP_ROOT, 'server', 'cli.ts'), ...args], { cwd: APP_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('chrono CLI end to end', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'chrono-cli-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('adds a user from stdin in a data directory, then lists it', async () => {
    const added = await chrono(['user', 'add', 'ada', '--role', 'admin', '--password-stdin'], dir, `${PASSWORD}\n`);
    expect(added.code).toBe(0);
    expect(added.stderr).not.toContain('chrono:');
    expect(added.stdout).toBe('Added admin "ada".\n');
    const listed = await chrono(['user', 'list'], dir);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ada\tadmin\tactive\tsince \d{4}-\d\d-\d\dT/m);

    const refused = await chrono(['user', 'add', 'eve', '--role', 'owner', '--password-stdin'], dir, `${PASSWORD}\n`);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('chrono: role must be one of admin, editor');
    expect((await chrono(['user', 'list'], dir)).stdout).not.toContain('eve');
  }, 90_000);
});

describe('token ids', () => {
  it('never start with "-", so `chrono token revoke <id>` never reads one as an option', async () => {
    const accounts = new AccountService({ accounts: new MemoryAccountStore(), clock: fixedClock('2023-11-20T13:02:00.000Z') });
    await accounts.createUser('ids', 'editor', 'correct horse battery staple');
    for (let i = 0; i < 200; i++) {
      const { record } = await accounts.createToken('ids', '');
      expect(record.id).toMatch(/^[0-9a-f]+$/);
    }
  });
});
