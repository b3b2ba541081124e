// Flex Consumption (FC1) plan and a Linux function app running as the user-assigned identity. The
// deployment package lives in a container of the host storage account and is read with that identity;
// the runtime (node 20) is declared in functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION are not app settings here (Azure's Flex Consumption samples set neither).
param planName string
param appName string
param location string = resourceGroup().location
param tags object = {}

@description('azd service name (azure.yaml services.<name>); azd finds the app by this tag.')
param serviceName string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Blob endpoint of the host storage account, ending in /.')
param hostBlobEndpoint string

@description('Container in the host storage account that holds the deployment package.')
param deploymentContainerName string

@description('Every app setting, built in main.bicep.')
param appSettings object

@allowed(['node'])
param runtimeName string = 'node'

@allowed(['20', '22'])
param runtimeVersion string = '20'

@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@allowed([512, 2048, 4096])
param instanceMemoryMB int

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: appSettings
  }
}

output id string = app.id
output name string = app.name
output defaultHostName string = app.properties.defaultHostName
