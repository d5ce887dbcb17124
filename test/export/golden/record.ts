/**
 * Writes test/export/golden/golden.json from the exporter as it is now. Run it only when the exporter
 * is meant to change what it computes (then say why in the commit):  npx tsx test/export/golden/record.ts
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { goldenCases, record, type GoldenRecord } from './cases.js';

const out: GoldenRecord[] = [];
for (const c of goldenCases()) out.push(await record(c));
const file = fileURLToPath(new URL('./golden.json', import.meta.url));
writeFileSync(file, JSON.stringify({ note: 'written by test/export/golden/record.ts', records: out }) + '\n');
console.log(`${out.length} records -> ${file}`);
