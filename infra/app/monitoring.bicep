// Log Analytics + workspace-based Application Insights with local (instrumentation-key) authentication
// disabled: telemetry is accepted only from principals holding Monitoring Metrics Publisher on the
// component (granted to the worker identity in rbac.bicep), which the Functions host uses through
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING = 'ClientId=<id>;Authorization=AAD'.
param logAnalyticsName string
param applicationInsightsName string
param location string = resourceGroup().location
param tags object = {}

@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    retentionInDays: retentionInDays
    sku: {
      name: 'PerGB2018'
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output logAnalyticsId string = logAnalytics.id
output applicationInsightsId string = applicationInsights.id
output applicationInsightsName string = applicationInsights.name
output applicationInsightsLocation string = applicationInsights.location
output connectionString string = applicationInsights.properties.ConnectionString
