export { UPGRADE_ENV, UPGRADE_WORKERS_ENV } from './messages.js';
export { announceReady, inheritSockets } from './predecessor.js';
export { UPGRADE_TIMEOUT_MS, handOffsSettled, startSuccessor } from './successor.js';
