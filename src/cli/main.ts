#!/usr/bin/env node
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
import { buildProgram } from "./program.js";
import { runCli } from "./runner.js";

void runCli(buildProgram(), process.argv);
