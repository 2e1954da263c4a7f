#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigProblems, MosnError, type Logger } from '@mosn/proxy';
import { buildConfig, logSettings } from './config/build.js';
import { loadConfigFile } from './config/load.js';
import { defaultExtensions } from './extensions.js';
import { createLogger } from './logger.js';
import { Mosn } from './mosn.js';
import { loadThirdPartCodecs } from './plugins.js';

const HELP = `mosn: a MOSN-compatible service-mesh sidecar proxy on Node.js

Usage:
  mosn start -c <config>      run the proxy on a MOSN config (JSON, or YAML by .yaml/.yml)
  mosn validate -c <config>   check a config; list every problem with its JSON path; exit 1 if any
  mosn version                print the version
  mosn --help                 this text

Options:
  -c, --config <file>         the config file (default: configs/mosn_config.json)
  -l, --log-level <level>     override default_log_level (FATAL, ERROR, WARN, INFO, DEBUG, TRACE)

Signals: SIGTERM or SIGINT stop accepting, let requests in flight finish (up to
graceful_timeout, default 30s) and exit 0. Error codes: docs/errors.md.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function printProblems(file: string, problems: ConfigProblems): void {
  for (const w of problems.warnings) process.stderr.write(`warning: ${file}: ${w.path}: ${w.message}\n`);
  for (const e of problems.errors) process.stderr.write(`error: ${file}: ${e.path}: ${e.message}\n`);
}

/** Load the config's protocol packages, then check the whole config: every problem, with its path. */
async function checkConfig(raw: unknown, file: string, logger?: Logger) {
  const extensions = defaultExtensions();
  const loaded = await loadThirdPartCodecs(raw, extensions, dirname(resolve(file)));
  const built = buildConfig(raw, extensions, logger);
  built.problems.errors.unshift(...loaded.errors);
  built.problems.warnings.unshift(...loaded.warnings);
  return { ...built, extensions, config: loaded.errors.length > 0 ? undefined : built.config };
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
  const file = values.config ?? 'configs/mosn_config.json';
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
  // The logger first (from the two log keys alone), so that the config is built once, with it.
  const settings = logSettings(raw);
  const { logger, flush } = createLogger(settings.logPath, values['log-level'] ?? settings.logLevel);
  const { config, problems, extensions } = await checkConfig(raw, file, logger);
  if (!config) {
    printProblems(file, problems);
    process.stderr.write(`mosn: ${file}: ${problems.errors.length} config error(s); nothing was started\n`);
    flush();
    return 1;
  }
  const mosn = new Mosn({ config: raw, logger, extensions, built: { config, problems } });
  try {
    await mosn.start();
  } catch (e) {
    logger.fatal({ err: e }, 'start failed');
    flush();
    process.stderr.write(`mosn: ${(e as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolve) => {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'signal received');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      void mosn.stop().then(() => {
        flush();
        resolve(0);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const code = e instanceof MosnError ? e.code : 'MOSN_ERR_INTERNAL';
    process.stderr.write(`mosn: ${code}: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
