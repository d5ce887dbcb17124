#!/usr/bin/env python3
"""Splits a bench/fidelity.ts --kernels run's prediction error (plain LUT sum against the wall clock) into a
kernel part and a per-run part, per profiled net:

    plain / measured = (Σ unit kernels / Σ network kernels) × (plain / Σ unit kernels) / (measured / Σ network kernels)

The first factor is what the units' kernels alone cost more than the network's (own reorders, ops the network
fuses or drops); the other two are the wall clock over the kernels for the units (their LUT sum) and for the
network: what a session run costs beyond its kernels, which the units pay once each.

    python3 bench/fidelity-decompose.py /work/quiet/fid11/out/fidelity-cpu-128-t1-*-rounds.json
"""
import json
import sys

print('| run | net | plain / measured | Σ unit kernels / Σ network kernels | units: plain / Σ kernels | network: measured / Σ kernels |')
print('|---|---|---|---|---|---|')
for path in sys.argv[1:]:
    d = json.load(open(path))
    if not d.get('kernels'):
        continue
    a = d['args']
    label = f"{a['otherSpace']}@{a.get('otherResolution') or a['resolution']} {a['device']}, load {d['load'][0].split()[0]}"
    for p, k in zip([p for p in d['points'] if p['set'].startswith('random ' + a['otherSpace'])], d['kernels']):
        print(f"| {label} | {p['name'][:28]}… | {p['plain'] / p['measured']:.3f} | {k['unitsMs'] / k['networkMs']:.3f} | {p['plain'] / k['unitsMs']:.3f} | {p['measured'] / k['networkMs']:.3f} |")
