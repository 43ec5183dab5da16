import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** The project's root, whether running from server/ (tsx, tests) or dist/server/ (npm start). */
export const APP_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(dir: string): string {
  return path.basename(dir) === 'server' ? (path.basename(path.dirname(dir)) === 'dist' ? path.resolve(dir, '../..') : path.resolve(dir, '..')) : dir;
}

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  CHRONO_DATA_DIR: z.string().min(1).default(path.join(APP_ROOT, 'data')),
  CHRONO_BASE_URL: z
    .url({ protocol: /^https?$/, message: 'must be an absolute http(s) URL such as https://chrono.example.org' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  CHRONO_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// connection URL' })
    .optional(),
  CHRONO_MAX_STREAMS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  NODE_ENV: z.enum(['development', 'production', 'test']).default('production'),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Absolute URLs (feeds, embeds, canonical links) start here; undefined means "from the request". */
  readonly baseUrl: string | undefined;
  readonly env: 'development' | 'production' | 'test';
  /** open live streams this process accepts; beyond it, readers poll */
  readonly maxStreams: number;
  /** PostgreSQL instead of lowdb, for several instances sharing one database */
  readonly databaseUrl: string | undefined;
}

export class ConfigError extends Error {}

/** Reads the environment once; an invalid value stops start-up with a message naming it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}=${JSON.stringify(env[String(i.path[0])])}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = result.data;
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    dataDir: path.resolve(c.CHRONO_DATA_DIR),
    baseUrl: c.CHRONO_BASE_URL,
    env: c.NODE_ENV,
    maxStreams: c.CHRONO_MAX_STREAMS,
    databaseUrl: c.CHRONO_DATABASE_URL,
  });
}
