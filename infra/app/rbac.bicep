// Data-plane role assignments, least privilege, all on single resources (never the resource group).
//
// The worker identity (appPrincipalId):
//   data account  Storage Blob Data Contributor   reads uploads, writes results (blob read/write/delete).
//                                                 Not Owner: Owner adds POSIX ACL / ownership / tag and
//                                                 immutability rights the worker never uses. Blob trigger
//                                                 receipts live in the HOST account (azure-webjobs-hosts),
//                                                 where the identity is Owner (below); with the Event Grid
//                                                 source the trigger only reads the blob named in the event.
//                                                 The Functions docs list Owner as the *example* role for a
//                                                 trigger connection; if a future host version needs more,
//                                                 the 403 names the data action (see docs/deploy.md).
//   data account  Storage Queue Data Contributor  enqueueUpload sends, analyzeImage receives, deletes and
//                                                 updates (a failed message is released with a visibility
//                                                 timeout = messages/write), the host moves failures to
//                                                 <queue>-poison and the blob trigger to
//                                                 webjobs-blobtrigger-poison, creating them if missing
//                                                 (queues/write). Message Processor (read + process) plus
//                                                 Message Sender (add) cover neither messages/write nor
//                                                 queues/write, so Contributor is the least role that works.
//   host account  Storage Blob Data Owner         AzureWebJobsStorage: host locks/leases, blob trigger
//                                                 receipts, and the Flex Consumption deployment package
//                                                 (what Azure's Flex Consumption templates assign).
//   host account  Storage Queue Data Contributor  AzureWebJobsStorage: the blob trigger's internal dispatch
//                                                 queue and poison queue live on the host account.
//   host account  (no Table role)                 nothing here uses tables (no Durable Functions).
//   App Insights  Monitoring Metrics Publisher    Entra-authenticated telemetry ingestion (local auth off).
//   (Cognitive Services OpenAI User is assigned in openai-access.bicep, scoped to the OpenAI account.)
//
// The deploying user (userPrincipalId, optional) gets data roles to upload test files, read results and
// inspect or replay queues: Storage Blob Data Contributor and Storage Queue Data Contributor on the data
// account only.
param dataStorageName string
param hostStorageName string
param applicationInsightsName string
param appPrincipalId string

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
