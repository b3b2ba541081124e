/**
 * The one place that reads settings. Values are trimmed, empty means unset, and every problem is
 * reported at start with the name of the variable (or the profile file and field) to fix.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.js';
import { DATA_CONNECTION, DEFAULT_NAMES, HOST_CONNECTION, SETTINGS, poisonQueueName } from './names.js';
import { isLogLevel, type LogLevel } from './log.js';
import { DEFERRALS_LIMIT } from './contracts/jobMessage.js';
import { buildCatalog, type ProfileCatalog } from './profiles/catalog.js';
import { builtInProfiles } from './profiles/index.js';
import { DEFAULT_MODEL, REASONING_EFFORTS, resolveModelFamily, type ReasoningEffort, type RequestShape } from './models/modelFamilies.js';
import type { RequestSettings } from './models/requestShape.js';
import { readProfileFile } from './profiles/profileConfig.js';
import type { PathRule } from './profiles/types.js';

export { ConfigError };

export type Env = Record<string, string | undefined>;

/** The package root (this file is src/config.ts or dist/config.js): where `profiles.yaml` is looked for. */
const APP_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Read when PROFILES_FILE is unset and this file exists in the app root. */
const DEFAULT_PROFILES_FILE = 'profiles.yaml';

export type StorageConnection =
  | { kind: 'connectionString'; connectionString: string; setting: string }
  | { kind: 'identity'; blobServiceUri: string; queueServiceUri: string; clientId?: string; setting: string };

export interface Names {
  inputContainer: string;
  resultsContainer: string;
  jobsQueue: string;
  poisonQueue: string;
  stateContainer: string;
  deadLetterContainer: string;
}

export interface ModelSettings {
  /** The model behind the endpoint: picks the image-token formula, the price and the request shape. */
  visionModel: string;
  timeoutMs: number;
  maxRetries: number;
  priceOverride: { inputPerMTok?: number; outputPerMTok?: number };
  request: RequestSettings;
}

/**
 * The model-call rate limiter (src/providers/rateLimit/). Unset limits are learnt from the service's
 * `x-ratelimit-remaining-*` headers.
 */
export interface RateLimitSettings {
  /** Tokens per minute this instance may be charged. */
  tokensPerMinute?: number;
  /** Requests per minute; the model family's Azure ratio per 1000 tokensPerMinute when only that is set. */
  requestsPerMinute?: number;
  /** The window the limits are kept over (Azure enforces over 1 or 10 s). */
  windowMs: number;
  /** How long a call may wait for quota before its job goes back to the queue as rate_limited. */
  maxWaitMs: number;
}

/** Limits that protect the worker and the bill from multi-page uploads (src/documents/). */
/** What one PDF may cost to draw and read (MAX_PDF_* settings); more is `document_too_complex`. */
export interface PdfBounds {
  /** Drawing operators on one page, counted before it is drawn. */
  maxPageOperators: number;
  /** Pixels of the images one page draws (each decoded in full, whatever size it is drawn at). */
  maxPageImagePixels: number;
  /** The same, summed over the pages of the document. */
  maxDocumentImagePixels: number;
  /** Characters of one page's text layer. */
  maxPageTextChars: number;
  /** The same, summed over the document. */
  maxDocumentTextChars: number;
}

/** The child processes that draw PDFs and decode HEIC (src/isolation/renderPool.ts). */
export interface RenderPoolSettings {
  /** Child processes at most (RENDER_WORKERS). */
  workers: number;
  /** Deadline of one call: a page's text or rendering, a HEIC decode (RENDER_TIMEOUT_MS). */
  timeoutMs: number;
  /** Resident memory one child may use (RENDER_MAX_MEMORY_MB). */
  maxMemoryMb: number;
}

export interface DocumentSettings {
  /** Documents with more pages are refused (`too_many_pages`) before any page is drawn. */
  maxPages: number;
  /** No page is rendered larger than this; a larger page is drawn at a lower resolution. */
  maxPagePixels: number;
  /** Images one model request may carry; more pages are sent in several requests and the answers merged. */
  maxImagesPerRequest: number;
  /** Estimated tokens (images, prompts, maximum output) one document may cost; more is refused before any call. */
  tokenBudget: number;
  /** What one PDF may cost to draw and read; more is `document_too_complex`. */
  pdf: PdfBounds;
  /** The child processes that draw PDFs and decode HEIC (src/isolation/renderPool.ts). */
  render: RenderPoolSettings;
}

