import { loadConfig, ConfigError, type Config } from '../config.js';
import { loadLocalSettings } from '../local/localSettings.js';
import { DATA_CONNECTION } from '../names.js';
import { createStorageClients, type StorageClients } from '../storage/clients.js';

/** The same settings `npm start` uses; development storage means the Azurite that `npm start` runs. */
export function cliContext(): { config: Config; storage: StorageClients } {
  loadLocalSettings(process.env);
  try {
    const config = loadConfig(process.env);
    const connection = config.storage ?? {
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
      setting: DATA_CONNECTION,
    };
    return { config, storage: createStorageClients(connection) };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

/** A storage call failed because nothing listens: say what to start. */
export function explainConnectionError(error: unknown): never {
  const text = error instanceof Error ? error.message : String(error);
  if (/ECONNREFUSED|connect/i.test(text)) {
    console.error('Cannot reach storage. Is `npm start` running (it starts the embedded Azurite)?');
  } else {
    console.error(text);
  }
  process.exit(1);
}
