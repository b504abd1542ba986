import { processIo } from './cli/common.ts'
import { runCli } from './cli/run.ts'

// The binary's entry: everything else lives in cli/ so that tests can run commands in-process.
const code = await runCli(process.argv.slice(2), processIo)
process.exit(code)