export type ProviderSettings =
  | { kind: 'offline' }
  | {
      kind: 'azure-openai';
      endpoint: string;
      deployment: string;
      /** The dated API (`/openai/deployments/...?api-version=`); unset means the v1 API (`/openai/v1/`). */
      apiVersion?: string;
      /** Keys are the fallback; without one the provider signs in with DefaultAzureCredential. */
      apiKey?: string;
    }
  | { kind: 'openai'; apiKey: string; baseUrl?: string; model: string };

export interface Config {
  /** Undefined when no storage is configured; the local host then starts its own Azurite. */
  storage: StorageConnection | undefined;
  names: Names;
  maxBlobBytes: number;
  maxInputPixels: number;
  provider: ProviderSettings;
  model: ModelSettings;
  rateLimit: RateLimitSettings;
  /** Built-in and user-defined profiles, path rules, default profile and manifest-only prefixes. */
  profiles: ProfileCatalog;
  /** The most images one comparison manifest may name (one model request carries them all). */
  maxCompareImages: number;
  /** Limits for multi-page uploads (PDF, multi-page TIFF). */
  documents: DocumentSettings;
  /** How often a rate-limited job is put back on the queue before it gets a `rate_limited` failure record. */
  maxRateLimitDeferrals: number;
  /** Reuse the stored analysis of the same bytes, profile and model instead of asking the model again. */
  resultCache: boolean;
  /**
   * Profiles whose model prompt also carries the text OCR read from the image (`all`, or names); empty
   * when off. Unused by the offline provider, which reads by OCR anyway.
   */
  ocrGrounding: 'all' | readonly string[];
  logLevel: LogLevel;
  /** Six-field NCRONTAB schedule of the timer that emits the ops metrics. */
  metricsSchedule: string;
  /** When recordStranded takes back what the hosts left unread (NCRONTAB). */
  strandedSweepSchedule: string;
}

export const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `expected ${min}..${max}, got ${value}`);
  return value;
}

function readOptionalInt(env: Env, name: string, min: number, max: number): number | undefined {
  return read(env, name) === undefined ? undefined : readInt(env, name, min, min, max);
}

/** Azure grants each family its own requests per minute per 1000 tokens per minute (src/models/modelFamilies.ts). */
function readRateLimit(env: Env, visionModel: string): RateLimitSettings {
  const tokensPerMinute = readOptionalInt(env, SETTINGS.modelTpm, 1, 1_000_000_000);
  const { rpmPer1000Tpm } = resolveModelFamily(visionModel).family;
  const requestsPerMinute =
    readOptionalInt(env, SETTINGS.modelRpm, 1, 100_000_000) ??
    (tokensPerMinute === undefined ? undefined : Math.max(1, Math.floor((tokensPerMinute * rpmPer1000Tpm) / 1000)));
  return {
    ...(tokensPerMinute === undefined ? {} : { tokensPerMinute }),
    ...(requestsPerMinute === undefined ? {} : { requestsPerMinute }),
    windowMs: readInt(env, SETTINGS.modelRateWindowSeconds, 10, 1, 60) * 1000,
    maxWaitMs: readInt(env, SETTINGS.modelRateMaxWaitMs, 120_000, 0, 1_800_000),
  };
}

function readSwitch(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw !== 'on' && raw !== 'off') throw new ConfigError(name, `expected on or off, got "${raw}"`);
  return raw === 'on';
}

function readPrice(env: Env, name: string): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(name, `expected a price in USD per million tokens, got "${raw}"`);
  return value;
}

const NAME_PATTERN = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;

function readName(env: Env, name: string, fallback: string, maxLength: number): string {
  const value = read(env, name) ?? fallback;
  if (!NAME_PATTERN.test(value) || value.length > maxLength) {
    throw new ConfigError(name, `"${value}" is not a valid storage name (3-${maxLength} lowercase letters, digits and single hyphens)`);
  }
  return value;
}

/** A connection string or `<prefix>__blobServiceUri` + `__queueServiceUri` (identity-based, as the Functions host reads them). */
function readConnection(env: Env, prefix: string): StorageConnection | undefined {
  const connectionString = read(env, prefix);
  if (connectionString !== undefined) return { kind: 'connectionString', connectionString, setting: prefix };
  const blobServiceUri = read(env, `${prefix}__blobServiceUri`);
  const queueServiceUri = read(env, `${prefix}__queueServiceUri`);
  if (blobServiceUri === undefined && queueServiceUri === undefined) return undefined;
  if (blobServiceUri === undefined) throw new ConfigError(`${prefix}__blobServiceUri`, 'is required when __queueServiceUri is set');
  if (queueServiceUri === undefined) throw new ConfigError(`${prefix}__queueServiceUri`, 'is required when __blobServiceUri is set');
  const clientId = read(env, `${prefix}__clientId`);
  return { kind: 'identity', blobServiceUri, queueServiceUri, setting: prefix, ...(clientId === undefined ? {} : { clientId }) };
}

