/**
 * Names shared by the Functions bindings, the local host, infra and the CLI. Each is defined once here.
 * Container and queue names are app settings so that bindings can refer to them as `%SETTING%`
 * expressions (resolved by the Functions host, and by the local host the same way).
 */

export const FUNCTION_NAMES = {
  enqueueUpload: 'enqueueUpload',
  processJob: 'processJob',
  recordPoison: 'recordPoison',
  health: 'health',
  metrics: 'metrics',
  emitMetrics: 'emitMetrics',
  recordStranded: 'recordStranded',
} as const;

/** Routes of the HTTP functions, under the host's `api/` prefix. */
export const HTTP_ROUTES = {
  health: 'health',
  metrics: 'metrics',
} as const;

/** The storage connection the data lives in (uploads, queues, results). */
export const DATA_CONNECTION = 'DataStorage';
/** The Functions host's own storage; the data connection falls back to it when unset. */
export const HOST_CONNECTION = 'AzureWebJobsStorage';

export const SETTINGS = {
  inputContainer: 'INPUT_CONTAINER',
  resultsContainer: 'RESULTS_CONTAINER',
  jobsQueue: 'JOBS_QUEUE',
  stateContainer: 'STATE_CONTAINER',
  deadLetterContainer: 'DEAD_LETTER_CONTAINER',
  maxBlobBytes: 'MAX_BLOB_BYTES',
  maxInputPixels: 'MAX_INPUT_PIXELS',
  provider: 'VISION_PROVIDER',
  visionModel: 'VISION_MODEL',
  azureOpenAiEndpoint: 'AZURE_OPENAI_ENDPOINT',
  azureOpenAiDeployment: 'AZURE_OPENAI_DEPLOYMENT',
  azureOpenAiApiVersion: 'AZURE_OPENAI_API_VERSION',
  azureOpenAiApiKey: 'AZURE_OPENAI_API_KEY',
  azureClientId: 'AZURE_CLIENT_ID',
  openAiApiKey: 'OPENAI_API_KEY',
  openAiBaseUrl: 'OPENAI_BASE_URL',
  openAiModel: 'OPENAI_MODEL',
  modelTimeoutMs: 'MODEL_TIMEOUT_MS',
  modelMaxRetries: 'MODEL_MAX_RETRIES',
  modelRequestShape: 'MODEL_REQUEST_SHAPE',
  modelReasoningEffort: 'MODEL_REASONING_EFFORT',
  modelTpm: 'MODEL_TPM',
  modelRpm: 'MODEL_RPM',
  modelRateWindowSeconds: 'MODEL_RATE_WINDOW_SECONDS',
  modelRateMaxWaitMs: 'MODEL_RATE_MAX_WAIT_MS',
  priceInputPerMTok: 'PRICE_INPUT_PER_MTOK',
  priceOutputPerMTok: 'PRICE_OUTPUT_PER_MTOK',
  defaultProfile: 'DEFAULT_PROFILE',
  profileRules: 'PROFILE_RULES',
  profilesFile: 'PROFILES_FILE',
  maxCompareImages: 'MAX_COMPARE_IMAGES',
  maxPages: 'MAX_PAGES',
  maxPagePixels: 'MAX_PAGE_PIXELS',
  maxImagesPerRequest: 'MAX_IMAGES_PER_REQUEST',
  documentTokenBudget: 'DOCUMENT_TOKEN_BUDGET',
  maxPdfPageOperators: 'MAX_PDF_PAGE_OPERATORS',
  maxPdfPageImagePixels: 'MAX_PDF_PAGE_IMAGE_PIXELS',
  maxPdfImagePixels: 'MAX_PDF_IMAGE_PIXELS',
  maxPdfPageTextChars: 'MAX_PDF_PAGE_TEXT_CHARS',
  maxPdfTextChars: 'MAX_PDF_TEXT_CHARS',
  renderWorkers: 'RENDER_WORKERS',
  renderTimeoutMs: 'RENDER_TIMEOUT_MS',
  renderMaxMemoryMb: 'RENDER_MAX_MEMORY_MB',
  maxRateLimitDeferrals: 'MAX_RATE_LIMIT_DEFERRALS',
  resultCache: 'RESULT_CACHE',
  ocrGrounding: 'OCR_GROUNDING',
  logLevel: 'LOG_LEVEL',
  metricsSchedule: 'METRICS_SCHEDULE',
  strandedSweepSchedule: 'STRANDED_SWEEP_SCHEDULE',
} as const;

export const DEFAULT_NAMES = {
  inputContainer: 'uploads',
  resultsContainer: 'results',
  jobsQueue: 'image-jobs',
  /** The worker's own bookkeeping (the errors each attempt saw), out of the way of result readers. */
  stateContainer: 'worker-state',
  /** Where Event Grid dead-letters BlobCreated events it could not deliver; recordStranded enqueues them again. */
  deadLetterContainer: 'eventgrid-deadletter',
} as const;

/** The Functions host moves a message that keeps failing to `<queue>-poison`. */
export function poisonQueueName(queue: string): string {
  return `${queue}-poison`;
}

/** Binding expressions the Functions host resolves from app settings. */
export const BINDING_EXPRESSIONS = {
  inputContainer: `%${SETTINGS.inputContainer}%`,
  jobsQueue: `%${SETTINGS.jobsQueue}%`,
  poisonQueue: `%${SETTINGS.jobsQueue}%-poison`,
  metricsSchedule: `%${SETTINGS.metricsSchedule}%`,
  strandedSweepSchedule: `%${SETTINGS.strandedSweepSchedule}%`,
} as const;

/**
 * The Event Grid subscription that feeds enqueueUpload: BlobCreated events of the input container. The
 * infra scripts create it with these values and the local host emulates it; test/infra checks both.
 */
export const BLOB_CREATED_SUBSCRIPTION = {
  name: 'enqueue-upload-blob-created',
  functionName: FUNCTION_NAMES.enqueueUpload,
  eventType: 'Microsoft.Storage.BlobCreated',
  containerSetting: SETTINGS.inputContainer,
  /** Event Grid's default is 30; five tries are as many as the queue gives a job (host.json maxDequeueCount). */
  maxDeliveryAttempts: 5,
  eventTimeToLiveMinutes: 1440,
  /** In the data storage account: events whose delivery kept failing, as Event Grid writes them. */
  deadLetterContainerSetting: SETTINGS.deadLetterContainer,
} as const;

/** Blob metadata key a user sets to choose the profile of one upload. */
export const PROFILE_METADATA_KEY = 'profile';
