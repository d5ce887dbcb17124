#!/usr/bin/env node
process.argv.splice(2, 0, 'devices');
await import('../dist/src/cli/run.js');
