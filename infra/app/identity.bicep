// The one identity the worker runs as: storage (host and data), Azure OpenAI and Application Insights
// all authorise it through Entra ID role assignments (rbac.bicep, openai-access.bicep); no keys exist.
param name string
param location string = resourceGroup().location
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
