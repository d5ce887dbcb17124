#!/usr/bin/env node
process.argv.splice(2, 0, 'profile');
await import('../dist/src/cli/run.js');
