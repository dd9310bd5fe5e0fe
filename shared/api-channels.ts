/**
 * The API's IPC channel names (`domain:verb`), without the payload schemas, for the preload:
 * a sandboxed preload stays small and loads no validation library.
 */
export const CHANNELS = {
  inspect: 'machine:inspect',
  listProfiles: 'profiles:list',
  connectTarget: 'target:connect',
  check: 'check:run',
  measureSelection: 'selection:measure',
  measureFolders: 'selection:folders',
  startMigration: 'migration:start',
  pauseMigration: 'migration:pause',
  resumeMigration: 'migration:resume',
  cancelMigration: 'migration:cancel',
  cutOver: 'migration:cutover',
  setBandwidthLimit: 'migration:bandwidth',
  getSession: 'session:get',
  exportReport: 'report:export',
  openReportFolder: 'report:open-folder',
} as const;

/** The channel engine events arrive on. */
export const EVENT_CHANNEL = 'session:event';
