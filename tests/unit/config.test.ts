import path from 'node:path';
import { APP_ROOT, ConfigError, loadConfig } from '../../server/config.js';

describe('configuration', () => {
  it('has defaults a fresh checkout starts with', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      dataDir: path.join(APP_ROOT, 'data'),
      baseUrl: undefined,
      env: 'production',
      maxStreams: 10_000,
      databaseUrl: undefined,
    });
  });

  it('reads every variable, and drops a trailing slash from the base URL', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      CHRONO_DATA_DIR: '/srv/chrono',
      CHRONO_BASE_URL: 'https://chrono.example.org/',
      NODE_ENV: 'development',
      CHRONO_MAX_STREAMS: '50',
      CHRONO_DATABASE_URL: 'postgres://chrono@db/chrono',
    });
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: '/srv/chrono', baseUrl: 'https://chrono.example.org', env: 'development', maxStreams: 50, databaseUrl: 'postgres://chrono@db/chrono' });
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT="abc"'],
    [{ PORT: '70000' }, 'PORT="70000"'],
    [{ CHRONO_BASE_URL: 'chrono.example.org' }, 'CHRONO_BASE_URL="chrono.example.org"'],
    [{ CHRONO_BASE_URL: 'javascript:alert(1)' }, 'CHRONO_BASE_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV="staging"'],
    [{ CHRONO_DATABASE_URL: 'mysql://x' }, 'CHRONO_DATABASE_URL'],
  ])('stops start-up on %j with a message naming the variable', (env, named) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(named);
  });
});
