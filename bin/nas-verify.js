#!/usr/bin/env node
process.argv.splice(2, 0, 'verify');
await import('../dist/src/cli/run.js');
