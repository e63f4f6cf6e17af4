#!/usr/bin/env node
// The advbn CLI. The sources are TypeScript; tsx compiles them on the fly, so no build step is needed.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const { main } = await import(fileURLToPath(new URL('../src/cli/main.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
