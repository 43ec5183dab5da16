import { parseArgs } from 'node:util';
import type { AccountService } from '../services/accounts.js';

export const USAGE = `Usage:
  chrono user add <name> --role admin|editor [--password-stdin]
  chrono user list
  chrono user disable <name>
  chrono token create <name> [--label <label>]
  chrono token list
  chrono token revoke <id>

Works on the data directory in CHRONO_DATA_DIR (default ./data), also while the server runs.
Outside this project, use \`npm run chrono -- <command>\` (a bare \`npx chrono\` elsewhere fetches an unrelated package).`;

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  readPassword: (prompt: string) => Promise<string>;
  readStdin: () => Promise<string>;
}

export async function runCli(argv: string[], accounts: AccountService, io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string' }, label: { type: 'string' }, 'password-stdin': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [group, command, arg] = positionals;
  const key = `${group ?? ''} ${command ?? ''}`;
  if (values.help || !group) {
    io.out(USAGE);
    return values.help ? 0 : 2;
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