/** An http(s) URL with a host (a prefix check would let "https://" or a space through), or undefined when unset. */
function readUrl(env: Env, name: string): string | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || !['https:', 'http:'].includes(url.protocol) || url.hostname === '') {
    throw new ConfigError(name, `expected an https:// (or http://) URL, got "${value}"`);
  }
  return value;
}

function readProvider(env: Env): ProviderSettings {
  const choice = read(env, SETTINGS.provider) ?? 'auto';
  if (!['auto', 'openai', 'offline'].includes(choice)) {
    throw new ConfigError(SETTINGS.provider, `expected auto, openai or offline, got "${choice}"`);
  }
  if (choice === 'offline') return { kind: 'offline' };
  const endpoint = readUrl(env, SETTINGS.azureOpenAiEndpoint);
  if (endpoint !== undefined) {
    const apiKey = read(env, SETTINGS.azureOpenAiApiKey);
    const apiVersion = read(env, SETTINGS.azureOpenAiApiVersion);
    return {
      kind: 'azure-openai',
      endpoint,
      deployment: read(env, SETTINGS.azureOpenAiDeployment) ?? DEFAULT_MODEL,
      ...(apiVersion === undefined ? {} : { apiVersion }),
      ...(apiKey === undefined ? {} : { apiKey }),
    };
  }
  const apiKey = read(env, SETTINGS.openAiApiKey);
  if (apiKey !== undefined) {
    const baseUrl = readUrl(env, SETTINGS.openAiBaseUrl);
    return {
      kind: 'openai',
      apiKey,
      model: read(env, SETTINGS.openAiModel) ?? DEFAULT_MODEL,
      ...(baseUrl === undefined ? {} : { baseUrl }),
    };
  }
  if (choice === 'openai') {
    throw new ConfigError(SETTINGS.provider, `is "openai" but neither ${SETTINGS.azureOpenAiEndpoint} nor ${SETTINGS.openAiApiKey} is set`);
  }
  return { kind: 'offline' };
}

const REQUEST_SHAPES = ['auto', 'reasoning', 'classic'] as const;
const DEFAULT_REASONING_EFFORT: ReasoningEffort = 'low';

/**
 * An unknown model gets the reasoning shape on Azure and api.openai.com (today's vision models), the
 * classic one on other OpenAI-compatible servers; low effort by default (docs/models.md says why).
 */
function readRequestSettings(env: Env, provider: ProviderSettings, visionModel: string): RequestSettings {
  const shape = read(env, SETTINGS.modelRequestShape) ?? 'auto';
  if (!isOneOf(REQUEST_SHAPES, shape)) {
    throw new ConfigError(SETTINGS.modelRequestShape, `expected ${REQUEST_SHAPES.join(', ')}, got "${shape}"`);
  }
  const effort = read(env, SETTINGS.modelReasoningEffort);
  if (effort !== undefined && !isOneOf(REASONING_EFFORTS, effort)) {
    throw new ConfigError(SETTINGS.modelReasoningEffort, `expected ${REASONING_EFFORTS.join(', ')}, got "${effort}"`);
  }
  const { family, known } = resolveModelFamily(visionModel);
  if (effort !== undefined && known && family.request.shape === 'reasoning' && !family.request.efforts.includes(effort)) {
    throw new ConfigError(
      SETTINGS.modelReasoningEffort,
      `${visionModel} accepts ${family.request.efforts.join(', ')}, got "${effort}" (the model comes from ${SETTINGS.visionModel} or the deployment name)`,
    );
  }
  const customServer =
    provider.kind === 'openai' && provider.baseUrl !== undefined && new URL(provider.baseUrl).hostname !== 'api.openai.com';
  const unknownModelShape: RequestShape = customServer ? 'classic' : 'reasoning';
  return { shape, unknownModelShape, reasoningEffort: effort ?? DEFAULT_REASONING_EFFORT };
}

function isOneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

