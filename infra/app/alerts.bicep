// Log alerts on the worker's own metrics, which it writes as structured log lines (Application
// Insights table traces): the emitMetrics timer (METRICS_SCHEDULE, every minute by default) logs one line
// per value, {"event":"metric","name":...,"value":...,"dimensions":{...},"snapshot":...}
// (src/ops/metricLines.ts, docs/operate.md). Node functions have no custom-metric API of their own, and
// the Functions host already ships the worker's logs with Entra auth, so no telemetry SDK is involved.
//
// Alert inputs, the contract with the code; test/infra/infra.test.ts pins the list against the code:
//   queue_depth_jobs          gauge  approximate message count of the jobs queue (JOBS_QUEUE)
//   queue_depth_poison        gauge  approximate message count of <JOBS_QUEUE>-poison
//   queue_depth_poison_poison gauge  messages the poison handler failed on (<JOBS_QUEUE>-poison-poison)
//   dead_lettered_uploads     gauge  BlobCreated events Event Grid dead-lettered, not yet enqueued again
//   queue_oldest_age_seconds  gauge  age of the oldest visible jobs-queue message (no line when none is visible)
//   results_failed            gauge  failure records written in the trailing hour; dimension error_code
//   results_succeeded         gauge  success records written in the trailing hour
// Every line restates the current value, so the results figures are read from the latest snapshot, never
// summed over time. No data means no alert.
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

@description('Alert when more than this percentage of the last hour\'s results are failures.')
@minValue(1)
@maxValue(100)
param failureRatePercentThreshold int

@description('The failure-rate alert needs at least this many results in the last hour to judge.')
@minValue(1)
param failureRateMinimumResults int

var metricNames = {
  jobsDepth: 'queue_depth_jobs'
  poisonDepth: 'queue_depth_poison'
  strandedMessages: 'queue_depth_poison_poison'
  deadLetters: 'dead_lettered_uploads'
  oldestAgeSeconds: 'queue_oldest_age_seconds'
  resultsFailed: 'results_failed'
  resultsSucceeded: 'results_succeeded'
}

// One metric's values with their time (the alert service bins rows by timestamp).
var metricLine = 'traces | where message has "metric" | extend m = parse_json(message) | where tostring(m.event) == "metric"'

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
    query: '${metricLine} and tostring(m.name) == "${metricNames.poisonDepth}" | project timestamp, depth = todouble(m.value)'
    measure: 'depth'
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    suffix: 'stranded-work'
    displayName: 'blob-vision-worker: work stranded outside the queues'
    description: 'A message reached <queue>-poison-poison (its poison handler kept failing) or a BlobCreated event was dead-lettered (enqueueing kept failing). The recordStranded timer records or enqueues them every 5 minutes; if this persists, read its stranded.* log lines.'
    severity: 1
    query: '${metricLine} and tostring(m.name) in ("${metricNames.strandedMessages}", "${metricNames.deadLetters}") | project timestamp, stranded = todouble(m.value)'
    measure: 'stranded'
    threshold: 0
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    suffix: 'jobs-queue-depth'
    displayName: 'blob-vision-worker: jobs queue backlog'
    description: 'The jobs queue holds more messages than the threshold: the worker is not keeping up (scale limit, model throttling) or not running.'
    severity: 2
    query: '${metricLine} and tostring(m.name) == "${metricNames.jobsDepth}" | project timestamp, depth = todouble(m.value)'
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
    query: '${metricLine} and tostring(m.name) == "${metricNames.oldestAgeSeconds}" | project timestamp, ageSeconds = todouble(m.value)'
    measure: 'ageSeconds'
    threshold: oldestMessageAgeThresholdSeconds
    windowSize: 'PT15M'
    evaluationFrequency: 'PT5M'
  }
  {
    suffix: 'failure-rate'
    displayName: 'blob-vision-worker: failure rate'
    description: 'More than the threshold percentage of the results written in the last hour were failures, as of the latest metrics snapshot (all error_code values together; the snapshot\'s results_failed lines name each code).'
    severity: 2
    query: 'let results = ${metricLine} and tostring(m.name) in ("${metricNames.resultsFailed}", "${metricNames.resultsSucceeded}") | extend snapshot = todatetime(m.snapshot), metric = tostring(m.name), value = todouble(m.value); results | where snapshot == toscalar(results | summarize max(snapshot)) | summarize timestamp = max(timestamp), failed = sumif(value, metric == "${metricNames.resultsFailed}"), total = sum(value) | where total >= ${failureRateMinimumResults} | project timestamp, failurePercent = 100.0 * failed / total'
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
