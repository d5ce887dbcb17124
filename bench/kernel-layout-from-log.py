#!/usr/bin/env python3
"""The layout correction at kernel level, from the per-op tables bench/fidelity.ts --kernels prints.

For each fidelity run in the log(s) (a line starting '== ' that names --device and --other-space, then the
bench's output), sets the networks' Σ kernels against Σ of their units' kernels: as measured, less the units'
own NCHWc reorders, and less those plus the reorders the networks run (the correction `nas predict --onnx`
applies, src/onnx/layout.ts). Kernel times are each kernel's fastest of 20 profiled runs.

    python3 bench/kernel-layout-from-log.py /work/quiet/fid11/log.txt /work/quiet/fid11/log2.txt
"""
import re
import sys

def report(header, ops):
    if not header or 'all' not in ops:
        return
    net, units = ops['all']
    rn = sum(v[0] for k, v in ops.items() if k.startswith('Reorder'))
    ru = sum(v[1] for k, v in ops.items() if k.startswith('Reorder'))
    pct = lambda x: f"{100 * (x / net - 1):+.1f}%"
    print(f"| {header} | {net:.3f} | {pct(units)} | {pct(units - ru)} | {pct(units - ru + rn)} | {rn:.3f} / {ru:.3f} |")

print('| run | Σ network kernels ms | Σ unit kernels | less units\' reorders | plus the networks\' reorders | reorders ms: networks / units |')
print('|---|---|---|---|---|---|')
for path in sys.argv[1:]:
    header, ops = None, {}
    for line in open(path):
        if line.startswith('== ') and '--device' in line and '--other-space' in line:
            report(header, ops)
            ops = {}
            dev = re.search(r'--device (\S+)', line).group(1)
            space = re.search(r'--other-space (\S+)', line).group(1)
            res = re.search(r'--other-resolution (\d+)', line)
            load = re.search(r'load ([\d.]+)', line)
            header = f"{space}@{res.group(1) if res else '?'} {dev}, load {load.group(1) if load else '?'}"
            continue
        m = re.match(r'\| (\w+) \| ([\d.]+) \| ([\d.]+) \| -?[\d.]+ \| ', line)
        if m and header:
            ops[m.group(1)] = (float(m.group(2)), float(m.group(3)))
    report(header, ops)