/** `invoices/=invoice,receipts/=receipt`: the first matching prefix wins. */
export function parseProfileRules(raw: string, setting: string): PathRule[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [prefix, profile, ...rest] = part.split('=').map((s) => s.trim());
      if (prefix === undefined || prefix === '' || profile === undefined || profile === '' || rest.length > 0) {
        throw new ConfigError(setting, `expected "prefix=profile" pairs separated by commas, got "${part}"`);
      }
      return { prefix, profile };
    });
}

export const DEFAULT_METRICS_SCHEDULE = '0 */1 * * * *';
export const DEFAULT_STRANDED_SWEEP_SCHEDULE = '0 */5 * * * *';

/** `{second} {minute} {hour} {day} {month} {day-of-week}`, as the Functions timer trigger reads it. */
function readSchedule(env: Env, name: string, fallback: string): string {
  const value = read(env, name) ?? fallback;
  if (!/^\S+(\s+\S+){5}$/.test(value)) {
    throw new ConfigError(
      name,
      `expected a six-field NCRONTAB schedule such as "${fallback}" (second minute hour day month day-of-week), got "${value}"`,
    );
  }
  return value.split(/\s+/).join(' ');
}

/** PROFILES_FILE (relative to the app root) must exist; without it, `profiles.yaml` is read when present. */
function readProfilesFile(env: Env): { path: string; label: string } | undefined {
  const configured = read(env, SETTINGS.profilesFile);
  const path = resolve(APP_ROOT, configured ?? DEFAULT_PROFILES_FILE);
  if (!existsSync(path)) {
    if (configured === undefined) return undefined;
    throw new ConfigError(SETTINGS.profilesFile, `"${configured}" does not exist (looked for ${path})`);
  }
  const inside = relative(APP_ROOT, path);
  return { path, label: inside.startsWith('..') || isAbsolute(inside) ? path : inside };
}

function readProfiles(env: Env): ProfileCatalog {
  const file = readProfilesFile(env);
  const rules = read(env, SETTINGS.profileRules);
  return buildCatalog({
    file: file === undefined ? undefined : readProfileFile(file.path, file.label, new Set(builtInProfiles.keys())),
    envRules: rules === undefined ? undefined : parseProfileRules(rules, SETTINGS.profileRules),
    envDefault: read(env, SETTINGS.defaultProfile),
  });
}

