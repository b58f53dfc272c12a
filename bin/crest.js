#!/usr/bin/env node
// Crest runs its TypeScript sources directly through tsx, so there is no build step between a
// clone and `npm start`.
import { register } from 'tsx/esm/api';

register();
// `crest import` runs in a process of its own, started with the V8 and malloc settings that keep an
// import's memory bounded (server/import-process.ts); every other command runs here.
const { relaunchForImport } = await import('../server/import-process.ts');
if (!relaunchForImport()) await import('../server/cli.ts');
