#!/usr/bin/env node
process.argv.splice(2, 0, 'search');
await import('../dist/src/cli/run.js');
