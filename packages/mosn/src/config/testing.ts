import { ConfigProblems, ConfigReader } from './config-reader.js';

/** Problems as `path: message` lines, which tests compare whole. */
export function problemLines(problems: ConfigProblems): { errors: string[]; warnings: string[] } {
  return {
    errors: problems.errors.map((p) => `${p.path}: ${p.message}`),
    warnings: problems.warnings.map((p) => `${p.path}: ${p.message}`),
  };
}

/** For tests: read the section `json`, found at `path`, with `read`; the result and the problems as `path: message` lines. */
export function readSection<T>(json: Record<string, unknown>, path: string, read: (r: ConfigReader) => T): { result: T; errors: string[]; warnings: string[] } {
  const problems = new ConfigProblems();
  const result = read(new ConfigReader(json, path, problems));
  return { result, ...problemLines(problems) };
}
