#!/usr/bin/env node
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MosnError, type Logger } from '@mosn/proxy';
import { ConfigProblems } from './config/config-reader.js';
import { loadConfigFile } from './config/load.js';
import { logSettings, readConfig } from './config/read-config.js';
import { defaultExtensions } from './extensions.js';
import { createLogger } from './logger.js';
import { Mosn } from './mosn.js';
import { loadThirdPartCodecs } from './plugins.js';
import { readPid, upgradeStatusPath, writePidFile, writeUpgradeStatus } from './pid-file.js';
import { loadThirdPartStreamFilters } from './stream-filters/load-packages.js';
import { reloadCommand } from './reload-command.js';
import { upgradeCommand } from './upgrade-command.js';
import { announceReady, handOffsSettled, inheritSockets, startSuccessor } from './upgrade/index.js';
import { handleProcessErrors } from './process-policy.js';
import { handleSignals } from './signals.js';
import { XDS_FLAG_OPTIONS, XDS_HELP, xdsFlagsFromArgs, type XdsFlags } from './xds/flags.js';

const HELP = `mosn: a MOSN-compatible service-mesh sidecar proxy on Node.js

Usage:
  mosn start -c <config>      run the proxy on a MOSN config (JSON, or YAML by .yaml/.yml)
  mosn validate <config>      check a config (or -c <config>); list every problem with its
                              JSON path; exit 1 if any
  mosn reload -c <config>     make the mosn running on <config> re-read it (through its admin
                              API; without one, SIGHUP to the pid in the config's "pid" file)
  mosn upgrade -c <config>    hot upgrade of the mosn running on <config> (found by the config's
                              "pid" file): a new process takes its sockets over, the old drains
  mosn version                print the version
  mosn --help                 this text

Options:
  -c, --config <file>         the config file (default: configs/mosn_config.json)
  -l, --log-level <level>     override default_log_level (FATAL, ERROR, WARN, INFO, DEBUG, TRACE)

${XDS_HELP}
Signals (MOSN's meanings):
  SIGHUP            re-read the config file and apply what changed, while traffic flows; a
                    config with errors changes nothing (the errors are logged)
  SIGTERM, SIGINT   stop accepting, let requests in flight finish (up to graceful_timeout,
                    default 30s), exit 0
  SIGUSR1           reopen the log file and access logs (after log rotation)
  SIGUSR2           hot upgrade: start a new mosn on the same command line, hand it the
                    listening sockets, then stop this one gracefully (docs/operations.md)
Docs: docs/config.md (reload), docs/errors.md (error codes).
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function printProblems(file: string, problems: ConfigProblems): void {
  for (const w of problems.warnings) process.stderr.write(`warning: ${file}: ${w.path}: ${w.message}\n`);
  for (const e of problems.errors) process.stderr.write(`error: ${file}: ${e.path}: ${e.message}\n`);
}

/** Where a config file's relative paths (protocol packages, certificates) are found: its own folder. */
function configDir(file: string): string {
  return dirname(resolve(file));
}

/** Load the config's protocol and stream filter packages, then check the whole config: every problem, with its path. */
async function checkConfig(raw: unknown, file: string, xdsFlags?: XdsFlags) {
  const extensions = defaultExtensions();
  const baseDir = configDir(file);
  const loaded = [await loadThirdPartCodecs(raw, extensions, baseDir), await loadThirdPartStreamFilters(raw, extensions, baseDir)];
  const read = readConfig(raw, extensions, { baseDir, ...(xdsFlags ? { xdsFlags } : {}) });
  read.problems.errors.unshift(...loaded.flatMap((l) => l.errors));
  read.problems.warnings.unshift(...loaded.flatMap((l) => l.warnings));
  return { ...read, extensions, config: loaded.some((l) => l.errors.length > 0) ? undefined : read.config };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        'log-level': { type: 'string', short: 'l' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        ...XDS_FLAG_OPTIONS,
      },
    });
  } catch (e) {
    process.stderr.write(`mosn: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? (values.version ? 'version' : 'help');
  if (values.help || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === 'version') {
    process.stdout.write(`mosn-ts ${version()} (node ${process.version})\n`);
    return 0;
  }
  if (positionals.length > 2 || (positionals.length === 2 && (command !== 'validate' || values.config !== undefined))) {
    process.stderr.write(`mosn: unexpected argument "${positionals.at(-1)}"${command === 'validate' ? '' : `: give the config with -c`}\n\n${HELP}`);
    return 2;
  }
  const file = (command === 'validate' ? positionals[1] : undefined) ?? values.config ?? 'configs/mosn_config.json';
  if (command === 'reload') return reloadCommand(file);
  if (command === 'upgrade') return upgradeCommand(file);
  if (command === 'validate') {
    const raw = loadConfigFile(file);
    const { problems } = await checkConfig(raw, file);
    printProblems(file, problems);
    if (problems.errors.length > 0) {
      process.stderr.write(`${file}: ${problems.errors.length} error(s), ${problems.warnings.length} warning(s)\n`);
      return 1;
    }
    process.stdout.write(`${file}: valid (${problems.warnings.length} warning(s))\n`);
    return 0;
  }
  if (command !== 'start') {
    process.stderr.write(`mosn: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }

  const raw = loadConfigFile(file);
  // MOSN's node flags (each falling back to its environment variable), applied over the bootstrap's node
  const xdsFlags = xdsFlagsFromArgs(values, process.env);
  // The logger first (from the two log keys alone), so that the config is built once, with it.
  const settings = logSettings(raw);
  const { logger, flush, reopen, setLevel, control } = createLogger(settings.logPath, values['log-level'] ?? settings.logLevel);
  const { config, problems, extensions } = await checkConfig(raw, file, xdsFlags);
  if (!config) {
    printProblems(file, problems);
    process.stderr.write(`mosn: ${file}: ${problems.errors.length} config error(s); nothing was started\n`);
    flush();
    return 1;
  }
  // A -l given on the command line wins over the file's level, also after a reload.
  const setLogLevel = values['log-level'] === undefined ? setLevel : undefined;
  const mosn = new Mosn({ config: raw, logger, extensions, read: { config, problems }, baseDir: configDir(file), xdsFlags, logs: control, ...(setLogLevel ? { setLogLevel } : {}), reload: () => reloadFile(mosn, file, 'admin', logger) });
  // An error nothing caught: logged and counted; an uncaught exception drains and exits 1 (docs/design.md).
  handleProcessErrors({
    logger,
    stats: mosn.stats,
    stop: () => mosn.stop(),
    exit: (code) => {
      flush();
      process.exit(code);
    },
  });
  let pidFile: string | undefined;
  // Signals get MOSN's meanings before anything binds: a SIGHUP during start must not end the process.
  const stopped = handleSignals({ logger, reload: () => reloadFile(mosn, file, 'SIGHUP', logger), reopenLogs: () => {
      reopen();
      mosn.reopenAccessLogs();
    },
    stop: () => mosn.stop(),
    upgrade: async () => {
      const served = await startSuccessor(logger);
      if (pidFile) writeUpgradeStatus(pidFile, served, logger);
      return served;
    } });
  // started by a hot upgrade: the listeners take the old process's sockets
  const inherited = inheritSockets();
  try {
    await mosn.start();
  } catch (e) {
    // a known failure (a port in use, ...) is its code and message, without a stack; anything else is a bug: logged whole
    if (e instanceof MosnError) logger.fatal({ code: e.code }, `start failed: ${e.message}`);
    else logger.fatal({ err: e }, 'start failed');
    flush();
    process.stderr.write(`mosn: ${e instanceof MosnError ? `${e.code}: ` : ''}${(e as Error).message}\n`);
    return 1;
  }
  pidFile = writePidFile(raw, logger);
  if (inherited) announceReady();
  await stopped;
  // after a hot upgrade: the connections given to the new process arrive before this one exits
  await handOffsSettled();
  // after a hot upgrade the file holds the new process's pid: it stays
  if (pidFile && readPid(pidFile) === process.pid) {
    rmSync(pidFile, { force: true });
    rmSync(upgradeStatusPath(pidFile), { force: true });
  }
  flush();
  return 0;
}

/** Re-read the config file and apply it; a file that cannot be read or parsed changes nothing. */
async function reloadFile(mosn: Mosn, file: string, origin: string, logger: Logger) {
  let raw: unknown;
  try {
    raw = loadConfigFile(file);
  } catch (e) {
    mosn.stats.inc('config.apply_failed');
    logger.error({ origin, code: (e as MosnError).code }, `reload: ${(e as Error).message}; version ${mosn.version} keeps serving`);
    const problems = [{ path: '(file)', message: (e as Error).message }];
    return { ok: false as const, version: mosn.version, problems };
  }
  return mosn.apply(raw, origin);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const code = e instanceof MosnError ? e.code : 'MOSN_ERR_INTERNAL';
    process.stderr.write(`mosn: ${code}: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
