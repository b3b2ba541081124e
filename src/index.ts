import functions from '@azure/functions';

// The package's default export: its named exports are not visible to Node's ESM loader.
functions.app.setup({ enableHttpStream: false });
