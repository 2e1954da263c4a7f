export {
  AccessLogFormatError,
  DEFAULT_ACCESS_LOG_FORMAT,
  compileAccessLogFormat,
  formatLine,
  formatStartTime,
  goDuration,
  logVariable,
  type AccessLogFormat,
  type LogVariable,
} from './format.js';
export { RequestLog, type AccessLog, type AccessLogSink } from './request-log.js';
