// Azure OpenAI with Entra ID as the only way in (disableLocalAuth: no API keys work), a custom
// subdomain (required for Entra ID tokens) and one model deployment the worker calls by name.
// Skipped by main.bicep when existingOpenAiEndpoint is set.
param name string
param location string = resourceGroup().location
param tags object = {}

@description('Deployment name the worker sends as AZURE_OPENAI_DEPLOYMENT.')
param deploymentName string

@description('Model to deploy, e.g. gpt-5.1.')
param modelName string

@description('Model version, e.g. 2025-11-13 for gpt-5.1.')
param modelVersion string

@allowed(['GlobalStandard', 'Standard', 'DataZoneStandard'])
param deploymentSkuName string = 'GlobalStandard'

@description('Capacity in thousands of tokens per minute.')
@minValue(1)
param deploymentCapacity int

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource deployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: deploymentName
  sku: {
    name: deploymentSkuName
    capacity: deploymentCapacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: modelName
      version: modelVersion
    }
    // Moves to the next default version when this one expires instead of the deployment stopping at retirement.
    versionUpgradeOption: 'OnceCurrentVersionExpired'
  }
}

output id string = account.id
output name string = account.name
output endpoint string = account.properties.endpoint
output deploymentName string = deployment.name
