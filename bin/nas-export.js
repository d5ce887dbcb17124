#!/usr/bin/env node
process.argv.splice(2, 0, 'export');
await import('../dist/src/cli/run.js');
