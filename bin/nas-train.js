#!/usr/bin/env node
process.argv.splice(2, 0, 'train');
await import('../dist/src/cli/run.js');
