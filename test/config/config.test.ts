/** nas.config.json: schema validation with JSON paths, merging, and the runner applying it (flags win). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandDefaults, findConfigFile, loadConfig } from '../../src/config/config.js';
import type { CommandOptions } from '../../src/config/schema.js';
import { CLI_ARGS } from '../cli/helpers.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nas-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const COMMANDS = ['profile', 'predict', 'verify', 'lut'];

function configFile(name: string, content: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The flags of a command as yargs reports them. */
const VERIFY_OPTIONS: CommandOptions = {
  key: { json: true, device: true, threads: true, 'graph-opt': true, 'device-opt': true, front: true, 'max-error': true, help: true },
  boolean: ['json', 'help'],
  number: ['threads', 'max-error'],
  string: ['device', 'graph-opt', 'device-opt', 'front'],
  array: ['device-opt'],
  choices: { 'graph-opt': ['all', 'extended', 'basic', 'disabled'] },
};

describe('loading and validating', () => {
  it('accepts shared defaults and command sections', () => {
    const file = configFile('ok.json', { $schema: './x', defaults: { device: 'mock', threads: 1, 'device-opt': ['noise=0'] }, verify: { 'max-error': 15 } });
    const config = loadConfig(file, COMMANDS);
    expect(commandDefaults(config, file, 'verify', VERIFY_OPTIONS)).toEqual({ device: 'mock', threads: 1, 'device-opt': ['noise=0'], 'max-error': 15 });
    // A shared flag the command does not have is not passed on; its own section wins over shared values.
    const both = loadConfig(configFile('both.json', { defaults: { warmup: 3, threads: 1 }, verify: { threads: 2 } }), COMMANDS);
    expect(commandDefaults(both, 'both.json', 'verify', VERIFY_OPTIONS)).toEqual({ threads: 2 });
  });

  it('names every problem by its JSON path', () => {
    const file = configFile('bad.json', { defaults: { devcie: 'x', threads: -1, 'graph-opt': 'fast' }, verfy: {}, verify: [] });
    expect(() => loadConfig(file, COMMANDS)).toThrow(
      expect.objectContaining({
        message: expect.stringMatching(/is invalid:\n {2}\/: unknown section 'verfy'[^]*\/defaults: unknown key 'devcie'[^]*\/defaults\/threads must be >= 0[^]*\/defaults\/graph-opt must be one of "all"[^]*\/verify must be object/),
        hint: expect.stringMatching(/"defaults" \(shared flags: json, device, threads/),
      }),
    );
    const section = configFile('section.json', { verify: { 'max-error': '15', frnt: 'x', 'graph-opt': 'fast' } });
    expect(() => commandDefaults(loadConfig(section, COMMANDS), section, 'verify', VERIFY_OPTIONS)).toThrow(
      /\/verify: unknown key 'frnt'\n {2}\/verify\/graph-opt must be one of "all", "extended", "basic", "disabled"\n {2}\/verify\/max-error must be number$/,
    );
    expect(() => commandDefaults({ verify: { help: true } }, 'f', 'verify', VERIFY_OPTIONS)).toThrow(/unknown key 'help'/);
  });

  it('reports JSON syntax errors and a missing --config file', () => {
    expect(() => loadConfig(configFile('syntax.json', '{"defaults": {'), COMMANDS)).toThrow(/config file .*syntax.json is not valid JSON/);
    expect(() => findConfigFile(path.join(dir, 'none.json'))).toThrow(/config file .*none.json not found/);
    expect(findConfigFile(undefined, dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'nas.config.json'), '{}');
    expect(findConfigFile(undefined, dir)).toBe(path.join(dir, 'nas.config.json'));
    rmSync(path.join(dir, 'nas.config.json'));
  });
});

/** The real CLI in another working directory (so that directory's nas.config.json applies). */
function nasIn(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the runner applies the config', () => {
  const work = path.join(dir, 'project');
  mkdirSync(work, { recursive: true });
  writeFileSync(
    path.join(work, 'nas.config.json'),
    JSON.stringify({
      defaults: { device: 'mock', warmup: 2, 'min-repeats': 5, 'max-repeats': 50, 'max-time-ms': 150, lut: 'mock.lut.json' },
      profile: { space: 'nb201', calibrate: 0 },
    }),
  );

  it('fills flags from ./nas.config.json, including required ones; flags on the command line win', () => {
    const prof = nasIn(work, ['profile', '--out', 'mock.lut.json', '--json']);
    expect(prof.code, prof.stderr).toBe(0);
    expect(JSON.parse(prof.stdout)).toMatchObject({ device: { device: 'mock' }, measured: 23 });
    expect(JSON.parse(readFileSync(path.join(work, 'mock.lut.json'), 'utf8')).protocol).toEqual({
      ...{ warmup: 2, minRepeats: 5, maxRepeats: 50, maxTimeMs: 150, targetCI: 0.02 },
      ...{ rounds: 3, estimator: 'min', maxSpread: 0.1, extraRounds: 2 }, // the default rounds
    });

    const flagWins = nasIn(work, ['profile', '--out', 'warm3.lut.json', '--warmup', '3', '--json']);
    expect(flagWins.code, flagWins.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(work, 'warm3.lut.json'), 'utf8')).protocol.warmup).toBe(3);

    // predict demands --lut: the shared default satisfies it.
    const pred = nasIn(work, ['predict', '--space', 'nb201', '--random', '1', '--json']);
    expect(pred.code, pred.stderr).toBe(0);
    expect(JSON.parse(pred.stdout).lut.path).toBe('mock.lut.json');
  });

  it('takes --config FILE instead, and stops with the JSON path of a bad value', () => {
    const other = path.join(dir, 'other.config.json');
    writeFileSync(other, JSON.stringify({ predict: { lut: 7 } }));
    const r = nasIn(work, ['predict', '--space', 'nb201', '--random', '1', '--config', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: config file .*other.config.json is invalid:\n {2}\/predict\/lut must be string\nhint: see nas predict --help/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = nasIn(work, ['devices', '--config', path.join(dir, 'absent.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/config file .*absent.json not found/);
  });
});
