/**
 * What `npm start` prints so other tools (Azure CLI, Storage Explorer, SDKs) reach the storage it uses.
 * Azure CLI rejects `UseDevelopmentStorage=true`, so Azurite gets its full connection string; a storage
 * account the user configured gets its account and endpoints only, never its key or SAS.
 */
import type { StorageConnection } from '../config.js';
import type { StorageClients } from '../storage/clients.js';
import { usesAzuriteKey } from './azurite.js';

/** A service URL without its query string, where a SAS connection string puts the signature. */
const withoutQuery = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname.replace(/\/$/, '')}`;
};

export function storageForTools(connection: StorageConnection, clients: StorageClients, inputContainer: string): string[] {
  if (connection.kind === 'connectionString' && usesAzuriteKey(connection.connectionString)) {
    return [
      'Storage for other tools (Azure CLI, Storage Explorer, SDKs):',
      `  ${connection.connectionString}`,
      `  az storage blob upload --connection-string "${connection.connectionString}" --container-name ${inputContainer} --name photo.jpg --file ./photo.jpg`,
    ];
  }
  return [
    `Storage for other tools: account ${clients.blobs.accountName}, blob ${withoutQuery(clients.blobs.url)}, queue ${withoutQuery(clients.queues.url)}`,
    `  (credentials as configured in ${connection.setting}; not printed)`,
  ];
}
