import type { Migration } from 'kysely'
import * as initial from './2026_11_26_001_initial.ts'
import * as readIndexes from './2026_11_26_002_read_indexes.ts'
import * as privateNumbers from './2026_12_02_001_private_numbers.ts'
import * as setterAnalytics from './2026_12_02_0325_setter_analytics.ts'
import * as webSessions from './2026_12_02_0330_web_sessions.ts'
import * as webhooks from './2026_12_02_0330_webhooks.ts'
import * as sharedLimits from './2026_12_02_0342_shared_limits.ts'
import * as settingsAudit from './2026_12_02_0525_settings_audit.ts'
import * as contactVersion from './2026_12_02_0526_contact_version.ts'
import * as stageCounts from './2026_12_02_0610_stage_counts.ts'
import * as filterCounts from './2026_12_02_0850_filter_counts.ts'
import * as analyticsSetterIndexes from './2026_12_02_0855_analytics_setter_indexes.ts'
import * as pipelineTagSearch from './2026_12_02_1145_pipeline_tag_search.ts'
import * as webhookPendingCounts from './2026_12_03_1800_webhook_pending_counts.ts'

// Registered explicitly (not read from the folder at run time) so the compiled binary carries them.
// Names sort by date; add new ones at the end.
export const migrations: Record<string, Migration> = {
  '2026_11_26_001_initial': initial,
  '2026_11_26_002_read_indexes': readIndexes,
  '2026_12_02_001_private_numbers': privateNumbers,
  '2026_12_02_0325_setter_analytics': setterAnalytics,
  '2026_12_02_0330_web_sessions': webSessions,
  '2026_12_02_0330_webhooks': webhooks,
  '2026_12_02_0342_shared_limits': sharedLimits,
  '2026_12_02_0525_settings_audit': settingsAudit,
  '2026_12_02_0526_contact_version': contactVersion,
  '2026_12_02_0610_stage_counts': stageCounts,
  '2026_12_02_0850_filter_counts': filterCounts,
  '2026_12_02_0855_analytics_setter_indexes': analyticsSetterIndexes,
  '2026_12_02_1145_pipeline_tag_search': pipelineTagSearch,
  '2026_12_03_1800_webhook_pending_counts': webhookPendingCounts,
}
