// Data-plane role assignments, least privilege, all on single resources (never the resource group).
//
// The worker identity (appPrincipalId):
//   data account  Storage Blob Data Contributor   reads uploads, writes results (blob read/write/delete).
//                                                 Not Owner: Owner adds POSIX ACL / ownership / tag and
//                                                 immutability rights the worker never uses. enqueueUpload
//                                                 is an Event Grid trigger: it reads only the properties of
//                                                 the blob an event names; processJob reads the bytes.
//   data account  Storage Queue Data Contributor  enqueueUpload sends, processJob receives, deletes and
//                                                 updates (a failed message is released with a visibility
//                                                 timeout = messages/write), the host moves failures to
//                                                 <queue>-poison, creating it if missing (queues/write).
//                                                 Message Processor (read + process) plus
//                                                 Message Sender (add) cover neither messages/write nor
//                                                 queues/write, so Contributor is the least role that works.
//   host account  Storage Blob Data Owner         AzureWebJobsStorage: host locks/leases, keys, and the
//                                                 Flex Consumption deployment package (what Azure's Flex
//                                                 Consumption templates assign).
//   host account  Storage Queue Data Contributor  AzureWebJobsStorage: the host's own internal queues
//                                                 (what Azure's Flex Consumption templates assign).
//   host account  (no Table role)                 nothing here uses tables (no Durable Functions).
//   App Insights  Monitoring Metrics Publisher    Entra-authenticated telemetry ingestion (local auth off).
//   (Cognitive Services OpenAI User is assigned in openai-access.bicep, scoped to the OpenAI account.)
//
// The Event Grid system topic's identity (eventGridPrincipalId):
//   dead-letter container in the data account  Storage Blob Data Contributor  writes the BlobCreated
//                                                 events it could not deliver (the accounts take no shared
//                                                 key, so Event Grid signs in with this identity). Scoped
//                                                 to that one container, not the account.
//
// The deploying user (userPrincipalId, optional) gets data roles to upload test files, read results and
// inspect or replay queues: Storage Blob Data Contributor and Storage Queue Data Contributor on the data
// account only.
param dataStorageName string
param hostStorageName string
param applicationInsightsName string
param appPrincipalId string

@description('Data storage container Event Grid dead-letters undeliverable events to (the worker reads and enqueues them).')
param deadLetterContainerName string

@description('Principal id of the Event Grid system topic\'s system-assigned identity.')
param eventGridPrincipalId string

@description('Object id of the deploying user or CI principal; empty for none.')
param userPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param userPrincipalType string = 'User'

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher

resource dataStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: dataStorageName
}

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource dataBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: dataStorage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: dataBlobService
  name: deadLetterContainerName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource appDataBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage.id, appPrincipalId, storageBlobDataContributor)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appDataQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(dataStorage.id, appPrincipalId, storageQueueDataContributor)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appHostBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appHostQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, appPrincipalId, storageQueueDataContributor)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource topicDeadLetterBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, eventGridPrincipalId, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: eventGridPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource userDataBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(dataStorage.id, userPrincipalId, storageBlobDataContributor)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}

resource userDataQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(dataStorage.id, userPrincipalId, storageQueueDataContributor)
  scope: dataStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
