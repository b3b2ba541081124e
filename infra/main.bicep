// blob-vision-worker on Azure: Flex Consumption function app + data storage + Event Grid + Azure OpenAI
// + monitoring, keyless end to end (user-assigned managed identity and Entra ID role assignments).
// See docs/deploy.md. The names in here that the code also uses (container, queue and setting names,
// the DataStorage connection) come from src/names.ts; test/infra/infra.test.ts keeps them in step.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds the resource names and the azd-env-name tag.')
param environmentName string

@minLength(1)
@description('Region for every resource (Flex Consumption must be available there).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the user or CI principal running azd: gets data roles to upload test files and read results. Empty for none.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param principalType string = 'User'

@description('Resource group name; defaults to rg-<environmentName>.')
param resourceGroupName string = ''

// ---- Names shared with the code (src/names.ts DEFAULT_NAMES, poisonQueueName) ----

@description('Container whose BlobCreated events enqueue uploads (INPUT_CONTAINER).')
param inputContainerName string = 'uploads'

@description('Container results are written to (RESULTS_CONTAINER).')
param resultsContainerName string = 'results'

@description('Container for the worker\'s own bookkeeping, e.g. the errors each attempt saw (STATE_CONTAINER).')
param stateContainerName string = 'worker-state'

@description('Queue of image jobs (JOBS_QUEUE); the host moves failures to <name>-poison.')
@maxLength(56)
param jobsQueueName string = 'image-jobs'

@description('Data storage container where Event Grid dead-letters BlobCreated events it could not deliver; the worker enqueues them again (DEAD_LETTER_CONTAINER).')
param deadLetterContainerName string = 'eventgrid-deadletter'

// ---- Flex Consumption ----

@description('Upper bound on instances; also bounds concurrent model calls.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

// ---- Azure OpenAI ----

@description('Endpoint of an Azure OpenAI resource to use instead of creating one (https://<name>.openai.azure.com/). Empty: create one.')
param existingOpenAiEndpoint string = ''

@description('Resource id of that existing Azure OpenAI account, to grant the worker Cognitive Services OpenAI User on it. Empty: grant it yourself (docs/deploy.md).')
param existingOpenAiResourceId string = ''

@description('Region of the Azure OpenAI account (model availability differs by region); empty: location.')
param openAiLocation string = ''

@description('Model deployment name (AZURE_OPENAI_DEPLOYMENT).')
param openAiDeploymentName string = 'gpt-5.1'

// gpt-5.1 is Microsoft's named replacement for the retired gpt-4o, GA at GlobalStandard, with the
// highest requests per 1000 TPM of the current vision models (docs/models.md).
@description('Model behind the deployment (VISION_MODEL: picks the request shape, the image-token formula and prices).')
param openAiModelName string = 'gpt-5.1'

@description('Model version of the deployment.')
param openAiModelVersion string = '2025-11-13'

@allowed(['GlobalStandard', 'Standard', 'DataZoneStandard'])
param openAiDeploymentSkuName string = 'GlobalStandard'

@description('Deployment capacity in thousands of tokens per minute.')
@minValue(1)
param openAiDeploymentCapacity int = 30

@description('AZURE_OPENAI_API_VERSION: empty (the default) uses the v1 API (/openai/v1/, no api-version); a dated version such as 2024-10-21 uses the dated deployments path.')
param azureOpenAiApiVersion string = ''

// ---- Worker settings (src/names.ts SETTINGS). Empty string = the default in src/config.ts ----

@allowed(['auto', 'openai', 'offline'])
@description('VISION_PROVIDER: openai fails at start when no endpoint is configured instead of silently running offline.')
param visionProvider string = 'openai'

param maxBlobBytes string = ''
param maxInputPixels string = ''
// Document bounds and the render pool (docs/failures.md); empty keeps the code's defaults.
param maxPdfPageOperators string = ''
param maxPdfPageImagePixels string = ''
param maxPdfImagePixels string = ''
param maxPdfPageTextChars string = ''
param maxPdfTextChars string = ''
param renderWorkers string = ''
param renderTimeoutMs string = ''
param renderMaxMemoryMb string = ''
param modelTimeoutMs string = ''
param modelMaxRetries string = ''
@description('MODEL_TPM: tokens per minute each instance may be charged (docs/scaling.md). Empty: the deployment\'s capacity when this template creates it, else learnt from the rate-limit headers.')
param modelTpm string = ''
@description('MODEL_RPM: requests per minute each instance may send. Empty: the model family\'s requests per 1000 MODEL_TPM (10 for gpt-5.1), or learnt from the headers.')
param modelRpm string = ''
@allowed(['', 'auto', 'reasoning', 'classic'])
@description('MODEL_REQUEST_SHAPE: auto (empty) picks max_completion_tokens + reasoning_effort or max_tokens + temperature from VISION_MODEL\'s family.')
param modelRequestShape string = ''
@allowed(['', 'none', 'minimal', 'low', 'medium', 'high', 'xhigh'])
@description('MODEL_REASONING_EFFORT: reasoning_effort sent to reasoning models (empty = low; must be one the model accepts).')
param modelReasoningEffort string = ''
@description('MODEL_RATE_WINDOW_SECONDS: the window the limits are kept over (1-60; empty = 10).')
param modelRateWindowSeconds string = ''
@description('MODEL_RATE_MAX_WAIT_MS: how long a model call may wait for quota before its job is retried later (empty = 120000).')
param modelRateMaxWaitMs string = ''
param defaultProfile string = ''
param profileRules string = ''
@description('PROFILES_FILE: the profile file (user-defined profiles, path rules, manifest-only prefixes) relative to the app root; empty reads profiles.yaml when the package has one. See docs/profiles.md.')
param profilesFile string = ''
@description('MAX_COMPARE_IMAGES: the most images one comparison manifest may name (1-50; empty = 10).')
param maxCompareImages string = ''
@description('MAX_PAGES: the most pages a PDF or multi-page TIFF may have; more is refused (too_many_pages) before any page is drawn (1-2000; empty = 20).')
param maxPages string = ''
@description('MAX_PAGE_PIXELS: the largest rendering of one page; a larger page is drawn at a lower resolution (empty = 20000000).')
param maxPagePixels string = ''
@description('MAX_IMAGES_PER_REQUEST: images one model request may carry; longer documents are sent in several requests and merged (1-50; empty = 10).')
param maxImagesPerRequest string = ''
@description('DOCUMENT_TOKEN_BUDGET: estimated tokens (images, prompts, maximum output) one document may cost; more is refused (token_budget_exceeded) before any call (empty = 100000).')
param documentTokenBudget string = ''
@description('MAX_RATE_LIMIT_DEFERRALS: how often a job the model keeps rate limiting goes back to the queue with a delay before it gets a rate_limited failure record (0-1000; empty = 20). See docs/failures.md.')
param maxRateLimitDeferrals string = ''
@allowed(['', 'on', 'off'])
@description('RESULT_CACHE: on (empty) reuses the stored analysis of identical bytes with the same profile and model instead of asking the model again; off always asks.')
param resultCache string = ''
@description('OCR_GROUNDING: off (empty), on, or profile names separated by commas whose model prompt also carries the text OCR read from the image.')
param ocrGrounding string = ''
param logLevel string = ''
param priceInputPerMTok string = ''
param priceOutputPerMTok string = ''

@description('METRICS_SCHEDULE: six-field NCRONTAB schedule of the emitMetrics timer. Never empty: the timer binding reads it as %METRICS_SCHEDULE%.')
@minLength(11)
param metricsSchedule string = '0 */1 * * * *'

@description('STRANDED_SWEEP_SCHEDULE: six-field NCRONTAB schedule of the recordStranded timer (poison-of-poison messages and dead-lettered events). Never empty: the timer binding reads it as %STRANDED_SWEEP_SCHEDULE%.')
@minLength(11)
param strandedSweepSchedule string = '0 */5 * * * *'

@description('OPENAI_BASE_URL / OPENAI_MODEL only matter with OPENAI_API_KEY, which infra never sets.')
param openAiBaseUrl string = ''
param openAiModel string = ''

// ---- Alerts ----

@description('E-mail for alert notifications; empty: alerts fire in the portal only.')
param alertEmail string = ''

param jobsQueueDepthThreshold int = 100
param oldestMessageAgeThresholdSeconds int = 900
param failureRatePercentThreshold int = 20
param failureRateMinimumResults int = 5

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var rgName = !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'

var serviceName = 'worker' // azure.yaml services.worker
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var poisonQueueName = '${jobsQueueName}-poison' // src/names.ts poisonQueueName()

var deployOpenAi = empty(existingOpenAiEndpoint)
var openAiAccountName = '${abbrs.cognitiveServicesAccounts}${resourceToken}'
// The placeholder keeps the indexes valid when no existing account is given (that module is skipped).
var existingOpenAiId = !empty(existingOpenAiResourceId) ? existingOpenAiResourceId : '${subscription().id}/resourceGroups/${rgName}/providers/Microsoft.CognitiveServices/accounts/${openAiAccountName}'
var existingOpenAiIdParts = split(existingOpenAiId, '/') // ['', 'subscriptions', <id>, 'resourceGroups', <name>, ..., <account>]

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module dataStorage 'app/storage.bicep' = {
  name: 'data-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}data${resourceToken}'
    location: location
    tags: tags
    containers: [
      inputContainerName
      resultsContainerName
      stateContainerName
      deadLetterContainerName
    ]
    queues: [
      jobsQueueName
      poisonQueueName
    ]
  }
}

module hostStorage 'app/storage.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}func${resourceToken}'
    location: location
    tags: tags
    containers: [
      deploymentContainerName
    ]
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module openAi 'app/openai.bicep' = if (deployOpenAi) {
  name: 'openai'
  scope: rg
  params: {
    name: openAiAccountName
    location: !empty(openAiLocation) ? openAiLocation : location
    tags: tags
    deploymentName: openAiDeploymentName
    modelName: openAiModelName
    modelVersion: openAiModelVersion
    deploymentSkuName: openAiDeploymentSkuName
    deploymentCapacity: openAiDeploymentCapacity
  }
}

module openAiAccess 'app/openai-access.bicep' = if (deployOpenAi) {
  name: 'openai-access'
  scope: rg
  params: {
    openAiAccountName: openAiAccountName
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
  dependsOn: [
    openAi
  ]
}

module existingOpenAiAccess 'app/openai-access.bicep' = if (!deployOpenAi && !empty(existingOpenAiResourceId)) {
  name: 'existing-openai-access'
  scope: resourceGroup(existingOpenAiIdParts[2], existingOpenAiIdParts[4])
  params: {
    openAiAccountName: existingOpenAiIdParts[8]
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    dataStorageName: dataStorage.outputs.name
    hostStorageName: hostStorage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    appPrincipalId: identity.outputs.principalId
    deadLetterContainerName: deadLetterContainerName
    eventGridPrincipalId: eventGrid.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
  }
}

var openAiEndpoint = deployOpenAi ? openAi.outputs.endpoint : existingOpenAiEndpoint

// Every app setting in one place. Storage connections are identity-based (credential + clientId +
// service URIs, no connection strings); the worker's own settings are src/names.ts SETTINGS, except
// AZURE_OPENAI_API_KEY and OPENAI_API_KEY: keys are never provisioned (keyless is the Azure default).
var appSettings = {
  // Functions host storage (HOST_CONNECTION): locks, keys, the deployment package; Event Grid's dead letters.
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AzureWebJobsStorage__blobServiceUri: hostStorage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: hostStorage.outputs.queueEndpoint
  // Worker data (DATA_CONNECTION): uploads, jobs queues, results.
  DataStorage__credential: 'managedidentity'
  DataStorage__clientId: identity.outputs.clientId
  DataStorage__blobServiceUri: dataStorage.outputs.blobEndpoint
  DataStorage__queueServiceUri: dataStorage.outputs.queueEndpoint
  // DefaultAzureCredential in the worker code picks the user-assigned identity by this client id.
  AZURE_CLIENT_ID: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  // glibc's per-thread malloc arenas hold freed image buffers: two arenas cut the worker's peak RSS by a fifth (docs/scaling.md).
  MALLOC_ARENA_MAX: '2'
  INPUT_CONTAINER: inputContainerName
  RESULTS_CONTAINER: resultsContainerName
  JOBS_QUEUE: jobsQueueName
  STATE_CONTAINER: stateContainerName
  DEAD_LETTER_CONTAINER: deadLetterContainerName
  MAX_BLOB_BYTES: maxBlobBytes
  MAX_INPUT_PIXELS: maxInputPixels
  MAX_PDF_PAGE_OPERATORS: maxPdfPageOperators
  MAX_PDF_PAGE_IMAGE_PIXELS: maxPdfPageImagePixels
  MAX_PDF_IMAGE_PIXELS: maxPdfImagePixels
  MAX_PDF_PAGE_TEXT_CHARS: maxPdfPageTextChars
  MAX_PDF_TEXT_CHARS: maxPdfTextChars
  RENDER_WORKERS: renderWorkers
  RENDER_TIMEOUT_MS: renderTimeoutMs
  RENDER_MAX_MEMORY_MB: renderMaxMemoryMb
  VISION_PROVIDER: visionProvider
  VISION_MODEL: openAiModelName
  AZURE_OPENAI_ENDPOINT: openAiEndpoint
  AZURE_OPENAI_DEPLOYMENT: openAiDeploymentName
  AZURE_OPENAI_API_VERSION: azureOpenAiApiVersion
  OPENAI_BASE_URL: openAiBaseUrl
  OPENAI_MODEL: openAiModel
  MODEL_TIMEOUT_MS: modelTimeoutMs
  MODEL_MAX_RETRIES: modelMaxRetries
  // A deployment created here is the whole quota; with several instances the headers share it (docs/scaling.md).
  MODEL_TPM: !empty(modelTpm) ? modelTpm : (deployOpenAi ? string(openAiDeploymentCapacity * 1000) : '')
  MODEL_RPM: modelRpm
  MODEL_REQUEST_SHAPE: modelRequestShape
  MODEL_REASONING_EFFORT: modelReasoningEffort
  MODEL_RATE_WINDOW_SECONDS: modelRateWindowSeconds
  MODEL_RATE_MAX_WAIT_MS: modelRateMaxWaitMs
  PRICE_INPUT_PER_MTOK: priceInputPerMTok
  PRICE_OUTPUT_PER_MTOK: priceOutputPerMTok
  DEFAULT_PROFILE: defaultProfile
  PROFILE_RULES: profileRules
  PROFILES_FILE: profilesFile
  MAX_COMPARE_IMAGES: maxCompareImages
  MAX_PAGES: maxPages
  MAX_PAGE_PIXELS: maxPagePixels
  MAX_IMAGES_PER_REQUEST: maxImagesPerRequest
  DOCUMENT_TOKEN_BUDGET: documentTokenBudget
  MAX_RATE_LIMIT_DEFERRALS: maxRateLimitDeferrals
  RESULT_CACHE: resultCache
  OCR_GROUNDING: ocrGrounding
  LOG_LEVEL: logLevel
  METRICS_SCHEDULE: metricsSchedule
  STRANDED_SWEEP_SCHEDULE: strandedSweepSchedule
}

module functionApp 'app/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: '${abbrs.webServerFarms}${resourceToken}'
    appName: functionAppName
    location: location
    tags: tags
    serviceName: serviceName
    identityId: identity.outputs.id
    hostBlobEndpoint: hostStorage.outputs.blobEndpoint
    deploymentContainerName: deploymentContainerName
    appSettings: appSettings
    runtimeName: 'node'
    runtimeVersion: '20'
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
  // The host starts as soon as the app exists: its storage and telemetry roles must already be there.
  dependsOn: [
    rbac
  ]
}

module eventGrid 'app/eventgrid.bicep' = {
  name: 'eventgrid'
  scope: rg
  params: {
    name: '${abbrs.eventGridSystemTopics}${resourceToken}'
    location: location
    tags: tags
    storageAccountId: dataStorage.outputs.id
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: '${abbrs.insightsScheduledQueryRules}${resourceToken}-'
    location: location
    tags: tags
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    alertEmail: alertEmail
    jobsQueueDepthThreshold: jobsQueueDepthThreshold
    oldestMessageAgeThresholdSeconds: oldestMessageAgeThresholdSeconds
    failureRatePercentThreshold: failureRatePercentThreshold
    failureRateMinimumResults: failureRateMinimumResults
  }
}

// azd writes these to .azure/<env>/.env; the postdeploy hook reads them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_HOSTNAME string = functionApp.outputs.defaultHostName
output AZURE_STORAGE_ACCOUNT_NAME string = dataStorage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = dataStorage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = dataStorage.outputs.queueEndpoint
output AZURE_OPENAI_ENDPOINT string = openAiEndpoint
output AZURE_OPENAI_DEPLOYMENT string = openAiDeploymentName
output EVENT_GRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.name
// The resource-id form `az eventgrid ... --deadletter-identity-endpoint` takes.
output EVENT_GRID_DEADLETTER_ENDPOINT string = '${dataStorage.outputs.id}/blobServices/default/containers/${deadLetterContainerName}'
output INPUT_CONTAINER string = inputContainerName
output RESULTS_CONTAINER string = resultsContainerName
output JOBS_QUEUE string = jobsQueueName
output STATE_CONTAINER string = stateContainerName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
