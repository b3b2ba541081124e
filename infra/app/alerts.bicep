// Log alerts on the worker's own custom metrics in Application Insights (table customMetrics).
//
// Alert inputs, the contract with the code: a timer function (to be added) publishes these metric names
// and the pipeline publishes the results counters. Renaming one on either side silently disables the
// alert, so test/infra/infra.test.ts pins the list.
//   queue_depth_jobs          gauge  approximate message count of the jobs queue (JOBS_QUEUE)
//   queue_depth_poison        gauge  approximate message count of <JOBS_QUEUE>-poison
//   queue_oldest_age_seconds  gauge  age in seconds of the oldest message in the jobs queue
//   results_failed            count  result records written as failures; dimension error_code
//   results_succeeded         count  result records written as successes
// Gauges are read with valueMax (the largest sample in a pre-aggregated row), counters with valueSum.
// No data means no alert: until the timer function ships, the queue alerts stay quiet.
param namePrefix string
param location string
param tags object = {}

@description('Resource id of the Application Insights component the metrics are sent to.')
param applicationInsightsId string

@description('E-mail address for alert notifications; empty for no action group (alerts still show in the portal).')
param alertEmail string = ''

@description('Alert when the jobs queue holds more than this many messages.')
@minValue(1)
param jobsQueueDepthThreshold int

@description('Alert when the oldest jobs-queue message is older than this (seconds).')
@minValue(60)
param oldestMessageAgeThresholdSeconds int

@description('Alert when more than this percentage of results in the window are failures.')
@minValue(1)
@maxValue(100)
param failureRatePercentThreshold int

@description('The failure-rate alert needs at least this many results in the window to judge.')
@minValue(1)
param failureRateMinimumResults int

var metricNames = {
  jobsDepth: 'queue_depth_jobs'
  poisonDepth: 'queue_depth_poison'
  oldestAgeSeconds: 'queue_oldest_age_seconds'
  resultsFailed: 'results_failed'
  resultsSucceeded: 'results_succeeded'
}

var actionGroupName = '${namePrefix}ops'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = if (!empty(alertEmail)) {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'visionops'
    enabled: true
    emailReceivers: [
      {
        name: 'operator'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var actionGroupIds = empty(alertEmail) ? [] : [resourceId('Microsoft.Insights/actionGroups', actionGroupName)]

var rules = [
  {
    suffix: 'poison-queue-not-empty'
    displayName: 'blob-vision-worker: poison queue is not empty'
    description: 'A job failed every delivery and was moved to the poison queue; recordPoison should have written a failure result. Inspect and replay or discard.'
    severity: 1
    query: 'customMetrics | where name == "${metricNames.poisonDepth}" | project depth = valueMax'
    measure: 'depth'
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    suffix: 'jobs-queue-depth'
    displayName: 'blob-vision-worker: jobs queue backlog'
    description: 'The jobs queue holds more messages than the threshold: the worker is not keeping up (scale limit, model throttling) or not running.'
    severity: 2
    query: 'customMetrics | where name == "${metricNames.jobsDepth}" | project depth = valueMax'
    measure: 'depth'
    threshold: jobsQueueDepthThreshold
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    suffix: 'jobs-queue-oldest-age'
    displayName: 'blob-vision-worker: oldest job is too old'
    description: 'The oldest message in the jobs queue is older than the threshold: jobs are stuck or failing and being redelivered.'
    severity: 2
    query: 'customMetrics | where name == "${metricNames.oldestAgeSeconds}" | project ageSeconds = valueMax'
    measure: 'ageSeconds'
    threshold: oldestMessageAgeThresholdSeconds
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    suffix: 'failure-rate'
    displayName: 'blob-vision-worker: failure rate'
    description: 'More than the threshold percentage of results in the last 30 minutes were failures (all error_code values together; split customMetrics by customDimensions.error_code to see which).'
    severity: 2
    query: 'customMetrics | where name in ("${metricNames.resultsFailed}", "${metricNames.resultsSucceeded}") | summarize failed = sumif(valueSum, name == "${metricNames.resultsFailed}"), total = sum(valueSum) | where total >= ${failureRateMinimumResults} | project failurePercent = 100.0 * failed / total'
    measure: 'failurePercent'
    threshold: failureRatePercentThreshold
    windowSize: 'PT30M'
    evaluationFrequency: 'PT10M'
  }
]

resource alertRules 'Microsoft.Insights/scheduledQueryRules@2021-08-01' = [
  for rule in rules: {
    name: '${namePrefix}${rule.suffix}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        applicationInsightsId
      ]
      evaluationFrequency: rule.evaluationFrequency
      windowSize: rule.windowSize
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Maximum'
            metricMeasureColumn: rule.measure
            operator: 'GreaterThan'
            threshold: rule.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: actionGroupIds
      }
    }
    dependsOn: [
      actionGroup
    ]
  }
]

output alertRuleNames array = [for (rule, i) in rules: alertRules[i].name]