export function loadConfig(env: Env = process.env): Config {
  const jobsQueue = readName(env, SETTINGS.jobsQueue, DEFAULT_NAMES.jobsQueue, 56);
  const provider = readProvider(env);
  const inputPerMTok = readPrice(env, SETTINGS.priceInputPerMTok);
  const outputPerMTok = readPrice(env, SETTINGS.priceOutputPerMTok);
  const logLevel = read(env, SETTINGS.logLevel) ?? 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError(SETTINGS.logLevel, `expected debug, info, warn or error, got "${logLevel}"`);
  const profiles = readProfiles(env);
  const defaultModel = provider.kind === 'azure-openai' ? provider.deployment : provider.kind === 'openai' ? provider.model : DEFAULT_MODEL;
  const visionModel = read(env, SETTINGS.visionModel) ?? defaultModel;
  return {
    storage: readConnection(env, DATA_CONNECTION) ?? readConnection(env, HOST_CONNECTION),
    names: {
      inputContainer: readName(env, SETTINGS.inputContainer, DEFAULT_NAMES.inputContainer, 63),
      resultsContainer: readName(env, SETTINGS.resultsContainer, DEFAULT_NAMES.resultsContainer, 63),
      jobsQueue,
      poisonQueue: poisonQueueName(jobsQueue),
      stateContainer: readName(env, SETTINGS.stateContainer, DEFAULT_NAMES.stateContainer, 63),
      deadLetterContainer: readName(env, SETTINGS.deadLetterContainer, DEFAULT_NAMES.deadLetterContainer, 63),
    },
    maxBlobBytes: readInt(env, SETTINGS.maxBlobBytes, 20 * 1024 * 1024, 1, 512 * 1024 * 1024),
    maxInputPixels: readInt(env, SETTINGS.maxInputPixels, 100_000_000, 1, 1_000_000_000),
    provider,
    model: {
      visionModel,
      timeoutMs: readInt(env, SETTINGS.modelTimeoutMs, 120_000, 1_000, 1_800_000),
      maxRetries: readInt(env, SETTINGS.modelMaxRetries, 2, 0, 10),
      priceOverride: {
        ...(inputPerMTok === undefined ? {} : { inputPerMTok }),
        ...(outputPerMTok === undefined ? {} : { outputPerMTok }),
      },
      request: readRequestSettings(env, provider, visionModel),
    },
    rateLimit: readRateLimit(env, visionModel),
    profiles,
    // Ten images per chat request is what Azure OpenAI documented for its vision deployments.
    maxCompareImages: readInt(env, SETTINGS.maxCompareImages, 10, 1, 50),
    documents: {
      maxPages: readInt(env, SETTINGS.maxPages, 20, 1, 2000),
      // A3 at 300 dpi (17.4 MP) fits; a 20 MP RGBA canvas is 80 MB.
      maxPagePixels: readInt(env, SETTINGS.maxPagePixels, 20_000_000, 10_000, 200_000_000),
      // Ten images per chat request is what Azure OpenAI documented for its vision deployments.
      maxImagesPerRequest: readInt(env, SETTINGS.maxImagesPerRequest, 10, 1, 50),
      // 20 pages at high detail with prompts and output fit (~35k); 100k is ~$0.13 at gpt-5.1's input price.
      tokenBudget: readInt(env, SETTINGS.documentTokenBudget, 100_000, 1_000, 100_000_000),
      pdf: {
        // A dense invoice page is ~300 operators; 50,000 strokes (100,002 operators) drew for 11 s.
        maxPageOperators: readInt(env, SETTINGS.maxPdfPageOperators, 50_000, 100, 10_000_000),
        // An A4 scan at 600 dpi is 35 MP (140 MB decoded); two 6000 x 6000 images peaked at 912 MB.
        maxPageImagePixels: readInt(env, SETTINGS.maxPdfPageImagePixels, 40_000_000, 10_000, 1_000_000_000),
        // 20 pages of 300-dpi A4 scans (8.7 MP each) fit.
        maxDocumentImagePixels: readInt(env, SETTINGS.maxPdfImagePixels, 200_000_000, 10_000, 10_000_000_000),
        // A page of small print holds ~6,000 characters.
        maxPageTextChars: readInt(env, SETTINGS.maxPdfPageTextChars, 50_000, 100, 10_000_000),
        maxDocumentTextChars: readInt(env, SETTINGS.maxPdfTextChars, 300_000, 100, 100_000_000),
      },
      render: {
        workers: readInt(env, SETTINGS.renderWorkers, 2, 1, 32),
        // A 300-dpi page draws in well under a second; 50,000 strokes took 11 s.
        timeoutMs: readInt(env, SETTINGS.renderTimeoutMs, 20_000, 100, 600_000),
        maxMemoryMb: readInt(env, SETTINGS.renderMaxMemoryMb, 1024, 128, 16_384),
      },
    },
    maxRateLimitDeferrals: readInt(env, SETTINGS.maxRateLimitDeferrals, 20, 0, DEFERRALS_LIMIT),
    resultCache: readSwitch(env, SETTINGS.resultCache, true),
    ocrGrounding: readOcrGrounding(env, profiles),
    logLevel,
    metricsSchedule: readSchedule(env, SETTINGS.metricsSchedule, DEFAULT_METRICS_SCHEDULE),
    strandedSweepSchedule: readSchedule(env, SETTINGS.strandedSweepSchedule, DEFAULT_STRANDED_SWEEP_SCHEDULE),
  };
}

/** `off` (default), `on` for every profile, or a comma-separated list of profile names. */
function readOcrGrounding(env: Env, catalog: ProfileCatalog): Config['ocrGrounding'] {
  const raw = read(env, SETTINGS.ocrGrounding);
  if (raw === undefined || raw.toLowerCase() === 'off') return [];
  if (raw.toLowerCase() === 'on') return 'all';
  const names = raw
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !catalog.profiles.has(name));
  if (unknown.length > 0) {
    const known = [...catalog.profiles.keys()].join(', ');
    throw new ConfigError(
      SETTINGS.ocrGrounding,
      `expected on, off or profile names (${known}), got unknown profile "${unknown.join('", "')}"`,
    );
  }
  return names;
}

/** Whether the model's prompt for this profile carries the OCR text. */
export function groundsWithOcr(config: Pick<Config, 'ocrGrounding'>, profileName: string): boolean {
  return config.ocrGrounding === 'all' || config.ocrGrounding.includes(profileName);
}

/** Development storage means the local Azurite emulator. */
export function isDevelopmentStorage(connection: StorageConnection | undefined): boolean {
  return connection === undefined || (connection.kind === 'connectionString' && connection.connectionString === DEVELOPMENT_STORAGE);
}
