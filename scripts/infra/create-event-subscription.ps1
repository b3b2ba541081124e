# azd postdeploy hook (Windows / pwsh): subscribe the Event Grid trigger enqueueUpload to BlobCreated
# events of the input container, with the retry policy and the dead-letter container. Same steps as
# create-event-subscription.sh; see there for why this runs after deployment rather than in Bicep (the
# webhook needs the app's eventgrid_extension key).
#
# Reads (azd exports them to hooks; falls back to `azd env get-values`):
#   AZURE_FUNCTION_APP_NAME, RESOURCE_GROUP, EVENT_GRID_SYSTEM_TOPIC_NAME, INPUT_CONTAINER,
#   EVENT_GRID_DEADLETTER_ENDPOINT, AZURE_SUBSCRIPTION_ID (optional)
$ErrorActionPreference = 'Stop'

# MUST equal BLOB_CREATED_SUBSCRIPTION in src/names.ts (test/infra/infra.test.ts checks them).
$EnqueueFunctionName = 'enqueueUpload'
$SubscriptionName = 'enqueue-upload-blob-created'
$MaxDeliveryAttempts = 5
$EventTtlMinutes = 1440

if (-not (Get-Command az -ErrorAction SilentlyContinue)) {
  Write-Error 'create-event-subscription: the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli'
  exit 1
}

if (-not $env:AZURE_FUNCTION_APP_NAME -and (Get-Command azd -ErrorAction SilentlyContinue)) {
  foreach ($line in (& azd env get-values)) {
    if ($line -match '^([^=#]+)=(.*)$') {
      $value = $Matches[2] -replace '^"|"$', ''
      [Environment]::SetEnvironmentVariable($Matches[1], $value)
    }
  }
}

$missing = @('AZURE_FUNCTION_APP_NAME', 'RESOURCE_GROUP', 'EVENT_GRID_SYSTEM_TOPIC_NAME', 'INPUT_CONTAINER', 'EVENT_GRID_DEADLETTER_ENDPOINT') |
  Where-Object { -not [Environment]::GetEnvironmentVariable($_) }
if ($missing) {
  Write-Error "create-event-subscription: missing azd outputs: $($missing -join ', ') (run 'azd provision' first)"
  exit 1
}

if ($env:AZURE_SUBSCRIPTION_ID) {
  az account set --subscription $env:AZURE_SUBSCRIPTION_ID
  if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

# The key appears once the host has indexed the Event Grid trigger; a fresh deployment can take a minute.
$eventGridExtensionKey = ''
for ($attempt = 1; $attempt -le 12; $attempt++) {
  $eventGridExtensionKey = az functionapp keys list `
    --name $env:AZURE_FUNCTION_APP_NAME `
    --resource-group $env:RESOURCE_GROUP `
    --query 'systemKeys.eventgrid_extension' `
    --output tsv 2>$null
  if ($LASTEXITCODE -eq 0 -and $eventGridExtensionKey) { break }
  Write-Host "create-event-subscription: waiting for the eventgrid_extension system key (attempt $attempt of 12)"
  Start-Sleep -Seconds 10
}
if (-not $eventGridExtensionKey) {
  Write-Error "create-event-subscription: no eventgrid_extension system key on $($env:AZURE_FUNCTION_APP_NAME); is the code deployed and does it register $EnqueueFunctionName?"
  exit 1
}

$endpoint = "https://$($env:AZURE_FUNCTION_APP_NAME).azurewebsites.net/runtime/webhooks/eventgrid?functionName=$EnqueueFunctionName&code=$eventGridExtensionKey"
$subjectPrefix = "/blobServices/default/containers/$($env:INPUT_CONTAINER)/blobs/"

# The URL contains '&': az.cmd on Windows re-parses its arguments through cmd.exe, so there the value is
# passed wrapped in literal double quotes (as Azure's own PowerShell template does); elsewhere az is a
# plain executable and takes the URL as is.
$onWindows = $IsWindows -or $PSVersionTable.PSEdition -eq 'Desktop'
$endpointArgument = if ($onWindows) { "`"$endpoint`"" } else { $endpoint }
az eventgrid system-topic event-subscription create `
  --name $SubscriptionName `
  --resource-group $env:RESOURCE_GROUP `
  --system-topic-name $env:EVENT_GRID_SYSTEM_TOPIC_NAME `
  --endpoint-type webhook `
  --endpoint $endpointArgument `
  --included-event-types Microsoft.Storage.BlobCreated `
  --subject-begins-with $subjectPrefix `
  --max-delivery-attempts $MaxDeliveryAttempts `
  --event-ttl $EventTtlMinutes `
  --deadletter-identity systemassigned `
  --deadletter-identity-endpoint $env:EVENT_GRID_DEADLETTER_ENDPOINT `
  --output none
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

Write-Host "create-event-subscription: $SubscriptionName delivers BlobCreated under $subjectPrefix to $EnqueueFunctionName; after $MaxDeliveryAttempts failed attempts to $($env:EVENT_GRID_DEADLETTER_ENDPOINT)"
