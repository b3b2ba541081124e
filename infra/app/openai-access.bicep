// Cognitive Services OpenAI User on one Azure OpenAI account: inference calls (chat completions) with
// an Entra ID token, nothing else (no keys, no deployment management). Deployed into the account's own
// resource group, so it also works for an existing account elsewhere (existingOpenAiResourceId).
param openAiAccountName string
param appPrincipalId string

@description('Object id of the deploying user or CI principal; empty for none.')
param userPrincipalId string = ''

@allowed(['User', 'ServicePrincipal', 'Group'])
param userPrincipalType string = 'User'

var cognitiveServicesOpenAiUser = '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd' // Cognitive Services OpenAI User

resource openAiAccount 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: openAiAccountName
}

resource appOpenAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(openAiAccount.id, appPrincipalId, cognitiveServicesOpenAiUser)
  scope: openAiAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Lets the deploying user run the worker locally against the same deployment (keyless too).
resource userOpenAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(userPrincipalId)) {
  name: guid(openAiAccount.id, userPrincipalId, cognitiveServicesOpenAiUser)
  scope: openAiAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', cognitiveServicesOpenAiUser)
    principalId: userPrincipalId
    principalType: userPrincipalType
  }
}
