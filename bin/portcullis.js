#!/usr/bin/env node
// Runs the TypeScript sources directly: Node >= 22.18 strips types by default (engines asks >= 22.12;
// on 22.12-22.17 pass --experimental-strip-types through NODE_OPTIONS).
import "../src/cli.ts";
