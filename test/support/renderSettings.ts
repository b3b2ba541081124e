/** The configuration's defaults for the document limits and render children, as a worker started with no settings has them. */
import { loadConfig, type DocumentSettings } from '../../src/config.js';

export const DOCUMENT_DEFAULTS: DocumentSettings = loadConfig({}).documents;
export const RENDER = DOCUMENT_DEFAULTS.render;
