import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandEvaluator, commandLine, parseAccuracy } from '../../src/evaluators/command.js';
import { createNb201Space } from '../../src/spaces/nb201.js';

const arch = createNb201Space().build([3, 3, 4, 1, 3, 1]);

describe('parseAccuracy', () => {
  it('reads JSON {"accuracy"} first, else the last standalone number', () => {
    expect(parseAccuracy('{"accuracy": 88.5, "epochs": 10}\n')).toBe(88.5);
    expect(parseAccuracy('epoch 10\nloss 0.3\n{"accuracy": 71}')).toBe(71);
    expect(parseAccuracy('epoch 1 loss 0.52\ntop1 accuracy: 91.25%.\n')).toBe(91.25);
    expect(parseAccuracy('resnet50 done')).toBeUndefined();
    expect(parseAccuracy('')).toBeUndefined();
  });

  it('substitutes or appends the architecture path', () => {
    expect(commandLine('python t.py --arch {arch} --q', '/tmp/a.json')).toBe('python t.py --arch /tmp/a.json --q');
    expect(commandLine('./eval', '/tmp/a b.json')).toBe("./eval '/tmp/a b.json'");
  });
});

describe('command evaluator', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cmd-eval-'));
  const script = path.join(dir, 'train.sh');
  // Checks it was handed an architecture file, then prints a log ending in the accuracy.
  writeFileSync(script, `test -f "$1" || exit 9\ngrep -q '"format":"hw-nas-arch"' "$1" || exit 8\necho "epoch 1 loss 0.4"\necho "accuracy: 91.25"\n`);

  it('runs the command on the architecture file and reads its accuracy', async () => {
    expect(await commandEvaluator({ command: `sh ${script} {arch}` }).evaluate(arch)).toBe(91.25);
    expect(await commandEvaluator({ command: `sh ${script}` }).evaluate(arch)).toBe(91.25);
    expect(await commandEvaluator({ command: `echo '{"accuracy": 77.5, "epochs": 3}' #` }).evaluate(arch)).toBe(77.5);
  });

  it('reports a failing command with its exit code and output', async () => {
    const ev = commandEvaluator({ command: 'echo partial; echo boom >&2; exit 3; : {arch}' });
    await expect(ev.evaluate(arch)).rejects.toThrow(/evaluator command failed \(exit code 3\).*echo partial[\s\S]*stdout: partial[\s\S]*stderr: boom/);
  });

  it('kills a command that runs past its timeout', async () => {
    const t0 = Date.now();
    await expect(commandEvaluator({ command: 'sleep 10; : {arch}', timeoutMs: 300 }).evaluate(arch)).rejects.toThrow(/timed out after 0.3 s/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('takes the running command down when the search is killed', async () => {
    const pidFile = path.join(dir, 'child.pid');
    const code = `
      import { commandEvaluator } from ${JSON.stringify(path.resolve('src/evaluators/command.ts'))};
      import { createNb201Space } from ${JSON.stringify(path.resolve('src/spaces/nb201.ts'))};
      await commandEvaluator({ command: 'echo $$ > ${pidFile}; sleep 30; : {arch}' }).evaluate(createNb201Space().build([3, 3, 4, 1, 3, 1]));`;
    const search = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: 'ignore' });
    const t0 = Date.now();
    while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8').trim()) {
      if (Date.now() - t0 > 20_000) throw new Error('the evaluator command never started');
      await new Promise((r) => setTimeout(r, 50));
    }
    const shell = Number(readFileSync(pidFile, 'utf8'));
    search.kill('SIGTERM');
    const [, signal] = await once(search, 'exit');
    expect(signal).toBe('SIGTERM');
    // The script's whole process group is gone (once init has reaped the orphans).
    const alive = () => {
      try {
        process.kill(-shell, 0);
        return true;
      } catch {
        return false;
      }
    };
    // Up to 10 s: on a loaded 2-core CI machine the group's signal and init's reaping can take over 2 s.
    for (let i = 0; i < 200 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
  });

  it('says so when the command prints no number', async () => {
    await expect(commandEvaluator({ command: 'echo all done; : {arch}' }).evaluate(arch)).rejects.toThrow(/printed no accuracy[\s\S]*stdout: all done/);
  });

  it('needs a command', () => {
    expect(() => commandEvaluator({ command: '  ' })).toThrow(/needs a command/);
  });
});
