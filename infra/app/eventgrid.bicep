// Event Grid system topic on the data storage account. The subscription that delivers BlobCreated events
// of the input container to the Event Grid trigger enqueueUpload is NOT declared here: its webhook URL
// must carry the running app's `eventgrid_extension` system key, which exists only after the code is
// deployed and the host has started. scripts/infra/create-event-subscription.(sh|ps1) creates it in the
// azd postdeploy hook. The topic's system-assigned identity writes the subscription's dead letters to the
// host account (rbac.bicep grants it that container only): the accounts accept no shared keys.
param name string
param location string = resourceGroup().location
param tags object = {}

@description('Resource id of the data storage account whose blob events the topic publishes.')
param storageAccountId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

output id string = systemTopic.id
output name string = systemTopic.name
output principalId string = systemTopic.identity.principalId
