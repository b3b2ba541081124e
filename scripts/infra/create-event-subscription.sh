#!/bin/sh
# azd postdeploy hook: subscribe the Event Grid trigger enqueueUpload to BlobCreated events of the input
# container, retrying a failed delivery 5 times within a day and then dead-lettering the event to the
# data account's eventgrid-deadletter container (written with the system topic's managed identity), which
# the worker's recordStranded timer sweeps back onto the jobs queue.
#
# Why here and not in Bicep: Event Grid validates a webhook when the subscription is created, and the
# Event Grid extension's webhook (/runtime/webhooks/eventgrid) only answers with the app's
# `eventgrid_extension` system key in the URL. That key exists once the code is deployed and the host has
# started, i.e. after `azd deploy`.
#
# Reads (azd exports them to hooks; falls back to `azd env get-values`):
#   AZURE_FUNCTION_APP_NAME, RESOURCE_GROUP, EVENT_GRID_SYSTEM_TOPIC_NAME, INPUT_CONTAINER,
#   EVENT_GRID_DEADLETTER_ENDPOINT, AZURE_SUBSCRIPTION_ID (optional)
# Re-running it updates the subscription in place.
set -eu

# MUST equal BLOB_CREATED_SUBSCRIPTION in src/names.ts (test/infra/infra.test.ts checks them).
ENQUEUE_FUNCTION_NAME="enqueueUpload"
SUBSCRIPTION_NAME="enqueue-upload-blob-created"
MAX_DELIVERY_ATTEMPTS=5
EVENT_TTL_MINUTES=1440

if ! command -v az >/dev/null 2>&1; then
  echo "create-event-subscription: the Azure CLI (az) is required: https://learn.microsoft.com/cli/azure/install-azure-cli" >&2
  exit 1
fi

if [ -z "${AZURE_FUNCTION_APP_NAME:-}" ] && command -v azd >/dev/null 2>&1; then
  # KEY="value" lines; values written by azd never contain newlines.
  azd env get-values > "${TMPDIR:-/tmp}/azd-env.$$"
  while IFS='=' read -r key value; do
    case "$key" in
      ''|\#*) continue ;;
    esac
    value=$(printf '%s' "$value" | sed -e 's/^"//' -e 's/"$//')
    export "$key=$value"
  done < "${TMPDIR:-/tmp}/azd-env.$$"
  rm -f "${TMPDIR:-/tmp}/azd-env.$$"
fi

missing=""
for name in AZURE_FUNCTION_APP_NAME RESOURCE_GROUP EVENT_GRID_SYSTEM_TOPIC_NAME INPUT_CONTAINER EVENT_GRID_DEADLETTER_ENDPOINT; do
  eval "current=\${$name:-}"
  if [ -z "$current" ]; then missing="$missing $name"; fi
done
if [ -n "$missing" ]; then
  echo "create-event-subscription: missing azd outputs:$missing (run 'azd provision' first)" >&2
  exit 1
fi

if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then
  az account set --subscription "$AZURE_SUBSCRIPTION_ID"
fi

# The key appears once the host has indexed the Event Grid trigger; a fresh deployment can take a minute.
eventgrid_extension_key=""
attempt=1
while [ "$attempt" -le 12 ]; do
  eventgrid_extension_key=$(az functionapp keys list \
    --name "$AZURE_FUNCTION_APP_NAME" \
    --resource-group "$RESOURCE_GROUP" \
    --query "systemKeys.eventgrid_extension" \
    --output tsv 2>/dev/null || true)
  if [ -n "$eventgrid_extension_key" ]; then break; fi
  echo "create-event-subscription: waiting for the eventgrid_extension system key (attempt $attempt of 12)"
  attempt=$((attempt + 1))
  sleep 10
done
if [ -z "$eventgrid_extension_key" ]; then
  echo "create-event-subscription: no eventgrid_extension system key on $AZURE_FUNCTION_APP_NAME; is the code deployed and does it register $ENQUEUE_FUNCTION_NAME?" >&2
  exit 1
fi

endpoint="https://${AZURE_FUNCTION_APP_NAME}.azurewebsites.net/runtime/webhooks/eventgrid?functionName=${ENQUEUE_FUNCTION_NAME}&code=${eventgrid_extension_key}"
subject_prefix="/blobServices/default/containers/${INPUT_CONTAINER}/blobs/"

az eventgrid system-topic event-subscription create \
  --name "$SUBSCRIPTION_NAME" \
  --resource-group "$RESOURCE_GROUP" \
  --system-topic-name "$EVENT_GRID_SYSTEM_TOPIC_NAME" \
  --endpoint-type webhook \
  --endpoint "$endpoint" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with "$subject_prefix" \
  --max-delivery-attempts "$MAX_DELIVERY_ATTEMPTS" \
  --event-ttl "$EVENT_TTL_MINUTES" \
  --deadletter-identity systemassigned \
  --deadletter-identity-endpoint "$EVENT_GRID_DEADLETTER_ENDPOINT" \
  --output none

echo "create-event-subscription: $SUBSCRIPTION_NAME delivers BlobCreated under $subject_prefix to $ENQUEUE_FUNCTION_NAME; after $MAX_DELIVERY_ATTEMPTS failed attempts to $EVENT_GRID_DEADLETTER_ENDPOINT"
